"""The cluster seam: which objects, which rights, and the :class:`Cluster` protocol.

Actions talk to Kubernetes only through a :class:`Cluster`: the real one
(:class:`~catalog_cli.cluster.client.KubeCluster`, over a kubeconfig) or the
in-memory :class:`~catalog_cli.cluster.fake.FakeCluster` the unit tests plan against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from ..errors import InputError

FIELD_MANAGER = "catalog"

#: kind -> (API group/version, plural). The kinds the tool reads or writes.
RESOURCES: dict[str, tuple[str, str]] = {
    "Task": ("tekton.dev/v1", "tasks"),
    "Pipeline": ("tekton.dev/v1", "pipelines"),
    "StepAction": ("tekton.dev/v1beta1", "stepactions"),
    "PipelineRun": ("tekton.dev/v1", "pipelineruns"),
    "TaskRun": ("tekton.dev/v1", "taskruns"),
    "ServiceAccount": ("v1", "serviceaccounts"),
    "ConfigMap": ("v1", "configmaps"),
    "Secret": ("v1", "secrets"),
    "Namespace": ("v1", "namespaces"),
    "Role": ("rbac.authorization.k8s.io/v1", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io/v1", "rolebindings"),
    "ClusterRole": ("rbac.authorization.k8s.io/v1", "clusterroles"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io/v1", "clusterrolebindings"),
    "EventListener": ("triggers.tekton.dev/v1beta1", "eventlisteners"),
    "TriggerBinding": ("triggers.tekton.dev/v1beta1", "triggerbindings"),
    "TriggerTemplate": ("triggers.tekton.dev/v1beta1", "triggertemplates"),
    "Trigger": ("triggers.tekton.dev/v1beta1", "triggers"),
}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
#: From this many namespaces on, a run reads what it can of all of them with one request
#: (which namespaces exist, their install records); below, one request each is a few.
MANY = 8
#: The most data Kubernetes lets one ConfigMap hold, its values' lengths summed (keys are
#: not counted: measured on the local API server): the install record's room.
CONFIGMAP_MAX_BYTES = 1_048_576
#: Where Tekton Pipelines is installed, and its controller's labels say its version.
TEKTON_NAMESPACE = "tekton-pipelines"

#: A SelfSubjectRulesReview's ``resourceRules``, as the API server sends them. Named
#: here because inside a cluster class ``list`` is the method of that name.
ResourceRules = list[dict[str, Any]]
#: Objects as a LIST answers them (named here for the same reason).
Objects = list[dict[str, Any]]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Which object: kind, namespace (empty for cluster-scoped) and name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind} {self.name}{where}"

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(obj["kind"], meta.get("namespace", ""), meta["name"])


def api_path(kind: str, namespace: str, name: str | None = None, api_version: str | None = None) -> str:
    """The REST path of an object, or of a list (``name`` None); a list of a namespaced
    kind in namespace ``""`` is of every namespace."""
    if kind not in RESOURCES:
        raise InputError(f"the tool does not handle objects of kind {kind!r}")
    if name is not None and not namespace and kind not in CLUSTER_SCOPED:
        raise InputError(f"{kind} {name} named without its namespace")
    default_version, plural = RESOURCES[kind]
    version = api_version or default_version
    base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
    if kind not in CLUSTER_SCOPED and namespace:
        base += f"/namespaces/{quote(namespace, safe='')}"
    base += f"/{plural}"
    return base + (f"/{quote(name, safe='')}" if name else "")


@dataclass(frozen=True)
class Access:
    """One permission a pre-flight check asks about."""

    verb: str
    group: str
    resource: str
    namespace: str

    def __str__(self) -> str:
        group = self.group or "core"
        return f"{self.verb} {self.resource} ({group}) in {self.namespace}"


#: Every verb on every resource of every group in every namespace (Kubernetes' ``*`` and
#: ``""`` in an access review). Allowed only to whom RBAC grants ``*`` on ``*`` cluster-wide
#: (or who is in ``system:masters``): an answer to every other rights question at once.
EVERYTHING = Access("*", "*", "*", "")


class Cluster(Protocol):
    """What actions need of a cluster. Every failure is a :class:`ClusterError` whose
    ``status`` is the HTTP status (None when the server could not be reached)."""

    host: str
    context: str
    default_namespace: str

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The object, or None when there is none."""
        ...

    def list(self, kind: str, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        """The objects of ``kind`` in ``namespace`` (``""``: in every namespace) with the
        labels ``selector`` names (``key=value,...``)."""
        ...

    def list_named(self, kind: str, name: str, at_most: int) -> Objects | None:
        """The objects of the namespaced ``kind`` called ``name`` in every namespace (one
        request), or None when there are more than ``at_most`` of them."""
        ...

    def apply(self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply with the tool's field manager; the object as stored."""
        ...

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT: with ``metadata.resourceVersion`` set, a 409 when the object changed since."""
        ...

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """POST: a 409 when the object exists."""
        ...

    def delete(self, ref: ObjectRef, *, dry_run: bool = False, uid: str | None = None,
               resource_version: str | None = None) -> bool:
        """False when it was already gone; with ``uid``, a 409 when the object now there
        is another one, with ``resource_version`` a 409 when it changed since (Kubernetes'
        delete preconditions)."""
        ...

    def identity(self) -> tuple[str, str]:
        """(cluster, user): which cluster this is whatever URL it answers at, and who
        we are in it; the undo journal is kept per pair."""
        ...

    def namespace_exists(self, name: str) -> bool: ...

    def rules_in(self, namespace: str) -> tuple[ResourceRules, bool]: ...

    def can_i(self, access: Access) -> bool: ...

    def tekton_version(self) -> str | None: ...

    def find_tekton(self, namespace: str = TEKTON_NAMESPACE) -> tuple[str, str] | None:
        """Which Tekton Pipelines version the cluster runs, read wherever the caller may:
        (version, where it was read), or None when nothing says. Only a server that
        cannot be reached raises; a refused or missing object is one place less to look."""
        ...
