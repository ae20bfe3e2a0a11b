"""What Tekton Triggers' admission webhook rejects: TriggerBinding, ClusterTriggerBinding,
TriggerTemplate, Trigger and EventListener.

Mirrors tektoncd/triggers ``pkg/apis/triggers/v1beta1/*_validation.go`` (v1alpha1 is
validated the same way). Their CRD schemas keep unknown fields, so the webhook is
the only check a cluster makes; these rules are it, and :mod:`.triggers_fields`
holds the fields its strict decoding knows.

Rules: invalid-trigger, duplicate-name, undefined-param, invalid-name, schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import Issue, JsonPath, LintContext, Resource, items, mapping, text
from .triggers_fields import listener_pod, unknown_fields

TRIGGER_KINDS = frozenset({"TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate", "Trigger", "EventListener"})
_TT_PARAM = re.compile(r"\$\(tt\.params\.([_a-zA-Z][_a-zA-Z0-9.-]*)\)")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
#: Kubernetes' label value (IsValidLabelValue): what an EventListener's trigger name must be.
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_PAYLOAD_VALIDATION = "tekton.dev/payload-validation"


def check_triggers(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    if res.kind in TRIGGER_KINDS and res.version == "v1beta1":
        yield from unknown_fields(res.kind, res.data)
    if res.kind in ("TriggerBinding", "ClusterTriggerBinding"):
        yield from _binding(res.spec, res.label)
    elif res.kind == "TriggerTemplate":
        yield from _template(res.spec, res.label)
    elif res.kind == "Trigger":
        yield from _trigger(res.spec, ("spec",), res.label)
    elif res.kind == "EventListener":
        yield from _listener(res)


def _binding(spec: Mapping[str, Any], label: str) -> Iterator[Issue]:
    if not spec:
        yield Issue("invalid-trigger", ("spec",), f"{label} has an empty spec")
    seen: set[str] = set()
    for path, param in items(spec, "params", ("spec",)):
        name = text(param.get("name"))
        if name in seen:
            yield Issue("duplicate-name", (*path, "name"), f"{label} has two params named '{name}'")
        seen.add(name)
        value = param.get("value")
        if isinstance(value, str) and not _terminated(value):
            yield Issue("invalid-trigger", (*path, "value"), f"{label} param '{name}': a $( without its closing )")


def _terminated(value: str) -> bool:
    """Whether every ``$(`` in ``value`` but the last has its closing parenthesis
    (``validateParamValue``, which forgives the last one)."""
    parts = value.split("$(")[1:]
    for part in parts[:-1]:
        depth = 0
        for ch in part:
            depth += ch == "("
            depth -= ch == ")"
            if depth < 0:
                break
        else:
            return False
    return True


def _template(spec: Mapping[str, Any], label: str) -> Iterator[Issue]:
    templates = spec.get("resourcetemplates")
    if not isinstance(templates, list) or not templates:
        yield Issue("invalid-trigger", ("spec",), f"{label} has no resourcetemplates")
        return
    declared = {text(p.get("name")) for _, p in items(spec, "params", ("spec",))}
    for i, template in enumerate(templates):
        path = ("spec", "resourcetemplates", i)
        if not isinstance(template, Mapping) or not text(template.get("apiVersion")):
            yield Issue("invalid-trigger", path, f"{label}: resource template {i + 1} has no apiVersion")
        for name in _TT_PARAM.findall(_flatten(template)):
            if name not in declared:
                yield Issue("undefined-param", path, f"{label} uses $(tt.params.{name}), but declares no param '{name}'")
                break


def _flatten(value: object) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return str(value)


def _trigger(spec: Mapping[str, Any], base: JsonPath, label: str) -> Iterator[Issue]:
    for i, (path, binding) in enumerate(items(spec, "bindings", base)):
        ref, name = text(binding.get("ref")), text(binding.get("name"))
        if ref and name:
            yield Issue("invalid-trigger", path, f"{label}: binding {i + 1} has both ref and name")
        elif ref and binding.get("kind") not in (None, "", "TriggerBinding", "ClusterTriggerBinding"):
            # An empty kind is defaulted to TriggerBinding before validation.
            yield Issue("invalid-trigger", (*path, "kind"), f"{label}: binding {i + 1} kind must be TriggerBinding or ClusterTriggerBinding")
        elif name and binding.get("value") is None:
            yield Issue("invalid-trigger", path, f"{label}: binding '{name}' has no value")
        elif not ref and not name:
            yield Issue("invalid-trigger", path, f"{label}: binding {i + 1} needs a ref or a name and value")
    template = mapping(spec.get("template"))
    tpath = (*base, "template")
    if template.get("apiVersion") not in (None, "", "v1alpha1", "v1beta1"):
        yield Issue("invalid-trigger", (*tpath, "apiVersion"), f"{label}: template apiVersion must be v1alpha1 or v1beta1")
    has_spec, has_ref = template.get("spec") is not None, template.get("ref") is not None
    if has_spec == has_ref:
        yield Issue("invalid-trigger", tpath, f"{label} needs exactly one of template.spec and template.ref")
    elif has_spec:
        yield from _template(mapping(template.get("spec")), label)
    elif not text(template.get("ref")):
        yield Issue("invalid-trigger", tpath, f"{label}: template.ref is empty")
    for ipath, interceptor in items(spec, "interceptors", base):
        yield from _interceptor(ipath, interceptor, label)


def _interceptor(path: JsonPath, interceptor: Mapping[str, Any], label: str) -> Iterator[Issue]:
    webhook = interceptor.get("webhook")
    if webhook is None:
        if not text(mapping(interceptor.get("ref")).get("name")):
            yield Issue("invalid-trigger", path, f"{label}: an interceptor needs a ref name or a webhook")
        return
    hook = mapping(webhook)
    obj = hook.get("objectRef")
    if obj is None:
        yield Issue("invalid-trigger", (*path, "webhook"), f"{label}: a webhook interceptor needs objectRef")
    else:
        if mapping(obj).get("kind") != "Service":
            yield Issue("invalid-trigger", (*path, "webhook", "objectRef"), f"{label}: a webhook interceptor's objectRef must be a Service")
        if mapping(obj).get("apiVersion") != "v1":
            yield Issue("invalid-trigger", (*path, "webhook", "objectRef"), f"{label}: a webhook interceptor's objectRef apiVersion must be v1")
    for hpath, header in items(hook, "header", (*path, "webhook")):
        name = text(header.get("name"))
        if not name or not _HEADER.match(name) or "-".join(w[:1].upper() + w[1:].lower() for w in name.split("-")) != name:
            yield Issue("invalid-trigger", (*hpath, "name"), f"{label}: header name '{name}' is not in canonical form (e.g. Content-Type)")
        if not header.get("value"):
            yield Issue("invalid-trigger", (*hpath, "value"), f"{label}: header '{name}' has an empty value")


def _listener(res: Resource) -> Iterator[Issue]:
    spec, label = res.spec, res.label
    if len(res.name) > 60:
        yield Issue("invalid-name", ("metadata", "name"), f"{label}: an EventListener's name may have at most 60 characters")
    payload = res.annotations.get(_PAYLOAD_VALIDATION)
    if payload is not None and payload not in ("true", "false"):
        yield Issue("invalid-trigger", ("metadata", "annotations", _PAYLOAD_VALIDATION), f"{label}: {_PAYLOAD_VALIDATION} must be 'true' or 'false'")
    selector = mapping(spec.get("namespaceSelector")).get("matchNames")
    if not (spec.get("labelSelector") is not None or selector or spec.get("triggerGroups") or spec.get("triggers")):
        yield Issue("invalid-trigger", ("spec",), f"{label} needs triggers, triggerGroups, a labelSelector or a namespaceSelector")
    for path, trigger in items(spec, "triggers", ("spec",)):
        name = trigger.get("name")
        if isinstance(name, str) and (len(name) > 63 or not _LABEL_VALUE.match(name)):
            yield Issue("invalid-trigger", (*path, "name"), f"{label}: trigger name '{name}' is not a valid label value (at most 63 letters, digits, '-', '_', '.')")
        if trigger.get("triggerRef"):
            if any(trigger.get(k) is not None for k in ("template", "bindings", "interceptors")):
                yield Issue("invalid-trigger", path, f"{label}: a trigger with triggerRef takes no template, bindings or interceptors")
        elif trigger.get("template") is None:
            yield Issue("invalid-trigger", path, f"{label}: a trigger needs a template or a triggerRef")
        else:
            yield from _trigger(trigger, path, label)
    resources = mapping(spec.get("resources"))
    if resources.get("kubernetesResource") is not None and resources.get("customResource") is not None:
        yield Issue("invalid-trigger", ("spec", "resources"), f"{label}: kubernetesResource and customResource exclude each other")
    kube = mapping(resources.get("kubernetesResource"))
    replicas = kube.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        yield Issue("invalid-trigger", ("spec", "resources", "kubernetesResource", "replicas"), f"{label}: replicas must be >= 0")
    if kube.get("serviceLoadBalancerClass") is not None and kube.get("serviceType") != "LoadBalancer":
        yield Issue("invalid-trigger", ("spec", "resources", "kubernetesResource", "serviceLoadBalancerClass"),
                    f"{label}: serviceLoadBalancerClass needs serviceType LoadBalancer")
    for source in ("kubernetesResource", "customResource"):
        pod = mapping(mapping(mapping(resources.get(source)).get("spec")).get("template")).get("spec")
        containers = mapping(pod).get("containers")
        if isinstance(containers, list) and len(containers) > 1:
            yield Issue("invalid-trigger", ("spec", "resources", source), f"{label}: at most one container")
    yield from listener_pod(resources, label)
    for gpath, group in items(spec, "triggerGroups", ("spec",)):
        sel = mapping(group.get("triggerSelector"))
        if sel.get("labelSelector") is None and not mapping(sel.get("namespaceSelector")).get("matchNames"):
            yield Issue("invalid-trigger", gpath, f"{label}: a trigger group needs a labelSelector or namespaceSelector")
        if not group.get("interceptors"):
            yield Issue("invalid-trigger", gpath, f"{label}: a trigger group needs interceptors")


CHECKS = (check_triggers,)
