"""uninstall: remove exactly what catalog made for an entry, and nothing a user made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from ..cluster.base import Cluster, ObjectRef
from ..cluster.records import Installed
from ..errors import NotFound
from ..manifests import SERVICE
from ..requirements import Requirement, parse_requirement
from ..sources.base import Catalog
from .common import Options, Report, commit, per_namespace, removed_rows, start
from .plan import NamespacePlan, merged_notes, observers, plan_removals


def _orphans(packages: dict[str, Installed], removed: set[str]) -> set[str]:
    """Dependencies that nothing left needs any more, found to a fixed point."""
    gone = set(removed)
    changed = True
    while changed:
        changed = False
        for key, pkg in packages.items():
            if key in gone or pkg.explicit:
                continue
            if pkg.required_by and all(r in gone for r in pkg.required_by):
                gone.add(key)
                changed = True
    return gone


def _asked(text: str) -> Requirement:
    """``NAME``, ``KIND/NAME``, or ``service/NAME`` for a service ``scaffold --install`` made."""
    kind, sep, name = text.strip().partition("/")
    if sep and kind.lower() in ("service", "services"):
        return Requirement(parse_requirement(name).name, "*", SERVICE)
    return parse_requirement(text)


def uninstall(catalog: Catalog | None, cluster: Cluster, names: Sequence[str], opts: Options,
              on_write: Callable[[ObjectRef, str], None] | None = None) -> Report:
    """Remove ``names`` and what only they needed. ``catalog`` is not read (callers pass
    None): what to remove is in the install record, whatever the catalogs hold now."""
    notes = start(cluster, opts)
    asked = [_asked(n) for n in names]

    observe = observers(cluster, opts.namespaces)

    def one(ns: str) -> NamespacePlan:
        obs = observe(ns)
        stored = obs.record()
        record = stored.record
        keys = set()
        for req in asked:
            pkg = record.find(req.name, req.kind)
            if pkg is None:
                raise NotFound(f"{req.name} was not installed by catalog in namespace {ns}")
            keys.add(pkg.key)
        gone = _orphans(record.packages, keys)
        changes, left_alone, problems = plan_removals(obs, record, sorted(gone), force=opts.force)
        after = {}
        for key, pkg in record.packages.items():
            if key not in gone:
                after[key] = Installed(**{**pkg.__dict__,
                                          "required_by": tuple(r for r in pkg.required_by if r not in gone)})
        return NamespacePlan(ns, stored, changes, after, problems, left_alone)

    plans = per_namespace(opts.namespaces, one)
    report = commit(cluster, plans, opts, "uninstall", [], on_write)
    report.notes = notes + [n for p in plans for n in merged_notes(p.notes)]
    for plan in plans:
        report.packages += removed_rows(plan, opts.dry_run)
    return report
