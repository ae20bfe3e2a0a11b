"""Checks made before any write: the cluster's Tekton version, and the caller's rights."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import ClusterError, InputError
from ..errors import Forbidden as Forbidden  # re-exported: callers say preflight.Forbidden
from ..cluster.base import CLUSTER_SCOPED, EVERYTHING, RESOURCES, Access, Cluster, ResourceRules
from ..model import PolicyRule
from ..versions import Version, is_version, parse
from ..words import plural
from .plan import Change

#: Why a right is needed when it is not for the objects themselves.
TO_GRANT = "to grant it to the Task's ServiceAccount"


@dataclass(frozen=True)
class Missing:
    """A right the caller lacks, and what it is needed for when that is not plain."""

    access: Access
    why: str = ""

    def __str__(self) -> str:
        return f"{self.access}" + (f" ({self.why})" if self.why else "")

    def row(self) -> tuple[str, str, str, str]:
        """(verb, resource, namespace, why), the resource spelled as kubectl's
        ``auth can-i`` takes it: ``roles.rbac.authorization.k8s.io``, ``configmaps``."""
        a = self.access
        return (a.verb, f"{a.resource}.{a.group}" if a.group else a.resource,
                a.namespace or "(cluster)", self.why)

    def order(self) -> tuple[str, ...]:
        """Namespace, then resource, then verb: how a table of them reads best."""
        a = self.access
        return (a.namespace, a.group, a.resource, a.verb, self.why)


def refusal(missing: Iterable[Missing], where: str | None) -> Forbidden:
    """The error for rights the caller lacks: every one of them, once, in order."""
    found = sorted(set(missing), key=Missing.order)
    namespaces = sorted({m.access.namespace for m in found if m.access.namespace})
    place = f" in namespace{'s' if len(namespaces) > 1 else ''} {', '.join(namespaces)}" if namespaces else ""
    return Forbidden(
        f"you may not: {'; '.join(map(str, found))}; nothing was changed", where, 403,
        missing=tuple(m.row() for m in found),
        summary=f"you may not do what this needs{place} ({plural(len(found), 'right')} missing); "
                "nothing was changed:")


def tekton_version(cluster: Cluster, override: str | None = None) -> Version:
    """The Tekton Pipelines version to resolve against: ``override``, else the cluster's."""
    if override:
        return parse(override.lstrip("v"), "--tekton-version")
    try:
        text = cluster.tekton_version()
    except ClusterError as exc:
        if exc.status == 403:
            raise ClusterError("may not read ConfigMap tekton-pipelines/pipelines-info to learn the "
                               "Tekton version; pass --tekton-version", exc.where, 403) from exc
        raise
    if text is None:
        raise ClusterError("Tekton Pipelines is not installed in this cluster (no ConfigMap "
                           "tekton-pipelines/pipelines-info); pass --tekton-version to go on anyway",
                           cluster.host)
    clean = text.strip().lstrip("v")
    if not is_version(clean):
        raise InputError(f"cluster reports Tekton version {text!r}, which is not a version",
                         "ConfigMap tekton-pipelines/pipelines-info")
    return parse(clean)


def _group(kind: str) -> str:
    api_version = RESOURCES[kind][0]
    return api_version.split("/")[0] if "/" in api_version else ""


#: The verbs each planned action needs: the write itself (server-side apply is a PATCH,
#: which creates with the create right too), then what its undo sends should a later
#: write fail (a delete of what was created, a PUT of what was there, a create of what
#: was deleted): a change that could not be undone would not be all or nothing.
VERBS = {
    "create": ("create", "patch", "delete"),
    "update": ("patch", "update"),
    "adopt": ("patch", "update"),
    "delete": ("delete", "create"),
}
#: The install record is read, created, replaced and (with its last entry) deleted,
#: each with a precondition; undoing any of these takes the others.
RECORD_VERBS = ("get", "create", "update", "delete")


def needed(namespace: str, changes: Iterable[Change], record_write: bool) -> set[Access]:
    """The permissions the changes need: list (or get, cluster-wide) to read what is
    there, :data:`VERBS` for each action, :data:`RECORD_VERBS` on ConfigMaps to write
    the install record."""
    want: set[Access] = set()
    for c in changes:
        group, plural = _group(c.ref.kind), RESOURCES[c.ref.kind][1]
        scope = "" if c.ref.kind in CLUSTER_SCOPED else namespace  # a right in no namespace
        want.add(Access("get" if scope != namespace else "list", group, plural, scope))
        want |= {Access(v, group, plural, scope) for v in VERBS.get(c.action, ())}
    if record_write:
        want |= {Access(v, "", "configmaps", namespace) for v in RECORD_VERBS}
    return want


def _matches(rule: dict[str, Any], access: Access) -> bool:
    def has(values: list[str] | None, value: str) -> bool:
        return any(v in ("*", value) for v in values or ())

    return (has(rule.get("verbs"), access.verb) and has(rule.get("apiGroups"), access.group)
            and has(rule.get("resources"), access.resource) and not rule.get("resourceNames"))


def granted_by_rules(rules: ResourceRules, policy: PolicyRule, namespace: str) -> list[Access]:
    """The parts of ``policy`` that ``rules`` (the caller's) do not cover."""
    missing = []
    for verb in policy.verbs:
        for group in policy.api_groups or ("",):
            for resource in policy.resources:
                access = Access(verb, group, resource, namespace)
                if not any(_matches(r, access) for r in rules):
                    missing.append(access)
    return missing


class Rights:
    """The caller's rights as one run learns them, each question asked once: the rules
    review of a namespace is read by the check before planning and the one before
    writing, and an access review is never sent twice.

    A run over several namespaces first asks whether the caller may do everything
    everywhere (:data:`EVERYTHING`, one access review): for a cluster administrator
    that answers every question of every namespace, and no other is sent."""

    def __init__(self, cluster: Cluster, namespaces: int = 1) -> None:
        self.cluster = cluster
        self._ask_everything = namespaces > 1
        self._everything: bool | None = None
        self._rules: dict[str, ResourceRules] = {}
        self._answers: dict[Access, bool] = {}

    def everything(self) -> bool:
        """Whether the caller may do anything anywhere (asked only for several namespaces)."""
        if self._everything is None:
            self._everything = self._ask_everything and self.cluster.can_i(EVERYTHING)
        return self._everything

    def rules(self, namespace: str) -> ResourceRules:
        """The caller's rules in ``namespace`` (a SelfSubjectRulesReview; may be incomplete)."""
        if namespace not in self._rules:
            self._rules[namespace], _ = self.cluster.rules_in(namespace)
        return self._rules[namespace]

    def can(self, access: Access) -> bool:
        """The authority's answer (a SelfSubjectAccessReview)."""
        if access not in self._answers:
            self._answers[access] = self.cluster.can_i(access)
        return self._answers[access]

    def allowed(self, access: Access, namespace: str) -> bool:
        """Whether the caller may do ``access``, planning in ``namespace``: a gap in the
        rules review is confirmed by an access review, the authority."""
        return self.everything() or any(_matches(r, access) for r in self.rules(namespace)) or self.can(access)


def check_access(rights: Rights, namespace: str, want: set[Access],
                 role_rules: list[PolicyRule]) -> list[Missing]:
    """What the caller may not do in ``namespace``, for one error (:func:`refusal`).

    One SelfSubjectRulesReview gives all the caller's rules; a SelfSubjectAccessReview
    confirms each apparent gap (rules reviews may be incomplete). Creating a Role needs
    the caller to hold its rules (or ``escalate``), binding it likewise (or ``bind``):
    Kubernetes' escalation prevention, checked here before anything is written."""
    if rights.everything():
        return []
    missing = sorted((Missing(a) for a in want if not rights.allowed(a, namespace)), key=Missing.order)
    if role_rules:
        escalate = rights.allowed(Access("escalate", "rbac.authorization.k8s.io", "roles", namespace), namespace)
        bind = rights.allowed(Access("bind", "rbac.authorization.k8s.io", "roles", namespace), namespace)
        if not (escalate and bind):
            gaps = set()
            for policy in role_rules:
                for a in granted_by_rules(rights.rules(namespace), policy, namespace):
                    if not rights.can(a):
                        gaps.add(Missing(a, TO_GRANT))
            missing += sorted(gaps, key=Missing.order)
    return missing


def check_reading(rights: Rights, namespace: str, kinds: Iterable[str],
                  role_rules: list[PolicyRule]) -> list[Missing]:
    """Before planning: may the caller read what planning reads? If not, everything an
    install of these kinds would need is reported at once, so one message lists it all."""
    kinds = sorted(set(kinds))
    reads = {Access("list", _group(k), RESOURCES[k][1], namespace) for k in kinds}
    reads.add(Access("get", "", "configmaps", namespace))
    if all(rights.allowed(a, namespace) for a in reads):
        return []
    want = set(reads)
    for k in kinds:
        want |= {Access(v, _group(k), RESOURCES[k][1], namespace) for v in VERBS["create"]}
    want |= {Access(v, "", "configmaps", namespace) for v in RECORD_VERBS}
    return check_access(rights, namespace, want, role_rules)
