"""diff: how the live objects differ from what catalog put there, or would.

For an entry installed in the namespace (named without a range), the comparison is
with the version the install record names, taken from the source it came from, so
that an edit made by hand shows, not a newer version's changes; with a range, or for
an entry not installed, with what ``install`` would apply.

Each existing object is compared with the server's own answer to a dry run of the
apply (``kubectl diff`` does the same): defaults the server adds are on both sides,
and everything applying would change, down to a field added by hand inside a list,
is shown. What applying would leave in place because another field manager set it
(a field added by hand beside catalog's, in what ``status`` checks for edits: spec,
rules, roleRef, subjects) is shown as not catalog's too. Keys are sorted on both
sides; lists keep their order.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from .. import repos
from ..cluster.base import FIELD_MANAGER, Cluster, ObjectRef
from ..cluster.records import Record
from ..errors import ClusterError, NotFound
from ..manifests import SERVICE, objects_for
from ..model import Entry
from ..requirements import parse_requirement
from ..sources.base import Catalog
from . import preflight
from .common import Options, how_to_reach, start, take_from
from .packages import load_packages, resolve_entries
from .plan import Observer, observers

#: Metadata the server sets: never a difference worth showing.
_SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                "namespace")


class Difference(TypedDict):
    """How one object's live form differs from what catalog applies (a row of ``-o json``)."""

    namespace: str
    object: str  # KIND NAME in NAMESPACE
    state: str  # missing, differs or same
    diff: str  # unified, live -> catalog; empty when the same


@dataclass
class Diff:
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(d["state"] != "same" for d in self.differences)


def diff(catalog: Catalog, cluster: Cluster, requirements: Sequence[str], opts: Options) -> Diff:
    """How each namespace of ``opts`` differs from what ``requirements`` make there."""
    out = Diff(notes=start(cluster, opts))
    observe = observers(cluster, opts.namespaces)
    for ns in opts.namespaces:
        obs = observe(ns)  # one list per kind: a user may list what they installed
        record = obs.record().record
        objects = _desired(catalog, cluster, record, requirements, opts, out.notes)
        fallback = False
        for obj in objects:
            item, local = _compare(cluster, obs, obj)
            out.differences.append(item)
            fallback = fallback or local
        if fallback:
            out.notes.append(f"in {ns}, some objects were compared here rather than by a dry run on the server "
                             "(you may not patch them): fields set by others may show as removed")
    return out


def _desired(catalog: Catalog, cluster: Cluster, record: Record, requirements: Sequence[str], opts: Options,
             notes: list[str]) -> list[dict[str, Any]]:
    """The objects to compare with in ``record``'s namespace, in install order."""
    installed: list[str] = []
    fresh: list[str] = []
    for text in requirements:
        req = parse_requirement(text)
        pkg = record.find(req.name, req.kind)
        if pkg is not None and pkg.kind != SERVICE and "@" not in text and " " not in text.strip():
            installed.append(pkg.key)
        else:
            fresh.append(text)
    objs: list[dict[str, Any]] = []
    if installed:
        entries = _installed_entries(catalog, record, record.with_needs(set(installed)), notes)
        objs += [o for p in load_packages(catalog, entries) for o in objects_for(p, record.namespace)]
    if fresh:
        tekton = preflight.tekton_version(cluster, opts.tekton_version)
        entries, _ = resolve_entries(catalog, [str(parse_requirement(r)) for r in fresh], tekton, None,
                                     repos.known(opts.settings))
        seen = {ObjectRef.of(o) for o in objs}
        objs += [o for p in load_packages(catalog, entries) for o in objects_for(p, record.namespace)
                 if ObjectRef.of(o) not in seen]
    return objs


def _installed_entries(catalog: Catalog, record: Record, keys: set[str], notes: list[str]) -> list[Entry]:
    """The entries the record names for ``keys``: each at its installed version, from the
    source it was installed from."""
    label = catalog.name or catalog.location
    entries = []
    for key in sorted(keys):
        pkg = record.packages[key]
        if pkg.kind == SERVICE:
            continue
        if not take_from(catalog, pkg.name, pkg.source):
            raise NotFound(f"{pkg.name} in {record.namespace} was installed from {pkg.source}, which {label} "
                           f"does not hold: {how_to_reach(pkg.source)}", pkg.name)
        try:
            entry = catalog.get(pkg.name, pkg.version, pkg.kind)
        except NotFound as exc:
            raise NotFound(f"{pkg.name} {pkg.version} (installed in {record.namespace}) is no longer in "
                           f"{pkg.source}: nothing to compare it with", pkg.name) from exc
        if entry.digest != pkg.digest:
            notes.append(f"{pkg.source}'s {pkg.name} {pkg.version} is not what was installed in {record.namespace} "
                         "(its digest changed since): compared with what the source holds now")
        entries.append(entry)
    return entries


def _compare(cluster: Cluster, obs: Observer, obj: dict[str, Any]) -> tuple[Difference, bool]:
    """The difference for one object, and whether it was worked out here for want of the
    right to ask the server."""
    from ..yamlio import dump

    ref = ObjectRef.of(obj)
    live = obs.get(ref)
    local = False
    if live is None:
        before, after = [], dump(_clean(obj)).splitlines(keepends=True)
    else:
        try:
            would = _without_foreign(cluster.apply(obj, force=True, dry_run=True))
        except ClusterError as exc:
            if exc.status != 403:
                raise
            would, local = _applied_here(live, obj), True
        before = dump(_clean(live)).splitlines(keepends=True)
        after = dump(_clean(would)).splitlines(keepends=True)
    text = "".join(difflib.unified_diff(before, after, f"live/{ref}", f"catalog/{ref}"))
    state = "missing" if live is None else ("differs" if text else "same")
    return {"namespace": obs.namespace, "object": str(ref), "state": state, "diff": text}, local


#: What status compares to see an edit (manifests.spec_hash): fields others set there are shown.
_CHECKED = ("spec", "rules", "roleRef", "subjects")


def _without_foreign(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` (as a forced apply of catalog's would leave it) without the fields under
    :data:`_CHECKED` that only other field managers own: added by hand, not catalog's."""
    theirs: list[Any] = []
    ours: list[Any] = []
    for m in (obj.get("metadata") or {}).get("managedFields") or ():
        if isinstance(m, dict) and isinstance(m.get("fieldsV1"), dict):
            (ours if m.get("manager") == FIELD_MANAGER else theirs).append(m["fieldsV1"])
    out = dict(obj)
    for key in _CHECKED:
        if key in out:
            tree = [t.get(f"f:{key}") for t in theirs]
            mine = [t.get(f"f:{key}") for t in ours]
            out[key] = _drop_owned(out[key], [t for t in tree if isinstance(t, dict)],
                                   [t for t in mine if isinstance(t, dict)])
    return out


def _drop_owned(value: Any, theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> Any:
    """``value`` without the map fields ``theirs`` (fieldsV1 trees) own and ``ours`` does
    not; a list (atomic in Tekton's schemas) goes or stays whole."""
    if not isinstance(value, dict) or not theirs:
        return value
    out = {}
    for key, item in value.items():
        their = [t[f"f:{key}"] for t in theirs if isinstance(t.get(f"f:{key}"), dict)]
        our = [t[f"f:{key}"] for t in ours if isinstance(t.get(f"f:{key}"), dict)]
        if their and not our:
            rest = _drop_owned(item, their, []) if isinstance(item, dict) else None
            if rest:  # what is left of a map they made: defaults nobody owns
                out[key] = rest
            continue
        out[key] = _drop_owned(item, their, our)
    return out


def _applied_here(live: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """What applying ``obj`` would roughly leave: its top-level fields in place of the
    live ones, its labels and annotations added to theirs."""
    out = dict(live)
    for key, value in obj.items():
        if key != "metadata":
            out[key] = value
    meta = dict(live.get("metadata") or {})
    for key in ("labels", "annotations"):
        meta[key] = {**(meta.get(key) or {}), **((obj.get("metadata") or {}).get(key) or {})}
    out["metadata"] = meta
    return out


def _clean(obj: dict[str, Any]) -> Any:
    """``obj`` without what the server keeps for itself (status, bookkeeping metadata),
    keys sorted at every level (lists keep their order)."""
    out = {k: v for k, v in obj.items() if k not in ("status", "apiVersion")}
    out["metadata"] = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_META}
    return _sorted(out)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value
