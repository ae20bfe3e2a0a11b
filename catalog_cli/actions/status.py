"""status / list --installed: what catalog installed in each namespace, and how it is now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from .. import versions
from ..cluster.base import Cluster
from ..cluster.records import RECORD_NAME, Installed, is_ours, object_ref
from ..errors import CatalogError, ClusterError, Forbidden
from ..manifests import MANAGED_BY, MANAGER, SERVICE, spec_hash
from ..model import Entry
from ..provider import newest_allowed
from ..sources.base import Catalog
from ..sources.layered import Layered
from .common import Options, how_to_reach, per_namespace, start
from .plan import Observer, installed_by_hub, observers


class StatusRow(TypedDict):
    """One installed entry in one namespace (a row of ``status -o json``)."""

    namespace: str
    name: str
    kind: str
    version: str
    source: str  # where it was installed from (its origin); empty for tkn hub's
    newest: str  # the newest version in that source; empty when unknown
    upgradable: str  # what upgrade would move it to: a later version its request allows; else empty
    upgrade: bool  # whether it would (compared as versions: 0.10 > 0.9); for tkn hub's, install --adopt
    requested: str | None  # what the user asked for (NAME@RANGE); None when only needed
    managedBy: str  # catalog, or tkn hub (which install --adopt can take over)
    drift: list[str]  # how the cluster differs from the record
    revision: int | None  # the install record's revision; None for tkn hub's


@dataclass
class Status:
    """One row per installed entry per namespace, and notes (e.g. an interrupted change
    this command finished undoing)."""

    rows: list[StatusRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def source_of(catalog: Catalog, origin: str) -> Catalog | None:
    """The part of ``catalog`` an entry installed from ``origin`` should be compared
    with: that repo when the catalog is several and has it, else the catalog itself
    (whose entries are then checked to come from ``origin``)."""
    if isinstance(catalog, Layered):
        try:
            return catalog.member(origin)
        except CatalogError:
            return None
    return catalog


def _versions_from(catalog: Catalog, origin: str, name: str, kind: str) -> tuple[Entry, ...]:
    """Every version of ``name`` in the source ``origin``; empty when ``catalog`` does
    not hold that source (another repo's entry of the same name is no news about it)."""
    src = source_of(catalog, origin)
    if src is None:
        return ()
    try:
        items = src.versions(name, kind)
    except CatalogError:
        return ()
    return items if items and src.origin(items[0]) == origin else ()


def _entries(catalog: Catalog, pkg: Installed) -> tuple[Entry | None, Entry | None, Entry | None]:
    """(the installed version's entry, the newest entry, the newest the recorded request
    allows) in the package's own source; for a scaffolded service, of the template it was
    generated from (``requested``), which only ``scaffold --update`` moves."""
    name, kind = (pkg.requested.partition("@")[0], "Template") if pkg.kind == SERVICE else (pkg.name, pkg.kind)
    items = _versions_from(catalog, pkg.source, name, kind)
    if not items:
        return None, None, None
    same = next((e for e in items if e.version == pkg.version), None)
    stable = [e for e in items if not versions.parse(e.version).is_prerelease]
    newest = stable[0] if stable else items[0]
    allowed = None
    if pkg.explicit and pkg.kind != SERVICE:
        try:
            allowed = newest_allowed(items, [pkg.requested], None)
        except CatalogError:  # a range this version cannot read
            allowed = None
    return same, newest, allowed


def _drift(obs: Observer, ns: str, pkg: Installed, same: Entry | None) -> list[str]:
    drift = []
    for o in pkg.objects:
        live = obs.get(object_ref(pkg, o, ns))
        if live is None:
            drift.append(f"{o.kind} {o.name} missing")
        elif not is_ours(live, o, pkg):
            drift.append(f"{o.kind} {o.name} replaced")
        elif o.spec_hash and spec_hash(live) != o.spec_hash:
            drift.append(f"{o.kind} {o.name} edited")
    if same is not None and same.digest != pkg.digest:
        drift.append(f"{pkg.source}'s {pkg.version} is not what was installed (digest {same.digest[:19]}…, "
                     f"installed {pkg.digest[:19]}…)")
    return drift


def newer(candidate: str, installed: str) -> bool:
    """Whether ``candidate`` is a later version than ``installed``, as versions (never as
    text: 0.10 is later than 0.9, 0.2 is not later than 0.10, 0.2 is 0.2.0); False when
    either is missing or no version."""
    if not (candidate and versions.is_version(candidate) and versions.is_version(installed)):
        return False
    return versions.parse(candidate) > versions.parse(installed)


def status(catalog: Catalog, cluster: Cluster, opts: Options) -> Status:
    """Every installed entry: version, source, newest available in that source, drift;
    plus Tasks that ``tkn hub`` installed (which ``install --adopt`` can take over)."""
    notes = start(cluster, opts)

    observe = observers(cluster, opts.namespaces)

    def one(ns: str) -> list[StatusRow]:
        obs = observe(ns)
        record = obs.record().record
        rows: list[StatusRow] = []
        for _key, pkg in sorted(record.packages.items()):
            same, newest, allowed = _entries(catalog, pkg)
            up = allowed.version if allowed is not None and newer(allowed.version, pkg.version) else ""
            rows.append({
                "namespace": ns, "name": pkg.name, "kind": pkg.kind, "version": pkg.version,
                "source": pkg.source, "newest": newest.version if newest else "",
                "upgradable": up, "upgrade": bool(up),
                "requested": pkg.requested or None, "managedBy": "catalog",
                "drift": _drift(obs, ns, pkg, same), "revision": record.revision,
            })
        recorded = {(p.kind, p.name) for p in record.packages.values()}
        for kind in ("Task", "Pipeline"):
            for obj in obs.listed(kind):  # the Tasks read for the drift above
                name = obj["metadata"]["name"]
                hub = installed_by_hub(obj)
                if hub and (kind, name) not in recorded:
                    try:
                        newest_hub = str(catalog.get(name, None, kind).version)
                    except CatalogError:
                        newest_hub = ""
                    rows.append({"namespace": ns, "name": name, "kind": kind, "version": hub, "source": "",
                                 "newest": newest_hub, "upgradable": newest_hub if newer(newest_hub, hub) else "",
                                 "upgrade": newer(newest_hub, hub), "requested": None,
                                 "managedBy": "tkn hub", "drift": [], "revision": None})
        return rows

    rows = [row for rows in per_namespace(opts.namespaces, one) for row in rows]
    unknown = sorted({r["source"] for r in rows if r["source"] and not r["newest"]})
    notes += [f"entries installed from {s} are not compared with any catalog: {catalog.name or catalog.location} does not hold "
              f"{s} ({how_to_reach(s)})" for s in unknown]
    return Status(rows, notes)


def installed_namespaces(cluster: Cluster) -> list[str]:
    """Every namespace holding an install record (``-A``): one list of ConfigMaps across
    the cluster, by catalog's label. A caller who may not list them cluster-wide gets one
    line saying to name the namespaces instead."""
    try:
        items = cluster.list("ConfigMap", "", f"{MANAGED_BY}={MANAGER}")
    except ClusterError as exc:
        if exc.status == 403:
            raise Forbidden("you may not list ConfigMaps in all namespaces, which --all-namespaces reads: "
                            "name the namespaces with -n NAMESPACE", cluster.context or None, 403) from exc
        raise
    return sorted({str((i.get("metadata") or {}).get("namespace") or "") for i in items
                   if (i.get("metadata") or {}).get("name") == RECORD_NAME} - {""})
