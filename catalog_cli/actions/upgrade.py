"""upgrade and rollback: move installed entries to another version, everywhere or none."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from ..cluster.base import Cluster, ObjectRef
from ..cluster.records import Installed, Record
from ..manifests import SERVICE
from ..errors import CatalogError, InputError, NotFound, SignatureError
from ..requirements import parse_requirement
from ..sources.base import Catalog
from ..versions import parse
from . import preflight
from .change import Target, change
from .common import Options, Report, how_to_reach, per_namespace, start, take_from
from .plan import observers


def _records(cluster: Cluster, opts: Options) -> dict[str, Record]:
    observe = observers(cluster, opts.namespaces)
    records = per_namespace(opts.namespaces, lambda ns: observe(ns).record().record)
    return dict(zip(opts.namespaces, records, strict=False))


def stay_with_sources(catalog: Catalog, records: Iterable[Record], moving: set[str],
                      from_: str | None = None, named: set[str] | None = None) -> tuple[list[str], set[str]]:
    """Take every installed entry from the source it was installed from, ``moving``
    ones from ``from_`` when given: a repo added later never slips its own content in
    through an upgrade. Returns notes naming the repos that now have a name first, and
    the names whose source the catalog lacks: those stay as they are. One the user
    ``named`` (default: every moving one) whose source is missing is a NotFound saying
    how to reach it; one whose source's signed index is refused, that SignatureError (the
    others from it stay as they are, with a note saying why)."""
    named = moving if named is None else named
    origins: dict[str, str] = {}
    mixed: set[str] = set()
    for record in records:
        for pkg in record.packages.values():
            want = from_ if from_ and pkg.name in moving else pkg.source
            if not want or want.startswith(("/", "repos:")) or pkg.kind == SERVICE:  # older, or no entry
                continue
            seen = origins.setdefault(pkg.name, want)
            if seen != want:
                if pkg.name in named:
                    raise InputError(f"{pkg.name} came from {seen} in one namespace and from {want} in another: "
                                     "upgrade those namespaces one at a time, or say --from REPO", pkg.name)
                mixed.add(pkg.name)
    notes = []
    lacking = set(mixed)
    label = catalog.name or catalog.location
    for name, want in sorted(origins.items()):
        if name in mixed:
            continue
        try:
            first: str | None = catalog.origin(catalog.get(name))
        except CatalogError:
            first = None
        try:
            taken = take_from(catalog, name, want)
        except SignatureError as exc:
            if name in named:
                raise
            # Its repo's index is refused: it stays as installed, never moved by what that index says.
            lacking.add(name)
            notes.append(f"{name} (from {want}) stays as it is: {exc.message}")
            continue
        if not taken:
            if name in named:
                raise NotFound(f"{name} was installed from {want}, which {label} does not hold: "
                               f"{how_to_reach(want)}, or move it with --from REPO", name)
            lacking.add(name)
            notes.append(f"{name} (from {want}) stays as it is: {label} does not hold it ({how_to_reach(want)})")
            continue
        if first is not None and first != want and not (from_ and name in moving):
            notes.append(f"{name}: {first} now has it first; staying with {want}, where it was installed from "
                         f"(--from {first} moves it there)")
    return notes, lacking


def _held(record: Record, skip: set[str]) -> list[Installed]:
    """Every other explicitly installed entry, to be held at its installed version
    (scaffolded services are no catalog entries: they stay as they are)."""
    return [p for p in record.packages.values() if p.explicit and p.name not in skip and p.kind != SERVICE]


def _has(catalog: Catalog, pkg: Installed) -> bool:
    """Whether ``catalog`` holds the version of ``pkg`` that is installed."""
    try:
        catalog.get(pkg.name, pkg.version, pkg.kind)
    except CatalogError:
        return False
    return True


def _has_any(catalog: Catalog, pkg: Installed) -> bool:
    """Whether ``catalog`` holds any version of ``pkg`` (what ``upgrade --all`` can move)."""
    try:
        return bool(catalog.versions(pkg.name, pkg.kind))
    except CatalogError:
        return False


def _target(catalog: Catalog, record: Record, reqs: list[str], moving: set[str],
            ranges: tuple[tuple[str, str], ...], lacking: set[str]) -> Target:
    """What a namespace should hold when ``moving`` move by ``reqs``: every other explicit
    entry held at its version (its request recorded as it was); those the catalog cannot
    give again (``lacking`` sources, versions gone) left as they are with what they need,
    of which what the catalog still has is held at its version too."""
    held = _held(record, moving)
    gone = {p.key for p in held if p.name in lacking or not _has(catalog, p)}
    keep = record.with_needs(gone)
    hold = [p for p in held if p.key not in keep]
    hold += [p for k, p in record.packages.items()
             if k in keep and k not in gone and p.kind != SERVICE and p.name not in lacking and _has(catalog, p)]
    pins = [f"{p.kind}/{p.name}@={p.version}" for p in hold]
    kept_ranges = tuple((p.name, p.requested) for p in hold)
    return Target(tuple(reqs + pins), ranges + kept_ranges, prune=True,
                  keep=frozenset(keep - {p.key for p in hold}))


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
    named = {r.name for r in asked}
    moving = named | ({p.name for rec in records.values() for p in rec.packages.values()
                       if p.explicit and p.kind != SERVICE} if all_ else set())
    more, lacking = stay_with_sources(catalog, records.values(), moving, from_, named)
    notes += more
    for ns, record in records.items():
        chosen = [p for p in record.packages.values() if p.explicit and p.kind != SERVICE
                  and p.name not in lacking and _has_any(catalog, p)] if all_ else []
        for req in asked:
            pkg = record.find(req.name, req.kind)
            if pkg is None:
                raise NotFound(f"{req.name} is not installed in namespace {ns}")
            if pkg not in chosen:
                chosen.append(_not_a_service(pkg, ns))
        if not chosen:
            continue
        here = {p.name for p in chosen}
        # A range written by the user (even "@*") replaces the one recorded at install.
        ranges = {r.name: r.range for r, raw in zip(asked, names, strict=False) if "@" in raw or " " in raw.strip()}
        reqs = [f"{p.kind}/{p.name}@{ranges.get(p.name, p.requested or '*')}" for p in chosen]
        targets[ns] = _target(catalog, record, reqs, here, tuple(ranges.items()), lacking)
    if not targets:
        held = sorted({(p.name, p.source) for rec in records.values() for p in rec.packages.values()
                       if p.explicit and p.name in lacking})
        if held:
            name, source = held[0]
            raise NotFound(f"nothing to upgrade in {', '.join(opts.namespaces)}: {name} was installed from {source}, "
                           f"which {catalog.name or catalog.location} does not hold: {how_to_reach(source)}, or move "
                           "it with --from REPO", name)
        raise NotFound("nothing installed by catalog to upgrade in " + ", ".join(opts.namespaces))
    sub = replace(opts, namespaces=tuple(targets))
    report, plans = change(catalog, cluster, sub, targets, "upgrade", tekton, on_write)
    for plan in plans:
        for pkg in plan.packages.values():
            if not pkg.explicit or pkg.kind == SERVICE or pkg.name not in moving or pkg.name in lacking:
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
    more, lacking = stay_with_sources(catalog, records.values(), {req.name}, from_)
    notes += more
    for ns, record in records.items():
        pkg = record.find(req.name, req.kind)
        if pkg is None:
            raise NotFound(f"{req.name} is not installed in namespace {ns}")
        _not_a_service(pkg, ns)
        version = to or previous_version(record, pkg.key, pkg.version)
        if version is None:
            raise NotFound(f"{req.name} has no earlier version in the history of namespace {ns}")
        targets[ns] = _target(catalog, record, [f"{pkg.kind}/{pkg.name}@={version}"], {pkg.name},
                              ((pkg.name, pkg.requested or "*"),), lacking)
    report, _ = change(catalog, cluster, opts, targets, "rollback", tekton, on_write)
    report.notes = notes + report.notes
    return report
