"""Checks of task-like specs (Tasks, StepActions, inline taskSpecs): references and names.

Rules: undefined-param and undefined-result (warnings, where Tekton's webhook does not
look; :mod:`.tekton_task` reports the rest), unused-param, invalid-param-type (object
defaults missing keys), undefined-workspace,
unused-workspace, undefined-result, unused-result, duplicate-name, duplicate-env,
undefined-volume, invalid-name, kebab-case (workspaces). See :mod:`.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .model import Issue, JsonPath, LintContext, Resource, Severity, items, mapping, text
from .refs import walk_strings
from .scopes import DNS_LABEL, KEBAB, PARAM_NAME, RESULT_NAME, Scope, scopes
from .tekton_task import checked_paths


def check_params(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    for scope in scopes(res):
        decls = scope.params()
        declared = {text(d.get("name")) for _, d in decls}
        used: set[str] = set()
        checked = checked_paths(scope)  # where tekton_task reports what the webhook refuses
        for path, ref in scope.refs():
            if ref.root != "params" or not ref.name:
                continue
            used.add(ref.name)
            if ref.name not in declared and ref.name not in scope.outer_params and not (path in checked and ref.text.startswith("$(params")):
                yield Issue(
                    "undefined-param", path,
                    f"{scope.label} uses {ref.text}, but declares no param '{ref.name}' (Tekton does not check "
                    "this field: the text stays as written when it runs)", Severity.WARNING,
                )
        for path, decl in decls:
            name = text(decl.get("name"))
            if name and name not in used:
                yield Issue("unused-param", path, f"{scope.label} declares param '{name}', but nothing uses it")
            yield from _object_default(path, decl, scope.label)


def _object_default(path: JsonPath, decl: Mapping[str, Any], label: str) -> Iterator[Issue]:
    """An object param's default without all its keys: Tekton accepts the Task, but a run
    that passes no value fails for the missing keys."""
    default, props = decl.get("default"), decl.get("properties")
    if isinstance(default, Mapping) and isinstance(props, Mapping):
        missing = sorted(set(props) - set(default))
        if missing:
            yield Issue(
                "invalid-param-type", (*path, "default"),
                f"{label} object param '{text(decl.get('name'))}' default lacks key(s) {', '.join(missing)}: "
                "runs that pass no value fail", Severity.WARNING,
            )


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value) if isinstance(value, (int, float)) or value is None else type(value).__name__


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def check_workspaces(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    for scope in scopes(res):
        if scope.kind == "StepAction":
            continue  # a StepAction reads the workspaces of the Task that uses it
        decls = list(items(scope.spec, "workspaces", scope.path))
        declared = {text(d.get("name")) for _, d in decls}
        known = declared | scope.outer_workspaces
        used: set[str] = set()
        for path, ref in scope.refs():
            if ref.root == "workspaces" and ref.name:
                used.add(ref.name)
                if ref.name not in known:
                    # Tekton accepts the Task (its webhook reads no $(workspaces...)); the run
                    # keeps the text as written, which a shell then tries to run.
                    yield Issue(
                        "undefined-workspace", path,
                        f"{scope.label} uses {ref.text}, but declares no workspace '{ref.name}' (it stays unreplaced)",
                        Severity.WARNING,
                    )
        for cpath, container, what in scope.containers():
            for bpath, binding in items(container, "workspaces", cpath):
                name = text(binding.get("name"))
                used.add(name)
                if name and name not in known:
                    yield Issue("undefined-workspace", (*bpath, "name"), f"{what} binds workspace '{name}', which {scope.label} does not declare")
        strings: list[str] | None = None
        for path, decl in decls:
            name = text(decl.get("name"))
            if name and not KEBAB.match(name):
                yield Issue("kebab-case", (*path, "name"), f"workspace name '{name}' is not kebab-case")
            if not name or name in used or text(decl.get("mountPath")):
                continue  # a workspace mounted where a tool looks for it is used by being there
            if strings is None:
                strings = [s for _, s in walk_strings(scope.spec, scope.path) if "/" in s]
            pattern = re.compile(re.escape(f"/workspace/{name}") + r"(?![\w.-])")
            if not any(pattern.search(s) for s in strings):
                yield Issue("unused-workspace", path, f"{scope.label} declares workspace '{name}', but nothing uses it")


def check_results(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    for scope in scopes(res):
        key = "results"
        decls = list(items(scope.spec, key, scope.path))
        declared = {text(d.get("name")) for _, d in decls}
        written: set[str] = set()
        step_results: dict[JsonPath, set[str]] = {}
        for cpath, container, _ in scope.containers():
            if scope.kind != "StepAction":
                step_results[cpath] = {text(d.get("name")) for _, d in items(container, "results", cpath)}
        for path, ref in scope.refs():
            in_script = path[-1] == "script"  # where the webhook checks them (tekton_task)
            if ref.root == "results" and ref.name:
                written.add(ref.name)
                if scope.kind != "StepAction" and ref.name not in declared and not in_script:
                    yield Issue("undefined-result", path, f"{scope.label} uses {ref.text}, but declares no result '{ref.name}'", Severity.WARNING)
            elif ref.root == "step" and ref.parts[:1] == ("results",) and len(ref.parts) > 1 and not in_script:
                own = declared if scope.kind == "StepAction" else _step_of(path, step_results)
                if own is not None and ref.parts[1] not in own:
                    yield Issue("undefined-result", path, f"{ref.text} names a result its step does not declare", Severity.WARNING)
        if scope.kind == "StepAction" or _uses_step_actions(scope):
            continue  # results may be written by StepActions this linter does not see
        strings: list[str] | None = None
        for path, decl in decls:
            name = text(decl.get("name"))
            if not name or name in written or "value" in decl:
                continue
            if strings is None:
                strings = [s for _, s in walk_strings(scope.spec, scope.path) if "results" in s]
            literal = re.compile(r"/tekton/results/" + re.escape(name) + r"(?![\w.-])")
            if not any(literal.search(s) for s in strings):
                yield Issue("unused-result", path, f"{scope.label} declares result '{name}', but no step writes it")


def _step_of(path: JsonPath, step_results: dict[JsonPath, set[str]]) -> set[str] | None:
    for cpath, declared in step_results.items():
        if path[: len(cpath)] == cpath:
            return declared
    return None


def _uses_step_actions(scope: Scope) -> bool:
    return any("ref" in step for _, step in items(scope.spec, "steps", ()))


def check_names(res: Resource, ctx: LintContext) -> Iterator[Issue]:
    """duplicate-name, duplicate-env, undefined-volume and invalid-name within each scope."""
    for scope in scopes(res):
        for key, what in (("params", "param"), ("workspaces", "workspace"), ("results", "result"),
                          ("steps", "step"), ("sidecars", "sidecar"), ("volumes", "volume")):
            entries = scope.named(key) if key != "params" else [(p, text(d.get("name"))) for p, d in scope.params()]
            yield from duplicates(entries, what, scope.label)
            for path, name in entries:
                bad = _invalid_name(key, name)
                if bad:
                    yield Issue("invalid-name", (*path, "name"), f"{what} name '{name}' {bad}")
        volumes = {n for _, n in scope.named("volumes")} | _pod_template_volumes(res)
        for cpath, container, what in scope.containers():
            env = [(p, text(e.get("name"))) for p, e in items(container, "env", cpath) if text(e.get("name"))]
            seen: set[str] = set()
            for path, name in env:
                if name in seen:
                    yield Issue("duplicate-env", (*path, "name"), f"{what} of {scope.label} sets env variable '{name}' twice")
                seen.add(name)
            if scope.kind == "StepAction":
                continue
            for mpath, mount in items(container, "volumeMounts", cpath):
                name = text(mount.get("name"))
                if name and "$(" not in name and name not in volumes:
                    yield Issue(
                        "undefined-volume", (*mpath, "name"),
                        f"{what} mounts volume '{name}', which {scope.label} does not define (runs fail unless "
                        "their podTemplate does)",
                    )


def _pod_template_volumes(res: Resource) -> set[str]:
    """Volumes a run's pod template adds to its inline task (TaskRun podTemplate,
    PipelineRun taskRunTemplate.podTemplate and taskRunSpecs[].podTemplate)."""
    templates = [mapping(res.spec.get("podTemplate")), mapping(mapping(res.spec.get("taskRunTemplate")).get("podTemplate"))]
    templates += [mapping(t.get("podTemplate")) for _, t in items(res.spec, "taskRunSpecs", ())]
    return {text(v.get("name")) for t in templates for _, v in items(t, "volumes", ())}


def _invalid_name(key: str, name: str) -> str:
    if key in ("steps", "sidecars") and not DNS_LABEL.match(name):
        return "is not a DNS-1123 label (lowercase letters, digits and '-', at most 63)"
    if key == "params" and not PARAM_NAME.match(name):
        return "may hold only letters, digits, '_', '-' and '.', and must not start with a digit"
    if key == "results" and not RESULT_NAME.match(name):
        return "may hold only letters, digits, '_', '-' and '.', starting and ending alphanumeric"
    return ""


def duplicates(entries: Iterable[tuple[JsonPath, str]], what: str, label: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for path, name in entries:
        if name in seen:
            yield Issue("duplicate-name", (*path, "name"), f"{label} has two {what}s named '{name}'")
        seen.add(name)


CHECKS = (check_params, check_workspaces, check_results, check_names)
