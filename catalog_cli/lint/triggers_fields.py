"""The fields of Tekton Triggers' objects, which its webhook decodes strictly.

Triggers' CRDs keep every field (``x-kubernetes-preserve-unknown-fields``), so the API
server passes a misspelt field on; the Triggers webhook then decodes the object into
its Go types with ``DisallowUnknownFields`` (tektoncd/triggers ``cmd/webhook``) and
refuses it. The shapes below are those Go types' JSON names
(``pkg/apis/triggers/v1beta1/*_types.go``); Go's decoder matches names without
regard to case, and so does this check. v1alpha1 objects, whose types differ in
places, are not checked for unknown fields.

An EventListener's ``resources`` also carry pod and container fields the webhook
refuses (``podSpecMask``, ``containerFieldMaskFor*``, ``envVarMask`` in
``event_listener_validation.go``): the pod may set only what the listener's
Deployment lets through.

Rules: schema (an unknown field), invalid-trigger (a refused pod or container field).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Union

from .model import Issue, JsonPath, items, mapping, text

#: A shape: the known fields of a mapping, each with the shape of its value; a list of
#: one shape is a list of such values; None is a value this check does not look into.
Shape = Union[dict[str, "Shape"], list["Shape"], None]

_PARAM: Shape = {"name": None, "value": None}
_PARAM_SPEC: Shape = {"name": None, "description": None, "default": None}
_TEMPLATE_SPEC: Shape = {"params": [_PARAM_SPEC], "resourcetemplates": None}
_BINDING: Shape = {"name": None, "value": None, "ref": None, "kind": None, "apiversion": None}
_TEMPLATE: Shape = {"ref": None, "apiversion": None, "spec": _TEMPLATE_SPEC}
_INTERCEPTOR: Shape = {
    "name": None,
    "ref": {"name": None, "kind": None, "apiVersion": None},
    "params": [{"name": None, "value": None}],
    "webhook": {"objectRef": None, "url": None, "header": [_PARAM]},
}
_TRIGGER_SPEC: Shape = {
    "bindings": [_BINDING], "template": _TEMPLATE, "name": None, "interceptors": [_INTERCEPTOR],
    "serviceAccountName": None,
}
_NAMESPACES: Shape = {"matchNames": None}
_LISTENER_SPEC: Shape = {
    "serviceAccountName": None,
    "triggers": [{
        "bindings": [_BINDING], "template": _TEMPLATE, "triggerRef": None, "name": None,
        "interceptors": [_INTERCEPTOR], "serviceAccountName": None,
    }],
    "triggerGroups": [{
        "name": None, "interceptors": [_INTERCEPTOR],
        "triggerSelector": {"namespaceSelector": _NAMESPACES, "labelSelector": None},
    }],
    "namespaceSelector": _NAMESPACES,
    "labelSelector": None,
    "resources": {
        "kubernetesResource": {
            "replicas": None, "serviceType": None, "servicePort": None, "serviceLoadBalancerClass": None,
            "spec": None,
        },
        "customResource": None,
    },
    "cloudEventURI": None,
}
_SPECS: dict[str, Shape] = {
    "TriggerBinding": {"params": [_PARAM]},
    "ClusterTriggerBinding": {"params": [_PARAM]},
    "TriggerTemplate": _TEMPLATE_SPEC,
    "Trigger": _TRIGGER_SPEC,
    "EventListener": _LISTENER_SPEC,
}
_TOP = ("apiVersion", "kind", "metadata", "spec", "status")

#: What an EventListener's pod and its one container may set (the webhook's masks).
_POD_FIELDS = frozenset({
    "serviceAccountName", "containers", "tolerations", "nodeSelector", "affinity",
    "topologySpreadConstraints", "imagePullSecrets", "securityContext",
})
_CONTAINER_FIELDS = {
    "kubernetesResource": frozenset({"resources", "env", "livenessProbe", "readinessProbe", "startupProbe",
                                     "securityContext"}),
    "customResource": frozenset({"resources", "env", "securityContext"}),
}
_TLS_ENV = ("TLS_CERT", "TLS_KEY")


def unknown_fields(kind: str, data: Mapping[str, Any]) -> Iterator[Issue]:
    """A field the Triggers webhook would not decode, anywhere in a v1beta1 object."""
    for key in data:
        if str(key).lower() not in {k.lower() for k in _TOP}:
            yield Issue("schema", (key,), f"(top level): unknown field '{key}'")
    spec = _SPECS.get(kind)
    if spec is not None:
        yield from _walk(data.get("spec"), spec, ("spec",))


def _walk(value: object, shape: Shape, path: JsonPath) -> Iterator[Issue]:
    if isinstance(shape, list) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, shape[0], (*path, i))
    elif isinstance(shape, dict) and isinstance(value, Mapping):
        known = {k.lower(): sub for k, sub in shape.items()}
        where = ".".join(str(p) for p in path)
        for key, sub in value.items():
            if str(key).lower() not in known:
                yield Issue("schema", (*path, key), f"{where}: unknown field '{key}'")
            else:
                yield from _walk(sub, known[str(key).lower()], (*path, key))


def listener_pod(resources: Mapping[str, Any], label: str) -> Iterator[Issue]:
    """The pod and container fields an EventListener's resources may not set."""
    for source in ("kubernetesResource", "customResource"):
        resource = mapping(resources.get(source))
        base: JsonPath = ("spec", "resources", source)
        pod = mapping(mapping(mapping(resource.get("spec")).get("template")).get("spec"))
        pod_path = (*base, "spec", "template", "spec")
        for key, value in pod.items():
            if key not in _POD_FIELDS and value not in (None, "", [], {}, False, 0):
                yield Issue("invalid-trigger", (*pod_path, key), f"{label}: the listener's pod may not set {key}")
        containers = list(items(pod, "containers", pod_path))
        if len(containers) != 1:
            continue  # more than one is reported with the listener's spec
        cpath, container = containers[0]
        for key, value in container.items():
            if key not in _CONTAINER_FIELDS[source] and value not in (None, "", [], {}, False, 0):
                yield Issue("invalid-trigger", (*cpath, key), f"{label}: the listener's container may not set {key}")
        tls = []
        for epath, env in items(container, "env", cpath):
            name = text(env.get("name"))
            if name in _TLS_ENV:
                tls.append(name)
            if env.get("value") not in (None, ""):
                yield Issue("invalid-trigger", (*epath, "value"), f"{label}: env '{name}' of the listener's container must come from a Secret (valueFrom.secretKeyRef), not a value")
            source_of = mapping(env.get("valueFrom"))
            for key in source_of:
                if key != "secretKeyRef":
                    yield Issue("invalid-trigger", (*epath, "valueFrom", key), f"{label}: env '{name}' of the listener's container may come only from secretKeyRef")
        if len(tls) == 1:
            yield Issue("invalid-trigger", (*cpath, "env"), f"{label}: TLS_CERT and TLS_KEY go together; the listener's container sets only {tls[0]}")
