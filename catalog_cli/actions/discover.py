"""``catalog info``: everything about one version of a resource, as data."""

from __future__ import annotations

from typing import Any

from ..sources import Catalog


def info(catalog: Catalog, name: str, version: str | None = None, kind: str | None = None) -> dict[str, Any]:
    """The entry ``name`` (newest version unless ``version``) with what its file says:
    params, workspaces, results, the RBAC it would be granted, every version of it, and
    where the index and the files disagree."""
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
    return data
