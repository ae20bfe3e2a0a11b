"""From requirements to Packages: resolve, read each resource (digest-checked), add RBAC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..manifests import Package, merged_rules
from ..model import Entry


def load_packages(catalog: Any, entries: Sequence[Entry]) -> list[Package]:
    """A Package per entry, in the given (install) order. A Pipeline's ServiceAccount
    gets the rules of every Task it uses, since a PipelineRun runs them all under it."""
    by_name = {(e.kind, e.name): e for e in entries}
    out = []
    for e in entries:
        rules = [e.rbac]
        if e.kind == "Pipeline":
            rules += [by_name[("Task", d.name)].rbac for d in e.dependencies if ("Task", d.name) in by_name]
        out.append(Package(e, catalog.load_resource(e), catalog.location, merged_rules(rules)))
    return out


def resolve_entries(catalog: Any, requirements: Sequence[str], tekton: Any) -> tuple[list[Entry], Any]:
    """Resolve user requirement strings against ``catalog``; entries in install order."""
    from ..provider import parse_requirement, resolve

    reqs = [parse_requirement(r) for r in requirements]
    resolution = resolve(catalog, reqs, tekton)
    return resolution.entries, resolution
