"""What an install makes: the Kubernetes objects for one resolved entry in one namespace.

For a Task: the Task itself (labelled and annotated with version, digest and source),
a ServiceAccount to run it, a Role with exactly the rules of its rbac.yaml and a
RoleBinding tying the two. Pipelines get the same, with the rules of every Task they
use. StepActions run inside a Task's pod and need only themselves.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from . import PREFIX
from .errors import EntryMismatch, InputError
from .model import VERSION_LABEL, Entry, PolicyRule

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "catalog"
PACKAGE_LABEL = f"{PREFIX}/package"
#: The kind of entry the object was made for (Task, Pipeline, StepAction, Service): a
#: Task and a scaffolded service may share a name, their objects may not pass for each other.
KIND_LABEL = f"{PREFIX}/entry-kind"
DIGEST_ANNOTATION = f"{PREFIX}/digest"
SOURCE_ANNOTATION = f"{PREFIX}/source"
#: Tekton Trusted Resources sign labels and annotations: leave signed objects untouched.
SIGNATURE_ANNOTATION = "tekton.dev/signature"


@dataclass(frozen=True)
class Package:
    """One resolved catalog entry with its resource document and where it came from."""

    entry: Entry
    resource: dict[str, Any]
    source: str
    rules: tuple[PolicyRule, ...] = ()  # what its ServiceAccount needs (Pipelines: union)

    @property
    def runs(self) -> bool:
        """Whether it runs under a ServiceAccount of its own (Tasks and Pipelines)."""
        return self.entry.kind in ("Task", "Pipeline")


def spec_hash(obj: dict[str, Any]) -> str:
    """A stable hash of what an object does (its spec, or rules and roleRef for RBAC)."""
    body = {k: obj.get(k) for k in ("spec", "rules", "roleRef", "subjects") if k in obj}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def runner_name(name: str) -> str:
    """Name of the ServiceAccount, Role and RoleBinding made for a Task or Pipeline."""
    return f"catalog-{name}"


#: The kinds of catalog entry that install makes objects for.
INSTALLABLE = ("Task", "Pipeline", "StepAction")


def made_for(kind: str, name: str) -> frozenset[tuple[str, str]]:
    """Every (kind, name) installing the entry ``kind/name`` can make: what an install
    record may name for it, and nothing else (empty for a kind install never makes)."""
    if kind not in INSTALLABLE:
        return frozenset()
    own = {(kind, name)}
    if kind in ("Task", "Pipeline"):
        own |= {(k, runner_name(name)) for k in ("ServiceAccount", "Role", "RoleBinding")}
    return frozenset(own)


#: The entry ``scaffold --install`` records for a service: the objects generated from a
#: template, which the template (not catalog) names.
SERVICE = "Service"
#: What a service's entry may name, in apply order: who runs and what it may do, then
#: what runs, then what starts runs. Never a Secret, a Namespace or a ConfigMap.
SERVICE_KINDS = ("ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Pipeline",
                 "TriggerBinding", "TriggerTemplate", "Trigger", "EventListener")
SERVICE_CLUSTER_KINDS = frozenset({"ClusterRole", "ClusterRoleBinding"})
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def cluster_prefix(namespace: str) -> str:
    """How the names of a service's cluster-scoped objects begin. ':' is in no namespace
    and no service name, so no two (namespace, service) pairs can make the same name, and
    a record in one namespace can never name another namespace's cluster-scoped objects."""
    return f"{namespace}:"


def may_name(entry_kind: str, entry_name: str, namespace: str, kind: str, name: str) -> bool:
    """Whether the entry ``entry_kind/entry_name`` in ``namespace`` may name the object
    ``kind`` ``name``: for a catalog entry exactly what :func:`made_for` says; for a
    service any well-formed name of its kinds, the cluster-scoped ones only with the
    namespace's prefix (:func:`cluster_prefix`)."""
    if entry_kind != SERVICE:
        return (kind, name) in made_for(entry_kind, entry_name)
    if kind not in SERVICE_KINDS:
        return False
    if kind in SERVICE_CLUSTER_KINDS:
        prefix = cluster_prefix(namespace)
        return name.startswith(prefix) and bool(_DNS.match(name[len(prefix):]))
    return bool(_DNS.match(name))


def service_object(obj: dict[str, Any], service: str) -> dict[str, Any]:
    """A generated object as ``scaffold --install`` applies it: with catalog's labels."""
    doc = copy.deepcopy(obj)
    meta = doc.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), MANAGED_BY: MANAGER, PACKAGE_LABEL: service, KIND_LABEL: SERVICE}
    return doc


def _labels(pkg: Package) -> dict[str, str]:
    return {
        MANAGED_BY: MANAGER,
        PACKAGE_LABEL: pkg.entry.name,
        KIND_LABEL: pkg.entry.kind,
        VERSION_LABEL: pkg.entry.version,
    }


def _annotations(pkg: Package) -> dict[str, str]:
    return {DIGEST_ANNOTATION: pkg.entry.digest, SOURCE_ANNOTATION: pkg.source}


def is_signed(resource: dict[str, Any]) -> bool:
    return SIGNATURE_ANNOTATION in ((resource.get("metadata") or {}).get("annotations") or {})


def _resource(pkg: Package, namespace: str) -> dict[str, Any]:
    doc = copy.deepcopy(pkg.resource)
    meta = doc.setdefault("metadata", {})
    if meta.get("name") != pkg.entry.name:
        # Never renamed to fit: a document named otherwise is not the entry (sources.verify
        # refuses it on load; this guards Packages built by hand).
        raise EntryMismatch(f"metadata.name is {meta.get('name')!r}, the index says {pkg.entry.name!r}: refused",
                            pkg.entry.path)
    # Only what a catalog may say of an object: ownerReferences could hand it to the
    # garbage collector, finalizers could make it undeletable, and the server's fields
    # (uid, resourceVersion, managedFields...) are the server's.
    for key in [k for k in meta if k not in ("name", "labels", "annotations")]:
        meta.pop(key)
    meta["namespace"] = namespace
    if not is_signed(pkg.resource):
        meta["labels"] = {**(meta.get("labels") or {}), **_labels(pkg)}
        meta["annotations"] = {**(meta.get("annotations") or {}), **_annotations(pkg)}
    return doc


def objects_for(pkg: Package, namespace: str) -> list[dict[str, Any]]:
    """Every object installing ``pkg`` into ``namespace`` makes, in apply order."""
    for i, rule in enumerate(pkg.rules):
        if rule.wildcards:
            raise InputError(
                f"rbac.yaml rules[{i}] grants '*' in {', '.join(rule.wildcards)}: refusing to install",
                pkg.entry.ref,
            )
    objs = [_resource(pkg, namespace)]
    if not pkg.runs:
        return objs
    name = runner_name(pkg.entry.name)
    meta = {"name": name, "namespace": namespace, "labels": _labels(pkg), "annotations": _annotations(pkg)}
    objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": copy.deepcopy(meta)})
    objs.append({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": copy.deepcopy(meta),
        "rules": [r.to_dict() for r in pkg.rules],
    })
    objs.append({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": copy.deepcopy(meta),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
    })
    return objs


def merged_rules(rule_sets: list[tuple[PolicyRule, ...]]) -> tuple[PolicyRule, ...]:
    """The union of several rule lists, without duplicates, in first-seen order."""
    seen: dict[PolicyRule, None] = {}
    for rules in rule_sets:
        for r in rules:
            seen.setdefault(r, None)
    return tuple(seen)
