"""Reading one Tekton resource: its catalog metadata, dependencies and interface."""

from __future__ import annotations

import re
from typing import Any

from . import refs
from .errors import InputError
from .model import (
    DEPENDENCIES_ANNOTATION,
    MIN_VERSION_ANNOTATION,
    VERSION_LABEL,
    Dependency,
    Entry,
    Named,
    Param,
    PolicyRule,
    ResourceDetail,
)

_DEP_LINE = re.compile(r"^(?:(?P<kind>[A-Za-z]+)/)?(?P<name>[a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\s+(?P<range>.+))?$")


def _split_list(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(s.strip() for s in str(value).split(",") if s.strip())


def summary(description: object) -> str:
    """The first paragraph of a description, on one line."""
    text = str(description or "").strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    return " ".join(first.split())


def mapping(value: object) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one: documents are untrusted YAML."""
    return value if isinstance(value, dict) else {}


def metadata(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``(metadata, labels, annotations)`` of a resource, each a dict even when absent."""
    meta = mapping(doc.get("metadata"))
    return meta, mapping(meta.get("labels")), mapping(meta.get("annotations"))


def parse_dependency_annotation(text: str, where: str) -> list[Dependency]:
    deps = []
    for line in str(text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _DEP_LINE.match(line)
        if not m:
            raise InputError(f"bad dependency {line!r} (expected 'name range')", where)
        deps.append(Dependency(m["name"], (m["range"] or "*").strip(), m["kind"]))
    return deps


def _local_ref(ref: object) -> str | None:
    """The name a ref points at inside the catalog, or None for resolver/bundle refs."""
    if not isinstance(ref, dict) or ref.get("resolver") or ref.get("bundle"):
        return None
    name = ref.get("name")
    return name if isinstance(name, str) and name else None


def implicit_dependencies(doc: dict[str, Any]) -> list[Dependency]:
    """References the resource makes itself: StepActions of steps, Tasks of a Pipeline."""
    spec = mapping(doc.get("spec"))
    deps: list[Dependency] = []
    kind = doc.get("kind")
    if kind == "Task":
        for step in spec.get("steps") or ():
            name = _local_ref(step.get("ref")) if isinstance(step, dict) else None
            if name:
                deps.append(Dependency(name, "*", "StepAction"))
    elif kind == "Pipeline":
        for section in ("tasks", "finally"):
            for task in spec.get(section) or ():
                if not isinstance(task, dict):
                    continue
                ref = task.get("taskRef")
                if isinstance(ref, dict) and ref.get("kind") not in (None, "Task"):
                    continue
                name = _local_ref(ref)
                if name:
                    deps.append(Dependency(name, "*", "Task"))
    return deps


def resolver_dependencies(doc: dict[str, Any]) -> list[Dependency]:
    """References the resource makes through a resolver (hub, bundles, git, cluster,
    http...), anywhere in it (embedded specs too), each once: the name and kind it
    fetches, the version it names as the range, and the reference itself as ``via``."""
    out: dict[Dependency, None] = {}
    for site in refs.find_refs(doc):
        if isinstance(site.ref, refs.ResolverRef):
            ref = site.ref.identity()
            out[Dependency(ref.name, ref.range or "*", ref.kind, ref)] = None
    return list(out)


def dependencies(doc: dict[str, Any], where: str) -> tuple[Dependency, ...]:
    """Declared dependencies (with ranges) merged over implicit ones, sorted by name;
    then those through resolvers (see :func:`resolver_dependencies`), each as it is
    written: a declared range does not change what a resolver fetches."""
    _, _, annotations = metadata(doc)
    merged: dict[str, Dependency] = {d.name: d for d in implicit_dependencies(doc)}
    text = annotations.get(DEPENDENCIES_ANNOTATION)
    if text:
        for dep in parse_dependency_annotation(text, f"{where}: {DEPENDENCIES_ANNOTATION}"):
            implicit = merged.get(dep.name)
            merged[dep.name] = Dependency(dep.name, dep.range, dep.kind or (implicit.kind if implicit else None))
    via = sorted(resolver_dependencies(doc), key=lambda d: (d.name, str(d.kind), repr(d.via)))
    return tuple(merged[name] for name in sorted(merged)) + tuple(via)


def parse_rbac(doc: object, where: str) -> tuple[PolicyRule, ...]:
    """The rules of an ``rbac.yaml``: a mapping with ``rules``, or a bare list of rules."""
    rules = doc.get("rules") if isinstance(doc, dict) else doc
    if not isinstance(rules, list):
        raise InputError("expected 'rules:' with a list of PolicyRules", where)
    out = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise InputError(f"rules[{i}] is not a mapping", where)
        for key in ("resources", "verbs"):
            value = rule.get(key)
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise InputError(f"rules[{i}].{key} must be a non-empty list of strings", where)
        if not isinstance(rule.get("apiGroups", [""]), list):
            raise InputError(f"rules[{i}].apiGroups must be a list of strings", where)
        out.append(PolicyRule.from_dict(rule))
    return tuple(out)


def entry_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The index fields that come from the resource's own metadata and spec."""
    _, labels, annotations = metadata(doc)
    spec = mapping(doc.get("spec"))
    deprecated = str(annotations.get("tekton.dev/deprecated", "")).lower() == "true"
    min_version = annotations.get(MIN_VERSION_ANNOTATION)
    return {
        "description": summary(spec.get("description")),
        "display_name": str(annotations.get("tekton.dev/displayName") or ""),
        "categories": _split_list(annotations.get("tekton.dev/categories")),
        "tags": _split_list(annotations.get("tekton.dev/tags")),
        "platforms": _split_list(annotations.get("tekton.dev/platforms")),
        "min_pipelines_version": str(min_version) if min_version else None,
        "deprecated": deprecated,
        "version_label": labels.get(VERSION_LABEL),
    }


def _named(items: object, optional_key: str | None = None) -> tuple[Named, ...]:
    out = []
    for item in items if isinstance(items, list) else ():  # untrusted YAML: only a list counts
        if isinstance(item, dict) and item.get("name"):
            out.append(Named(
                str(item["name"]), " ".join(str(item.get("description") or "").split()),
                bool(item.get(optional_key)) if optional_key else False,
            ))
    return tuple(out)


def detail(entry: Entry, doc: dict[str, Any], *, rules: tuple[PolicyRule, ...] = (),
           mismatches: tuple[str, ...] = ()) -> ResourceDetail:
    """The interface of a resource: params, workspaces, results (v1 and v1beta1 shapes);
    ``rules`` and ``mismatches`` are carried as given (see ``sources.verify.detail_of``)."""
    spec = mapping(doc.get("spec"))
    raw_params = spec.get("params")
    if raw_params is None and isinstance(spec.get("inputs"), dict):  # pre-v1beta1 layout
        raw_params = spec["inputs"].get("params")
    params = []
    schema = spec.get("parameters") if doc.get("kind") == "Template" else None
    if isinstance(schema, dict):  # a template's parameters are a JSON Schema
        required = set(schema.get("required") or ())
        for pname, prop in (schema.get("properties") or {}).items():
            prop = mapping(prop)
            params.append(Param(
                name=str(pname), type=str(prop.get("type") or "string"),
                description=" ".join(str(prop.get("description") or "").split()),
                default=prop.get("default"), has_default="default" in prop or pname not in required,
            ))
    for p in raw_params or ():
        if isinstance(p, dict) and p.get("name"):
            params.append(Param(
                name=str(p["name"]),
                type=str(p.get("type") or "string"),
                description=" ".join(str(p.get("description") or "").split()),
                default=p.get("default"),
                has_default="default" in p,
            ))
    return ResourceDetail(
        entry=entry,
        params=tuple(params),
        workspaces=_named(spec.get("workspaces"), "optional"),
        results=_named(spec.get("results")),
        description=str(spec.get("description") or "").strip(),
        rules=rules,
        mismatches=mismatches,
    )
