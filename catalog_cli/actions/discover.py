"""``catalog info``: everything about one version of a resource, as data."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import InputError
from ..known import Known
from ..model import Dependency, Entry
from ..provider import locate
from ..sources import Catalog


def info(catalog: Catalog, name: str, version: str | None = None, kind: str | None = None,
         known: Known | None = None) -> dict[str, Any]:
    """The entry ``name`` (newest version unless ``version``) with what its file says:
    params, workspaces, results, the RBAC it would be granted, every version of it, and
    where the index and the files disagree; ``signedBy``, the id of the key whose signature
    of its index (or bundle) was verified, or None. A dependency through a resolver says which
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
    data["signedBy"] = catalog.signed_by(entry)  # the key whose signature was verified, or None
    if entry.kind == "Template":
        data["generatedRbac"], why_not = template_rbac(catalog, entry)
        if why_not:
            data["generatedRbacError"] = why_not
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


#: Answers for a template's required parameters when showing what it generates.
_SAMPLES = {"name": "example", "git-url": "https://git.example.com/example.git",
            "image": "registry.example.com/example"}


def template_rbac(catalog: Catalog, entry: Entry) -> tuple[list[dict[str, Any]], str | None]:
    """The Roles and ClusterRoles a template generates, per variant, with the rules each
    grants and who it is bound to, rendered with sample answers (``example``); or why
    they could not be shown. The rules are its dependencies' own rbac.yaml, merged."""
    from ..errors import CatalogError
    from ..scaffold import answers as ans
    from ..scaffold import generate as gen
    from ..scaffold import template as tmpl

    def sample(param: Any, error: str | None) -> str:
        if error is not None:
            raise InputError(f"no sample answer for {param.name}: {error}")
        examples = param.schema.get("examples")
        return str(examples[0]) if isinstance(examples, list) and examples else _SAMPLES.get(param.name, "example")

    try:
        template = tmpl.load(catalog, entry.name, entry.version)
        answers = ans.complete(template, {}, ask=sample)
        deps = gen.resolve_dependencies(catalog, template)
        found: list[dict[str, Any]] = []
        for variant in sorted({v for f in template.files for v in f.variants}):
            files = gen.generate(catalog, template, answers, variant, deps).files
            docs = [(path, d) for path, text in sorted(files.items()) for d in yaml.safe_load_all(text)
                    if isinstance(d, dict)]
            bound: dict[tuple[str, str], list[str]] = {}
            for _, d in docs:
                if d.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
                    ref = d.get("roleRef") or {}
                    who = [f"{s.get('kind')} {s.get('name')}" for s in d.get("subjects") or []]
                    bound.setdefault((str(ref.get("kind")), str(ref.get("name"))), []).extend(who)
            for path, d in docs:
                if d.get("kind") in ("Role", "ClusterRole"):
                    name = str((d.get("metadata") or {}).get("name"))
                    found.append({"variant": variant, "file": path, "kind": d["kind"], "name": name,
                                  "rules": d.get("rules") or [], "boundTo": bound.get((d["kind"], name), [])})
        return found, None
    except CatalogError as exc:
        return [], str(exc)
