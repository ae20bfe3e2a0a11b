"""``scaffold --install``: a service's Tasks and generated objects into its namespace, as
one install.

The Tasks the files were generated against (at exactly those versions) and the objects
scaffold generated (checked by :func:`catalog_cli.scaffold.deploy.select`) go through
the install path as one change: one plan, the same consent for every Role and
ClusterRole, the same rights pre-flight, one transaction (journaled, undone on failure,
recovered after a kill) and one write of the install record. The generated objects are
recorded as one more entry, ``Service/<name>``: the template version and its digest,
where the template came from, ``TEMPLATE@VERSION`` as requested, and every object with
the uid the server gave it. Uninstall, status and the record's tamper checks treat it as
any other entry; upgrade and rollback leave it alone (``scaffold --update --install``
moves it to a newer template version).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .. import versions
from ..cluster.base import CLUSTER_SCOPED, Cluster, ObjectRef
from ..cluster.records import Installed, ObjectRecord, Record
from ..errors import InputError
from ..manifests import SERVICE, service_object
from ..model import Entry
from ..scaffold.deploy import Selection, grants_of, select
from ..scaffold.project import Outcome
from ..sources.base import Catalog
from . import preflight
from .change import Target, change, status_of
from .common import Options, Report, check_reading, rights_for, start
from .consent import Grant, Risk, risky
from .plan import NamespacePlan, Observer, plan_object, plan_removals

TEMPLATE = "Template"


@dataclass(frozen=True)
class Service:
    """What one scaffold puts into a namespace besides its Tasks."""

    selection: Selection
    template: Entry  # the template version the files were generated from
    source: str  # where that template came from

    @property
    def name(self) -> str:
        return self.selection.service

    @property
    def key(self) -> str:
        return f"{SERVICE}/{self.name}"


def install(catalog: Catalog, cluster: Cluster, outcome: Outcome, opts: Options,
            on_write: Callable[[ObjectRef, str], None] | None = None) -> Report:
    """Install ``outcome`` (what scaffold generated) into the one namespace of ``opts``:
    its Tasks and its objects, all or nothing; with ``opts.dry_run``, nothing at all."""
    if len(opts.namespaces) != 1:
        raise InputError("scaffold --install installs into one namespace", "--namespace")
    namespace = opts.namespaces[0]
    selection = select(outcome, namespace)
    template = catalog.get(outcome.template, outcome.version, TEMPLATE)
    # The repo the template came from, named as every record names its sources (the
    # trust for its rules, and what status compares with).
    service = Service(selection, template, catalog.origin(template))
    notes = start(cluster, opts)
    tekton = preflight.tekton_version(cluster, opts.tekton_version)
    rights = rights_for(cluster, opts)
    check_reading(cluster, opts, {g.kind for g in selection.objects if g.kind not in CLUSTER_SCOPED}, [], rights)
    reqs = tuple(f"{key}@={versions.parse(v).sem}" for key, v in sorted(outcome.dependencies.items()))

    def extend(plan: NamespacePlan) -> tuple[list[Grant], list[Risk]]:
        return _plan_service(cluster, plan, service, opts)

    report, plans = change(catalog, cluster, opts, {namespace: Target(reqs)}, "scaffold", tekton, on_write,
                           extend, rights)
    report.packages.append({"namespace": namespace, "name": service.name, "kind": SERVICE,
                            "version": template.version, "status": status_of(plans[0], service.key, opts.dry_run),
                            "requested": True})
    report.notes = notes + report.notes + [f"not applied: {s}" for s in selection.skipped]
    return report


def _plan_service(cluster: Cluster, plan: NamespacePlan, service: Service,
                  opts: Options) -> tuple[list[Grant], list[Risk]]:
    """Add to ``plan`` what makes the service's objects present (and removes those its
    template version no longer makes), and its record entry; return its grants, and what
    the pods it starts (a listener's, the runs a trigger makes) would ask of the node."""
    obs = Observer(cluster, plan.namespace)
    record, key = plan.record, service.key
    prev = record.packages.get(key)
    # Objects another entry owns, or this run installs for the Tasks: never the service's.
    taken = {(o.kind, o.name) for k, p in record.packages.items() if k != key for o in p.objects}
    taken |= {(c.ref.kind, c.ref.name) for c in plan.changes}
    known = {(o.kind, o.name): o for o in prev.objects} if prev else {}
    same_version = prev is not None and prev.digest == service.template.digest
    actions: dict[tuple[str, str], str] = {}
    objects = []
    for g in service.selection.objects:
        if (g.kind, g.name) in taken:
            plan.problems.append(f"{g.kind} {g.name} ({g.path}) belongs to another entry of the install record")
            continue
        change, problem = plan_object(obs, record, key, service_object(g.obj, service.name),
                                      same_version=same_version, force=opts.force, adopt=opts.adopt)
        if problem:
            plan.problems.append(problem)
        if change:
            plan.changes.append(change)
            actions[(g.kind, g.name)] = change.action
        objects.append(known.get((g.kind, g.name)) or ObjectRecord(g.kind, g.name, ""))
    dropped = tuple(o for o in known.values() if (o.kind, o.name) not in {(x.kind, x.name) for x in objects})
    if prev is not None and dropped:
        gone = Record(plan.namespace, {key: replace(prev, objects=dropped)})
        removals, notes, blocked = plan_removals(obs, gone, [key], force=opts.force)
        plan.changes += removals
        plan.notes += notes
        plan.problems += blocked
    adopted = "unmanaged" if "adopt" in actions.values() else (prev.adopted_from if prev else "")
    plan.packages[key] = Installed(
        name=service.name, kind=SERVICE, version=service.template.version, digest=service.template.digest,
        source=service.source, requested=f"{service.template.name}@{service.template.version}",
        objects=tuple(objects), adopted_from=adopted)
    risks = [Risk(plan.namespace, g.kind, g.name, service.source, tuple(why))
             for g in service.selection.objects
             if actions.get((g.kind, g.name)) in ("create", "update", "adopt") and (why := risky(g.obj))]
    return _grants(plan.namespace, service, actions), risks


def _grants(namespace: str, service: Service, actions: dict[tuple[str, str], str]) -> list[Grant]:
    """Every role that changes, as what the ServiceAccounts bound to it are granted."""
    writes = {"create", "update", "adopt"}
    out = []
    for binding, account, role in grants_of(service.selection):
        if actions.get((binding.kind, binding.name)) not in writes and actions.get((role.kind, role.name)) not in writes:
            continue
        how = f"{service.name} via {binding.kind} {binding.name}" if account else \
            f"{service.name}: {role.kind} {role.name}, bound to no one yet"
        out.append(Grant(namespace, account or "(none)", how, service.source, service.selection.rules(role)))
    return out
