"""Writes that succeed together or not at all.

Every write records how to undo it (the object as it was before, or nothing when
it did not exist). When a write fails, the writes already made are undone in
reverse order. If the API server is gone, the undo is retried for a while; if it
is still gone, the undo is saved as a journal on disk and finished by the next
command that talks to that cluster (see :func:`recover`), so a namespace is
never left half-installed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ClusterError
from .base import Cluster, ObjectRef

#: How long to keep retrying an undo while the API server is unreachable.
UNDO_PATIENCE = float(os.environ.get("CATALOG_UNDO_PATIENCE", "20"))

_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")


@dataclass(frozen=True)
class Step:
    """One write made: ``before`` is the object as it was (None: it did not exist)."""

    ref: ObjectRef
    before: dict[str, Any] | None


def journal_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "catalog" / "journal"


def _journal_path(cluster: Cluster) -> Path:
    return journal_dir() / (hashlib.sha256(cluster.host.encode()).hexdigest()[:24] + ".json")


class Transaction:
    """Collects undo steps for the writes made through it; thread-safe."""

    def __init__(self, cluster: Cluster, on_write: Callable[[ObjectRef, str], None] | None = None) -> None:
        self.cluster = cluster
        self.steps: list[Step] = []
        self._lock = threading.Lock()
        self._on_write = on_write

    def _done(self, step: Step, what: str) -> None:
        with self._lock:
            self.steps.append(step)
        if self._on_write:
            self._on_write(step.ref, what)

    def apply(self, obj: dict[str, Any], before: dict[str, Any] | None, *, force: bool) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        # Record the intent first: a write that reached the server before the
        # connection broke must be undone too.
        step = Step(ref, before)
        try:
            live = self.cluster.apply(obj, force=force)
        except ClusterError as exc:
            if exc.status is None:  # unknown outcome: undo as if it happened
                with self._lock:
                    self.steps.append(step)
            raise
        self._done(step, "applied")
        return live

    def delete(self, ref: ObjectRef, before: dict[str, Any]) -> None:
        step = Step(ref, before)
        try:
            self.cluster.delete(ref)
        except ClusterError as exc:
            if exc.status is None:
                with self._lock:
                    self.steps.append(step)
            raise
        self._done(step, "deleted")

    def rollback(self) -> tuple[list[str], list[str]]:
        """Undo every step, newest first. Returns the objects whose undo waits for the
        server (saved as a journal) and the undos the server refused; two empty lists
        mean all is as it was."""
        pending = list(reversed(self.steps))
        unreachable, refused = undo_steps(self.cluster, pending, patience=UNDO_PATIENCE)
        if unreachable:
            save_journal(self.cluster, unreachable)
        self.steps = []
        return [str(s.ref) for s in unreachable], refused


def _restorable(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    out.pop("status", None)
    return out


def undo_one(cluster: Cluster, step: Step) -> None:
    live = cluster.get(step.ref)
    if step.before is None:
        if live is not None:
            cluster.delete(step.ref)
        return
    if live is None:
        restored = _restorable(step.before)
        restored["metadata"].pop("managedFields", None)
        cluster.create(restored)
        return
    restored = copy.deepcopy(step.before)
    restored.pop("status", None)
    restored["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    cluster.replace(restored)


def _transient(exc: ClusterError) -> bool:
    """Worth retrying: no answer at all, or a server still starting or overloaded."""
    return exc.status is None or exc.status == 429 or exc.status >= 500


def undo_steps(cluster: Cluster, steps: list[Step], *, patience: float) -> tuple[list[Step], list[str]]:
    """Undo ``steps`` in order. Returns the steps left because the server could not be
    reached within ``patience`` seconds, and the ones it refused for good (as text)."""
    deadline = time.monotonic() + patience
    remaining = list(steps)
    refused: list[str] = []
    while remaining:
        step = remaining[0]
        try:
            undo_one(cluster, step)
            remaining.pop(0)
        except ClusterError as exc:
            if not _transient(exc):
                refused.append(f"{step.ref}: {exc.message}")
                remaining.pop(0)
            elif time.monotonic() > deadline:
                return remaining, refused
            else:
                time.sleep(0.5)
    return [], refused


def save_journal(cluster: Cluster, steps: list[Step]) -> None:
    path = _journal_path(cluster)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = _read_journal(path)
    data = existing + [{"ref": [s.ref.kind, s.ref.namespace, s.ref.name], "before": s.before} for s in steps]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"server": cluster.host, "steps": data}))
    os.replace(tmp, path)


def _read_journal(path: Path) -> list[dict[str, Any]]:
    try:
        return list(json.loads(path.read_text()).get("steps", []))
    except (OSError, ValueError):
        return []


def recover(cluster: Cluster) -> list[str]:
    """Finish an undo an earlier, interrupted command left for this cluster.

    Returns the objects restored. Raises ClusterError when the server is still away.
    """
    path = _journal_path(cluster)
    raw = _read_journal(path)
    if not raw:
        return []
    steps = [Step(ObjectRef(*item["ref"]), item["before"]) for item in raw]
    failed, _ = undo_steps(cluster, steps, patience=0)
    if failed:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"server": cluster.host, "steps": [
            {"ref": [s.ref.kind, s.ref.namespace, s.ref.name], "before": s.before} for s in failed]}))
        os.replace(tmp, path)
        raise ClusterError("an earlier interrupted change is still to be undone and the API server "
                           "cannot be reached", cluster.host)
    path.unlink(missing_ok=True)
    return [str(s.ref) for s in steps]
