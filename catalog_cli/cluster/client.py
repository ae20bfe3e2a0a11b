"""The real cluster: the only module that talks to a Kubernetes API server.

It loads a kubeconfig with the official client's loader (contexts, tokens, exec
plugins, client certificates) and makes plain REST calls over that client's
connection pool: one request per object, server-side apply with one field
manager, and every failure translated into :class:`ClusterError` here.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, cast
from urllib.parse import quote, urlencode

from ..errors import ClusterError
from .base import FIELD_MANAGER, TEKTON_NAMESPACE, Access, Objects, ObjectRef, ResourceRules, api_path

class KubeCluster:
    """A connection to one cluster (context) through its kubeconfig: the real :class:`Cluster`."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 timeout: float = 30.0) -> None:
        import urllib3
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        cfg = client.Configuration()
        try:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
            _, active = config.list_kube_config_contexts(config_file=kubeconfig)
            if context:
                contexts, _ = config.list_kube_config_contexts(config_file=kubeconfig)
                active = next(c for c in contexts if c["name"] == context)
            self.default_namespace = (active.get("context") or {}).get("namespace") or "default"
            self.context = active.get("name", "")
            self.user = str((active.get("context") or {}).get("user") or "")
        except (ConfigException, FileNotFoundError, StopIteration) as exc:
            where = kubeconfig or "kubeconfig"
            raise ClusterError(f"no usable cluster configuration: {exc}", where) from exc
        cfg.connection_pool_maxsize = 32
        self._cfg = cfg
        self._pool = client.rest.RESTClientObject(cfg).pool_manager
        # The pool has its proxy now. The token refresh hook (auth_settings, every
        # request) sets the host again, which makes client 37 read the proxy variables
        # of the environment again (47 us a request) for a proxy nothing uses any more.
        cfg._proxy_from_env = False
        self._timeout = urllib3.Timeout(connect=5.0, read=timeout)
        self._retries = urllib3.Retry(total=1, connect=1, read=0, status=0, backoff_factor=0.2,
                                      raise_on_status=False)
        self.host = cfg.host
        self._ca = cfg.ssl_ca_cert or ""
        self._identity: tuple[str, str] | None = None
        self.requests = 0  # counted for the benchmark's requests-per-object figure
        self._lock = threading.Lock()

    # -- transport -------------------------------------------------------------------
    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                query: dict[str, str] | None = None, content_type: str = "application/json",
                what: str | None = None) -> tuple[int, Any]:
        """One HTTP request; returns (status, decoded JSON). Transport failures raise."""
        import urllib3

        url = self.host + path + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json", "User-Agent": "catalog"}
        # auth_settings() refreshes expiring tokens (exec plugins) and has the same
        # shape across client versions, unlike the api_key dictionary's keys.
        # Typed by client 37 as a TypedDict of its one key; other versions name other
        # keys, all of this shape.
        auth = cast("dict[str, dict[str, Any]]", self._cfg.auth_settings())
        for setting in auth.values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        with self._lock:
            self.requests += 1
        try:
            resp = self._pool.request(method, url, body=data, headers=headers,
                                      timeout=self._timeout, retries=self._retries)
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ClusterError(f"cannot reach the API server at {self.host}: {reason}",
                               what or path) from exc
        try:
            payload = json.loads(resp.data) if resp.data else None
        except ValueError:
            payload = {"message": resp.data[:200].decode("utf-8", "replace")}
        return resp.status, payload

    def _check(self, status: int, payload: Any, what: str) -> dict[str, Any]:
        """The answer of a success (the API server answers with a JSON object), else the
        failure as a ClusterError."""
        if status < 300:
            answer: dict[str, Any] = payload
            return answer
        message = (payload or {}).get("message") if isinstance(payload, dict) else None
        reason = (payload or {}).get("reason") if isinstance(payload, dict) else None
        raise ClusterError(f"{reason or 'HTTP ' + str(status)}: {message or ''}".rstrip(": "),
                           what, status=status, conflicts=_conflicts(payload))

    # -- objects -------------------------------------------------------------------
    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        status, payload = self.request("GET", api_path(ref.kind, ref.namespace, ref.name), what=str(ref))
        if status == 404:
            details = (payload or {}).get("details") if isinstance(payload, dict) else None
            if not (details or {}).get("name"):
                # Not "no such object" but "no such resource type": a CRD not served
                # (yet, right after a restart) must not be mistaken for a missing object.
                raise ClusterError(f"the API server does not serve {ref.kind} objects (yet)", str(ref), 503)
            return None
        return self._check(status, payload, str(ref))

    def list(self, kind: str, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
        query = {"labelSelector": selector} if selector else None
        what = f"{kind} list in {namespace or 'all namespaces'}"
        status, payload = self.request("GET", api_path(kind, namespace), query=query, what=what)
        if status == 404:
            return []
        return list(self._check(status, payload, what).get("items") or [])

    def list_named(self, kind: str, name: str, at_most: int) -> Objects | None:
        # The server fills a page up to its limit unless the list ends first: a page with
        # more than at_most items is the only sign of more, and no page is fetched after it.
        query = {"fieldSelector": f"metadata.name={name}", "limit": str(at_most + 1)}
        what = f"{kind} {name} in all namespaces"
        status, payload = self.request("GET", api_path(kind, ""), query=query, what=what)
        if status == 404:
            return []
        items = list(self._check(status, payload, what).get("items") or [])
        return items if len(items) <= at_most else None

    def apply(self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply of ``obj`` with the tool's field manager."""
        ref = ObjectRef.of(obj)
        query = {"fieldManager": FIELD_MANAGER}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        path = api_path(ref.kind, ref.namespace, ref.name, obj.get("apiVersion"))
        status, payload = self.request("PATCH", path, body=obj, query=query,
                                       content_type="application/apply-patch+yaml", what=str(ref))
        return self._check(status, payload, str(ref))

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT ``obj`` as it is; with ``metadata.resourceVersion``, a 409 when it changed since."""
        ref = ObjectRef.of(obj)
        path = api_path(ref.kind, ref.namespace, ref.name, obj.get("apiVersion"))
        status, payload = self.request("PUT", path, body=obj, query={"fieldManager": FIELD_MANAGER},
                                       what=str(ref))
        return self._check(status, payload, str(ref))

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        ref = ObjectRef.of(obj)
        path = api_path(ref.kind, ref.namespace, None, obj.get("apiVersion"))
        status, payload = self.request("POST", path, body=obj, query={"fieldManager": FIELD_MANAGER},
                                       what=str(ref))
        return self._check(status, payload, str(ref))

    def delete(self, ref: ObjectRef, *, dry_run: bool = False, uid: str | None = None,
               resource_version: str | None = None) -> bool:
        """Delete ``ref`` (only if its uid is still ``uid`` and its resourceVersion still
        ``resource_version``, when given); False when it was already gone."""
        # The body's dryRun is what the server honours for DELETE when a body is sent.
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if dry_run:
            body["dryRun"] = ["All"]
        preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if preconditions:
            body["preconditions"] = preconditions
        query = {"dryRun": "All"} if dry_run else None
        status, payload = self.request("DELETE", api_path(ref.kind, ref.namespace, ref.name),
                                       body=body, query=query, what=str(ref))
        if status == 404:
            return False
        self._check(status, payload, str(ref))
        return True

    def identity(self) -> tuple[str, str]:
        """(which cluster, which user): the uid of the kube-system namespace (stable for the
        cluster's life, whatever URL it answers at) or, when that may not be read, a hash
        of the server URL and its CA; and the kubeconfig user."""
        if self._identity is None:
            import hashlib

            cluster_id = ""
            try:
                ns = self.get(ObjectRef("Namespace", "", "kube-system"))
                cluster_id = str(((ns or {}).get("metadata") or {}).get("uid") or "")
            except ClusterError as exc:
                if exc.status is None or exc.status >= 500:
                    raise
            if not cluster_id:
                ca = ""
                if self._ca:
                    with open(self._ca, "rb") as f:
                        ca = hashlib.sha256(f.read()).hexdigest()
                cluster_id = "url:" + hashlib.sha256(f"{self.host}\n{ca}".encode()).hexdigest()
            self._identity = (cluster_id, self.user)
        return self._identity

    def namespace_exists(self, name: str) -> bool:
        return self.get(ObjectRef("Namespace", "", name)) is not None

    # -- questions ---------------------------------------------------------------------
    def rules_in(self, namespace: str) -> tuple[ResourceRules, bool]:
        """The caller's resource rules in ``namespace`` (SelfSubjectRulesReview: one request
        for everything) and whether the answer is incomplete."""
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview",
                "spec": {"namespace": namespace}}
        status, payload = self.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                                       body=body, what="SelfSubjectRulesReview")
        self._check(status, payload, "SelfSubjectRulesReview")
        st = payload.get("status") or {}
        return list(st.get("resourceRules") or []), bool(st.get("incomplete"))

    def can_i(self, access: Access) -> bool:
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "verb": access.verb, "group": access.group, "resource": access.resource,
                "namespace": access.namespace,
            }},
        }
        status, payload = self.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                       body=body, what="SelfSubjectAccessReview")
        self._check(status, payload, "SelfSubjectAccessReview")
        return bool((payload.get("status") or {}).get("allowed"))

    def tekton_version(self) -> str | None:
        """The Tekton Pipelines version the cluster runs, from ConfigMap pipelines-info;
        None when Tekton is not installed. Forbidden raises ClusterError."""
        cm = self.get(ObjectRef("ConfigMap", "tekton-pipelines", "pipelines-info"))
        if cm is None:
            return None
        return str((cm.get("data") or {}).get("version") or "") or None

    def find_tekton(self, namespace: str = TEKTON_NAMESPACE) -> tuple[str, str] | None:
        """The ConfigMap ``pipelines-info`` (key ``version``), else the labels of the
        controller's Deployment, else those of the Task CRD, as a Tekton release sets them."""
        def data_version(obj: dict[str, Any]) -> str:
            return str((obj.get("data") or {}).get("version") or "")

        def label_version(obj: dict[str, Any]) -> str:
            labels = (obj.get("metadata") or {}).get("labels") or {}
            return str(next((labels[k] for k in _VERSION_LABELS if labels.get(k)), ""))

        ns = quote(namespace, safe="")
        places = [
            (f"/api/v1/namespaces/{ns}/configmaps/pipelines-info",
             f"ConfigMap {namespace}/pipelines-info", data_version),
            (f"/apis/apps/v1/namespaces/{ns}/deployments/tekton-pipelines-controller",
             f"Deployment {namespace}/tekton-pipelines-controller", label_version),
            ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tasks.tekton.dev",
             "CustomResourceDefinition tasks.tekton.dev", label_version),
        ]
        for path, where, read in places:
            status, payload = self.request("GET", path, what=where)
            if status == 200 and isinstance(payload, dict) and read(payload):
                return read(payload), where
        return None


def _conflicts(payload: Any) -> tuple[str, ...]:
    """The field managers a refused server-side apply conflicts with, from the causes
    of its Status (``conflict with "kubectl" using v1``), in order, each once."""
    details = payload.get("details") if isinstance(payload, dict) else None
    causes = details.get("causes") if isinstance(details, dict) else None
    managers: dict[str, None] = {}
    for cause in causes if isinstance(causes, list) else ():
        if isinstance(cause, dict) and cause.get("reason") == "FieldManagerConflict":
            m = _CONFLICT.match(str(cause.get("message") or ""))
            managers.setdefault(m.group(1) if m else "", None)
    return tuple(managers)


_CONFLICT = re.compile(r'^conflicts? with "((?:[^"\\]|\\.)*)"')

#: The labels a Tekton release puts on its Deployments and CRDs, the most telling first.
_VERSION_LABELS = ("app.kubernetes.io/version", "pipeline.tekton.dev/release", "version")
