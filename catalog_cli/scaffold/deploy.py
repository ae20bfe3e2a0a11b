"""What ``scaffold --install`` may apply of the generated files, checked before anything
is planned (the install itself is :mod:`catalog_cli.actions.scaffold`).

A template is written by someone else, so what its files ask for is checked here, in
one place, each refusal naming the file and the object:

- only the kinds a service needs (:data:`~catalog_cli.manifests.SERVICE_KINDS`), each
  with its own API group, in the namespace being installed into (a namespaced object
  that names none gets it here, as ``kubectl apply -n`` gives it; one naming another
  is refused); cluster-scoped ones only with the namespace's name prefix
  (``<namespace>:``), so two services can never share one and a record can never name
  another namespace's;
- RBAC only as shown: no ``*``, no non-resource URLs, no aggregation (a ClusterRole
  that collects others' rules, or lends its rules to ``admin``/``edit``/``view``);
- a binding binds only a role generated with it, only to ServiceAccounts of the namespace;
- whatever runs (an EventListener, the runs a TriggerTemplate makes) runs only as a
  ServiceAccount generated with it, and a TriggerTemplate makes only PipelineRuns or
  TaskRuns: the rights a service gets are exactly the rules its roles show.

PipelineRuns are never applied: creating one starts a run (``kubectl create -f
pipelinerun.yaml`` does that on purpose); nor is kustomization.yaml, which is not an
object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import yamlio
from ..cluster.base import CLUSTER_SCOPED, RESOURCES
from ..errors import InputError
from ..manifests import SERVICE, SERVICE_KINDS, cluster_prefix, may_name
from ..model import PolicyRule
from .project import Outcome

#: Kinds that would start work the moment they are created.
NEVER_APPLIED = ("PipelineRun", "TaskRun")
RBAC_GROUP = "rbac.authorization.k8s.io"
_RULE_FIELDS = {"apiGroups", "resources", "verbs", "resourceNames"}
_AGGREGATE = f"{RBAC_GROUP}/aggregate-to-"
#: Fields naming the ServiceAccount something runs as, wherever they are in an object.
_RUNS_AS = ("serviceAccountName", "taskServiceAccountName")


@dataclass(frozen=True)
class GeneratedObject:
    """One object of the generated files, and the file it is in."""

    path: str
    obj: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    def refuse(self, why: str) -> InputError:
        return InputError(f"{self.kind} {self.name} {why}", self.path)


@dataclass
class Selection:
    """The objects to apply, in apply order, and what is left out and why."""

    service: str
    namespace: str
    objects: list[GeneratedObject] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def of(self, kind: str) -> dict[str, GeneratedObject]:
        return {g.name: g for g in self.objects if g.kind == kind}

    def rules(self, role: GeneratedObject) -> tuple[PolicyRule, ...]:
        return tuple(PolicyRule.from_dict(r) for r in role.obj.get("rules") or ())


def select(outcome: Outcome, namespace: str) -> Selection:
    """The generated objects ``scaffold --install`` applies into ``namespace``, checked;
    an InputError naming the file and object for anything a template may not ask for."""
    if outcome.conflicts:
        raise InputError("the files hold merge conflicts: resolve them, then install",
                         ", ".join(sorted({c.path for c in outcome.conflicts})))
    want = outcome.answers.get("namespace")
    if want != namespace:
        raise InputError(f"the files were generated for namespace {want!r}, not {namespace!r}", "--namespace")
    service = str(outcome.answers.get("name") or "")
    sel = Selection(service, namespace)
    seen: set[tuple[str, str]] = set()
    for path, text in sorted(outcome.files.items()):
        for doc in yamlio.loads_all(text, str(outcome.folder / path)):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            meta = (doc.get("metadata") if isinstance(doc, dict) else None) or {}
            if kind in NEVER_APPLIED:
                sel.skipped.append(f"{path}: {kind} {meta.get('name') or meta.get('generateName')} "
                                   "(creating it starts a run)")
            elif kind in SERVICE_KINDS:
                g = GeneratedObject(path, _placed(doc, namespace))
                _check_object(g, meta, namespace)
                if (g.kind, g.name) in seen:
                    raise g.refuse("is generated twice")
                seen.add((g.kind, g.name))
                sel.objects.append(g)
            elif kind is not None:
                sel.skipped.append(f"{path}: {kind} (not an object scaffold --install applies)")
    if not may_name(SERVICE, service, namespace, "Pipeline", service):
        raise InputError(f"the service's name {service!r} is not a DNS-1123 name", "name")
    for g in sel.objects:
        _check_rbac(g, sel)
        _check_runs(g, sel)
    sel.objects.sort(key=lambda g: SERVICE_KINDS.index(g.kind))
    return sel


def _placed(doc: dict[str, Any], namespace: str) -> dict[str, Any]:
    """``doc`` in ``namespace`` when it is namespaced and names no namespace itself."""
    meta = doc.get("metadata")
    if doc["kind"] in CLUSTER_SCOPED or not isinstance(meta, dict) or "namespace" in meta:
        return doc
    return {**doc, "metadata": {**meta, "namespace": namespace}}


def _check_object(g: GeneratedObject, meta: dict[str, Any], namespace: str) -> None:
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InputError(f"{g.kind} has no metadata.name (scaffold --install applies named objects only)", g.path)
    group = RESOURCES[g.kind][0].rpartition("/")[0]
    if str(g.obj.get("apiVersion") or "").rpartition("/")[0] != group:
        raise g.refuse(f"has apiVersion {g.obj.get('apiVersion')!r}; a {g.kind} is in API group {group or 'core'!r}")
    if g.kind in CLUSTER_SCOPED:
        if "namespace" in meta:
            raise g.refuse("is cluster-scoped and must not say metadata.namespace")
        prefix = cluster_prefix(namespace)
        if not g.name.startswith(prefix):
            raise g.refuse(f"is cluster-scoped and its name does not start with {prefix!r}, so another "
                           "namespace's service could have the same one; run `catalog scaffold --update` "
                           "to move to the newest template version")
    elif meta.get("namespace", namespace) != namespace:
        raise g.refuse(f"is for namespace {meta.get('namespace')!r}, not {namespace!r}")
    if not may_name(SERVICE, "", namespace, g.kind, g.name):
        raise g.refuse("is not a valid name for it")


def _check_rbac(g: GeneratedObject, sel: Selection) -> None:
    if g.kind in ("Role", "ClusterRole"):
        if "aggregationRule" in g.obj:
            raise g.refuse("has an aggregationRule: it would take the rules of other roles, unseen")
        lent = [k for k in (g.obj["metadata"].get("labels") or {}) if str(k).startswith(_AGGREGATE)]
        if lent:
            raise g.refuse(f"is labelled {lent[0]}: its rules would be added to roles others hold")
        rules = g.obj.get("rules") or []
        if not isinstance(rules, list):
            raise g.refuse("has rules that are not a list")
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict) or set(rule) - _RULE_FIELDS or not all(
                    isinstance(v, list) and all(isinstance(x, str) for x in v) for v in rule.values()):
                raise g.refuse(f"rules[{i}] must hold only lists of apiGroups, resources, verbs, resourceNames")
            wild = PolicyRule.from_dict(rule).wildcards
            if wild:
                raise g.refuse(f"rules[{i}] grants '*' in {', '.join(wild)}")
    if g.kind not in ("RoleBinding", "ClusterRoleBinding"):
        return
    ref = g.obj.get("roleRef") or {}
    allowed = ("ClusterRole",) if g.kind == "ClusterRoleBinding" else ("Role", "ClusterRole")
    kind, name = ref.get("kind"), ref.get("name")
    if ref.get("apiGroup") != RBAC_GROUP or kind not in allowed or name not in sel.of(str(kind)):
        raise g.refuse(f"binds {kind} {name}, which is not generated with it: a scaffold binds only "
                       "the roles it shows")
    subjects = g.obj.get("subjects")
    if not isinstance(subjects, list) or not subjects:
        raise g.refuse("has no subjects")
    for s in subjects:
        s = s if isinstance(s, dict) else {}
        home = s.get("namespace", sel.namespace if g.kind == "RoleBinding" else None)
        if s.get("kind") != "ServiceAccount" or s.get("apiGroup", "") != "" or home != sel.namespace:
            raise g.refuse(f"binds {s.get('kind')} {s.get('name')}"
                           f"{' of namespace ' + str(home) if home else ''}: only ServiceAccounts of "
                           f"{sel.namespace} may be bound")


def _check_runs(g: GeneratedObject, sel: Selection) -> None:
    """What runs, runs as a ServiceAccount generated with it; triggers make only runs."""
    accounts = sel.of("ServiceAccount")
    body = {k: v for k, v in g.obj.items() if k != "metadata"}
    for key, value in _fields(body):
        if key in _RUNS_AS and value not in accounts:
            raise g.refuse(f"runs as ServiceAccount {value}, which is not generated with it")
        if key == "resourcetemplates":
            for item in value if isinstance(value, list) else [value]:
                made = item.get("kind") if isinstance(item, dict) else None
                if made not in NEVER_APPLIED:
                    raise g.refuse(f"would create a {made} on every trigger: only PipelineRuns and TaskRuns")


def _fields(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) of a mapping anywhere in ``node``."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield str(k), v
            yield from _fields(v)
    elif isinstance(node, list):
        for item in node:
            yield from _fields(item)


def grants_of(sel: Selection) -> list[tuple[GeneratedObject, str, GeneratedObject]]:
    """(binding, ServiceAccount, role) for every subject of every binding; a role bound to
    no one appears once, with itself as the binding and no ServiceAccount."""
    out = []
    bound = set()
    for g in sel.objects:
        if g.kind in ("RoleBinding", "ClusterRoleBinding"):
            ref = g.obj["roleRef"]
            role = sel.of(ref["kind"])[ref["name"]]
            bound.add((role.kind, role.name))
            out += [(g, str(s.get("name")), role) for s in g.obj["subjects"]]
    out += [(g, "", g) for g in sel.objects if g.kind in ("Role", "ClusterRole") and (g.kind, g.name) not in bound]
    return out

