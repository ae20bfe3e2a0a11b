"""What Tekton's admission webhook rejects in a Task, a StepAction and every inline task spec.

Each check mirrors one part of ``TaskSpec.Validate`` and ``Step.Validate`` (tektoncd/pipeline
``pkg/apis/pipeline/v1/task_validation.go``, ``container_validation.go``,
``param_types.go``, ``result_validation.go``) or ``StepActionSpec.Validate``
(``v1beta1/stepaction_validation.go``), with the webhook's default feature flags.
What the webhook accepts is not reported here, however odd: unquoted ``true`` as a
param default, for instance, is read by Tekton as the string ``"true"``.

Rules: missing-steps, missing-image, script-with-command, step-ref-conflict, invalid-ref,
invalid-on-error, invalid-timeout, reserved-name, workspace-mount-clash, invalid-param-type,
invalid-result, undefined-param, undefined-result, invalid-variable, forbidden-variable,
invalid-when, alpha-feature. See :mod:`.rules`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import tekton_vars as tv
from .model import Issue, JsonPath, LintContext, Resource, items, mapping, text
from .scopes import Scope, scopes
from .tekton_common import check_ref, check_when, duration, param_type, tekton_type

#: Step fields whose variables the webhook checks, and where array params must be isolated.
_STEP_TEXT = ("name", "image", "workingDir", "script")
_STEP_LISTS = ("command", "args")
_REF_FORBIDS = ("image", "command", "args", "script", "workingDir", "env", "volumeMounts", "results")
_ON_ERROR = ("continue", "stopAndFail")
_TYPES = ("string", "array", "object")
#: ``^[_a-zA-Z][_a-zA-Z0-9.-]*$`` for string and array params; object params and keys: no dots.
_OBJECT_NAME = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9-]*$")
_RESULT_VALUE = re.compile(r"\$\(steps\.(.*?)\.results\.(.*?)\)")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_RESULT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
RESERVED_SIDECAR = "tekton-log-results"


def step_strings(step: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str, str]]:
    """The strings of a step the webhook checks for variables: (path, text, field kind).

    The kind is ``list`` for command and args entries (where an array param may
    stand alone), else ``text``.
    """
    for key in (*_STEP_TEXT, "onError"):
        value = step.get(key)
        if isinstance(value, str):
            yield (*path, key), value, "text"
    for key in _STEP_LISTS:
        value = step.get(key)
        if isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, str):
                    yield (*path, key, i), v, "list"
    for epath, env in items(step, "env", path):
        if isinstance(env.get("value"), str):
            yield (*epath, "value"), env["value"], "text"
    for mpath, mount in items(step, "volumeMounts", path):
        for key in ("name", "mountPath", "subPath"):
            if isinstance(mount.get(key), str):
                yield (*mpath, key), mount[key], "text"


def checked_paths(scope: Scope) -> set[JsonPath]:
    """Paths of the strings in which the webhook checks ``$(params...)`` of ``scope``."""
    out: set[JsonPath] = set()
    if scope.kind == "StepAction":
        out.update(p for p, _, _ in _stepaction_strings(scope.spec, scope.path))
    else:
        for spath, step in items(scope.spec, "steps", scope.path):
            out.update(p for p, _, _ in step_strings(step, spath))
    return out


def _stepaction_strings(spec: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str, str]]:
    for path_, value, kind in step_strings(spec, path):
        if path_[len(path)] not in ("name", "workingDir", "onError") and path_[-1] not in ("mountPath", "subPath"):
            yield path_, value, kind


def check_task_webhook(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    for scope in scopes(res):
        yield from _params(scope)
        yield from _variables(scope)
        if scope.kind == "StepAction":
            yield from _stepaction(scope)
            continue
        yield from _results(scope, scope.spec, scope.path, "results")
        steps = list(items(scope.spec, "steps", scope.path))
        if not steps:
            yield Issue("missing-steps", scope.path, f"{scope.label} has no steps: Tekton requires at least one")
        template = mapping(scope.spec.get("stepTemplate"))
        for i, (spath, step) in enumerate(steps):
            yield from _step(scope, spath, step, template, i)
        for i, (cpath, sidecar) in enumerate(items(scope.spec, "sidecars", scope.path)):
            what = f"sidecar '{text(sidecar.get('name')) or i + 1}' of {scope.label}"
            if text(sidecar.get("name")) == RESERVED_SIDECAR:
                yield Issue("reserved-name", (*cpath, "name"), f"{what}: the name {RESERVED_SIDECAR} is Tekton's own")
            if not text(sidecar.get("image")):
                yield Issue("missing-image", cpath, f"{what} has no image")
            if sidecar.get("script") and sidecar.get("command"):
                yield Issue("script-with-command", (*cpath, "script"), f"{what} has both script and command")
        yield from _workspace_mounts(scope, steps, template)


def _step(scope: Scope, path: JsonPath, step: Mapping[str, Any], template: Mapping[str, Any], i: int) -> Iterator[Issue]:
    what = f"step '{text(step.get('name')) or i + 1}' of {scope.label}"
    ref = step.get("ref")
    if ref is not None:
        for key in _REF_FORBIDS:
            value = step.get(key)
            if value not in (None, "") and (key == "env" or value != []):
                yield Issue("step-ref-conflict", (*path, key), f"{what} uses a StepAction (ref), so it may not set {key}")
        yield from check_ref(mapping(ref), (*path, "ref"), what)
    else:
        if step.get("params"):
            yield Issue("step-ref-conflict", (*path, "params"), f"{what} passes params but uses no StepAction (ref)")
        if not text(step.get("image")) and not text(template.get("image")):
            yield Issue("missing-image", path, f"{what} has no image (nor does the stepTemplate)")
        if step.get("script") and step.get("command"):
            yield Issue("script-with-command", (*path, "script"), f"{what} has both script and command; Tekton allows one")
        elif step.get("script") and template.get("command"):
            # Tekton validates each step merged with the stepTemplate (MergeStepsWithStepTemplate).
            yield Issue("script-with-command", (*path, "script"), f"{what} has a script, and the stepTemplate gives it a command; Tekton allows one")
    timeout = step.get("timeout")
    if timeout is not None and "timeout" in step:
        seconds = duration(timeout)
        if seconds is None:
            yield Issue("invalid-timeout", (*path, "timeout"), f"{what}: timeout {timeout!r} is not a duration (e.g. 90s, 5m, 1h30m)")
        elif seconds < 0:
            yield Issue("invalid-timeout", (*path, "timeout"), f"{what}: timeout {timeout} is negative")
    on_error = step.get("onError")
    if isinstance(on_error, str) and on_error and not on_error.startswith("$(params") and on_error not in _ON_ERROR:
        yield Issue("invalid-on-error", (*path, "onError"), f"{what}: onError '{on_error}' must be continue or stopAndFail")
    mounts = list(items(step, "volumeMounts", path))
    if ref is None:
        mounts += list(items(template, "volumeMounts", (*scope.path, "stepTemplate")))
    for mpath, mount in mounts:
        yield from _reserved_mount(mpath, mount, what)
    script = step.get("script")
    if isinstance(script, str) and script.strip().startswith("#!win"):
        yield Issue("alpha-feature", (*path, "script"), f"{what}: Windows scripts (#!win) need enable-api-fields: alpha")
    for key in ("stdoutConfig", "stderrConfig"):
        if key in step:
            yield Issue("alpha-feature", (*path, key), f"{what}: {key} needs enable-api-fields: alpha")
    for spath, value, _ in step_strings(step, path):
        if spath[len(path)] in ("name", "image", "script", "workingDir", "volumeMounts") and tv.STEP_RESULT.search(value):
            yield Issue("forbidden-variable", spath, f"{what}: step results may be used only in env, command and args")
        if spath[len(path)] in ("script", "command", "args", "env") and tv.uses_artifacts(value):
            yield Issue("alpha-feature", spath, f"{what}: artifacts ($(steps.<step>.outputs...), $(step.artifacts.path)) need the enable-artifacts feature flag (alpha)")
    yield from _results(scope, step, path, "results", step_results=True)
    when = step.get("when")
    if isinstance(when, list):
        yield from check_when(when, (*path, "when"), what)


def _reserved_mount(path: JsonPath, mount: Mapping[str, Any], what: str) -> Iterator[Issue]:
    mount_path, name = text(mount.get("mountPath")), text(mount.get("name"))
    clean = posixpath.normpath(mount_path) if mount_path else ""
    if clean.startswith("/tekton/") and not clean.startswith("/tekton/home"):
        yield Issue("reserved-name", (*path, "mountPath"), f"{what} mounts '{name}' at {mount_path}: nothing may be mounted under /tekton/")
    if name.startswith("tekton-internal-"):
        yield Issue("reserved-name", (*path, "name"), f"{what} mounts volume '{name}': names starting tekton-internal- are Tekton's own")


def _workspace_mounts(scope: Scope, steps: list[tuple[JsonPath, Mapping[str, Any]]], template: Mapping[str, Any]) -> Iterator[Issue]:
    """A workspace's mount path may be no step's volumeMount path and no other workspace's."""
    taken: dict[str, str] = {}
    for _, step in [*steps, ((), template)]:
        for _, mount in items(step, "volumeMounts", ()):
            if text(mount.get("mountPath")):
                taken.setdefault(posixpath.normpath(text(mount["mountPath"])), f"a volumeMount ({text(mount.get('name'))})")
    for wpath, decl in items(scope.spec, "workspaces", scope.path):
        name = text(decl.get("name"))
        mount_path = text(decl.get("mountPath")) or f"/workspace/{name}"
        clean = posixpath.normpath(mount_path)
        if clean in taken:
            yield Issue(
                "workspace-mount-clash", (*wpath, "mountPath" if "mountPath" in decl else "name"),
                f"{scope.label}: workspace '{name}' would be mounted at {clean}, already used by {taken[clean]}",
            )
        taken.setdefault(clean, f"workspace '{name}'")


def _params(scope: Scope) -> Iterator[Issue]:
    for path, decl in scope.params():
        name = text(decl.get("name"))
        declared = decl.get("type")
        kind = param_type(decl)
        label = f"{scope.label} param '{name}'"
        if declared is not None and declared not in _TYPES:
            yield Issue("invalid-param-type", (*path, "type"), f"{label}: type '{declared}' is not string, array or object")
            continue
        default = decl.get("default")
        if default is not None and tekton_type(default) != kind:
            yield Issue(
                "invalid-param-type", (*path, "default"),
                f"{label} is of type {kind}, but Tekton reads its default as {_article(tekton_type(default))}",
            )
        props = decl.get("properties")
        if kind == "object":
            if props is None:
                yield Issue("invalid-param-type", path, f"{label} is an object param without properties")
            for key, prop in mapping(props).items():
                ptype = mapping(prop).get("type", "string")
                if ptype != "string":
                    yield Issue("invalid-param-type", (*path, "properties", key), f"{label}: property '{key}' must be of type string")
                if not _OBJECT_NAME.match(str(key)):
                    yield Issue("invalid-name", (*path, "properties", key), f"{label}: key '{key}' may hold only letters, digits, '_' and '-'")
            if name and not _OBJECT_NAME.match(name):
                yield Issue("invalid-name", (*path, "name"), f"{label}: an object param's name may hold only letters, digits, '_' and '-'")
        enum = decl.get("enum")
        if isinstance(enum, list) and enum:
            yield Issue("alpha-feature", (*path, "enum"), f"{label}: enum needs the enable-param-enum feature flag (alpha)")
            if kind != "string":
                yield Issue("invalid-param-type", (*path, "enum"), f"{label}: only string params may have an enum")
            if isinstance(default, str) and default and default not in enum:
                yield Issue("invalid-param-type", (*path, "default"), f"{label}: default '{default}' is not in its enum")
            if len({str(v) for v in enum}) != len(enum):
                yield Issue("invalid-param-type", (*path, "enum"), f"{label}: an enum value appears twice")


def _results(scope: Scope, owner: Mapping[str, Any], base: JsonPath, key: str, *, step_results: bool = False) -> Iterator[Issue]:
    for path, result in items(owner, key, base):
        name = text(result.get("name"))
        label = f"{scope.label} {'step ' if step_results else ''}result '{name}'"
        if step_results and name and not _RESULT_NAME.match(name):
            yield Issue("invalid-name", (*path, "name"), f"{label}: result names hold letters, digits, '-', '_' and '.'")
        rtype = result.get("type")
        if rtype not in (None, "", *_TYPES):
            yield Issue("invalid-result", (*path, "type"), f"{label}: type '{rtype}' is not string, array or object")
        if rtype == "object":
            props = result.get("properties")
            if props is None:
                yield Issue("invalid-result", path, f"{label} is an object result without properties")
            for pkey, prop in mapping(props).items():
                if mapping(prop).get("type", "string") != "string":
                    yield Issue("invalid-result", (*path, "properties", pkey), f"{label}: property '{pkey}' must be of type string")
        if not step_results and "value" in result and result["value"] is not None:
            yield from _result_value(path, result["value"], label)


def _result_value(path: JsonPath, value: object, label: str) -> Iterator[Issue]:
    if tekton_type(value) != "string":
        yield Issue("invalid-result", (*path, "value"), f"{label}: value must be a string $(steps.<step>.results.<name>)")
        return
    value = value if isinstance(value, str) else str(value)  # Tekton reads 5 as "5"
    if not value:
        return
    m = _RESULT_VALUE.search(value)
    if m is None:
        yield Issue("invalid-result", (*path, "value"), f"{label}: value must look like $(steps.<step>.results.<name>)")
    elif not _DNS_LABEL.match(m.group(1)) or not _RESULT_NAME.match(m.group(2)):
        yield Issue("invalid-result", (*path, "value"), f"{label}: '{m.group(0)}' names no valid step and result")


def _variables(scope: Scope) -> Iterator[Issue]:
    """Variables in step fields, as ``ValidateUsageOfDeclaredParameters`` and friends read them."""
    decls = scope.params()
    known = {text(d.get("name")) for _, d in decls} | scope.checked_params
    types = {text(d.get("name")): param_type(d) for _, d in decls}
    arrays = {n for n, t in types.items() if t == "array"}
    objects = {text(d.get("name")): set(mapping(d.get("properties"))) for _, d in decls if types.get(text(d.get("name"))) == "object"}
    results = {text(r.get("name")) for _, r in items(scope.spec, "results", ())}
    if scope.kind == "StepAction":
        strings = [(scope.spec, list(_stepaction_strings(scope.spec, scope.path)), scope.label)]
    else:
        strings = [
            (step, list(step_strings(step, spath)), f"step '{text(step.get('name')) or i + 1}' of {scope.label}")
            for i, (spath, step) in enumerate(items(scope.spec, "steps", scope.path))
        ]
    for step, fields, what in strings:
        for path, value, kind in fields:
            if "$(" not in value:
                continue
            missing = tv.unknown(value, "params", known)
            if missing == "":
                yield Issue("invalid-variable", path, f"{what}: '{value[:60]}' refers to a param with more than two dotted parts; use $(params[\"a.b\"])")
            elif missing is not None:
                yield Issue("undefined-param", path, f"{what} uses $(params.{missing}), but {scope.label} declares no param '{missing}'")
            for obj, keys in objects.items():
                key = tv.unknown(value, rf"params\.{re.escape(obj)}", keys)
                if key:
                    yield Issue("invalid-variable", path, f"{what} uses key '{key}' of object param '{obj}', which has no such property")
            if path[-1] == "onError":
                continue  # only unknown params are refused there
            whole = tv.uses_whole(value, "params", set(objects))
            if whole:
                yield Issue("forbidden-variable", path, f"{what} uses object param '{whole}' whole; use one of its keys")
            array = tv.not_isolated(value, "params", arrays) if kind == "list" else tv.uses_any(value, "params", arrays)
            if array:
                where = "must stand alone in a command or args entry" if kind == "list" else "may be used only as a whole command or args entry"
                yield Issue("forbidden-variable", path, f"{what} uses array param '{array}' where it {where}")
            if scope.kind != "StepAction":
                for prefix, shown, allowed in _CONTEXT:
                    bad = tv.unknown(value, prefix, allowed)
                    if bad is not None:
                        yield Issue("invalid-variable", path, f"{what}: $({shown}.{bad}) is no Tekton context variable")
            if path[-1] == "script":
                yield from _script_results(scope, step, path, value, results, what)


_CONTEXT = (
    (r"context\.taskRun", "context.taskRun", frozenset({"name", "namespace", "uid"})),
    (r"context\.task", "context.task", frozenset({"name", "retry-count"})),
)


def _script_results(scope: Scope, step: Mapping[str, Any], path: JsonPath, script: str,
                    results: set[str], what: str) -> Iterator[Issue]:
    """``$(results.x.path)`` and ``$(step.results.x.path)`` of undeclared results in a script."""
    own = {text(r.get("name")) for _, r in items(step, "results", ())}
    checks: list[tuple[str, str, set[str]]] = []
    if scope.kind == "StepAction":
        checks = [("results", "results", own), (r"step\.results", "step.results", own)]
        if tv.extract(script, "params") is not None:
            yield Issue("forbidden-variable", path, f"{what}: Tekton refuses $(params...) in a StepAction's script; pass params through env")
    else:
        checks = [("results", "results", results)]
        if "results" in step:
            checks.append((r"step\.results", "step.results", own))
    for prefix, shown, declared in checks:
        bad = tv.unknown(script, prefix, declared)
        if bad:
            yield Issue("undefined-result", path, f"{what} writes $({shown}.{bad}.path), but declares no result '{bad}'")


def _stepaction(scope: Scope) -> Iterator[Issue]:
    spec, path = scope.spec, scope.path
    if not text(spec.get("image")):
        yield Issue("missing-image", path, f"{scope.label} has no image")
    if spec.get("script") and spec.get("command"):
        yield Issue("script-with-command", (*path, "script"), f"{scope.label} has both script and command")
    names = {text(d.get("name")) for _, d in scope.params()}
    for mpath, mount in items(spec, "volumeMounts", path):
        name = text(mount.get("name"))
        found = tv.extract(name, "params")
        if found is None or found.first != name:
            yield Issue("invalid-variable", (*mpath, "name"), f"{scope.label}: a volumeMount name must be one $(params.x) reference, not '{name}'")
        elif tv.unknown(name, "params", names):
            pass  # reported as undefined-param by _variables
    yield from _results(scope, spec, path, "results", step_results=True)


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


CHECKS = (check_task_webhook,)
