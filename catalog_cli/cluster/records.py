"""Install records: what this tool put into each namespace, with bounded history.

Like Helm's release Secrets, but a ConfigMap (nothing in it is secret, and a
least-privilege user should not need rights on Secrets). The record is what lets
upgrade, rollback, uninstall and status know what is ours.

Anyone who may edit ConfigMaps in a namespace may edit the record, so it is never a
reason on its own to touch an object (DESIGN.md, "Trust model"):

- a record is read only from the namespace being operated on, and its own
  ``namespace`` field is ignored;
- it may name only the objects catalog makes for each entry (:func:`may_name`: for a
  scaffolded service, only the kinds scaffold applies, and cluster-scoped objects only
  with the namespace's prefix), each with the uid the server gave it; anything else is
  reported as tampering;
- an object it names is treated as ours only when the live object also has that uid,
  was written by catalog's field manager and carries catalog's labels (:func:`is_ours`);
- it is written with its ``resourceVersion`` as a precondition, and a conflict is
  resolved by re-reading it and re-applying only this run's change (:class:`RecordStore`),
  so concurrent installs into one namespace never lose an entry.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .. import PREFIX
from ..errors import CatalogError, ClusterError, InputError
from ..model import KIND_ORDER
from ..versions import is_version
from ..manifests import KIND_LABEL, MANAGED_BY, MANAGER, PACKAGE_LABEL, SERVICE, is_signed, made_for, may_name
from ..words import plural
from . import base
from .base import CLUSTER_SCOPED, FIELD_MANAGER, MANY, Cluster, ObjectRef

RECORD_NAME = "catalog-installs"
RECORD_KEY = "record.json"
HISTORY_LIMIT = 10
#: How many times a record write is retried after another writer changed it.
WRITE_ATTEMPTS = 20
#: A run over MANY namespaces or more reads their records with one request, unless the
#: cluster holds more than this many times as many records as the run needs (one request
#: costs the API server about as much as sending a few records).
WASTE = 4

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class RecordTooLarge(InputError):
    """A namespace's install record that no ConfigMap can hold, even with one revision."""


class TamperedRecord(CatalogError):
    """An install record naming something catalog never made: someone edited it."""

    exit_code = 2


@dataclass(frozen=True)
class ObjectRecord:
    kind: str
    name: str
    spec_hash: str  # of the object as the server stored it after our apply
    uid: str = ""


@dataclass(frozen=True)
class Installed:
    """One catalog entry installed in a namespace."""

    name: str
    kind: str
    version: str
    digest: str
    source: str
    requested: str  # the range the user asked for; "" when only a dependency
    objects: tuple[ObjectRecord, ...]
    required_by: tuple[str, ...] = ()
    adopted_from: str = ""  # e.g. "tkn hub" when taken over from another tool

    @property
    def explicit(self) -> bool:
        return bool(self.requested)

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Revision:
    number: int
    action: str  # the verb that made it: install, upgrade, rollback, uninstall, scaffold
    time: str  # ISO 8601, UTC
    versions: dict[str, str]  # package key -> version, after the action
    user: str = ""  # who: the kubeconfig user that ran it ("" in records written before it was kept)
    changed: tuple[str, ...] = ()  # the entries the action changed (empty in records from before it was kept)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Revision:
        """A revision as stored (JSON: lists for tuples); TypeError when it is no revision."""
        changed = data.get("changed", ())
        if not isinstance(changed, list | tuple):
            raise TypeError("changed is not a list")
        return cls(**{**data, "changed": tuple(changed)})


#: What one run changes in a record: package key -> its new value (None: removed).
Delta = Mapping[str, "Installed | None"]


@dataclass(frozen=True)
class Record:
    namespace: str
    packages: dict[str, Installed] = field(default_factory=dict)
    history: tuple[Revision, ...] = ()

    @property
    def revision(self) -> int:
        return self.history[-1].number if self.history else 0

    def find_all(self, name: str, kind: str | None = None) -> list[Installed]:
        found = [p for p in self.packages.values() if p.name == name and (kind is None or p.kind == kind)]
        return sorted(found, key=lambda p: KIND_ORDER.get(p.kind, 9))

    def find(self, name: str, kind: str | None = None) -> Installed | None:
        """The entry called ``name`` (of ``kind``); an InputError when the name alone is
        ambiguous (a Task and a StepAction may share a name)."""
        found = self.find_all(name, kind)
        if len(found) > 1:
            kinds = " and a ".join(p.kind for p in found)
            raise InputError(f"{name} is a {kinds} in namespace {self.namespace}: say which, "
                             f"e.g. {found[-1].kind.lower()}/{name}", name)
        return found[0] if found else None

    def with_needs(self, keys: set[str]) -> set[str]:
        """``keys`` and every entry they need, transitively (from each entry's required_by)."""
        out = set(keys)
        while True:
            more = {k for k, p in self.packages.items() if k not in out and any(r in out for r in p.required_by)}
            if not more:
                return out
            out |= more

    def with_packages(self, packages: dict[str, Installed], action: str, user: str = "",
                      changed: tuple[str, ...] = ()) -> Record:
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        rev = Revision(self.revision + 1, action, now, {k: p.version for k, p in sorted(packages.items())},
                       _shown(user), tuple(sorted(changed)))
        return replace(self, packages=dict(sorted(packages.items())),
                       history=(self.history + (rev,))[-HISTORY_LIMIT:]).fitted()

    def fitted(self) -> Record:
        """This record, its oldest revisions left out until it fits in its ConfigMap
        (the newest always stays): a namespace of a few hundred entries cannot keep ten
        revisions in the 1 MiB Kubernetes allows. A RecordTooLarge when even one does
        not fit: the namespace holds more entries than a record can name."""
        room = base.CONFIGMAP_MAX_BYTES
        record, size = self, len(self.to_json())
        while size > room and len(record.history) > 1:
            record = replace(record, history=record.history[1:])
            size = len(record.to_json())
        if size > room:
            raise RecordTooLarge(
                f"namespace {self.namespace} would hold {plural(len(self.packages), 'entry')}, whose install "
                f"record ({size:,} bytes) does not fit in the {base.CONFIGMAP_MAX_BYTES:,} bytes a ConfigMap may "
                "hold: install fewer entries into one namespace", f"ConfigMap {RECORD_NAME} in {self.namespace}")
        return record

    def changed(self, delta: Delta, action: str, user: str = "") -> Record:
        """This record with ``delta`` applied, as one more revision made by ``user``."""
        packages = dict(self.packages)
        for key, pkg in delta.items():
            if pkg is None:
                packages.pop(key, None)
            else:
                packages[key] = pkg
        return self.with_packages(packages, action, user, tuple(delta))

    def to_json(self) -> str:
        data = {
            "apiVersion": f"{PREFIX}/v1",
            "kind": "InstallRecord",
            "namespace": self.namespace,
            "packages": {k: asdict(p) for k, p in self.packages.items()},
            "history": [asdict(r) for r in self.history],
        }
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, namespace: str) -> Record:
        """Parse and check a record read from ``namespace`` (its own namespace field is
        ignored). Raises InputError when it is damaged, TamperedRecord when it names
        what catalog never makes."""
        where = f"ConfigMap {RECORD_NAME} in {namespace}"
        try:
            data = json.loads(text)
            packages = {}
            for key, p in dict(data.get("packages", {})).items():
                p = dict(p)
                objs = tuple(ObjectRecord(**o) for o in p.pop("objects", []))
                packages[key] = Installed(objects=objs, required_by=tuple(p.pop("required_by", ())), **p)
            history = tuple(Revision.from_dict(r) for r in data.get("history", []))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"install record is damaged: {exc}", where) from exc
        for key, pkg in packages.items():
            _check_entry(key, pkg, where, namespace)
        _check_history(history, where)
        return cls(namespace, packages, history)


def _text(value: object) -> bool:
    return isinstance(value, str)


_TAMPERED = "the record was edited by someone else; nothing was changed (inspect it with " \
            f"kubectl get configmap {RECORD_NAME} -o yaml)"
_ACTION = re.compile(r"^[a-z][a-z-]{0,31}$")
_KEY = re.compile(r"^([A-Z][A-Za-z]{0,31})/(.+)$")
#: What a user name may hold: printable text, no controls and no bidirectional overrides
#: (it is shown by ``history``), and no longer than Kubernetes lets a name be.
_USER = re.compile("^[^\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]{0,253}$")


def _shown(user: str) -> str:
    """``user`` as a record may hold it (a kubeconfig may name its user anything)."""
    return user if _USER.match(user) else ""


def _check_history(history: tuple[Revision, ...], where: str) -> None:
    """Refuse a history catalog never writes: rollback reads versions from it, and
    ``history`` shows who did what."""
    if len(history) > HISTORY_LIMIT:
        raise TamperedRecord(f"the history has {plural(len(history), 'revision')}, more than catalog keeps; "
                             f"{_TAMPERED}",
                             where)
    last = 0
    for rev in history:
        number = rev.number
        if not isinstance(number, int) or isinstance(number, bool) or number <= last:
            raise TamperedRecord(f"revision {number!r} does not follow revision {last}; {_TAMPERED}", where)
        last = number
        bad = _revision_fault(rev)
        if bad:
            raise TamperedRecord(f"revision {number} {bad}; {_TAMPERED}", where)


def _revision_fault(rev: Revision) -> str | None:
    """What is wrong with one revision, or None."""
    if not (_text(rev.action) and _ACTION.match(rev.action)):
        return f"has action {rev.action!r}, which catalog never records"
    if not _text(rev.time) or not rev.time.isascii():
        return f"has time {rev.time!r}, which is not a time"
    try:
        datetime.fromisoformat(rev.time)
    except ValueError:
        return f"has time {rev.time!r}, which is not a time"
    if not (_text(rev.user) and _USER.match(rev.user)):
        return f"names the user {rev.user[:40]!r}, which catalog never records" if _text(rev.user) \
            else "names a user that is not text"
    if not isinstance(rev.versions, dict):
        return "has versions that are not a map of entries to versions"
    for key in [*rev.versions, *rev.changed]:
        if not _entry_key(key):
            return f"names {key!r}, which is no entry catalog installs"
    for key, version in rev.versions.items():
        if not (_text(version) and is_version(version)):
            return f"has version {version!r} for {key}, which is not a version"
    return None


def _entry_key(key: object) -> bool:
    """Whether ``key`` is ``Kind/name`` of an entry catalog installs."""
    m = _KEY.match(key) if isinstance(key, str) else None
    return m is not None and bool(_NAME.match(m.group(2))) and (m.group(1) == SERVICE or
                                                               bool(made_for(m.group(1), m.group(2))))


def _check_entry(key: str, pkg: Installed, where: str, namespace: str) -> None:
    """Refuse an entry that names anything but what catalog makes for it."""
    tampered = _TAMPERED
    if not all(_text(v) for v in (pkg.name, pkg.kind, pkg.version, pkg.digest, pkg.source, pkg.requested)):
        raise InputError(f"install record is damaged: entry {key!r} has a field that is not text", where)
    if not _NAME.match(pkg.name) or key != pkg.key:
        raise TamperedRecord(f"entry {key!r} does not name itself ({pkg.key}); {tampered}", where)
    if not is_version(pkg.version) or not _DIGEST.match(pkg.digest):
        raise TamperedRecord(f"entry {key} has version {pkg.version!r} and digest {pkg.digest!r}, which catalog "
                             f"never records; {tampered}", where)
    if pkg.kind != SERVICE and not made_for(pkg.kind, pkg.name):
        raise TamperedRecord(f"entry {key!r} is of kind {pkg.kind!r}, which catalog never installs; "
                             f"{tampered}", where)
    for o in pkg.objects:
        if not (_text(o.kind) and _text(o.name) and _text(o.uid) and _text(o.spec_hash)):
            raise InputError(f"install record is damaged: an object of {key!r} has a field that is not text",
                             where)
        if not may_name(pkg.kind, pkg.name, namespace, o.kind, o.name):
            raise TamperedRecord(f"entry {key} names {o.kind} {o.name}, which catalog never makes for it; "
                                 f"{tampered}", where)
        if not o.uid:
            raise TamperedRecord(f"entry {key} names {o.kind} {o.name} without the uid catalog recorded; "
                                 f"{tampered}", where)


def object_ref(pkg: Installed, o: ObjectRecord, namespace: str) -> ObjectRef:
    """Where the object ``o`` of entry ``pkg`` is when catalog works on ``namespace``: in
    it, or cluster-wide for a service's prefixed ClusterRole or ClusterRoleBinding (the
    only cluster-scoped objects catalog ever changes or deletes). TamperedRecord for an
    object the entry may not name."""
    if not may_name(pkg.kind, pkg.name, namespace, o.kind, o.name):
        raise TamperedRecord(f"entry {pkg.key} names {o.kind} {o.name}, which catalog never makes for it",
                             f"ConfigMap {RECORD_NAME} in {namespace}")
    return ObjectRef(o.kind, "" if o.kind in CLUSTER_SCOPED else namespace, o.name)


def is_ours(live: dict[str, Any], recorded: ObjectRecord, pkg: Installed) -> bool:
    """Whether the live object is the one catalog made and recorded for ``pkg``: the
    recorded uid, written by catalog's field manager, and (unless Trusted Resources
    signed it, which forbids new labels) labelled as catalog's, for this entry and kind."""
    meta = live.get("metadata") or {}
    if not recorded.uid or meta.get("uid") != recorded.uid:
        return False
    managers = {m.get("manager") for m in meta.get("managedFields") or () if isinstance(m, dict)}
    if FIELD_MANAGER not in managers:
        return False
    if is_signed(live):
        return True
    labels = meta.get("labels") or {}
    kind = labels.get(KIND_LABEL)
    # Objects installed before the kind label existed carry none; no Service did.
    kind_matches = kind == pkg.kind or (kind is None and pkg.kind != SERVICE)
    return bool(labels.get(MANAGED_BY) == MANAGER and labels.get(PACKAGE_LABEL) == pkg.name and kind_matches)


def record_object(record: Record, namespace: str, resource_version: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": RECORD_NAME, "namespace": namespace, "labels": {MANAGED_BY: MANAGER}}
    if resource_version:
        meta["resourceVersion"] = resource_version
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {RECORD_KEY: replace(record, namespace=namespace).to_json()}}


def record_from_object(namespace: str, obj: dict[str, Any] | None) -> Record:
    if obj is None:
        return Record(namespace)
    text = (obj.get("data") or {}).get(RECORD_KEY)
    if not text:
        return Record(namespace)
    return Record.from_json(text, namespace)


@dataclass(frozen=True)
class Stored:
    """A record as read: the record and the ConfigMap holding it (None: there is none)."""

    record: Record
    live: dict[str, Any] | None

    @property
    def resource_version(self) -> str | None:
        version: str | None = (self.live or {}).get("metadata", {}).get("resourceVersion")
        return version


class RecordStore:
    """The only code that reads and writes install records."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def read(self, namespace: str) -> Stored:
        live = self.cluster.get(ObjectRef("ConfigMap", namespace, RECORD_NAME))
        return Stored(record_from_object(namespace, live), live)

    def read_many(self, namespaces: Iterable[str]) -> dict[str, Stored] | None:
        """The records of ``namespaces``, read with one request: every ConfigMap of the
        record's name in the cluster (each parsed only from the namespace it is in). None
        for fewer than :data:`MANY` namespaces, when there are more than :data:`WASTE`
        times as many records, or when the caller may not list ConfigMaps in every
        namespace: then :meth:`read` each."""
        names = set(namespaces)
        if len(names) < MANY:
            return None
        try:
            items = self.cluster.list_named("ConfigMap", RECORD_NAME, WASTE * len(names))
        except ClusterError as exc:
            if exc.status != 403:
                raise
            return None
        if items is None:
            return None
        found = {i["metadata"]["namespace"]: dict(i, kind="ConfigMap", apiVersion="v1") for i in items
                 if (i.get("metadata") or {}).get("namespace") in names}
        return {ns: Stored(record_from_object(ns, found.get(ns)), found.get(ns)) for ns in sorted(names)}

    def write(self, namespace: str, base: Stored, delta: Delta, action: str) -> Stored:
        """Store ``base.record`` changed by ``delta``, with ``base``'s resourceVersion as
        the precondition. When someone else wrote the record in between, it is read again
        and ``delta`` applied to what they wrote, so neither change is lost. A record left
        with no entry is deleted (with the same precondition), as is its history: the
        namespace holds nothing of catalog's any more."""
        current = base
        user = self.cluster.identity()[1]
        for attempt in range(WRITE_ATTEMPTS):
            new = current.record.changed(delta, action, user)
            try:
                if not new.packages:
                    if current.live is not None:
                        uid = (current.live.get("metadata") or {}).get("uid")
                        self.cluster.delete(ObjectRef("ConfigMap", namespace, RECORD_NAME), uid=uid,
                                            resource_version=current.resource_version)
                    return Stored(Record(namespace), None)
                if current.live is None:
                    stored = self.cluster.create(record_object(new, namespace))
                else:
                    stored = self.cluster.replace(record_object(new, namespace, current.resource_version))
                return Stored(new, stored)
            except ClusterError as exc:
                if exc.status != 409:
                    raise
            time.sleep(min(0.05 * (attempt + 1), 0.5))
            current = self.read(namespace)
        raise ClusterError(f"the install record kept changing under {WRITE_ATTEMPTS} attempts to write it",
                           f"ConfigMap {RECORD_NAME} in {namespace}", 409)
