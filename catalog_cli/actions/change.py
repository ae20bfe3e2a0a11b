"""The shared path of install, upgrade and rollback: requirements per namespace ->
resolution -> packages -> plans (with removal of what is no longer needed) -> commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .. import repos
from ..cluster.base import Cluster, ObjectRef
from ..cluster.records import Installed, ObjectRecord, Record, RecordStore, Stored
from ..manifests import SERVICE, Package, objects_for
from ..sources.base import Catalog
from .. import versions
from ..errors import CatalogError
from ..model import VERSION_LABEL
from ..versions import Version, parse
from . import consent
from .preflight import Rights
from .common import Options, Report, check_reading, commit, per_namespace, removed_rows, rights_for
from .packages import load_packages, resolve_entries
from .execute import Occupied
from .plan import (Change, NamespacePlan, Observer, installed_by_hub, merged_notes, plan_packages, plan_removals,
                   plan_unread)

if TYPE_CHECKING:
    from ..lockfile import Lock
    from ..resolution import Resolution


@dataclass(frozen=True)
class Target:
    """What one namespace should hold: requirement strings (each one the user's, so
    recorded as ``requested``), the range to record for a name when it is not the one
    resolved with (an upgrade pins the others), and whether to drop the rest."""

    requirements: tuple[str, ...]
    record_range: tuple[tuple[str, str], ...] = ()
    prune: bool = False
    locked: Lock | None = None  # install exactly its versions and digests
    #: Entries left exactly as they are, pruning or not (the catalog cannot give them again).
    keep: frozenset[str] = frozenset()


def key_of(pkg: Package) -> str:
    return f"{pkg.entry.kind}/{pkg.entry.name}"


def _after(record: Record, packages: list[Package], requested: dict[str, str],
           required_by: dict[str, tuple[str, ...]], namespace: str, prune: bool,
           keep: frozenset[str] = frozenset()) -> dict[str, Installed]:
    wanted = {key_of(p) for p in packages}
    # A scaffolded service is no catalog entry to resolve: pruning never drops it.
    out = {k: v for k, v in record.packages.items() if not prune or k in wanted or v.kind == SERVICE or k in keep}
    for pkg in packages:
        key = key_of(pkg)
        prev = out.get(key)
        objs = tuple(ObjectRecord(o["kind"], o["metadata"]["name"], "") for o in objects_for(pkg, namespace))
        if prev is not None:  # keep hash and uid of objects that stay; refreshed after apply
            known = {(o.kind, o.name): o for o in prev.objects}
            objs = tuple(known.get((o.kind, o.name), o) for o in objs)
        out[key] = Installed(
            name=pkg.entry.name, kind=pkg.entry.kind, version=pkg.entry.version, digest=pkg.entry.digest,
            source=pkg.source, requested=requested.get(key) or (prev.requested if prev and not prune else ""),
            objects=objs, required_by=required_by.get(key, ()) + tuple(
                r for r in (prev.required_by if prev else ()) if r in keep and r not in required_by.get(key, ())),
            adopted_from=prev.adopted_from if prev else "",
        )
    return out


def _check_pins(lock: Lock, opts: Options) -> list[str]:
    """Before anything is written: DigestMismatch when a bundle tag or git branch the lock
    pinned now names other content (the Pipeline, applied as written, would fetch it);
    a note for each pin that could not be checked (offline, or not reachable)."""
    from .. import pins
    from ..lockfile import check_pins

    pinner = None if opts.settings.offline else pins.RemotePinner(opts.settings)
    return check_pins(lock, pinner)


def _read_elsewhere(packages: list[Package], namespace: str) -> list[str]:
    """A note for each cluster-resolver reference that reads another namespace than the
    one its target is installed in: the run fetches that namespace's copy, not this one."""
    here = {(p.entry.kind, p.entry.name) for p in packages}
    return [f"{p.entry.name} {p.entry.version} fetches {d.kind} {d.name} from namespace {d.via.namespace} "
            f"(cluster resolver), not from {namespace} where it is installed"
            for p in packages for d in p.entry.dependencies
            if d.via is not None and d.via.resolver == "cluster" and d.via.namespace
            and d.via.namespace != namespace and not d.via.parameterised and (d.kind or "Task", d.name) in here]


def change(catalog: Catalog, cluster: Cluster, opts: Options, targets: dict[str, Target], action: str,
           tekton: Version | None, on_write: Callable[[ObjectRef, str], None] | None = None,
           extend: Callable[[NamespacePlan], tuple[list[consent.Grant], list[consent.Risk]]] | None = None,
           rights: Rights | None = None) -> tuple[Report, list[NamespacePlan]]:
    """Make every namespace hold its target; all namespaces change, or none. ``extend``
    may add to each plan (scaffold --install adds a service's objects and entry, so they
    are written in the same transaction) and returns the grants and risks those make."""
    resolved: dict[tuple[str, ...], tuple[list[Package], Resolution]] = {}
    pin_notes: list[str] = []
    for t in targets.values():
        if t.requirements not in resolved:
            entries, resolution = resolve_entries(catalog, t.requirements, tekton, t.locked,
                                                  repos.known(opts.settings))
            resolved[t.requirements] = (load_packages(catalog, entries), resolution)
            if t.locked is not None:
                pin_notes += _check_pins(t.locked, opts)

    kinds = {o["kind"] for pkgs, _ in resolved.values() for p in pkgs for o in objects_for(p, "x")}
    role_rules = [r for pkgs, _ in resolved.values() for p in pkgs for r in p.rules]
    rights = rights or rights_for(cluster, opts)
    check_reading(cluster, opts, kinds, role_rules, rights)
    # A namespace without an install record holds nothing of catalog's: its objects are
    # created without reading what is there first (a create the server refuses when an
    # object of the name exists). Dry runs and --adopt read, to say what is there.
    unread = opts.dry_run is None and not opts.adopt

    def one(ns: str, stored: Stored | None) -> NamespacePlan:
        target = targets[ns]
        packages, resolution = resolved[target.requirements]
        required_by = {
            f"{k[0]}/{k[1]}": tuple(f"{ln.by[0]}/{ln.by[1]}" for ln in item.required_by if ln.by)
            for k, item in resolution.resolved.items()
        }
        overrides = dict(target.record_range)
        requested = {}
        for r in resolution.requirements:
            k = resolution.find(r.name, r.kind)
            requested[f"{k[0]}/{k[1]}"] = overrides.get(r.name, r.range)
        obs = Observer(cluster, ns)
        stored = stored or obs.record()
        record = stored.record
        if unread and stored.live is None:
            changes, problems = plan_unread(packages, ns), list[str]()
        else:
            changes, problems = plan_packages(obs, record, packages, force=opts.force, adopt=opts.adopt)
        for pkg in packages:
            prev = record.packages.get(key_of(pkg))
            if (prev and prev.version == pkg.entry.version and prev.source == pkg.source
                    and prev.digest != pkg.entry.digest and not opts.force):
                problems.append(f"{pkg.source} changed {pkg.entry.name} {prev.version} since it was installed in "
                                f"{ns} (digest {prev.digest[:19]}… is now {pkg.entry.digest[:19]}…); "
                                "--force takes the new content")
        after = _after(record, packages, requested, required_by, ns, target.prune, target.keep)
        gone = [k for k in record.packages if k not in after]
        removals, notes, blocked = plan_removals(obs, record, gone, force=opts.force)
        notes += _read_elsewhere(packages, ns)
        problems += blocked
        for c in changes:
            if c.action == "adopt" and c.ref.kind in ("Task", "Pipeline", "StepAction"):
                hub = installed_by_hub(c.live or {})
                after[c.package] = replace(after[c.package], adopted_from=f"tkn hub {hub}" if hub else "unmanaged")
                notes += adoption_warnings(c, after[c.package].version)
                if c.drop_labels:
                    notes.append(f"{c.ref}: {'would remove' if opts.dry_run else 'removing'} the labels "
                                 f"{', '.join(c.drop_labels)}, so that tkn hub no longer takes it for its own")
        return NamespacePlan(ns, stored, changes + removals, after, problems, notes)

    by_key = {key_of(p): p for pkgs, _ in resolved.values() for p in pkgs}

    def plan_and_commit() -> tuple[Report, list[NamespacePlan], list[consent.Grant], list[consent.Risk]]:
        records = RecordStore(cluster).read_many(opts.namespaces) or {}
        plans = per_namespace(opts.namespaces, lambda ns: one(ns, records.get(ns)))
        grants = [consent.Grant(plan.namespace, c.ref.name, by_key[c.package].entry.name,
                                by_key[c.package].source, by_key[c.package].rules)
                  for plan in plans for c in plan.changes
                  if c.ref.kind == "Role" and c.action in ("create", "update", "adopt")]
        risks = [consent.Risk(plan.namespace, c.ref.kind, by_key[c.package].entry.name, by_key[c.package].source,
                              tuple(consent.risky(c.desired)))
                 for plan in plans for c in plan.changes
                 if c.desired is not None and c.ref.kind in ("Task", "Pipeline", "StepAction")
                 and c.action in ("create", "update", "adopt")]
        risks = [r for r in risks if r.reasons]
        rules = list(role_rules)
        for plan in plans:
            more_grants, more_risks = extend(plan) if extend is not None else ([], [])
            grants += more_grants
            risks += [r for r in more_risks if r.reasons]
            rules += [r for g in more_grants for r in g.rules]
        consent.check(grants, allow=opts.allow_sensitive_rbac, trusted=opts.trusted, risks=risks)
        return commit(cluster, plans, opts, action, rules, on_write, rights), plans, grants, risks

    try:
        report, plans, grants, risks = plan_and_commit()
    except Occupied:
        # An object was there after all, in a namespace without a record, and everything
        # written was undone: plan again, reading every namespace, and go on (or refuse) as
        # a run that had read first would have.
        unread = False
        report, plans, grants, risks = plan_and_commit()
    report.grants = grants
    report.risks = risks
    report.notes += pin_notes
    for plan in plans:
        report.notes += merged_notes(plan.notes)
        packages, _ = resolved[targets[plan.namespace].requirements]
        for pkg in packages:
            key = key_of(pkg)
            said = status_of(plan, key, opts.dry_run)
            report.packages.append({"namespace": plan.namespace, "name": pkg.entry.name, "kind": pkg.entry.kind,
                                    "version": pkg.entry.version, "status": said,
                                    "requested": bool(plan.packages[key].requested)})
            if pkg.entry.deprecated and said != "unchanged":
                warning = deprecated(catalog, pkg)
                if warning not in report.notes:
                    report.notes.append(warning)
        report.packages += removed_rows(plan, opts.dry_run)
    return report, plans


def deprecated(catalog: Catalog, pkg: Package) -> str:
    """The warning for installing ``pkg``, whose version its catalog marks deprecated."""
    e = pkg.entry
    try:
        better = [x for x in catalog.versions(e.name, e.kind) if not x.deprecated and not parse(x.version).is_prerelease]
    except CatalogError:
        better = []
    instead = f"; {better[0].version} is not" if better else "; no version of it is not"
    return f"warning: {e.kind} {e.name} {e.version} is deprecated in {pkg.source}{instead}"


def adoption_warnings(change: Change, version: str) -> list[str]:
    """What users of an object about to be adopted may notice: it becomes another version,
    or loses params or workspaces that runs and Pipelines may pass to it."""
    live, desired = change.live or {}, change.desired or {}
    out = []
    was = ((live.get("metadata") or {}).get("labels") or {}).get(VERSION_LABEL)
    if was is not None and not _same_version(str(was), version):
        older = _older(version, str(was))
        out.append(f"warning: adopting {change.ref} replaces its version {was} with {version}"
                   + (", an older one" if older else ""))
    for field in ("params", "workspaces"):
        gone = sorted(_names(live, field) - _names(desired, field))
        if gone:
            out.append(f"warning: adopting {change.ref} drops its {field} {', '.join(gone)}: runs and "
                       "Pipelines that pass them will fail")
    return out


def _names(obj: dict[str, Any], field: str) -> set[str]:
    items = (obj.get("spec") or {}).get(field)
    return {str(i["name"]) for i in items if isinstance(i, dict) and "name" in i} if isinstance(items, list) else set()


def _same_version(a: str, b: str) -> bool:
    if versions.is_version(a) and versions.is_version(b):
        return versions.parse(a) == versions.parse(b)
    return a == b


def _older(a: str, b: str) -> bool:
    """Whether version ``a`` is older than ``b`` (False when either is no version)."""
    return versions.is_version(a) and versions.is_version(b) and versions.parse(a) < versions.parse(b)


def status_of(plan: NamespacePlan, key: str, dry_run: str | None) -> str:
    """What happens (or, in a dry run, would happen) to the entry ``key`` in ``plan``."""
    would = "would " if dry_run else ""
    acts = {c.action for c in plan.changes if c.package == key}
    before, after = plan.record.packages.get(key), plan.packages[key]
    if acts <= {"unchanged"}:
        return "unchanged"
    if before is None:
        return f"{would}install" if would else "installed"
    if before.version != after.version:
        if not would:
            return f"{before.version} -> {after.version}"
        up = parse(after.version) > parse(before.version)
        return f"would {'upgrade' if up else 'downgrade'} {before.version} -> {after.version}"
    return f"{would}update" if would else "updated"
