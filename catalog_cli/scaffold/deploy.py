"""``scaffold --install``: put the template's tasks and the generated objects in a namespace.

The tasks (at the versions the files were generated against) go in through the
ordinary install, with their ServiceAccounts and RBAC and an install record.
Then every generated object of a kind the tool handles is server-side applied:
ServiceAccounts and RBAC first, the Pipeline, then the Triggers objects.
PipelineRuns are never applied: creating one starts a run (``kubectl create -f
pipelinerun.yaml`` does that on purpose); nor is kustomization.yaml, which is
not an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import versions, yamlio
from ..errors import InputError
from ..cluster.base import RESOURCES, Cluster, ObjectRef
from .project import Outcome

#: Apply order: who runs and what it may do, then what runs, then what starts runs.
ORDER = ("ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Pipeline",
         "TriggerBinding", "TriggerTemplate", "Trigger", "EventListener")
#: Kinds that would start work the moment they are created.
NEVER_APPLIED = ("PipelineRun", "TaskRun")


@dataclass
class Applied:
    """What ``install`` did: the tasks' report (from actions.install) and the objects applied."""

    tasks: Any
    objects: list[tuple[ObjectRef, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks.to_dict() if self.tasks is not None else None,
            "objects": [{"kind": r.kind, "namespace": r.namespace, "name": r.name, "action": a}
                        for r, a in self.objects],
            "skipped": self.skipped,
        }


def objects(outcome: Outcome) -> tuple[list[dict[str, Any]], list[str]]:
    """The generated objects to apply, in apply order, and what is left out and why."""
    if outcome.conflicts:
        raise InputError("the files hold merge conflicts: resolve them, then install",
                         ", ".join(sorted({c.path for c in outcome.conflicts})))
    found: list[dict[str, Any]] = []
    skipped: list[str] = []
    for path, text in sorted(outcome.files.items()):
        for doc in yamlio.loads_all(text, str(outcome.folder / path)):
            kind = doc.get("kind") if isinstance(doc, dict) else None
            name = ((doc.get("metadata") or {}).get("name") or (doc.get("metadata") or {}).get("generateName")
                    if isinstance(doc, dict) else None)
            if kind in NEVER_APPLIED:
                skipped.append(f"{path}: {kind} {name} (creating it starts a run)")
            elif kind in RESOURCES and kind in ORDER:
                found.append(doc)
            elif kind is not None:
                skipped.append(f"{path}: {kind} (not a cluster object the tool applies)")
    found.sort(key=lambda o: ORDER.index(o["kind"]))
    return found, skipped


def install(catalog: Any, cluster: Cluster, outcome: Outcome, namespace: str,
            dry_run: str | None = None, tekton_version: str | None = None,
            force: bool = False) -> Applied:
    """Install the pinned tasks into ``namespace``, then apply the generated objects."""
    from ..actions.common import Options
    from ..actions.install import install as install_tasks

    want = outcome.answers.get("namespace")
    if want != namespace:
        raise InputError(f"the files were generated for namespace {want!r}, not {namespace!r}",
                         "--namespace")
    objs, skipped = objects(outcome)
    for obj in objs:
        meta = obj.get("metadata") or {}
        if obj["kind"] not in ("ClusterRole", "ClusterRoleBinding") and meta.get("namespace") != namespace:
            raise InputError(f"{obj['kind']} {meta.get('name')} is for namespace {meta.get('namespace')!r}, "
                             f"not {namespace!r}", "--namespace")
    if dry_run != "client":
        _check_access(cluster, namespace, objs)
    reqs = [f"{key}@={versions.parse(v).sem}" for key, v in sorted(outcome.dependencies.items())]
    opts = Options((namespace,), dry_run=dry_run, tekton_version=tekton_version, force=force)
    report = install_tasks(catalog, cluster, reqs, opts) if reqs else None
    applied = Applied(report, skipped=skipped)
    for obj in objs:
        ref = ObjectRef.of(obj)
        if dry_run == "client":
            applied.objects.append((ref, "would apply"))
            continue
        cluster.apply(obj, dry_run=dry_run == "server", force=force)
        applied.objects.append((ref, "applied (server dry run)" if dry_run == "server" else "applied"))
    return applied


def _check_access(cluster: Cluster, namespace: str, objs: list[dict[str, Any]]) -> None:
    """Refuse before writing anything when the caller may not apply every object
    (server-side apply: create and patch), or may not grant what the Roles grant."""
    from ..actions import preflight
    from ..cluster.base import Access
    from ..model import PolicyRule

    want: set[Access] = set()
    for obj in objs:
        api_version, plural = RESOURCES[obj["kind"]]
        group = api_version.split("/")[0] if "/" in api_version else ""
        scope = "" if obj["kind"] in ("ClusterRole", "ClusterRoleBinding") else namespace
        want |= {Access("create", group, plural, scope), Access("patch", group, plural, scope)}
    rules = [PolicyRule.from_dict(r) for o in objs if o["kind"] in ("Role", "ClusterRole")
             for r in o.get("rules") or ()]
    missing = preflight.check_access(cluster, namespace, want, rules)
    if missing:
        raise preflight.Forbidden(f"you may not: {'; '.join(missing)}; nothing was changed",
                                  cluster.context or None, 403)
