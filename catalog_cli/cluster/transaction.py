"""Writes that succeed together or not at all.

Every write is first written to the intent journal (see :mod:`.journal`) with how to
undo it: the object as it was before, or nothing when it did not exist. When a write
fails, the writes already made are undone in reverse order. If the API server is
gone, the undo is retried for a while; whatever is left stays in the journal and is
finished by the next command for that cluster and user (:func:`recover`), as is the
work of a command that was killed outright. A namespace is never left half-installed.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import CatalogError, ClusterError
from ..manifests import MANAGED_BY, MANAGER
from .base import FIELD_MANAGER, Cluster, ObjectRef
from .journal import Journal, ObjectStep, RecordStep, Step, journal_key, pending
from .records import RECORD_NAME, Delta, Record, RecordStore, Stored, record_object

_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "selfLink", "managedFields")


def journal_folder(state_home: Path) -> Path:
    return state_home / "journal"


def open_journal(cluster: Cluster, state_home: Path) -> Journal:
    cluster_id, user = cluster.identity()
    return Journal(journal_folder(state_home), journal_key(cluster_id, user))


class Transaction:
    """Writes through it are journaled first and undone together; thread-safe."""

    def __init__(self, cluster: Cluster, journal: Journal, *, patience: float = 20.0,
                 on_write: Callable[[ObjectRef, str], None] | None = None) -> None:
        self.cluster = cluster
        self.journal = journal
        self.patience = patience
        self.steps: list[Step] = []
        self._lock = threading.Lock()
        self._on_write = on_write

    def _intend(self, step: Step) -> None:
        with self._lock:
            self.journal.step(step)
            self.steps.append(step)

    def apply(self, obj: dict[str, Any], before: dict[str, Any] | None, force: bool) -> dict[str, Any]:
        return self._write(obj, before, lambda: self.cluster.apply(obj, force=force))

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create ``obj``, which the server refuses (409) when an object of that name is
        there: this write can never change anyone's object."""
        return self._write(obj, None, lambda: self.cluster.create(obj))

    def _write(self, obj: dict[str, Any], before: dict[str, Any] | None,
               send: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        # The intent goes first: a write that reached the server just before the
        # process died or the connection broke is undone too.
        self._intend(ObjectStep(ref, before))
        try:
            live = send()
        except ClusterError as exc:
            self._not_made(ref, exc)
            raise
        uid = (live.get("metadata") or {}).get("uid", "")
        with self._lock:
            self.journal.made(ref, uid)
            for i in range(len(self.steps) - 1, -1, -1):
                s = self.steps[i]
                if isinstance(s, ObjectStep) and s.ref == ref:
                    self.steps[i] = replace(s, uid=uid)
                    break
        if self._on_write:
            self._on_write(ref, "applied")
        return live

    def _not_made(self, ref: ObjectRef, exc: ClusterError) -> None:
        """The server answered that it refused the write: there is nothing to undo. (With
        no answer at all the write may have happened, and the step stays.)"""
        if exc.status is None:
            return
        with self._lock:
            self.journal.write({"op": "failed", "ref": [ref.kind, ref.namespace, ref.name]})
            for i in range(len(self.steps) - 1, -1, -1):
                s = self.steps[i]
                if isinstance(s, ObjectStep) and s.ref == ref:
                    del self.steps[i]
                    break

    def delete(self, ref: ObjectRef, before: dict[str, Any]) -> None:
        self._intend(ObjectStep(ref, before))
        try:
            self.cluster.delete(ref, uid=(before.get("metadata") or {}).get("uid"))
        except ClusterError as exc:
            self._not_made(ref, exc)
            raise
        if self._on_write:
            self._on_write(ref, "deleted")

    def write_record(self, namespace: str, base: Stored, delta: Delta, action: str) -> Stored:
        """Store this run's change of the record (see :meth:`RecordStore.write`)."""
        undo = {key: base.record.packages.get(key) for key in delta}
        removes = not base.record.changed(delta, action).packages
        self._intend(RecordStep(namespace, undo, base.record.revision + 1, base.live is None, removes,
                                base.record.history if removes else ()))
        stored = RecordStore(self.cluster).write(namespace, base, delta, action)
        with self._lock:  # the revision actually written, should others have written first
            for i in range(len(self.steps) - 1, -1, -1):
                s = self.steps[i]
                if isinstance(s, RecordStep) and s.namespace == namespace:
                    self.steps[i] = replace(s, revision=stored.record.revision)
                    break
        return stored

    def commit(self) -> None:
        self.journal.commit()
        self.journal.close()
        self.steps = []

    def rollback(self) -> tuple[list[str], list[str]]:
        """Undo every step, newest first. Returns the objects whose undo waits for the
        server (left in the journal) and the undos the server refused; two empty lists
        mean all is as it was."""
        todo = list(reversed(self.steps))
        unreachable, refused = undo_steps(self.cluster, todo, patience=self.patience)
        self.steps = []
        if unreachable or refused:
            # Keep only what is still to be undone, in journal order, for the next command.
            self.journal.keep_only(list(reversed([s for s, _ in refused] + unreachable)))
        else:
            self.journal.close()
        return [_describe(s) for s in unreachable], [f"{_describe(s)}: {why}" for s, why in refused]


def _describe(step: Step) -> str:
    if isinstance(step, ObjectStep):
        return str(step.ref)
    return f"ConfigMap {RECORD_NAME} in {step.namespace}"


def restorable(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as it can be created again: without the fields the server sets."""
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    out.pop("status", None)
    return out


def _made_by_catalog(live: dict[str, Any]) -> bool:
    meta = live.get("metadata") or {}
    managers = {m.get("manager") for m in meta.get("managedFields") or () if isinstance(m, dict)}
    return FIELD_MANAGER in managers and (meta.get("labels") or {}).get(MANAGED_BY) == MANAGER


def undo_object(cluster: Cluster, step: ObjectStep) -> None:
    live = cluster.get(step.ref)
    if step.before is None:
        if live is None:
            return
        uid = (live.get("metadata") or {}).get("uid")
        # Only what this write made: its uid when the journal learnt it, otherwise an
        # object catalog wrote and labelled (never one someone made in the meantime).
        if (step.uid and uid != step.uid) or (not step.uid and not _made_by_catalog(live)):
            return
        cluster.delete(step.ref, uid=uid)
        return
    if live is None:
        cluster.create(restorable(step.before))
        return
    if (live.get("metadata") or {}).get("uid") != (step.before.get("metadata") or {}).get("uid"):
        return  # replaced by someone since: theirs now, never overwritten by an undo
    restored = copy.deepcopy(step.before)
    restored.pop("status", None)
    restored.setdefault("metadata", {})["resourceVersion"] = live["metadata"]["resourceVersion"]
    restored["metadata"].pop("managedFields", None)
    cluster.replace(restored)


def undo_record(cluster: Cluster, step: RecordStep) -> None:
    """Put back the record entries a change replaced, and drop its revision; remove the
    ConfigMap when the change had created it and nothing else is in it now."""
    store = RecordStore(cluster)
    for _ in range(20):
        base = store.read(step.namespace)
        if base.live is None:
            # Gone: put it back only when this change removed it (its last entries went).
            kept = {k: v for k, v in sorted(step.before.items()) if v is not None}
            if not (step.removes and kept):
                return
            try:
                cluster.create(record_object(Record(step.namespace, kept, step.history), step.namespace))
                return
            except ClusterError as exc:
                if exc.status != 409:
                    raise
            continue
        packages = dict(base.record.packages)
        for key, old in step.before.items():
            if old is None:
                packages.pop(key, None)
            else:
                packages[key] = old
        history = tuple(r for r in base.record.history if r.number != step.revision)
        try:
            if step.created and not packages and not history:
                cluster.delete(ObjectRef("ConfigMap", step.namespace, RECORD_NAME),
                               uid=base.live["metadata"].get("uid"), resource_version=base.resource_version)
            else:
                record = Record(step.namespace, dict(sorted(packages.items())), history)
                cluster.replace(record_object(record, step.namespace, base.resource_version))
            return
        except ClusterError as exc:
            if exc.status != 409:
                raise
    raise ClusterError("the install record kept changing while it was being restored",
                       f"ConfigMap {RECORD_NAME} in {step.namespace}", 409)


def _transient(exc: ClusterError) -> bool:
    """Worth retrying: no answer at all, or a server still starting or overloaded."""
    return exc.status is None or exc.status == 429 or exc.status >= 500


def undo_steps(cluster: Cluster, steps: list[Step], *, patience: float) -> tuple[list[Step], list[tuple[Step, str]]]:
    """Undo ``steps`` in order. Returns the steps left because the server could not be
    reached within ``patience`` seconds, and the ones it refused (with why)."""
    deadline = time.monotonic() + patience
    remaining = list(steps)
    refused: list[tuple[Step, str]] = []
    while remaining:
        step = remaining[0]
        try:
            if isinstance(step, ObjectStep):
                undo_object(cluster, step)
            else:
                undo_record(cluster, step)
            remaining.pop(0)
        except ClusterError as exc:
            if not _transient(exc):
                refused.append((step, exc.message))
                remaining.pop(0)
            elif time.monotonic() > deadline:
                return remaining, refused
            else:
                time.sleep(0.5)
        except CatalogError as exc:  # e.g. a record someone tampered with meanwhile
            refused.append((step, str(exc)))
            remaining.pop(0)
    return [], refused


def recover(cluster: Cluster, state_home: Path, *, patience: float = 0.0) -> list[str]:
    """Finish what earlier commands for this cluster and user left: undo the writes of
    every journal whose command died before committing. Returns notes saying what was
    done. Raises ClusterError when the server is still away (the journal is kept);
    undos the server refuses are kept in the journal too, and reported."""
    journal = open_journal(cluster, state_home)
    notes: list[str] = []
    with pending(journal.folder, journal.key) as found:
        for p in found:
            if p.committed or not p.steps:
                p.release(delete=True)
                continue
            namespaces = sorted({s.ref.namespace if isinstance(s, ObjectStep) else s.namespace
                                 for s in p.steps} - {""})
            left, refused = undo_steps(cluster, list(reversed(p.steps)), patience=patience)
            if left or refused:
                p.rewrite(list(reversed([s for s, _ in refused] + left)))
                p.release(delete=False)
                if left:
                    raise ClusterError("an earlier interrupted change is still to be undone and the API "
                                       "server cannot be reached", cluster.host)
                notes.append(f"could not finish undoing an interrupted change in {', '.join(namespaces)} "
                             f"(kept for later): {'; '.join(why for _, why in refused)}")
                continue
            p.release(delete=True)
            notes.append(f"undid an interrupted earlier change in {', '.join(namespaces)} "
                         f"({len(p.steps)} write{'s' if len(p.steps) != 1 else ''})")
    return notes
