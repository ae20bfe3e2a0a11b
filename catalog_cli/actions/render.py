"""render and diff: the objects an install would apply, and how they differ from the cluster."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, TypedDict

from ..cluster.base import Cluster, ObjectRef
from ..manifests import objects_for
from ..requirements import parse_requirement
from ..sources.base import Catalog
from ..versions import parse
from .packages import load_packages, resolve_entries


class Difference(TypedDict):
    """How one object's live form differs from what install would apply."""

    object: str  # KIND NAME in NAMESPACE
    state: str  # missing, differs or same
    diff: str  # unified, live -> catalog; empty when the same


def render(catalog: Catalog, requirements: Sequence[str], namespace: str,
           tekton_version: str | None = None) -> list[dict[str, Any]]:
    """Every object ``install`` would apply in ``namespace``; no cluster needed."""
    reqs = [str(parse_requirement(r)) for r in requirements]
    tekton = parse(tekton_version.lstrip("v"), "--tekton-version") if tekton_version else None
    entries, _ = resolve_entries(catalog, reqs, tekton)
    return [obj for pkg in load_packages(catalog, entries) for obj in objects_for(pkg, namespace)]


def _project(live: Any, want: Any) -> Any:
    """The part of ``live`` that ``want`` speaks about (server defaults and status left out)."""
    if want in ([], {}) and live is None:  # the server drops empty lists and maps
        return want
    if isinstance(want, dict) and isinstance(live, dict):
        return {k: _project(live.get(k), v) for k, v in want.items() if k in live or v in ([], {})}
    if isinstance(want, list) and isinstance(live, list) and len(want) == len(live):
        return [_project(a, b) for a, b in zip(live, want, strict=False)]
    return live


def diff(cluster: Cluster, objects: list[dict[str, Any]]) -> list[Difference]:
    """For each object: its live form against the desired one, as a unified diff."""
    from ..yamlio import dump

    out: list[Difference] = []
    for obj in objects:
        ref = ObjectRef.of(obj)
        live = cluster.get(ref)
        want = {k: v for k, v in obj.items() if k != "apiVersion"}
        have = None if live is None else _project(live, want)
        if have is not None:
            meta = have.get("metadata") or {}
            meta.pop("namespace", None)
            want = dict(want, metadata={k: v for k, v in obj["metadata"].items() if k != "namespace"})
        a = [] if have is None else dump(have).splitlines(keepends=True)
        b = dump(want).splitlines(keepends=True)
        text = "".join(difflib.unified_diff(a, b, f"live/{ref}", f"catalog/{ref}"))
        out.append({"object": str(ref), "state": "missing" if live is None else ("differs" if text else "same"),
                    "diff": text})
    return out
