"""status / list --installed: what catalog installed in each namespace, and how it is now."""

from __future__ import annotations

from typing import Any

from ..errors import CatalogError
from ..cluster.base import Cluster, ObjectRef
from ..manifests import spec_hash
from .common import Options, per_namespace, start
from .plan import Observer, installed_by_hub


def _newest(catalog: Any, name: str, kind: str) -> str:
    try:
        return str(catalog.get(name, None, kind).version)
    except CatalogError:
        return ""


def status(catalog: Any, cluster: Cluster, opts: Options) -> list[dict[str, Any]]:
    """One row per installed entry per namespace: version, newest available, drift; plus
    Tasks that ``tkn hub`` installed (which ``install --adopt`` can take over)."""
    start(cluster, opts)

    def one(ns: str) -> list[dict[str, Any]]:
        obs = Observer(cluster, ns)
        record = obs.record().record
        rows = []
        for _key, pkg in sorted(record.packages.items()):
            drift = []
            for o in pkg.objects:
                live = obs.get(ObjectRef(o.kind, ns, o.name))
                if live is None:
                    drift.append(f"{o.kind} {o.name} missing")
                elif o.uid and live["metadata"].get("uid") != o.uid:
                    drift.append(f"{o.kind} {o.name} replaced")
                elif o.spec_hash and spec_hash(live) != o.spec_hash:
                    drift.append(f"{o.kind} {o.name} edited")
            rows.append({
                "namespace": ns, "name": pkg.name, "kind": pkg.kind, "version": pkg.version,
                "newest": _newest(catalog, pkg.name, pkg.kind), "requested": pkg.requested or None,
                "managedBy": "catalog", "drift": drift, "revision": record.revision,
            })
        recorded = {(p.kind, p.name) for p in record.packages.values()}
        for kind in ("Task", "Pipeline"):
            for obj in cluster.list(kind, ns):
                name = obj["metadata"]["name"]
                hub = installed_by_hub(obj)
                if hub and (kind, name) not in recorded:
                    rows.append({"namespace": ns, "name": name, "kind": kind, "version": hub,
                                 "newest": _newest(catalog, name, kind), "requested": None,
                                 "managedBy": "tkn hub", "drift": [], "revision": None})
        return rows

    return [row for rows in per_namespace(opts.namespaces, one) for row in rows]
