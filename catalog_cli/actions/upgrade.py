"""upgrade and rollback: move installed entries to another version, everywhere or none."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from ..cluster.base import Cluster, ObjectRef
from ..cluster.records import Installed, Record
from ..manifests import SERVICE
from ..errors import CatalogError, InputError, NotFound
from ..requirements import parse_requirement
from ..sources.base import Catalog
from ..versions import parse
from . import preflight
from .change import Target, change
from .common import Options, Report, per_namespace, start
from .plan import Observer


def _records(cluster: Cluster, opts: Options) -> dict[str, Record]:
    records = per_namespace(opts.namespaces, lambda ns: Observer(cluster, ns).record().record)
    return dict(zip(opts.namespaces, records, strict=False))


def stay_with_sources(catalog: Catalog, records: Iterable[Record], moving: set[str],
                      from_: str | None = None) -> list[str]:
    """Take every installed entry from the source it was installed from, ``moving``
    ones from ``from_`` when given: a repo added later never slips its own content in
    through an upgrade. Returns notes naming the repos that now have a name first."""
    origins: dict[str, str] = {}
    for record in records:
        for pkg in record.packages.values():
            want = from_ if from_ and pkg.name in moving else pkg.source
            if not want or want.startswith(("/", "repos:")) or pkg.kind == SERVICE:  # older, or no entry
                continue
            seen = origins.setdefault(pkg.name, want)
            if seen != want:
                raise InputError(f"{pkg.name} came from {seen} in one namespace and from {want} in another: "
                                 "upgrade those namespaces one at a time, or say --from REPO", pkg.name)
    notes = []
    for name, want in sorted(origins.items()):
        try:
            first = catalog.origin(catalog.get(name))
        except CatalogError:
            first = None
        try:
            catalog.pin(name, want)
        except NotFound as exc:
            raise NotFound(f"{name} was installed from {want}, which catalog {catalog.location} does not hold: "
                           "configure that repo again, or move it with --from REPO", name) from exc
        if first is not None and first != want and not (from_ and name in moving):
            notes.append(f"{name}: {first} now has it first; staying with {want}, where it was installed from "
                         f"(--from {first} moves it there)")
    return notes


def _pinned(record: Record, skip: set[str]) -> list[str]:
    """Every other explicitly installed entry, held at its installed version (scaffolded
    services are no catalog entries: they stay as they are)."""
    return [f"{p.kind}/{p.name}@={p.version}" for p in record.packages.values()
            if p.explicit and p.name not in skip and p.kind != SERVICE]


def _not_a_service(pkg: Installed, ns: str) -> Installed:
    if pkg.kind == SERVICE:
        raise InputError(f"{pkg.name} in {ns} is a service scaffolded from {pkg.requested}: "
                         "`catalog scaffold --update --install` moves it", pkg.key)
    return pkg


def upgrade(catalog: Catalog, cluster: Cluster, names: Sequence[str], opts: Options, *, all_: bool = False,
            from_: str | None = None, on_write: Callable[[ObjectRef, str], None] | None = None) -> Report:
    """Move the named entries (or all explicitly installed ones) to the newest version
    their requested range, their dependents and the cluster's Tekton allow."""
    notes = start(cluster, opts)
    tekton = preflight.tekton_version(cluster, opts.tekton_version)
    asked = [parse_requirement(n) for n in names]
    targets = {}
    records = _records(cluster, opts)
    moving = {r.name for r in asked} | ({p.name for rec in records.values() for p in rec.packages.values()
                                        if p.explicit and p.kind != SERVICE} if all_ else set())
    notes += stay_with_sources(catalog, records.values(), moving, from_)
    for ns, record in records.items():
        chosen = [p for p in record.packages.values() if p.explicit and p.kind != SERVICE] if all_ else []
        for req in asked:
            pkg = record.find(req.name, req.kind)
            if pkg is None:
                raise NotFound(f"{req.name} is not installed in namespace {ns}")
            chosen.append(_not_a_service(pkg, ns))
        if not chosen:
            continue
        moving = {p.name for p in chosen}
        # A range written by the user (even "@*") replaces the one recorded at install.
        ranges = {r.name: r.range for r, raw in zip(asked, names, strict=False) if "@" in raw or " " in raw.strip()}
        reqs = [f"{p.kind}/{p.name}@{ranges.get(p.name, p.requested or '*')}" for p in chosen]
        record_range = tuple((n, r) for n, r in ranges.items())
        targets[ns] = Target(tuple(reqs + _pinned(record, moving)), record_range, prune=True)
    if not targets:
        raise NotFound("nothing installed by catalog to upgrade in " + ", ".join(opts.namespaces))
    sub = replace(opts, namespaces=tuple(targets))
    report, plans = change(catalog, cluster, sub, targets, "upgrade", tekton, on_write)
    for plan in plans:
        for pkg in plan.packages.values():
            if not pkg.explicit or pkg.kind == SERVICE:
                continue
            newest = catalog.get(pkg.name, None, pkg.kind).version
            if parse(newest) > parse(pkg.version):
                notes.append(f"{pkg.name} {newest} is out of the requested range {pkg.requested!r} in "
                             f"{plan.namespace}: upgrade {pkg.name}@{newest} moves to it")
    report.notes = notes + report.notes
    return report


def previous_version(record: Record, key: str, current: str) -> str | None:
    """The version ``key`` had before the current one, from the newest revision back."""
    for rev in reversed(record.history):
        version = rev.versions.get(key)
        if version is not None and version != current:
            return version
    return None


def rollback(catalog: Catalog, cluster: Cluster, name: str, opts: Options, *, to: str | None = None,
             from_: str | None = None, on_write: Callable[[ObjectRef, str], None] | None = None) -> Report:
    """Put ``name`` back to the version it had before (or ``to``), in every namespace."""
    notes = start(cluster, opts)
    tekton = preflight.tekton_version(cluster, opts.tekton_version)
    req = parse_requirement(name)
    if req.range not in ("*", ""):
        raise InputError("give the version with --to, not NAME@VERSION", name)
    targets = {}
    records = _records(cluster, opts)
    notes += stay_with_sources(catalog, records.values(), {req.name}, from_)
    for ns, record in records.items():
        pkg = record.find(req.name, req.kind)
        if pkg is None:
            raise NotFound(f"{req.name} is not installed in namespace {ns}")
        _not_a_service(pkg, ns)
        version = to or previous_version(record, pkg.key, pkg.version)
        if version is None:
            raise NotFound(f"{req.name} has no earlier version in the history of namespace {ns}")
        keep = pkg.requested or "*"
        reqs = [f"{pkg.kind}/{pkg.name}@={version}", *_pinned(record, {pkg.name})]
        targets[ns] = Target(tuple(reqs), ((pkg.name, keep),), prune=True)
    report, _ = change(catalog, cluster, opts, targets, "rollback", tekton, on_write)
    report.notes = notes + report.notes
    return report
