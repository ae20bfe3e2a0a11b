"""What every changing verb shares: options, the report, and the checked commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypedDict, TypeVar

from ..cluster.base import MANY, Cluster, ObjectRef
from ..cluster.transaction import recover
from ..errors import CatalogError, ClusterError, InputError, NotFound, SignatureError
from ..model import PolicyRule
from ..settings import Settings
from ..sources.base import Catalog
from ..sources.layered import Layered
from .consent import Grant, Risk
from . import preflight
from .execute import execute
from .plan import NamespacePlan

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    namespaces: tuple[str, ...]
    force: bool = False
    adopt: bool = False
    dry_run: str | None = None  # None, "client" or "server"
    tekton_version: str | None = None
    #: Grant rules that amount to escalation (see actions.consent) from any source.
    allow_sensitive_rbac: bool = False
    #: Sources whose rbac.yaml may grant such rules without --allow-sensitive-rbac.
    trusted: frozenset[str] = frozenset({"builtin"})
    #: Library-only: skip the rights pre-flight (tests use it to make a write fail half-way).
    check_access: bool = True
    #: install: create a namespace that does not exist (not undone should the install fail, as Helm's).
    create_namespace: bool = False
    settings: Settings = field(default_factory=Settings.from_env)


class PackageRow(TypedDict):
    """What a verb did to one entry in one namespace (a row of ``-o json``'s ``packages``)."""

    namespace: str
    name: str
    kind: str
    version: str
    status: str  # installed, updated, 0.1.0 -> 0.2.0, removed, unchanged; "would ..." in a dry run
    requested: bool  # named by the user, not only needed by another entry


@dataclass(frozen=True)
class ObjectChange:
    namespace: str
    kind: str
    name: str
    action: str
    package: str


@dataclass
class Report:
    """What a verb did (or would do, with a dry run), for the CLI to render."""

    action: str
    dry_run: str | None
    changes: list[ObjectChange] = field(default_factory=list)
    packages: list[PackageRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything changed (or would): an object, or only the install record
        (an entry whose objects were all gone already)."""
        return any(c.action != "unchanged" for c in self.changes) or any(
            p["status"] != "unchanged" for p in self.packages)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "dryRun": self.dry_run,
            "changed": self.changed,
            "packages": self.packages,
            "objects": [c.__dict__ for c in self.changes],
            "grants": [g.to_dict() for g in self.grants],
            "risks": [r.to_dict() for r in self.risks],
            "notes": self.notes,
        }


def removed_rows(plan: NamespacePlan, dry_run: str | None = None) -> list[PackageRow]:
    """Report rows for the packages the record had before ``plan`` and not after."""
    return [{"namespace": plan.namespace, "name": old.name, "kind": old.kind, "version": old.version,
             "status": "would remove" if dry_run else "removed", "requested": old.explicit}
            for key, old in plan.record.packages.items() if key not in plan.packages]


def take_from(catalog: Catalog, name: str, origin: str) -> bool:
    """Take ``name`` from the source ``origin`` from now on; False when ``catalog`` does
    not hold that source, or not that name in it. A source whose signed index was refused
    raises its SignatureError (naming ``name``, the repo and its keys)."""
    if isinstance(catalog, Layered):
        try:
            catalog.pin(name, origin)
        except NotFound:
            return False
    try:
        items = catalog.versions(name)
    except SignatureError:
        raise  # the source is there, and refused: that is the answer, not "it is gone"
    except CatalogError:
        return False
    return bool(items) and catalog.origin(items[0]) == origin


def how_to_reach(origin: str) -> str:
    """What to do so that a command finds the source ``origin`` again (for messages)."""
    if origin.startswith("folder:"):
        return "pass that folder with --catalog PATH"
    if origin.startswith(("http://", "https://", "oci://")):
        return f"pass --catalog {origin}"
    return f"add repo {origin} again (catalog repo add {origin} URL) or pass --catalog"


def per_namespace(namespaces: Iterable[str], fn: Callable[[str], T]) -> list[T]:
    """``fn`` for each namespace, in parallel (reads only), results in the given order."""
    names = list(namespaces)
    if len(names) == 1:
        return [fn(names[0])]
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        return list(pool.map(fn, names))


def start(cluster: Cluster, opts: Options, *, creates: bool = False) -> list[str]:
    """Before anything: finish an interrupted earlier change (not in a dry run, which
    writes nothing), check the namespaces exist; a verb that ``creates`` namespaces
    (install) makes the missing ones when ``opts.create_namespace`` says so."""
    notes = []
    if opts.dry_run is None:
        notes += recover(cluster, opts.settings.state_home, patience=opts.settings.undo_patience)
    if not opts.namespaces:
        raise InputError("no namespace given (-n NAMESPACE)")
    where = cluster.context or cluster.host
    known = _namespaces(cluster) if len(set(opts.namespaces)) >= MANY else None
    readable = True
    for ns in opts.namespaces:
        if known is None and not readable:
            continue
        try:
            if (ns in known) if known is not None else cluster.namespace_exists(ns):
                continue
        except ClusterError as exc:
            if exc.status != 403:
                raise
            # May not read namespaces (they are cluster-wide: one refused, all are for a
            # user with rights only inside them): the writes will tell.
            readable = False
            continue
        if not (creates and opts.create_namespace):
            hint = ": --create-namespace creates it" if creates else ""
            raise InputError(f"namespace {ns!r} does not exist{hint}", where)
        if opts.dry_run == "server":
            raise InputError(f"namespace {ns!r} does not exist, and the server checks objects only in a namespace "
                             "that does: --dry-run=client shows the plan", where)
        if opts.dry_run:
            notes.append(f"would create namespace {ns}")
            continue
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        notes.append(f"created namespace {ns}")
    return notes


def _namespaces(cluster: Cluster) -> set[str] | None:
    """The names of the cluster's namespaces (one LIST), or None when the caller may not
    list them (then each is read on its own)."""
    try:
        return {str(n["metadata"]["name"]) for n in cluster.list("Namespace", "")}
    except ClusterError as exc:
        if exc.status != 403:
            raise
        return None


def rights_for(cluster: Cluster, opts: Options) -> preflight.Rights:
    """What the caller may do, learnt once for this run over ``opts.namespaces``."""
    return preflight.Rights(cluster, len(set(opts.namespaces)))


def check_reading(cluster: Cluster, opts: Options, kinds: set[str], role_rules: list[PolicyRule],
                  rights: preflight.Rights | None = None) -> None:
    """Raise Forbidden, listing every missing right, when planning could not even read."""
    if not opts.check_access:
        return
    rights = rights or rights_for(cluster, opts)
    missing = [m for ns in opts.namespaces for m in preflight.check_reading(rights, ns, kinds, role_rules)]
    if missing:
        raise preflight.refusal(missing, cluster.context or None)


def commit(cluster: Cluster, plans: list[NamespacePlan], opts: Options, action: str,
           role_rules: list[PolicyRule], on_write: Callable[[ObjectRef, str], None] | None = None,
           rights: preflight.Rights | None = None) -> Report:
    """Check every plan (blocking objects, rights), then carry them all out or none."""
    problems = [p for plan in plans for p in plan.problems]
    if problems:
        raise ClusterError(f"{'; '.join(problems)}; nothing was changed", status=409)
    missing: list[preflight.Missing] = []
    rights = rights or rights_for(cluster, opts)
    for plan in plans if opts.check_access else ():
        if plan.changes_record:
            want = preflight.needed(plan.namespace, plan.changes, record_write=True)
            missing += preflight.check_access(rights, plan.namespace, want, role_rules)
    if missing:
        raise preflight.refusal(missing, cluster.context or None)
    report = Report(action, opts.dry_run)
    for plan in plans:
        for c in plan.changes:
            report.changes.append(ObjectChange(plan.namespace, c.ref.kind, c.ref.name, c.action, c.package))
    if opts.dry_run != "client":
        execute(cluster, plans, action=action, force=opts.force, dry_run=opts.dry_run == "server",
                state_home=opts.settings.state_home, patience=opts.settings.undo_patience,
                on_write=on_write)
    return report
