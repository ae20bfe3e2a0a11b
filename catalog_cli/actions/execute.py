"""Carrying out namespace plans: all of them, or none."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..cluster.base import FIELD_MANAGER, Cluster, ObjectRef
from ..cluster.records import Installed, ObjectRecord, object_ref
from ..cluster.transaction import Transaction, open_journal
from ..errors import CatalogError, ClusterError
from ..manifests import spec_hash
from ..words import plural
from .plan import NamespacePlan

#: Namespaces written in parallel; each namespace's objects go in order.
WORKERS = 8


def _record_objects(plan: NamespacePlan, applied: dict[ObjectRef, dict[str, Any]]) -> dict[str, Installed]:
    """The record's packages with each object's hash and uid as the server stored it."""
    out = {}
    for key, pkg in plan.packages.items():
        objs = []
        for o in pkg.objects:
            live = applied.get(object_ref(pkg, o, plan.namespace))
            if live is not None:
                objs.append(ObjectRecord(o.kind, o.name, spec_hash(live), live["metadata"].get("uid", "")))
            else:
                objs.append(o)
        out[key] = replace(pkg, objects=tuple(objs))
    return out


def _check_room(cluster: Cluster, plans: list[NamespacePlan], action: str) -> None:
    """Raise RecordTooLarge (see ``Record.fitted``) for a plan whose record could not be
    stored, before any write: else every object would be written, then undone when the
    API server refuses the record. The uids and hashes the writes will give are not
    known yet; stand-ins of their length take their place."""
    user = cluster.identity()[1]
    for plan in plans:
        if not plan.changes_record:
            continue
        sized = {key: replace(pkg, objects=tuple(replace(o, uid=_UID, spec_hash=_HASH) for o in pkg.objects))
                 for key, pkg in plan.packages.items()}
        plan.record.changed(_delta(plan.record.packages, sized), action, user)


#: Stand-ins as long as a Kubernetes uid and a ``manifests.spec_hash``.
_UID = "00000000-0000-0000-0000-000000000000"
_HASH = "sha256:" + "0" * 64


def _delta(before: dict[str, Installed], after: dict[str, Installed]) -> dict[str, Installed | None]:
    """What this run changes in the record: entries added or changed, and removed."""
    out: dict[str, Installed | None] = {k: v for k, v in after.items() if before.get(k) != v}
    out.update({k: None for k in before if k not in after})
    return out


def execute(cluster: Cluster, plans: list[NamespacePlan], *, action: str, force: bool, state_home: Path,
            patience: float = 20.0, dry_run: bool = False,
            on_write: Callable[[ObjectRef, str], None] | None = None) -> None:
    """Apply every plan; on any failure (or Ctrl-C) undo everything this call wrote and
    raise. A server dry run sends every write with dryRun and records nothing. A
    namespace whose record could not be stored is refused before anything is written."""
    _check_room(cluster, plans, action)
    if dry_run:
        def try_apply(obj: dict[str, Any], live: dict[str, Any] | None, force: bool) -> dict[str, Any]:
            return cluster.apply(obj, force=force, dry_run=True)

        for plan in plans:
            for c in plan.changes:
                if c.action in ("create", "update", "adopt") and c.desired is not None:
                    _apply(try_apply, c.desired, c.live, force=force or c.action == "adopt")
                elif c.action == "delete":
                    cluster.delete(c.ref, dry_run=True)
        return
    tx = Transaction(cluster, open_journal(cluster, state_home), patience=patience, on_write=on_write)
    stop = threading.Event()

    def run(plan: NamespacePlan) -> None:
        applied: dict[ObjectRef, dict[str, Any]] = {}
        for c in plan.changes:
            if stop.is_set():
                raise _Stopped()
            if c.action == "create" and c.unread and c.desired is not None:
                applied[c.ref] = _create(tx, c.desired, plan.namespace)
            elif c.action in ("create", "update", "adopt") and c.desired is not None:
                # Adopting takes the fields over from the tool that made the object.
                forced = force or c.action == "adopt"
                applied[c.ref] = _apply(tx.apply, c.desired, c.live, force=forced)
                if c.drop_labels:
                    applied[c.ref] = _without_labels(cluster, applied[c.ref], c.drop_labels)
                if forced and _foreign_body(applied[c.ref]):
                    applied[c.ref] = _only_ours(cluster, applied[c.ref], c.desired)
            elif c.action == "delete" and c.live is not None:
                tx.delete(c.ref, c.live)
            elif c.live is not None:
                applied[c.ref] = c.live
        delta = _delta(plan.record.packages, _record_objects(plan, applied))
        if delta:
            tx.write_record(plan.namespace, plan.stored, delta, action)

    errors, interrupted = _run_all(run, [p for p in plans if p.changes_record], stop)
    if not errors and interrupted is None:
        tx.commit()
        return
    left, refused = tx.rollback()
    if interrupted is not None:
        raise interrupted
    if all(isinstance(e, Occupied) for e in errors) and not (left or refused):
        raise Occupied(f"{'; '.join(map(str, errors))}; every change was undone",
                       namespaces=tuple(sorted({n for e in errors if isinstance(e, Occupied) for n in e.namespaces})))
    cause = errors[0]
    text = str(cause) if isinstance(cause, CatalogError) else f"{type(cause).__name__}: {cause}"
    if left:
        raise ClusterError(
            f"{text}; {plural(len(left), 'change')} could not be undone yet (API server unreachable): "
            "saved, and undone by the next catalog command for this cluster") from cause
    if refused:
        raise ClusterError(f"{text}; the API server refused to undo: {'; '.join(refused)}") from cause
    raise ClusterError(f"{text}; every change was undone, all namespaces are as they were",
                       status=getattr(cause, "status", None)) from cause


class Occupied(ClusterError):
    """A create planned without reading found an object of that name (the server refused
    it, so nothing of anyone's was changed): the namespaces must be planned again from
    what is there. Raised by :func:`execute` once everything written was undone."""

    def __init__(self, message: str, where: str | None = None, namespaces: tuple[str, ...] = ()) -> None:
        super().__init__(message, where, 409)
        self.namespaces = namespaces


def _create(tx: Transaction, obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    try:
        return tx.create(obj)
    except ClusterError as exc:
        if exc.status == 409:  # AlreadyExists
            raise Occupied(f"{ObjectRef.of(obj)} exists", exc.where, (namespace,)) from exc
        raise


def _apply(send: Callable[[dict[str, Any], dict[str, Any] | None, bool], dict[str, Any]], obj: dict[str, Any],
           live: dict[str, Any] | None, *, force: bool) -> dict[str, Any]:
    """Server-side apply of ``obj`` over ``live`` (as planned). An object catalog created
    (with a POST) holds its fields as catalog's *update*, which an apply by catalog
    conflicts with when it changes them: when the server finds no other owner in the way,
    the apply is sent again forced, bound to the resourceVersion planned against (a 409
    if anything changed since), so it takes over catalog's own fields and nobody else's."""
    try:
        return send(obj, live, force)
    except ClusterError as exc:
        if force or live is None or exc.status != 409 or not exc.conflicts or \
                any(m != FIELD_MANAGER for m in exc.conflicts):
            raise
    meta = dict(obj.get("metadata") or {}, resourceVersion=(live.get("metadata") or {}).get("resourceVersion"))
    return send(dict(obj, metadata=meta), live, True)


def _without_labels(cluster: Cluster, live: dict[str, Any], labels: tuple[str, ...]) -> dict[str, Any]:
    """``live`` written back without ``labels``, bound to its resourceVersion (a 409 if it
    changed since). Server-side apply cannot remove labels another field manager owns;
    this update can. The write is undone with the apply just before it: that step of
    the journal holds the object as it was before both."""
    obj = copy.deepcopy(live)
    meta = obj["metadata"]
    meta.pop("managedFields", None)
    meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items() if k not in labels}
    return cluster.replace(obj)


#: What an object does (see ``manifests.spec_hash``): after a forced write, nobody
#: else's fields may remain there.
_BODY = ("spec", "rules", "roleRef", "subjects")


def _foreign_body(live: dict[str, Any]) -> bool:
    """Whether another field manager still holds part of what ``live`` does. A forced
    server-side apply takes over the fields it sets, and leaves every field it does not
    set to whoever set it: a sidecar or a step template someone added stays, and the
    record would then call that Task the catalog's."""
    for entry in (live.get("metadata") or {}).get("managedFields") or ():
        if not isinstance(entry, dict) or entry.get("manager") == FIELD_MANAGER:
            continue
        fields = entry.get("fieldsV1")
        if isinstance(fields, dict) and any(f"f:{k}" in fields for k in _BODY):
            return True
    return False


def _only_ours(cluster: Cluster, live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
    """``live`` written back doing exactly what ``desired`` does (metadata kept), bound to
    its resourceVersion (a 409 if it changed since). Like ``_without_labels``, undone
    with the apply just before it: the journal holds the object as it was before both."""
    obj = copy.deepcopy(live)
    obj["metadata"].pop("managedFields", None)
    for key in _BODY:
        if key in desired:
            obj[key] = copy.deepcopy(desired[key])
        else:
            obj.pop(key, None)
    return cluster.replace(obj)


def _run_all(run: Callable[[NamespacePlan], None], plans: list[NamespacePlan],
             stop: threading.Event) -> tuple[list[BaseException], BaseException | None]:
    """Run ``run`` for each plan on the worker pool and wait for every one of them to end,
    whatever happens meanwhile: an interrupt (Ctrl-C, SIGTERM) at any moment only tells
    the workers to stop, so that the undo starts when nothing writes any more. Returns
    the workers' errors and the interrupt, if any."""
    errors: list[BaseException] = []
    interrupted: BaseException | None = None
    pool = ThreadPoolExecutor(max_workers=min(WORKERS, max(1, len(plans))))
    futures = []
    try:
        for p in plans:
            futures.append(pool.submit(run, p))
    except (KeyboardInterrupt, SystemExit) as exc:
        interrupted = exc
        stop.set()
    pending = list(futures)
    while pending:
        try:
            failure = pending[0].exception()
            pending.pop(0)
        except (KeyboardInterrupt, SystemExit) as signal:
            interrupted = interrupted or signal
            stop.set()
            continue
        if failure is None:
            continue
        stop.set()
        if isinstance(failure, (KeyboardInterrupt, SystemExit)):
            interrupted = interrupted or failure
        elif not isinstance(failure, _Stopped):
            errors.append(failure)
    pool.shutdown(wait=True)
    return errors, interrupted


class _Stopped(Exception):
    """Raised in a worker when another worker failed."""
