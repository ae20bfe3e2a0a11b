"""What Tekton's admission webhook rejects in a Pipeline (or a PipelineRun's inline one).

Mirrors ``PipelineSpec.Validate`` and ``PipelineTask.Validate`` (tektoncd/pipeline
``pkg/apis/pipeline/v1/pipeline_validation.go``, ``matrix_types.go``,
``when_validation.go``) under the default feature flags. The references the older
rules already check (undefined params and workspaces, runAfter targets, cycles)
are left to :mod:`.checks_pipeline`.

Rules: missing-tasks, ref-or-spec, invalid-ref, invalid-on-error, duplicate-name,
invalid-name, invalid-matrix, invalid-when, invalid-finally, invalid-variable,
forbidden-variable, invalid-pipeline-result, invalid-param-type, alpha-feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import tekton_vars as tv
from .model import Issue, JsonPath, LintContext, Resource, Severity, items, mapping, text
from .scopes import DNS_LABEL, PIPELINE_SECTIONS, param_decls, pipeline_specs
from .tekton_common import check_ref, check_when, duplicate_params, param_type, tekton_type

MAX_MATRIX_COMBINATIONS = 256  # the default of default-max-matrix-combinations-count
_VALID_PREFIXES = frozenset({"params", "tasks", "finally", "context", "workspaces", "results"})
_CONTEXT = (
    (r"context\.pipelineRun", "context.pipelineRun", frozenset({"name", "namespace", "uid"})),
    (r"context\.pipeline", "context.pipeline", frozenset({"name"})),
    (r"context\.pipelineTask", "context.pipelineTask", frozenset({"retries"})),
)
_STATUS = re.compile(r"^tasks\.(.+)\.(status|reason)$")

Task = tuple[JsonPath, Mapping[str, Any]]


def check_pipeline_webhook(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    for base, spec in pipeline_specs(res):
        label = res.label if base == ("spec",) else f"{res.label} (inline pipeline)"
        sections = {s: list(items(spec, s, base)) for s in PIPELINE_SECTIONS}
        tasks, final = sections["tasks"], sections["finally"]
        if not any(spec.get(k) for k in ("description", "params", "tasks", "workspaces", "finally", "results")):
            yield Issue("missing-tasks", base, f"{label} has an empty spec")
        if final and not tasks:
            yield Issue("missing-tasks", (*base, "finally"), f"{label} has finally tasks but no tasks")
        yield from _declared_params(base, spec, label)
        for wpath, decl in items(spec, "workspaces", base):
            if not text(decl.get("name")):
                yield Issue("invalid-name", wpath, f"{label}: a workspace without a name")
        names = {text(t.get("name")) for _, t in tasks}
        final_names = {text(t.get("name")) for _, t in final}
        arrays, objects = _pipeline_params(spec, base)
        for section, entries in sections.items():
            for n, (path, pt) in enumerate(entries):
                what = f"{'finally task' if section == 'finally' else 'pipeline task'} '{text(pt.get('name'))}' of {label}"
                yield from _task(path, pt, what)
                yield from _values(path, pt, what, arrays, objects, last=n == len(entries) - 1)
                yield from _status_refs(path, pt, what, section, names)
                if section == "finally":
                    yield from _finally(path, pt, what, names, final_names)
        yield from _matrix_results(tasks)
        yield from _results(base, spec, label, names, final_names)


def _declared_params(base: JsonPath, spec: Mapping[str, Any], label: str) -> Iterator[Issue]:
    for path, decl in param_decls(spec, base):
        name, declared, kind = text(decl.get("name")), decl.get("type"), param_type(decl)
        if declared is not None and declared not in ("string", "array", "object"):
            yield Issue("invalid-param-type", (*path, "type"), f"{label} param '{name}': type '{declared}' is not string, array or object")
        elif decl.get("default") is not None and tekton_type(decl["default"]) != kind:
            yield Issue("invalid-param-type", (*path, "default"), f"{label} param '{name}' is of type {kind}, but Tekton reads its default as a {tekton_type(decl['default'])}")
        elif kind == "object" and decl.get("properties") is None:
            yield Issue("invalid-param-type", path, f"{label} param '{name}' is an object param without properties")
        if decl.get("enum"):
            yield Issue("alpha-feature", (*path, "enum"), f"{label} param '{name}': enum needs the enable-param-enum feature flag (alpha)")


def _pipeline_params(spec: Mapping[str, Any], base: JsonPath) -> tuple[set[str], dict[str, set[str]]]:
    decls = param_decls(spec, base)
    arrays = {text(d.get("name")) for _, d in decls if param_type(d) == "array"}
    objects = {text(d.get("name")): set(mapping(d.get("properties"))) for _, d in decls if param_type(d) == "object"}
    return arrays, objects


def _task(path: JsonPath, pt: Mapping[str, Any], what: str) -> Iterator[Issue]:
    name = text(pt.get("name"))
    if not DNS_LABEL.match(name):
        yield Issue("invalid-name", (*path, "name"), f"{what}: the name must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
    given = [k for k in ("taskRef", "taskSpec", "pipelineRef", "pipelineSpec") if pt.get(k) is not None]
    for key in given:
        if key.startswith("pipeline"):
            yield Issue("alpha-feature", (*path, key), f"{what}: {key} in a pipeline task needs enable-api-fields: alpha")
    if len(given) != 1:
        how = "neither" if not given else " and ".join(given)
        yield Issue("ref-or-spec", path, f"{what} needs exactly one of taskRef and taskSpec, has {how}")
    ref, spec = mapping(pt.get("taskRef")), mapping(pt.get("taskSpec"))
    if spec.get("steps") and (spec.get("apiVersion") or spec.get("kind")):
        yield Issue("ref-or-spec", (*path, "taskSpec"), f"{what}: an inline task with steps may not set apiVersion or kind")
    custom = ref.get("kind") not in (None, "", "Task") or bool(ref.get("apiVersion"))
    if ref and custom:
        if ref.get("kind") == "ClusterTask" and not ref.get("apiVersion"):
            yield Issue("invalid-ref", (*path, "taskRef", "kind"), f"{what}: ClusterTasks were removed; Tekton takes kind ClusterTask for a custom task without apiVersion (use a Task and the cluster resolver)")
            return
        if not text(ref.get("kind")):
            yield Issue("invalid-ref", (*path, "taskRef"), f"{what}: a custom task ref needs a kind")
        if len(text(ref.get("apiVersion")).split("/")) != 2 or "" in text(ref.get("apiVersion")).split("/"):
            yield Issue("invalid-ref", (*path, "taskRef"), f"{what}: a custom task ref needs apiVersion group/version")
    elif ref and "bundle" not in ref:
        yield from check_ref(ref, (*path, "taskRef"), what)
    on_error = pt.get("onError")
    if isinstance(on_error, str) and on_error and not on_error.startswith("$(params"):
        if on_error not in ("continue", "stopAndFail"):
            yield Issue("invalid-on-error", (*path, "onError"), f"{what}: onError '{on_error}' must be continue or stopAndFail")
        elif on_error == "continue" and isinstance(pt.get("retries"), int) and pt["retries"] > 0:
            yield Issue("invalid-on-error", (*path, "onError"), f"{what}: onError continue cannot go with retries")
    yield from duplicate_params(list(items(pt, "params", path)), what)
    seen: set[str] = set()
    for bpath, binding in items(pt, "workspaces", path):
        bname = text(binding.get("name"))
        if bname in seen:
            yield Issue("duplicate-name", (*bpath, "name"), f"{what} binds workspace '{bname}' twice")
        seen.add(bname)
    when = pt.get("when")
    if isinstance(when, list):
        yield from check_when(when, (*path, "when"), what)
    yield from _matrix(path, pt, what)


def _matrix(path: JsonPath, pt: Mapping[str, Any], what: str) -> Iterator[Issue]:
    matrix = mapping(pt.get("matrix"))
    if not matrix:
        return
    mparams = list(items(matrix, "params", (*path, "matrix")))
    includes = list(items(matrix, "include", (*path, "matrix")))
    yield from duplicate_params(mparams, f"the matrix of {what}")
    for ipath, inc in includes:
        yield from duplicate_params(list(items(inc, "params", ipath)), f"a matrix include of {what}")
    in_matrix = {text(p.get("name")) for _, p in mparams} | {
        text(p.get("name")) for _, inc in includes for _, p in items(inc, "params", ())
    }
    for ppath, param in items(pt, "params", path):
        if text(param.get("name")) in in_matrix:
            yield Issue("invalid-matrix", (*ppath, "name"), f"{what} passes param '{text(param.get('name'))}' both in matrix and in params")
    # The params alone make this many combinations; include can only add more.
    count = 1
    for _, param in mparams:
        value = param.get("value")
        count *= len(value) if isinstance(value, list) else 1
    if mparams and count > MAX_MATRIX_COMBINATIONS:
        yield Issue("invalid-matrix", (*path, "matrix"), f"{what}: the matrix makes {count} combinations, over Tekton's default limit of {MAX_MATRIX_COMBINATIONS}")


def _param_values(pt: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str, str]]:
    """(path, string, how): every string of a pipeline task's params; how is string, array or object."""
    for ppath, param in items(pt, "params", path):
        value = param.get("value")
        if isinstance(value, list) and tekton_type(value) == "array":
            for i, v in enumerate(value):
                yield (*ppath, "value", i), v, "array"
        elif isinstance(value, Mapping) and tekton_type(value) == "object":
            for k, v in value.items():
                yield (*ppath, "value", k), v, "object"
        elif isinstance(value, str):
            yield (*ppath, "value"), value, "string"


def _when_values(pt: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    for wpath, expr in items(pt, "when", path):
        for key in ("input", "cel"):
            if isinstance(expr.get(key), str):
                yield (*wpath, key), expr[key]
        values = expr.get("values")
        for i, v in enumerate(values if isinstance(values, list) else []):
            if isinstance(v, str):
                yield (*wpath, "values", i), v


def _matrix_values(pt: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    matrix = mapping(pt.get("matrix"))
    for ppath, param in items(matrix, "params", (*path, "matrix")):
        value = param.get("value")
        for i, v in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(v, str):
                yield (*ppath, "value", i), v
    for ipath, inc in items(matrix, "include", (*path, "matrix")):
        for ppath, param in items(inc, "params", ipath):
            if isinstance(param.get("value"), str):
                yield (*ppath, "value"), param["value"]


def _values(path: JsonPath, pt: Mapping[str, Any], what: str, arrays: set[str],
            objects: dict[str, set[str]], *, last: bool) -> Iterator[Issue]:
    params = list(_param_values(pt, path))
    strings = [(p, v) for p, v, _ in params] + list(_when_values(pt, path)) + list(_matrix_values(pt, path))
    for vpath, value in strings:
        for expr in tv.expressions(value):
            if expr.split(".", 1)[0] not in _VALID_PREFIXES:
                yield Issue(
                    "invalid-variable", vpath,
                    f"{what}: $({expr}) is no Tekton variable (prefixes: params, tasks, finally, context, "
                    "workspaces, results); for a shell variable write ${VAR}",
                )
    for vpath, value, how in params:
        if "$(" not in value:
            continue
        if tv.TASK_ARTIFACT.search(value):
            yield Issue("alpha-feature", vpath, f"{what}: $(tasks.<task>.outputs...) artifacts need the enable-artifacts feature flag (alpha)")
        for obj, keys in objects.items():
            key = tv.unknown(value, rf"params\.{re.escape(obj)}", keys)
            if key:
                yield Issue("invalid-variable", vpath, f"{what} uses key '{key}' of object param '{obj}', which has no such property")
        if how == "array":
            bad = tv.not_isolated(value, "params", arrays)
        elif how == "string" and re.fullmatch(r"\$\(params(\.[_a-zA-Z0-9.-]+|\[\"[_a-zA-Z0-9.-]+\"\]|\['[_a-zA-Z0-9.-]+'\])\[\*\]\)", value):
            bad = None  # a whole array or object passed on as it is
        else:
            bad = tv.uses_any(value, "params", arrays)
        if bad:
            yield Issue("forbidden-variable", vpath, f"{what} uses array param '{bad}' inside a string; pass it whole as $(params.{bad}[*])")
        for prefix, shown, allowed in _CONTEXT:
            unknown = tv.unknown(value, prefix, allowed)
            if unknown is not None:
                # The webhook checks only the last task of each section (it keeps just those values).
                sev = None if last else Severity.WARNING
                note = "" if last else " (Tekton's webhook misses it here; the run keeps it as written)"
                yield Issue("invalid-variable", vpath, f"{what}: $({shown}.{unknown}) is no Tekton context variable{note}", sev)


def _status_refs(path: JsonPath, pt: Mapping[str, Any], what: str, section: str, names: set[str]) -> Iterator[Issue]:
    """``$(tasks.x.status)`` and ``$(tasks.status)``: only finally tasks may read them."""
    strings = [(p, v) for p, v, _ in _param_values(pt, path)] + list(_when_values(pt, path))
    for vpath, value in strings:
        exprs = list(tv.expressions(value))
        if any(tv.looks_like_result_ref(e) for e in exprs):
            continue
        for expr in exprs:
            m = _STATUS.match(expr)
            if section == "tasks" and (m or expr == "tasks.status"):
                yield Issue("invalid-finally", vpath, f"{what}: only finally tasks may read $({expr})")
            elif section == "finally" and m and m.group(1) not in names and expr != "tasks.status":
                yield Issue("invalid-finally", vpath, f"{what} reads $({expr}) of a task the pipeline does not have")


def _finally(path: JsonPath, pt: Mapping[str, Any], what: str, names: set[str], final_names: set[str]) -> Iterator[Issue]:
    if pt.get("runAfter"):
        yield Issue("invalid-finally", (*path, "runAfter"), f"{what}: finally tasks may not have runAfter")
    strings = [(p, v) for p, v, _ in _param_values(pt, path)] + list(_when_values(pt, path))
    for vpath, value in strings:
        for expr in tv.expressions(value):
            if not tv.looks_like_result_ref(expr):
                continue
            task = expr.split(".")[1]
            if task in final_names:
                yield Issue("invalid-finally", vpath, f"{what} reads a result of finally task '{task}'; finally tasks may read only results of tasks")
            elif task not in names:
                yield Issue("invalid-finally", vpath, f"{what} reads a result of '{task}', which is not a task of the pipeline")


def _matrix_results(tasks: list[Task]) -> Iterator[Issue]:
    """A matrixed task's results may be read only whole, with ``[*]``."""
    matrixed = {text(pt.get("name")) for _, pt in tasks if mapping(pt.get("matrix")).get("params") or mapping(pt.get("matrix")).get("include")}
    if not matrixed:
        return
    for path, pt in tasks:
        for vpath, value, _ in _param_values(pt, path):
            for expr in tv.expressions(value):
                if tv.looks_like_result_ref(expr) and expr.split(".")[1] in matrixed and not expr.endswith("[*]"):
                    yield Issue("invalid-matrix", vpath, f"$({expr}): results of a matrixed task can be read only whole, with [*]")


def _results(base: JsonPath, spec: Mapping[str, Any], label: str, names: set[str], final_names: set[str]) -> Iterator[Issue]:
    for rpath, result in items(spec, "results", base):
        value = result.get("value")
        strings = value if isinstance(value, list) else list(value.values()) if isinstance(value, Mapping) else [value]
        exprs = [e for s in strings if isinstance(s, str) for e in tv.expressions(s)]
        what = f"{label} result '{text(result.get('name'))}'"
        if not exprs or not any(tv.looks_like_result_ref(e) for e in exprs):
            yield Issue("invalid-pipeline-result", (*rpath, "value"), f"{what}: the value must read task results, $(tasks.<task>.results.<name>)")
            continue
        for expr in exprs:
            parts = expr.split(".")
            if tv.looks_like_result_ref(expr) and parts[1] not in (names if parts[0] == "tasks" else final_names):
                yield Issue("invalid-pipeline-result", (*rpath, "value"), f"{what} reads $({expr}) of a task the pipeline does not have")


CHECKS = (check_pipeline_webhook,)
