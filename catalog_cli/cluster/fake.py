"""An in-memory cluster for fast tests of planning, pre-flight, records and undo.

In the spirit of Helm's ``kube/fake`` and httpx's ``MockTransport``: an honest
implementation of :class:`~.base.Cluster` that keeps objects in a dict, gives them
uids and resourceVersions, records which field manager wrote them, honours
resourceVersion and uid preconditions (409) and 404s as the API server does, and can
be told to refuse or fail particular requests. Server-side apply is approximated
(the applied object's fields replace the stored ones; labels and annotations are
merged), which is enough for planning; the real API server proves the rest.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ClusterError
from . import base
from .base import CLUSTER_SCOPED, FIELD_MANAGER, TEKTON_NAMESPACE, Access, Objects, ObjectRef, ResourceRules

#: A hook deciding the fate of one request: return a ClusterError to fail it.
Fault = Callable[[str, ObjectRef], "ClusterError | None"]


@dataclass
class FakeCluster:
    """A cluster in memory. ``forbidden`` holds (verb, kind) pairs the caller may not do;
    ``fault`` can fail any request; ``requests`` counts them."""

    host: str = "https://fake.invalid"
    context: str = "fake"
    default_namespace: str = "default"
    user: str = "admin"
    cluster_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tekton: str | None = "v0.59.0"
    forbidden: set[tuple[str, str]] = field(default_factory=set)
    fault: Fault | None = None
    objects: dict[ObjectRef, dict[str, Any]] = field(default_factory=dict)
    namespaces: set[str] = field(default_factory=lambda: {"default"})
    requests: int = 0

    def __post_init__(self) -> None:
        self._versions = itertools.count(1)
        self._lock = threading.RLock()

    # -- helpers for tests ---------------------------------------------------------
    def add(self, obj: dict[str, Any], manager: str = "kubectl", operation: str | None = None) -> dict[str, Any]:
        """Put ``obj`` in as someone else would (another field manager); ``manager``
        catalog applies unless ``operation`` says otherwise."""
        return self._store(copy.deepcopy(obj), manager,
                           operation=operation or ("Apply" if manager == FIELD_MANAGER else "Update"))

    def _store(self, obj: dict[str, Any], manager: str, existing: dict[str, Any] | None = None,
               operation: str = "Update") -> dict[str, Any]:
        if obj.get("kind") == "ConfigMap":
            size = sum(len(v) for v in (obj.get("data") or {}).values())
            if size > base.CONFIGMAP_MAX_BYTES:  # as the API server validates it
                raise ClusterError(f"ConfigMap is invalid: []: Too long: must have at most "
                                   f"{base.CONFIGMAP_MAX_BYTES} bytes", str(ObjectRef.of(obj)), 422)
        meta = obj.setdefault("metadata", {})
        meta["uid"] = existing["metadata"]["uid"] if existing else str(uuid.uuid4())
        meta["resourceVersion"] = str(next(self._versions))
        managers = list((existing or {}).get("metadata", {}).get("managedFields") or [])
        entry = {"manager": manager, "operation": operation}
        if entry not in managers:
            managers.append(entry)
        meta["managedFields"] = managers
        self.objects[_key(obj)] = obj
        return copy.deepcopy(obj)

    def _enter(self, verb: str, ref: ObjectRef) -> None:
        with self._lock:
            self.requests += 1
        if self.fault is not None:
            err = self.fault(verb, ref)
            if err is not None:
                raise err
        if (verb, ref.kind) in self.forbidden:
            raise ClusterError(f"Forbidden: {self.user} may not {verb} {ref.kind}", str(ref), 403)

    # -- the Cluster protocol -------------------------------------------------------
    def identity(self) -> tuple[str, str]:
        return self.cluster_id, self.user

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        self._enter("get", ref)
        if ref.kind == "Namespace":
            return {"kind": "Namespace", "metadata": {"name": ref.name, "uid": "ns-" + ref.name}} \
                if ref.name in self.namespaces else None
        obj = self.objects.get(_norm(ref))
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, kind: str, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        self._enter("list", ObjectRef(kind, namespace, ""))
        if kind == "Namespace":
            return [{"kind": "Namespace", "metadata": {"name": n, "uid": "ns-" + n}} for n in sorted(self.namespaces)]
        items = [copy.deepcopy(o) for r, o in sorted(self.objects.items())
                 if r.kind == kind and (r.namespace == namespace or not namespace)]
        if selector:
            want = dict(part.split("=", 1) for part in selector.split(","))
            items = [o for o in items
                     if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in want.items())]
        return items

    def list_named(self, kind: str, name: str, at_most: int) -> Objects | None:
        self._enter("list", ObjectRef(kind, "", name))
        items = [copy.deepcopy(o) for r, o in sorted(self.objects.items()) if r.kind == kind and r.name == name]
        return items if len(items) <= at_most else None

    def apply(self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        self._enter("patch", ref)
        with self._lock:
            live = self.objects.get(_norm(ref))
            uid = (obj.get("metadata") or {}).get("uid")
            if uid and live is None:
                raise ClusterError("Conflict: uid mismatch: no existing object", str(ref), 409)
            if uid and live is not None and live["metadata"]["uid"] != uid:
                raise ClusterError("Invalid: metadata.uid: field is immutable", str(ref), 422)
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version and live is not None and live["metadata"]["resourceVersion"] != version:
                raise ClusterError("Conflict: the object has been modified", str(ref), 409)
            posted = {"manager": FIELD_MANAGER, "operation": "Update"}
            if live is not None and posted in (live["metadata"].get("managedFields") or ()) and _changes(obj, live):
                # What catalog created with a POST is its update's: an apply changing it
                # conflicts with that, as on the server; forced, it takes the fields over.
                if not force:
                    raise ClusterError(f'Conflict: Apply failed: conflict with "{FIELD_MANAGER}" using v1', str(ref),
                                       409, conflicts=(FIELD_MANAGER,))
                live = copy.deepcopy(live)
                live["metadata"]["managedFields"].remove(posted)
            if live is None:
                self._enter("create", ref)
                merged = copy.deepcopy(obj)
            else:
                merged = copy.deepcopy(live)
                for key, value in obj.items():
                    if key == "metadata":
                        for mk in ("labels", "annotations"):
                            if value.get(mk):
                                merged["metadata"][mk] = {**(merged["metadata"].get(mk) or {}), **value[mk]}
                    else:
                        merged[key] = copy.deepcopy(value)
            if dry_run:
                return merged
            return self._store(merged, FIELD_MANAGER, live, "Apply")

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        self._enter("update", ref)
        with self._lock:
            live = self.objects.get(_norm(ref))
            if live is None:
                raise ClusterError("NotFound", str(ref), 404)
            want = (obj.get("metadata") or {}).get("resourceVersion")
            if want and want != live["metadata"]["resourceVersion"]:
                raise ClusterError("Conflict: the object has been modified", str(ref), 409)
            return self._store(copy.deepcopy(obj), FIELD_MANAGER, live)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        self._enter("create", ref)
        with self._lock:
            if _norm(ref) in self.objects or (ref.kind == "Namespace" and ref.name in self.namespaces):
                raise ClusterError("AlreadyExists", str(ref), 409)
            if ref.kind == "Namespace":
                self.namespaces.add(ref.name)
            return self._store(copy.deepcopy(obj), FIELD_MANAGER)

    def delete(self, ref: ObjectRef, *, dry_run: bool = False, uid: str | None = None,
               resource_version: str | None = None) -> bool:
        self._enter("delete", ref)
        with self._lock:
            live = self.objects.get(_norm(ref))
            if live is None:
                return False
            if uid and live["metadata"]["uid"] != uid:
                raise ClusterError("Conflict: Precondition failed: UID", str(ref), 409)
            if resource_version and live["metadata"]["resourceVersion"] != resource_version:
                raise ClusterError("Conflict: Precondition failed: ResourceVersion", str(ref), 409)
            if not dry_run:
                del self.objects[_norm(ref)]
            return True

    def namespace_exists(self, name: str) -> bool:
        return self.get(ObjectRef("Namespace", "", name)) is not None

    def rules_in(self, namespace: str) -> tuple[ResourceRules, bool]:
        # Everything the caller may do is answered by can_i, like an incomplete review.
        return [], True

    def can_i(self, access: Access) -> bool:
        from .base import RESOURCES

        if "*" in (access.verb, access.resource):  # everything: only when nothing is refused
            return not self.forbidden

        kinds = [k for k, (_, plural) in RESOURCES.items() if plural == access.resource]
        return not any((access.verb, k) in self.forbidden for k in kinds)

    def tekton_version(self) -> str | None:
        return self.tekton

    def find_tekton(self, namespace: str = TEKTON_NAMESPACE) -> tuple[str, str] | None:
        return (self.tekton, f"ConfigMap {namespace}/pipelines-info") if self.tekton else None


def _changes(obj: dict[str, Any], live: dict[str, Any]) -> bool:
    """Whether applying ``obj`` changes a value ``live`` holds (labels, annotations, or a
    field other than metadata)."""
    meta, have = obj.get("metadata") or {}, live.get("metadata") or {}
    if any((have.get(k) or {}).get(n, v) != v for k in ("labels", "annotations") for n, v in (meta.get(k) or {}).items()):
        return True
    return any(k in live and live[k] != v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind"))


def _norm(ref: ObjectRef) -> ObjectRef:
    return ObjectRef(ref.kind, "", ref.name) if ref.kind in CLUSTER_SCOPED else ref


def _key(obj: dict[str, Any]) -> ObjectRef:
    return _norm(ObjectRef.of(obj))
