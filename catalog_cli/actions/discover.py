"""``catalog info``: everything about one version of a resource, as data."""

from __future__ import annotations

from typing import Any

from ..known import Known
from ..model import Dependency
from ..provider import locate
from ..sources import Catalog


def info(catalog: Catalog, name: str, version: str | None = None, kind: str | None = None,
         known: Known | None = None) -> dict[str, Any]:
    """The entry ``name`` (newest version unless ``version``) with what its file says:
    params, workspaces, results, the RBAC it would be granted, every version of it, and
    where the index and the files disagree. A dependency through a resolver says which
    (``via``, with ``reference``: one line) and whether it points into a catalog ``known``
    (``repos.known``) or is ``external`` (with the reason: then it is not resolved)."""
    entry = catalog.get(name, version, kind)
    d = catalog.detail(entry)
    data = entry.to_dict()
    data.pop("files")
    data["description"] = d.description
    data["params"] = [{"name": p.name, "type": p.type, "description": p.description,
                       **({"default": p.default} if p.has_default else {})} for p in d.params]
    data["workspaces"] = [{"name": w.name, "description": w.description, "optional": w.optional} for w in d.workspaces]
    data["results"] = [{"name": r.name, "description": r.description} for r in d.results]
    # What install grants is rbac.yaml's, so that is what info shows; the index's own
    # copy only matters where it differs, and then install refuses the entry.
    data["rbac"] = [r.to_dict() for r in d.rules]
    data["mismatches"] = list(d.mismatches)
    data["versions"] = [e.version for e in catalog.versions(name, entry.kind)]
    data["repo"] = catalog.origin(entry)
    data["dependencies"] = [_dependency(catalog, d, known) for d in entry.dependencies]
    return data


def _dependency(catalog: Catalog, dep: Dependency, known: Known | None) -> dict[str, Any]:
    data = dep.to_dict()
    if dep.via is not None:
        where = locate(catalog, dep, known)
        data["reference"] = dep.via.describe()
        data["external"] = where.external
        if where.repo is not None:
            data["repo"] = where.repo
    return data
