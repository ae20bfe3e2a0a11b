"""Carrying out namespace plans: all of them, or none."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..cluster.base import Cluster, ObjectRef
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


def _delta(before: dict[str, Installed], after: dict[str, Installed]) -> dict[str, Installed | None]:
    """What this run changes in the record: entries added or changed, and removed."""
    out: dict[str, Installed | None] = {k: v for k, v in after.items() if before.get(k) != v}
    out.update({k: None for k in before if k not in after})
    return out


def execute(cluster: Cluster, plans: list[NamespacePlan], *, action: str, force: bool, state_home: Path,
            patience: float = 20.0, dry_run: bool = False,
            on_write: Callable[[ObjectRef, str], None] | None = None) -> None:
    """Apply every plan; on any failure (or Ctrl-C) undo everything this call wrote and
    raise. A server dry run sends every write with dryRun and records nothing."""
    if dry_run:
        for plan in plans:
            for c in plan.changes:
                if c.action in ("create", "update", "adopt") and c.desired is not None:
                    cluster.apply(c.desired, force=force or c.action == "adopt", dry_run=True)
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
            if c.action in ("create", "update", "adopt") and c.desired is not None:
                # Adopting takes the fields over from the tool that made the object.
                applied[c.ref] = tx.apply(c.desired, c.live, force=force or c.action == "adopt")
                if c.drop_labels:
                    applied[c.ref] = _without_labels(cluster, applied[c.ref], c.drop_labels)
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
