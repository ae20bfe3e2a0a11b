"""Install records: what this tool put into each namespace, with bounded history.

Like Helm's release Secrets, but a ConfigMap (nothing in it is secret, and a
least-privilege user should not need rights on Secrets). The record is what lets
upgrade, rollback, uninstall and status know what is ours; objects carrying our
labels but absent from the record are not trusted to be ours.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from .. import PREFIX
from ..errors import InputError

RECORD_NAME = "catalog-installs"
RECORD_KEY = "record.json"
HISTORY_LIMIT = 10


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
    action: str
    time: str
    versions: dict[str, str]  # package key -> version, after the action


@dataclass(frozen=True)
class Record:
    namespace: str
    packages: dict[str, Installed] = field(default_factory=dict)
    history: tuple[Revision, ...] = ()

    @property
    def revision(self) -> int:
        return self.history[-1].number if self.history else 0

    def find(self, name: str, kind: str | None = None) -> Installed | None:
        for pkg in self.packages.values():
            if pkg.name == name and (kind is None or pkg.kind == kind):
                return pkg
        return None

    def with_packages(self, packages: dict[str, Installed], action: str) -> Record:
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        rev = Revision(self.revision + 1, action, now, {k: p.version for k, p in sorted(packages.items())})
        return replace(self, packages=dict(sorted(packages.items())),
                       history=(self.history + (rev,))[-HISTORY_LIMIT:])

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
    def from_json(cls, text: str, where: str) -> Record:
        try:
            data = json.loads(text)
            packages = {}
            for key, p in data.get("packages", {}).items():
                objs = tuple(ObjectRecord(**o) for o in p.pop("objects", []))
                packages[key] = Installed(objects=objs, required_by=tuple(p.pop("required_by", ())), **p)
            history = tuple(Revision(**r) for r in data.get("history", []))
            return cls(data["namespace"], packages, history)
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"install record is damaged: {exc}", where) from exc


def record_object(record: Record) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": RECORD_NAME,
            "namespace": record.namespace,
            "labels": {"app.kubernetes.io/managed-by": "catalog"},
        },
        "data": {RECORD_KEY: record.to_json()},
    }


def record_from_object(namespace: str, obj: dict[str, Any] | None) -> Record:
    if obj is None:
        return Record(namespace)
    text = (obj.get("data") or {}).get(RECORD_KEY)
    if not text:
        return Record(namespace)
    return Record.from_json(text, f"ConfigMap {RECORD_NAME} in {namespace}")
