"""Consent for rights: what each ServiceAccount will be granted, and which of it amounts
to escalation.

A Task's ServiceAccount gets exactly the rules of its rbac.yaml, but a catalog is
written by someone else: rules that let the Task act as someone more powerful (read
Secrets, run pods with any ServiceAccount, exec into pods, mint tokens, change RBAC,
impersonate) are refused unless the user says so (``--allow-sensitive-rbac``) or
trusts the source for it (the built-in catalog, which ships with the tool, and repos
added with ``--trust-rbac``). Every grant is reported either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import CatalogError
from ..model import PolicyRule

#: Verbs that are escalation in themselves.
_ESCALATING_VERBS = {"escalate": "escalate RBAC", "bind": "bind any role", "impersonate": "impersonate"}
#: (API group, resource) whose creation runs a pod under any ServiceAccount of the namespace.
_WORKLOADS = {
    ("", "pods"), ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "statefulsets"),
    ("apps", "daemonsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs"),
    ("tekton.dev", "taskruns"), ("tekton.dev", "pipelineruns"),
}
_WRITES = {"create", "update", "patch"}
_RBAC = ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
#: Rights that reach every namespace at once, which a scaffold's ClusterRole could hold.
_CLUSTER_WIDE: dict[tuple[str, str], tuple[set[str], str]] = {
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): (
        {"create", "update", "patch"}, "change any object as it is written"),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): (
        {"create", "update", "patch"}, "see every object as it is written"),
    ("", "nodes/proxy"): ({"get", "create"}, "nodes/proxy (exec into any pod)"),
    ("certificates.k8s.io", "certificatesigningrequests/approval"): (
        {"update", "patch"}, "approve certificates (be any user)"),
}
_READS = {"get", "list", "watch"}


#: Capabilities that give a container the node, or other containers' secrets.
_CAPABILITIES = {"ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "NET_ADMIN", "DAC_READ_SEARCH", "BPF"}


class ConsentRequired(CatalogError):
    """Rules amounting to escalation from a source not trusted for them."""

    exit_code = 1


def sensitive(rule: PolicyRule) -> list[str]:
    """Why ``rule`` amounts to escalation, in words; empty when it does not."""
    verbs = set(rule.verbs)
    reasons = [why for verb, why in _ESCALATING_VERBS.items() if verb in verbs]
    for group in rule.api_groups or ("",):
        for resource in rule.resources:
            base, _, sub = resource.partition("/")
            if group == "" and base == "secrets" and not sub and verbs & _READS:
                reasons.append("read Secrets")
            elif group == "" and base == "pods" and sub in ("exec", "attach", "portforward"):
                reasons.append(f"pods/{sub}")
            elif group == "" and base == "serviceaccounts" and sub == "token" and "create" in verbs:
                reasons.append("mint ServiceAccount tokens")
            elif (group, base) in _WORKLOADS and not sub and verbs & _WRITES:
                reasons.append(f"{'/'.join(v for v in sorted(verbs & _WRITES))} {base} (runs pods)")
            elif group == "rbac.authorization.k8s.io" and base in _RBAC and verbs & _WRITES:
                reasons.append(f"change {base}")
            elif (group, resource) in _CLUSTER_WIDE and verbs & _CLUSTER_WIDE[(group, resource)][0]:
                reasons.append(_CLUSTER_WIDE[(group, resource)][1])
    return list(dict.fromkeys(reasons))


def risky(document: dict[str, Any]) -> list[str]:
    """What a resource's own spec asks of the node when it runs, in words: privileged
    containers, powerful added capabilities, hostPath volumes (in steps, sidecars, step
    templates, StepActions and Tasks embedded in Pipelines alike)."""
    reasons: list[str] = []
    todo: list[object] = [document.get("spec")]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo += node
            continue
        if not isinstance(node, dict):
            continue
        sc = node.get("securityContext")
        if isinstance(sc, dict):
            if sc.get("privileged") is True:
                reasons.append("privileged containers")
            caps = (sc.get("capabilities") or {}).get("add") if isinstance(sc.get("capabilities"), dict) else None
            for cap in caps if isinstance(caps, list) else ():
                if str(cap).upper().removeprefix("CAP_") in _CAPABILITIES:
                    reasons.append(f"capability {str(cap).upper()}")
        if "hostPath" in node:
            reasons.append("hostPath volumes (the node's files)")
        todo += [v for v in node.values() if isinstance(v, (dict, list))]
    return list(dict.fromkeys(reasons))


@dataclass(frozen=True)
class Risk:
    """A resource whose spec asks for more of the node than a container gets by default."""

    namespace: str
    kind: str
    package: str
    source: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "kind": self.kind, "package": self.package,
                "source": self.source, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Grant:
    """The rules a ServiceAccount will hold, from which package and source."""

    namespace: str
    service_account: str
    package: str
    source: str
    rules: tuple[PolicyRule, ...]

    @property
    def sensitive(self) -> list[str]:
        return list(dict.fromkeys(r for rule in self.rules for r in sensitive(rule)))

    def to_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "serviceAccount": self.service_account, "package": self.package,
                "source": self.source, "rules": [r.to_dict() for r in self.rules], "sensitive": self.sensitive}


def check(grants: Iterable[Grant], *, allow: bool, trusted: Iterable[str], risks: Iterable[Risk] = ()) -> None:
    """Raise ConsentRequired naming every grant and risky spec that needs consent it does not have."""
    if allow:
        return
    trust = set(trusted)
    parts = sorted({f"{g.package} (from {g.source}) would let ServiceAccount {g.service_account} "
                    f"{', '.join(g.sensitive)}" for g in grants if g.sensitive and g.source not in trust})
    parts += sorted({f"{r.kind} {r.package} (from {r.source}) runs with {', '.join(r.reasons)}"
                     for r in risks if r.reasons and r.source not in trust})
    if parts:
        raise ConsentRequired(f"{'; '.join(parts)}: rights that amount to escalation; nothing was changed. "
                              "Read it (catalog info), then pass --allow-sensitive-rbac to grant them")


def rule_text(rule: PolicyRule) -> str:
    """One rule on one line: ``apps/deployments: get list watch``."""
    groups = ",".join(g or "core" for g in rule.api_groups or ("",))
    names = f" [{','.join(rule.resource_names)}]" if rule.resource_names else ""
    return f"{groups}/{','.join(rule.resources)}{names}: {' '.join(rule.verbs)}"
