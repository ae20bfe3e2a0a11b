"""render: the objects an install would apply, for GitOps (``diff`` compares them with the cluster)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..manifests import objects_for
from ..requirements import parse_requirement
from ..sources.base import Catalog
from ..versions import parse
from .packages import load_packages, resolve_entries


def render(catalog: Catalog, requirements: Sequence[str], namespace: str,
           tekton_version: str | None = None) -> list[dict[str, Any]]:
    """Every object ``install`` would apply in ``namespace``; no cluster needed."""
    reqs = [str(parse_requirement(r)) for r in requirements]
    tekton = parse(tekton_version.lstrip("v"), "--tekton-version") if tekton_version else None
    entries, _ = resolve_entries(catalog, reqs, tekton)
    return [obj for pkg in load_packages(catalog, entries) for obj in objects_for(pkg, namespace)]
