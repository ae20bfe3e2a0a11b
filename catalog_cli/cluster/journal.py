"""The intent journal: every write is written down before it is made.

A transaction appends one line per intended write (the object as it was before, or
nothing when it did not exist) to its own journal file before sending the request,
and one line when it is committed. A process killed at any point (``kill -9``, a
lost connection, a power cut of the laptop) leaves its journal behind; the next
command for the same cluster and user finds it and undoes what it names, so no
namespace is left half-changed.

Files live in ``$XDG_STATE_HOME/catalog/journal`` (0700, files 0600, never through
a symlink), named by a key made of the cluster's identity (the uid of its
``kube-system`` namespace) and the kubeconfig user: a journal is never replayed
against another cluster that happens to answer at the same URL, nor by another user.
A running transaction holds an exclusive ``flock`` on its file, so a second command
never undoes the work of one still running. Only the kinds catalog writes are
journaled; Secrets never are.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..fsutil import atomic_write, private_dir
from .base import ObjectRef
from .records import Installed, ObjectRecord, Revision

#: What a journal may name. Anything else found in one is ignored, never replayed.
JOURNALED_KINDS = frozenset({
    "Task", "Pipeline", "StepAction", "ServiceAccount", "Role", "RoleBinding", "ConfigMap",
    "EventListener", "TriggerBinding", "TriggerTemplate", "Trigger", "ClusterRole", "ClusterRoleBinding",
})
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def journal_key(cluster_id: str, user: str) -> str:
    return hashlib.sha256(f"{cluster_id}\n{user}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class ObjectStep:
    """A write to one object: ``before`` as it was (None: it did not exist); ``uid`` of
    what the write made, once known."""

    ref: ObjectRef
    before: dict[str, Any] | None
    uid: str = ""


@dataclass(frozen=True)
class RecordStep:
    """A change of the install record in ``namespace``: the entries as they were before
    it (None: absent), the revision it added, whether it created the ConfigMap, and
    whether it removes it (it leaves no entry), with the history to put back then."""

    namespace: str
    before: dict[str, Installed | None]
    revision: int
    created: bool
    removes: bool = False
    history: tuple[Revision, ...] = ()


Step = ObjectStep | RecordStep


def _installed(data: dict[str, Any] | None) -> Installed | None:
    if data is None:
        return None
    data = dict(data)
    objs = tuple(ObjectRecord(**o) for o in data.pop("objects", []))
    return Installed(objects=objs, required_by=tuple(data.pop("required_by", ())), **data)


def encode(step: Step) -> dict[str, Any]:
    if isinstance(step, ObjectStep):
        r = step.ref
        return {"op": "object", "ref": [r.kind, r.namespace, r.name], "before": step.before, "uid": step.uid}
    return {"op": "record", "namespace": step.namespace, "revision": step.revision, "created": step.created,
            "before": {k: (asdict(v) if v is not None else None) for k, v in step.before.items()},
            "removes": step.removes, "history": [asdict(r) for r in step.history]}


def decode(line: dict[str, Any]) -> Step | None:
    """One journal line as a step; None for lines that are not steps or name kinds the
    journal never holds."""
    try:
        if line.get("op") == "object":
            kind, namespace, name = (str(x) for x in line["ref"])
            if kind not in JOURNALED_KINDS:
                return None
            before = line.get("before")
            return ObjectStep(ObjectRef(kind, namespace, name), before if isinstance(before, dict) else None,
                              str(line.get("uid") or ""))
        if line.get("op") == "record":
            before = {str(k): _installed(v) for k, v in dict(line["before"]).items()}
            history = tuple(Revision.from_dict(dict(r)) for r in line.get("history") or ())
            return RecordStep(str(line["namespace"]), before, int(line["revision"]), bool(line["created"]),
                              bool(line.get("removes")), history)
    except (KeyError, TypeError, ValueError):
        return None
    return None


class Journal:
    """The journal of one transaction. The file is made at the first entry, so reads
    and dry runs leave nothing behind."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key
        self.path: Path | None = None
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            private_dir(self.folder, base=self.folder.parent)  # catalog/ and catalog/journal/
            tmp = self.folder / f".{self.key}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | _NOFOLLOW, 0o600)
            # Locked before it gets a name that recovery looks for: a recovering command
            # can never take a journal whose writer is still alive.
            fcntl.flock(fd, fcntl.LOCK_EX)
            final = self.folder / f"{self.key}-{tmp.name.split('-', 1)[1].removesuffix('.tmp')}.jsonl"
            os.replace(tmp, final)
            self.path, self._fd = final, fd
        return self._fd

    def write(self, entry: dict[str, Any]) -> None:
        if isinstance(entry.get("before"), dict) and entry["before"].get("kind") == "Secret":
            raise ValueError("the journal never holds Secrets")
        os.write(self._open(), (json.dumps(entry, separators=(",", ":")) + "\n").encode())

    def step(self, step: Step) -> None:
        self.write(encode(step))

    def made(self, ref: ObjectRef, uid: str) -> None:
        self.write({"op": "made", "ref": [ref.kind, ref.namespace, ref.name], "uid": uid})

    def commit(self) -> None:
        if self._fd is not None:
            self.write({"op": "commit"})

    def keep_only(self, steps: list[Step]) -> None:
        """Release the journal, leaving only ``steps`` in it for the next command."""
        if self.path is not None:
            write_steps(self.path, steps)
        self.close(keep=True)

    def close(self, *, keep: bool = False) -> None:
        """Release the lock; delete the file unless it must be replayed later."""
        if self._fd is None:
            return
        if not keep and self.path is not None:
            self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def write_steps(path: Path, steps: list[Step]) -> None:
    """Replace the journal at ``path`` with ``steps`` (whole, never half)."""
    atomic_write(path, "".join(json.dumps(encode(s), separators=(",", ":")) + "\n" for s in steps), private=True)


@dataclass
class Pending:
    """A journal left by a command that did not finish, locked while it is replayed."""

    path: Path
    steps: list[Step]
    committed: bool
    fd: int

    def rewrite(self, steps: list[Step]) -> None:
        """Keep only ``steps`` for a later replay (those not undone yet)."""
        write_steps(self.path, steps)

    def release(self, *, delete: bool) -> None:
        if delete:
            self.path.unlink(missing_ok=True)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


@contextlib.contextmanager
def pending(folder: Path, key: str) -> Iterator[list[Pending]]:
    """The journals of ``key`` whose writers are gone, each locked for the caller; the
    caller releases each (deleting it when it was replayed)."""
    found: list[Pending] = []
    if folder.is_dir():
        for path in sorted(folder.glob(f"{key}-*.jsonl")):
            try:
                fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # its writer is still at work
                os.close(fd)
                continue
            steps: list[Step] = []
            committed = False
            with open(fd, closefd=False, encoding="utf-8", errors="replace") as f:
                for raw in f:
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        continue  # a line cut short by the kill
                    if not isinstance(line, dict):
                        continue
                    if line.get("op") == "commit":
                        committed = True
                    elif line.get("op") == "made":
                        _note_uid(steps, line)
                        continue
                    elif line.get("op") == "failed":
                        _drop(steps, line)
                        continue
                    step = decode(line)
                    if step is not None:
                        steps.append(step)
            found.append(Pending(path, steps, committed, fd))
    try:
        yield found
    finally:
        for p in found:
            p.release(delete=False)


def _last_write(steps: list[Step], line: dict[str, Any]) -> tuple[int, ObjectStep] | None:
    """The last step so far that writes the object ``line`` names (a ``made`` or
    ``failed`` line follows the write it speaks of), and where it is; None when none
    does or the line names no object."""
    try:
        ref = ObjectRef(*(str(x) for x in line["ref"]))
    except (KeyError, TypeError):
        return None
    for i in range(len(steps) - 1, -1, -1):
        s = steps[i]
        if isinstance(s, ObjectStep) and s.ref == ref:
            return i, s
    return None


def _drop(steps: list[Step], line: dict[str, Any]) -> None:
    """A ``failed`` line: the server refused the write just before it; nothing to undo."""
    found = _last_write(steps, line)
    if found is not None:
        del steps[found[0]]


def _note_uid(steps: list[Step], line: dict[str, Any]) -> None:
    """A ``made`` line: the uid the write just before it gave its object."""
    found = _last_write(steps, line)
    if found is not None:
        i, s = found
        steps[i] = ObjectStep(s.ref, s.before, str(line.get("uid") or ""))
