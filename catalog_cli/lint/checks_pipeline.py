"""Checks of a Pipeline: its own params and workspaces, its task graph, its Task references.

Rules: undefined-param, unused-param, undefined-workspace,
unused-workspace, duplicate-name, undefined-task-result,
missing-runafter-target, pipeline-cycle, missing-task-ref, unknown-task-param,
missing-task-param, missing-task-workspace. See :mod:`.rules`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import CatalogError
from ..model import DEPENDENCIES_ANNOTATION
from ..ranges import Range
from ..ranges import parse as parse_range
from ..resources import parse_dependency_annotation
from ..versions import is_version
from ..versions import parse as parse_version
from .checks_spec import duplicates
from .model import Issue, JsonPath, LintContext, Resource, Severity, items, mapping, text
from .refs import Ref, walk_refs
from .scopes import names, param_decls, pipeline_tasks

_NESTED = frozenset({"taskSpec", "pipelineSpec"})


def _spec_refs(spec: Mapping[str, Any], *, prune: frozenset[str]) -> list[tuple[JsonPath, Ref]]:
    rest = {k: v for k, v in spec.items() if k != "params"}
    return list(walk_refs(rest, ("spec",), prune=prune))


def check_pipeline(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    if res.kind != "Pipeline":
        return
    spec, label = res.spec, res.label
    decls = param_decls(spec, ("spec",))
    declared = names(decls)
    tasks = list(pipeline_tasks(res))
    outside = _spec_refs(spec, prune=_NESTED)
    everywhere = _spec_refs(spec, prune=frozenset({"pipelineSpec"}))

    yield from duplicates([(p, text(d.get("name"))) for p, d in decls if text(d.get("name"))], "param", label)
    for key, what in (("workspaces", "workspace"), ("results", "result")):
        yield from duplicates([(p, text(d.get("name"))) for p, d in items(spec, key, ("spec",)) if text(d.get("name"))], what, label)
    yield from duplicates([(p, text(t.get("name"))) for p, t in tasks if text(t.get("name"))], "task", label)

    # Params: references outside inline specs must be the Pipeline's; inline specs count as uses.
    for path, ref in outside:
        if ref.root == "params" and ref.name and ref.name not in declared:
            yield Issue("undefined-param", path, f"{label} uses {ref.text}, but declares no param '{ref.name}'")
    used = {ref.name for _, ref in everywhere if ref.root == "params"}
    for path, decl in decls:
        name = text(decl.get("name"))
        if name and name not in used:
            yield Issue("unused-param", path, f"{label} declares param '{name}', but nothing uses it")

    wanted = declared_ranges(res)
    yield from _workspaces(res, tasks, outside)
    yield from _graph(res, tasks, outside, ctx)
    for path, pt in tasks:
        yield from _pipeline_task(path, pt, ctx, wanted)


def _workspaces(res: Resource, tasks: list[tuple[JsonPath, Mapping[str, Any]]], outside: list[tuple[JsonPath, Ref]]) -> Iterator[Issue]:
    decls = list(items(res.spec, "workspaces", ("spec",)))
    declared = {text(d.get("name")) for _, d in decls}
    used: set[str] = set()
    for path, pt in tasks:
        for bpath, binding in items(pt, "workspaces", path):
            target = text(binding.get("workspace")) or text(binding.get("name"))
            used.add(target)
            if target and target not in declared:
                yield Issue(
                    "undefined-workspace", (*bpath, "workspace" if "workspace" in binding else "name"),
                    f"pipeline task '{text(pt.get('name'))}' binds workspace '{target}', which {res.label} does not declare",
                )
    for path, ref in outside:
        # Only $(workspaces.w.bound) is the Pipeline's; $(workspaces.w.path) in a param value
        # is passed on verbatim and resolved by the Task, against the Task's workspaces.
        if ref.root == "workspaces" and ref.name and ref.parts[1:] == ("bound",):
            used.add(ref.name)
            if ref.name not in declared:
                yield Issue("undefined-workspace", path, f"{res.label} uses {ref.text}, but declares no workspace '{ref.name}'", Severity.WARNING)
    for path, decl in decls:
        name = text(decl.get("name"))
        if name and name not in used:
            yield Issue("unused-workspace", path, f"{res.label} declares workspace '{name}', but no task uses it")


def _declared_results(pt: Mapping[str, Any], ctx: LintContext) -> set[str] | None:
    """The results a pipeline task's Task declares, or None when that Task is not known."""
    spec = pt.get("taskSpec")
    if isinstance(spec, Mapping):
        return {text(r.get("name")) for _, r in items(spec, "results", ())}
    versions = _referenced_tasks(pt, ctx)
    if not versions:
        return None
    return {text(r.get("name")) for v in versions for _, r in items(v.spec, "results", ())}


def _graph(res: Resource, tasks: list[tuple[JsonPath, Mapping[str, Any]]], outside: list[tuple[JsonPath, Ref]], ctx: LintContext) -> Iterator[Issue]:
    by_name = {text(pt.get("name")): pt for _, pt in tasks if text(pt.get("name"))}
    regular = {text(pt.get("name")) for p, pt in tasks if p[1] == "tasks"}
    edges: dict[str, set[str]] = {name: set() for name in regular}
    for path, ref in outside:
        if ref.root != "tasks" or ref.parts[:1] == ("status",) or not ref.name:
            continue
        target = by_name.get(ref.name)
        if target is None:
            yield Issue("undefined-task-result", path, f"{ref.text} names no task of {res.label}")
            continue
        owner = _owner(path, tasks)
        if owner in edges and ref.name in regular:
            edges[owner].add(ref.name)
        if len(ref.parts) > 2 and ref.parts[1] == "results":
            declared = _declared_results(target, ctx)
            if declared is not None and ref.parts[2] not in declared:
                yield Issue("undefined-task-result", path, f"{ref.text}: task '{ref.name}' declares no result '{ref.parts[2]}'")
    for path, pt in tasks:
        name = text(pt.get("name"))
        after = pt.get("runAfter")
        for i, dep in enumerate(after if isinstance(after, list) else []):
            if not isinstance(dep, str) or dep not in regular:
                yield Issue("missing-runafter-target", (*path, "runAfter", i), f"pipeline task '{name}' runs after '{dep}', which {res.label} does not have")
            elif name in edges:
                edges[name].add(dep)
    yield from _cycles(edges, {text(pt.get("name")): p for p, pt in tasks})


def _owner(path: JsonPath, tasks: list[tuple[JsonPath, Mapping[str, Any]]]) -> str:
    for tpath, pt in tasks:
        if path[: len(tpath)] == tpath:
            return text(pt.get("name"))
    return ""


def _cycles(edges: dict[str, set[str]], paths: dict[str, JsonPath]) -> Iterator[Issue]:
    """One pipeline-cycle issue per cycle found by a depth-first search."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for start in sorted(edges):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        trail = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                trail.pop()
            elif state.get(child) == 1:
                cycle = trail[trail.index(child):] + [child]
                yield Issue("pipeline-cycle", (*paths.get(child, ()), "name"), f"tasks depend on each other in a cycle: {' -> '.join(cycle)}")
            elif not state.get(child) and child in edges:
                state[child] = 1
                trail.append(child)
                stack.append((child, iter(sorted(edges[child]))))


def _referenced_tasks(pt: Mapping[str, Any], ctx: LintContext) -> list[Resource]:
    ref = mapping(pt.get("taskRef"))
    if not ref or ref.get("resolver") or ref.get("bundle") or ref.get("apiVersion"):
        return []
    return ctx.tasks.get(text(ref.get("name")), [])


def declared_ranges(res: Resource) -> dict[str, Range]:
    """The version ranges the Pipeline declares for its Tasks (the catalog's dependencies
    annotation); a range that does not parse is the index's to report, not lint's."""
    text_ = res.annotations.get(DEPENDENCIES_ANNOTATION)
    if not isinstance(text_, str):
        return {}
    try:
        return {d.name: parse_range(d.range) for d in parse_dependency_annotation(text_, res.file)}
    except CatalogError:
        return {}


def _matching(versions: list[Resource], wanted: Range | None) -> list[Resource]:
    """The linted versions of a Task that the Pipeline's range allows (all, without a range)."""
    if wanted is None:
        return versions
    label = (text(v.labels.get("app.kubernetes.io/version")) for v in versions)
    return [v for v, lbl in zip(versions, label, strict=True) if is_version(lbl) and wanted.allows(parse_version(lbl))]


def _pipeline_task(path: JsonPath, pt: Mapping[str, Any], ctx: LintContext,
                   wanted: Mapping[str, Range]) -> Iterator[Issue]:
    name = text(pt.get("name"))
    provided: dict[str, JsonPath] = {}
    for ppath, param in items(pt, "params", path):
        pname = text(param.get("name"))
        provided.setdefault(pname, ppath)
    matrix = mapping(pt.get("matrix"))
    for _, param in items(matrix, "params", path):
        provided.setdefault(text(param.get("name")), path)
    for _, inc in items(matrix, "include", path):
        for _, param in items(inc, "params", path):
            provided.setdefault(text(param.get("name")), path)
    bound = {text(b.get("name")) for _, b in items(pt, "workspaces", path)}

    spec = pt.get("taskSpec")
    if isinstance(spec, Mapping) and "spec" not in spec:
        for pname in sorted(_required(spec) - set(provided)):
            yield Issue("missing-task-param", (*path, "name"), f"pipeline task '{name}' does not pass the required param '{pname}' of its inline task")
        return
    ref = mapping(pt.get("taskRef"))
    ref_name = text(ref.get("name"))
    if not ref or not ref_name or "$(" in ref_name:
        return
    if ref.get("resolver") or ref.get("bundle") or ref.get("apiVersion") or ref.get("kind") not in (None, "Task"):
        return  # resolved remotely, or a custom task: nothing here to compare with
    versions = ctx.tasks.get(ref_name)
    if not versions and ref_name in ctx.catalog_tasks:
        return  # a Task of the built-in catalog: installed with the pipeline, by name
    if not versions:
        yield Issue(
            "missing-task-ref", (*path, "taskRef", "name"),
            f"pipeline task '{name}' refers to Task '{ref_name}', which is not among the linted files",
        )
        return
    # Compare with the versions the Pipeline asks for, never with another version of the Task;
    # with several versions in the set, report only what holds for all of them.
    versions = _matching(versions, wanted.get(ref_name))
    if not versions:
        return  # no linted version in the Pipeline's range: nothing to compare with
    known = set().union(*(names(param_decls(v.spec, ())) for v in versions))
    for pname, ppath in provided.items():
        if pname and pname not in known:
            yield Issue("unknown-task-param", (*ppath, "name"), f"pipeline task '{name}' passes param '{pname}', which Task '{ref_name}' does not declare")
    missing = set.intersection(*(_required(v.spec) - set(provided) for v in versions))
    for pname in sorted(missing):
        yield Issue("missing-task-param", (*path, "name"), f"pipeline task '{name}' does not pass param '{pname}', required by Task '{ref_name}'")
    unbound = set.intersection(*(_required_workspaces(v.spec) - bound for v in versions))
    for wname in sorted(unbound):
        yield Issue("missing-task-workspace", (*path, "name"), f"pipeline task '{name}' binds no workspace '{wname}', required by Task '{ref_name}'")


def _required(spec: Mapping[str, Any]) -> set[str]:
    return {text(d.get("name")) for _, d in param_decls(spec, ()) if "default" not in d and text(d.get("name"))}


def _required_workspaces(spec: Mapping[str, Any]) -> set[str]:
    return {text(d.get("name")) for _, d in items(spec, "workspaces", ()) if not d.get("optional") and text(d.get("name"))}


CHECKS = (check_pipeline,)
