"""From requirements to Packages: resolve, then load each entry through the catalog's
checks (document and rules as the index says, digest-checked), and give each its RBAC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import InputError
from ..manifests import Package, merged_rules
from ..model import Entry
from ..sources.base import Catalog
from ..sources.verify import INSTALLABLE
from ..versions import Version

if TYPE_CHECKING:
    from ..known import Known
    from ..lockfile import Lock
    from ..resolution import Resolution


def template_refusal(name: str, *, version: str | None = None, where: str | None = None,
                     tail: str = "") -> InputError:
    """The one refusal of a Template where something to install is needed (install, lock)."""
    label = f"{name} {version}" if version else name
    return InputError(f"{label} is a Template: templates are scaffolded into a service's repository "
                      f"(`catalog scaffold {name}`), never installed{tail}", where)


def refuse_templates(catalog: Catalog, refs: Sequence[str]) -> None:
    """A Template named for install, said before any cluster is asked anything."""
    from ..requirements import parse_requirement

    for ref in refs:
        req = parse_requirement(ref)
        if req.kind is None and catalog.kinds(req.name) == ["Template"]:
            raise template_refusal(req.name)


def load_packages(catalog: Catalog, entries: Sequence[Entry]) -> list[Package]:
    """A Package per entry, in the given (install) order, each loaded by ``catalog.load``:
    its rules are those of its own rbac.yaml, never the index's. A Pipeline's
    ServiceAccount gets the rules of every Task it uses, since a PipelineRun runs them
    all under it. Nothing is returned unless every entry passed."""
    for e in entries:
        if e.kind not in INSTALLABLE:
            raise template_refusal(e.name, where=e.ref)
    loaded = {(e.kind, e.name): catalog.load(e) for e in entries}
    out = []
    for e in entries:
        v = loaded[(e.kind, e.name)]
        rules = [v.rules]
        if e.kind == "Pipeline":
            rules += [loaded[("Task", d.name)].rules for d in e.dependencies if ("Task", d.name) in loaded]
        # The origin, not the location: records and annotations must read the same on
        # every machine, and name the repo an upgrade should stay with.
        out.append(Package(e, v.document, catalog.origin(e), merged_rules(rules)))
    return out


def resolve_entries(catalog: Catalog, requirements: Sequence[str], tekton: Version | None,
                    locked: Lock | None = None, known: Known | None = None) -> tuple[list[Entry], Resolution]:
    """Resolve user requirement strings against ``catalog``; entries in install order.
    With a lock, its versions are chosen and must come out exactly, digests included.
    ``known`` (``repos.known``) says which references through resolvers are followed."""
    from ..provider import resolve
    from ..requirements import parse_requirement

    reqs = [parse_requirement(r) for r in requirements]
    resolution = resolve(catalog, reqs, tekton, locked, known=known)
    if locked is not None:
        from ..errors import ResolutionError
        from ..lockfile import check_locked

        want = {(e.kind, e.name): e for e in check_locked(catalog, locked)}
        got = {(e.kind, e.name): e for e in resolution.entries}
        if {k: e.version for k, e in want.items()} != {k: e.version for k, e in got.items()}:
            moved = sorted(f"{k[1]} {want[k].version if k in want else '-'} -> {got[k].version if k in got else '-'}"
                           for k in set(want) | set(got)
                           if k not in want or k not in got or want[k].version != got[k].version)
            raise ResolutionError(f"the lock no longer resolves to its own versions ({', '.join(moved)}); "
                                  "run `catalog lock` again", locked.path)
    return resolution.entries, resolution
