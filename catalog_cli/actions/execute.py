"""Carrying out namespace plans: all of them, or none."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from ..errors import CatalogError, ClusterError
from ..cluster.base import Cluster, ObjectRef
from ..manifests import spec_hash
from ..cluster.records import Installed, ObjectRecord, record_object
from ..cluster.transaction import Transaction
from .plan import NamespacePlan

#: Namespaces written in parallel; each namespace's objects go in order.
WORKERS = 8


def _record_objects(plan: NamespacePlan, applied: dict[ObjectRef, dict[str, Any]]) -> dict[str, Installed]:
    """The record's packages with each object's hash and uid as the server stored it."""
    out = {}
    for key, pkg in plan.packages.items():
        objs = []
        for o in pkg.objects:
            live = applied.get(ObjectRef(o.kind, plan.namespace, o.name))
            if live is not None:
                objs.append(ObjectRecord(o.kind, o.name, spec_hash(live), live["metadata"].get("uid", "")))
            else:
                objs.append(o)
        out[key] = replace(pkg, objects=tuple(objs))
    return out


def execute(cluster: Cluster, plans: list[NamespacePlan], *, action: str, force: bool,
            dry_run: bool = False, on_write: Callable[[ObjectRef, str], None] | None = None) -> None:
    """Apply every plan; on any failure undo everything this call wrote and raise."""
    if dry_run:
        for plan in plans:
            for c in plan.changes:
                if c.action in ("create", "update", "adopt") and c.desired is not None:
                    cluster.apply(c.desired, force=force or c.action == "adopt", dry_run=True)
                elif c.action == "delete":
                    cluster.delete(c.ref, dry_run=True)
        return
    tx = Transaction(cluster, on_write)
    stop = threading.Event()

    def run(plan: NamespacePlan) -> None:
        applied: dict[ObjectRef, dict[str, Any]] = {}
        for c in plan.changes:
            if stop.is_set():
                raise _Stopped()
            if c.action in ("create", "update", "adopt") and c.desired is not None:
                # Adopting takes the fields over from the tool that made the object.
                applied[c.ref] = tx.apply(c.desired, c.live, force=force or c.action == "adopt")
            elif c.action == "delete" and c.live is not None:
                tx.delete(c.ref, c.live)
            elif c.live is not None:
                applied[c.ref] = c.live
        if plan.writes or plan.record_live is None or plan.packages != plan.record.packages:
            new = plan.record.with_packages(_record_objects(plan, applied), action)
            tx.apply(record_object(new), plan.record_live, force=True)

    errors: list[BaseException] = []
    with ThreadPoolExecutor(max_workers=min(WORKERS, max(1, len(plans)))) as pool:
        futures = [pool.submit(run, p) for p in plans if p.writes or p.packages != p.record.packages]
        for f in futures:
            try:
                f.result()
            except BaseException as exc:
                stop.set()
                if not isinstance(exc, _Stopped):
                    errors.append(exc)
    if errors:
        cause = errors[0]
        left, refused = tx.rollback()
        text = str(cause) if isinstance(cause, CatalogError) else f"{type(cause).__name__}: {cause}"
        if left:
            raise ClusterError(
                f"{text}; {len(left)} change(s) could not be undone yet (API server unreachable): "
                "saved, and undone by the next catalog command for this cluster") from cause
        if refused:
            raise ClusterError(f"{text}; the API server refused to undo: {'; '.join(refused)}") from cause
        raise ClusterError(f"{text}; every change was undone, all namespaces are as they were",
                           status=getattr(cause, "status", None)) from cause


class _Stopped(Exception):
    """Raised in a worker when another worker failed."""
