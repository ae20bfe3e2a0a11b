"""What to change in one namespace: desired objects against live ones and the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import ClusterError
from ..cluster.base import CLUSTER_SCOPED, RESOURCES, Cluster, ObjectRef
from ..manifests import Package, objects_for, spec_hash
from ..model import VERSION_LABEL
from ..cluster.records import Installed, ObjectRecord, Record, RecordStore, Stored, is_ours, object_ref

HUB_LABELS = ("hub.tekton.dev/catalog",)
HUB_PREFIX = "artifacthub.io/"


@dataclass
class Change:
    ref: ObjectRef
    action: str  # create | update | unchanged | delete | adopt
    package: str  # package key, Kind/name
    desired: dict[str, Any] | None
    live: dict[str, Any] | None
    #: Labels to remove once applied: an adopted object's tkn hub / Artifact Hub ones,
    #: which server-side apply leaves in place (another field manager owns them).
    drop_labels: tuple[str, ...] = ()
    #: A create planned without reading (in a namespace holding nothing of catalog's):
    #: sent as a POST, which the server refuses when an object of that name exists.
    unread: bool = False

    @property
    def writes(self) -> bool:
        return self.action != "unchanged"


@dataclass
class NamespacePlan:
    namespace: str
    stored: Stored  # the record as read, with the ConfigMap's resourceVersion
    changes: list[Change] = field(default_factory=list)
    packages: dict[str, Installed] = field(default_factory=dict)  # the record's packages after
    problems: list[str] = field(default_factory=list)  # objects we must not touch
    notes: list[str] = field(default_factory=list)

    @property
    def record(self) -> Record:
        return self.stored.record

    @property
    def writes(self) -> bool:
        return any(c.writes for c in self.changes)

    @property
    def changes_record(self) -> bool:
        return self.writes or self.packages != self.record.packages


def installed_by_hub(obj: dict[str, Any]) -> str | None:
    """The version of a Task installed by ``tkn hub`` (or Artifact Hub tooling), else None."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if VERSION_LABEL in labels and (
        any(k in labels for k in HUB_LABELS) or any(k.startswith(HUB_PREFIX) for k in labels)
    ):
        return str(labels[VERSION_LABEL])
    return None


def hub_labels(obj: dict[str, Any]) -> tuple[str, ...]:
    """The labels by which ``tkn hub`` (``hub.tekton.dev/catalog``) and Artifact Hub
    tooling (``artifacthub.io/*``) take ``obj`` for theirs."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return tuple(sorted(k for k in labels if k in HUB_LABELS or str(k).startswith(HUB_PREFIX)))


def recorded(record: Record, package_key: str, kind: str, name: str) -> ObjectRecord | None:
    pkg = record.packages.get(package_key)
    for o in pkg.objects if pkg else ():
        if o.kind == kind and o.name == name:
            return o
    return None


def owned(obj: dict[str, Any], record: Record, package_key: str) -> bool:
    """Whether ``obj`` is the object catalog made and recorded under this package."""
    pkg = record.packages.get(package_key)
    rec = recorded(record, package_key, str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))
    return pkg is not None and rec is not None and is_ours(obj, rec, pkg)


def drifted(obj: dict[str, Any], record: Record, package_key: str) -> bool:
    rec = recorded(record, package_key, str(obj.get("kind")), str((obj.get("metadata") or {}).get("name")))
    return rec is not None and bool(rec.spec_hash) and spec_hash(obj) != rec.spec_hash


class Observer:
    """Reads a namespace's live objects once per kind (one LIST each), then answers GETs."""

    def __init__(self, cluster: Cluster, namespace: str, stored: Stored | None = None) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self._stored = stored  # the record, when read with others' (see ``observers``)
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}
        self._forbidden: set[str] = set()  # kinds the caller may not list here

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        if ref.kind in CLUSTER_SCOPED:  # one object, not a list of the whole cluster's
            return self.cluster.get(ref)
        found = self._listed(ref.kind)
        if found is None:  # may not list: read the one object
            return self.cluster.get(ref)
        return found.get(ref.name)

    def listed(self, kind: str) -> list[dict[str, Any]]:
        """Every object of the namespaced ``kind`` here (none when the caller may not list them)."""
        return list((self._listed(kind) or {}).values())

    def _listed(self, kind: str) -> dict[str, dict[str, Any]] | None:
        if kind in self._forbidden:
            return None
        if kind not in self._cache:
            try:
                items = self.cluster.list(kind, self.namespace)
            except ClusterError as exc:
                if exc.status != 403:
                    raise
                self._forbidden.add(kind)
                return None
            api_version = RESOURCES[kind][0]
            self._cache[kind] = {i["metadata"]["name"]: dict(i, kind=kind, apiVersion=api_version) for i in items}
        return self._cache[kind]

    def record(self) -> Stored:
        return self._stored if self._stored is not None else RecordStore(self.cluster).read(self.namespace)


def observers(cluster: Cluster, namespaces: Sequence[str]) -> Callable[[str], Observer]:
    """Makes an Observer for a namespace of ``namespaces``, their install records read
    with one request when there are many (``RecordStore.read_many``), else each on first
    use. Each Observer holds what it lists: make it when the namespace's turn comes, and
    let it go after (a thousand namespaces' objects held at once took 266 MiB)."""
    many = RecordStore(cluster).read_many(namespaces) or {}
    return lambda ns: Observer(cluster, ns, many.get(ns))


def _same(desired: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether applying ``desired`` would change nothing we manage in ``live``."""
    d_meta, l_meta = desired.get("metadata") or {}, live.get("metadata") or {}
    for key in ("labels", "annotations"):
        have = l_meta.get(key) or {}
        if any(have.get(k) != v for k, v in (d_meta.get(key) or {}).items()):
            return False
    for key in ("spec", "rules", "roleRef", "subjects"):
        if key in desired and not _contains(live.get(key), desired[key]):
            return False
    return True


def _contains(live: Any, want: Any) -> bool:
    """``want`` is a subset of ``live`` (the server may add defaults, never remove ours;
    it does drop empty lists and maps)."""
    if want in ([], {}) and live in (None, [], {}):
        return True
    if isinstance(want, dict):
        return isinstance(live, dict) and all(_contains(live.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(live, list) and len(live) == len(want) and all(
            _contains(a, b) for a, b in zip(live, want, strict=False))
    return bool(live == want)


def _same_uid(desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """``desired`` bound to the object planned against: with its uid in the applied body,
    the server refuses the write (422 or 409) should the object have been replaced since."""
    meta = dict(desired.get("metadata") or {}, uid=(live.get("metadata") or {}).get("uid"))
    return dict(desired, metadata=meta)


def plan_packages(obs: Observer, record: Record, packages: list[Package], *, force: bool,
                  adopt: bool) -> tuple[list[Change], list[str]]:
    """Changes that make ``packages`` present in the namespace, and objects that block them."""
    changes, problems = [], []
    for pkg in packages:
        key = f"{pkg.entry.kind}/{pkg.entry.name}"
        prev = record.packages.get(key)
        same_version = prev is not None and prev.digest == pkg.entry.digest
        for obj in objects_for(pkg, obs.namespace):
            change, problem = plan_object(obs, record, key, obj, same_version=same_version, force=force,
                                          adopt=adopt)
            changes += [change] if change else []
            problems += [problem] if problem else []
    return changes, problems


def plan_unread(packages: list[Package], namespace: str) -> list[Change]:
    """Creates of every object of ``packages``, planned without reading the namespace: for
    one that holds no install record, so that any object found there would not be
    catalog's, and a plan that had read it would create the object or refuse to go on.
    Each is sent as a create, which the server refuses when the object exists
    (:class:`~.execute.Occupied`): never a write to an object that is there."""
    return [Change(ObjectRef.of(obj), "create", f"{pkg.entry.kind}/{pkg.entry.name}", obj, None, unread=True)
            for pkg in packages for obj in objects_for(pkg, namespace)]


def plan_object(obs: Observer, record: Record, key: str, obj: dict[str, Any], *, same_version: bool,
                force: bool, adopt: bool) -> tuple[Change | None, str | None]:
    """The change that makes ``obj`` (of the entry ``key``) present, or why it may not be made."""
    ref = ObjectRef.of(obj)
    live = obs.get(ref)
    if live is None:
        return Change(ref, "create", key, obj, None), None
    if not owned(live, record, key):
        hub = installed_by_hub(live)
        if adopt:
            return Change(ref, "adopt", key, _same_uid(obj, live), live, hub_labels(live)), None
        if hub:
            return None, f"{ref} was installed by tkn hub (version {hub}); --adopt takes it over"
        return None, f"{ref} exists and was not made by catalog; --adopt takes it over"
    edited = drifted(live, record, key)
    if edited and not force:
        return None, f"{ref} was edited since catalog installed it; --force overwrites (catalog diff shows how)"
    if same_version and _same(obj, live) and not edited:
        return Change(ref, "unchanged", key, obj, live), None
    return Change(ref, "update", key, _same_uid(obj, live), live), None


def plan_removals(obs: Observer, record: Record, keys: list[str], *,
                  force: bool = False) -> tuple[list[Change], list[str], list[str]]:
    """Deletions of what the record says we made for ``keys``, never anything else: an
    object is deleted only when it is still the one catalog made (:func:`is_ours`).
    Returns the changes, notes, and problems (objects edited since, without ``force``)."""
    changes, notes, problems = [], [], []
    gone = []
    for key in keys:
        pkg = record.packages[key]
        for o in reversed(pkg.objects):
            ref = object_ref(pkg, o, obs.namespace)
            live = obs.get(ref)
            if live is None:
                gone.append(str(ref))
            elif not is_ours(live, o, pkg):
                notes.append(f"{ref} is no longer the object catalog made; left alone")
            elif o.spec_hash and spec_hash(live) != o.spec_hash and not force:
                problems.append(f"{ref} was edited since catalog installed it; --force removes it anyway")
            else:
                changes.append(Change(ref, "delete", key, None, live))
    if gone:
        notes.append(GONE + ", ".join(gone))
    return changes, notes, problems


GONE = "already gone, so not deleted: "


def merged_notes(notes: list[str]) -> list[str]:
    """``notes`` with every "already gone" note of one plan said once, together."""
    gone = [n.removeprefix(GONE) for n in notes if n.startswith(GONE)]
    rest = [n for n in notes if not n.startswith(GONE)]
    return rest + ([GONE + ", ".join(gone)] if gone else [])
