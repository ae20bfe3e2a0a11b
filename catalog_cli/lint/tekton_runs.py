"""What Tekton's admission webhook rejects in a TaskRun or a PipelineRun, on creation.

Mirrors ``TaskRunSpec.Validate`` and ``PipelineRunSpec.Validate`` (tektoncd/pipeline
``pkg/apis/pipeline/v1/taskrun_validation.go``, ``pipelinerun_validation.go``,
``workspace_validation.go``) with the default config: a 60-minute default
timeout, beta API fields. Their inline task and pipeline specs are checked by
:mod:`.tekton_task` and :mod:`.tekton_pipeline` like any other.

Rules: ref-or-spec, invalid-ref, duplicate-name, invalid-workspace-binding, invalid-run,
alpha-feature.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import tekton_vars as tv
from .model import Issue, JsonPath, LintContext, Resource, items, mapping, text
from .tekton_common import check_bindings, check_ref, duplicate_params, duration, tekton_type

DEFAULT_TIMEOUT = 60 * 60.0  # seconds: default-timeout-minutes
_TASKRUN_STATUS = ("", "TaskRunCancelled", "TaskRunPending")
_PIPELINERUN_STATUS = ("", "Cancelled", "CancelledRunFinally", "StoppedRunFinally", "PipelineRunPending")


def check_runs(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    if res.kind == "TaskRun":
        yield from _taskrun(res.spec, res.label)
    elif res.kind == "PipelineRun":
        yield from _pipelinerun(res.spec, res.label)


def _exactly_one(spec: Mapping[str, Any], ref: str, inline: str, label: str) -> Iterator[Issue]:
    given = [k for k in (ref, inline) if spec.get(k) is not None]
    if len(given) != 1:
        how = "neither" if not given else "both"
        yield Issue("ref-or-spec", ("spec",), f"{label} needs exactly one of {ref} and {inline}, has {how}")
    value = mapping(spec.get(ref))
    if value and "bundle" not in value:
        yield from check_ref(value, ("spec", ref), label)


def _negative(spec: Mapping[str, Any], path: JsonPath, key: str, label: str) -> Iterator[Issue]:
    seconds = duration(spec.get(key))
    if seconds is not None and seconds < 0:
        yield Issue("invalid-run", (*path, key), f"{label}: {key} {spec[key]} is negative")
    elif seconds is None and isinstance(spec.get(key), str):
        yield Issue("invalid-run", (*path, key), f"{label}: {key} {spec[key]!r} is not a duration (e.g. 90s, 1h30m)")


def _names(entries: list[tuple[JsonPath, Mapping[str, Any]]], what: str, label: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for path, entry in entries:
        name = text(entry.get("name"))
        if not name:
            yield Issue("invalid-run", path, f"{label}: a {what} without a name")
        elif name.lower() in seen:
            yield Issue("duplicate-name", (*path, "name"), f"{label} has two {what}s for '{name}'")
        seen.add(name.lower())


def _overrides(spec: Mapping[str, Any], path: JsonPath, label: str) -> Iterator[Issue]:
    steps = list(items(spec, "stepSpecs", path))
    yield from _names(steps, "stepSpec", label)
    yield from _names(list(items(spec, "sidecarSpecs", path)), "sidecarSpec", label)
    if spec.get("computeResources") and any(s.get("computeResources") for _, s in steps):
        yield Issue("invalid-run", (*path, "computeResources"), f"{label}: computeResources and stepSpecs resources exclude each other")


def _taskrun(spec: Mapping[str, Any], label: str) -> Iterator[Issue]:
    yield from _exactly_one(spec, "taskRef", "taskSpec", label)
    yield from duplicate_params(list(items(spec, "params", ("spec",))), label, fold_case=True)
    yield from check_bindings(items(spec, "workspaces", ("spec",)), label)
    if "debug" in spec:
        yield Issue("alpha-feature", ("spec", "debug"), f"{label}: debug needs enable-api-fields: alpha")
    yield from _overrides(spec, ("spec",), label)
    status = spec.get("status", "")
    if status not in _TASKRUN_STATUS:
        yield Issue("invalid-run", ("spec", "status"), f"{label}: status '{status}' must be TaskRunCancelled or TaskRunPending")
    if not status and spec.get("statusMessage"):
        yield Issue("invalid-run", ("spec", "statusMessage"), f"{label}: statusMessage without status")
    retries = spec.get("retries")
    if isinstance(retries, int) and retries < 0:
        yield Issue("invalid-run", ("spec", "retries"), f"{label}: retries must be >= 0")
    yield from _negative(spec, ("spec",), "timeout", label)


def _pipelinerun(spec: Mapping[str, Any], label: str) -> Iterator[Issue]:
    yield from _exactly_one(spec, "pipelineRef", "pipelineSpec", label)
    params = list(items(spec, "params", ("spec",)))
    yield from duplicate_params(params, label, fold_case=True)
    for ppath, param in params:
        value = param.get("value")
        strings: list[str] = [value] if isinstance(value, str) else value if isinstance(value, list) and tekton_type(value) == "array" else []
        if any(tv.looks_like_result_ref(e) for s in strings for e in tv.expressions(s)):
            yield Issue("invalid-run", (*ppath, "value"), f"{label}: a PipelineRun param cannot read task results")
    yield from check_bindings(items(spec, "workspaces", ("spec",)), label)
    status = spec.get("status", "")
    if status not in _PIPELINERUN_STATUS:
        yield Issue("invalid-run", ("spec", "status"), f"{label}: status '{status}' must be one of {', '.join(_PIPELINERUN_STATUS[1:])}")
    yield from _timeouts(mapping(spec.get("timeouts")), label)
    for tpath, trs in items(spec, "taskRunSpecs", ("spec",)):
        yield from _overrides(trs, tpath, label)
        yield from _negative(trs, tpath, "timeout", label)


def _timeouts(timeouts: Mapping[str, Any], label: str) -> Iterator[Issue]:
    path = ("spec", "timeouts")
    values: dict[str, float] = {}
    for key in ("pipeline", "tasks", "finally"):
        seconds = duration(timeouts.get(key))
        if seconds is None:
            if isinstance(timeouts.get(key), str):
                yield Issue("invalid-run", (*path, key), f"{label}: timeouts.{key} {timeouts[key]!r} is not a duration (e.g. 90s, 1h30m)")
            continue
        if seconds < 0:
            yield Issue("invalid-run", (*path, key), f"{label}: timeouts.{key} is negative")
        values[key] = seconds
    if not timeouts:
        return
    limit = values.get("pipeline", DEFAULT_TIMEOUT)
    if limit == 0:
        return  # no timeout for the pipeline: anything goes
    for key in ("tasks", "finally"):
        if key in values and (values[key] > limit or values[key] == 0):
            yield Issue("invalid-run", (*path, key), f"{label}: timeouts.{key} must not exceed the pipeline's timeout ({limit:g} s)")
    if "tasks" in values and "finally" in values and values["tasks"] + values["finally"] > limit:
        yield Issue("invalid-run", path, f"{label}: timeouts.tasks + timeouts.finally exceed the pipeline's timeout")


CHECKS = (check_runs,)
