"""Finding the files to lint and reading them into :class:`Resource` objects.

A file that cannot be read becomes a finding, never an exception, so one bad
file does not stop a run over a whole catalog. Only paths that do not exist, and
directories holding no YAML, are errors of the run itself.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, NotFound
from ..yamlio import MAX_DEPTH, compose_all, construct, read_text
from .model import Finding, Resource, Severity

#: Kinds that are linted. Other Tekton kinds (runs, triggers) are accepted and skipped.
LINTED_KINDS = frozenset({"Task", "Pipeline", "StepAction", "PipelineResource", "Condition", "ClusterTask"})
#: Every kind of tekton.dev and its sub-groups (triggers, resolution): another kind is a typo.
TEKTON_KINDS = LINTED_KINDS | {
    "TaskRun", "PipelineRun", "CustomRun", "Run", "ResolutionRequest", "VerificationPolicy",
    "EventListener", "Trigger", "TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate",
    "Interceptor", "ClusterInterceptor",
}
YAML_SUFFIXES = (".yaml", ".yml")
HELPER_DIRS = frozenset({"samples", "tests"})
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__"})


@dataclass(frozen=True)
class Source:
    """A file to lint: how to show it, and whether the user named it (not found by walking)."""

    path: Path
    explicit: bool
    helper: bool


def discover(paths: Iterable[str | Path]) -> list[Source]:
    """The files under ``paths``, in order, each once. Raises for missing paths and empty folders."""
    out: list[Source] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise NotFound("no such file or directory", str(path))
        if path.is_dir():
            found = _walk(path)
            if not found:
                raise InputError("no YAML files (*.yaml, *.yml) in this directory", str(path))
            sources = [Source(f, False, bool(HELPER_DIRS & set(f.relative_to(path).parts[:-1]))) for f in found]
        else:
            sources = [Source(path, True, path.parent.name in HELPER_DIRS)]
        for src in sources:
            key = src.path.resolve()
            if key not in seen:
                seen.add(key)
                out.append(src)
    return out


def _walk(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if (path.suffix in YAML_SUFFIXES and not _SKIP_DIRS & set(path.relative_to(root).parts)
                and not _template_source(path) and path.is_file()):
            found.append(path)
    return found


def _template_source(path: Path) -> bool:
    """A scaffolding template's source file (``template/<name>/<version>/files/...``): YAML
    with ``((placeholders))``, linted once rendered (the scaffold tests), not as it is."""
    parts = path.absolute().parts
    return any(parts[i] == "template" and parts[i + 3] == "files" for i in range(len(parts) - 4))


def read(src: Source) -> tuple[list[Resource], list[Finding]]:
    """The linted resources of one file, and the findings about the file itself."""
    name = str(src.path)
    try:
        text = read_text(src.path)
    except InputError as exc:
        return [], [_file_finding(name, "yaml-syntax", exc)]
    if not text.strip():
        return [], [Finding(name, 1, "not-tekton", Severity.ERROR, "file is empty")] if src.explicit else []
    try:
        nodes = compose_all(text, name)
    except InputError as exc:
        return [], [_file_finding(name, "yaml-syntax", exc)]
    resources: list[Resource] = []
    problems: list[Finding] = []
    kinds: list[str] = []
    tekton = False
    for index, node in enumerate(nodes):
        try:
            data = construct(node, name)
        except InputError as exc:
            return [], [_file_finding(name, "yaml-syntax", exc)]
        problem = _sanitize(data)
        if problem:
            return [], [Finding(name, node.start_mark.line + 1, "yaml-syntax", Severity.ERROR, problem)]
        if not isinstance(data, Mapping):
            kinds.append(type(data).__name__)
            continue
        api, kind = data.get("apiVersion"), data.get("kind")
        kinds.append(f"{api}/{kind}" if api or kind else "an object without apiVersion and kind")
        line = node.start_mark.line + 1
        if api is None and kind in LINTED_KINDS:
            problems.append(Finding(name, line, "not-tekton", Severity.ERROR, f"a {kind} without apiVersion (tekton.dev/v1?)"))
            tekton = True
            continue
        if not _is_tekton(api):
            continue
        tekton = True
        if kind not in TEKTON_KINDS:
            problems.append(Finding(name, line, "not-tekton", Severity.ERROR, f"{api} has no kind {kind!r}"))
        elif kind in LINTED_KINDS:
            resources.append(Resource(name, index, data, node, src.helper))
    if src.explicit and not tekton:
        what = ", ".join(dict.fromkeys(kinds)) or "no YAML document"
        return [], [Finding(name, 1, "not-tekton", Severity.ERROR, f"not a Tekton resource: found {what}")]
    return resources, problems


def _is_tekton(api: object) -> bool:
    group = api.partition("/")[0] if isinstance(api, str) else ""
    return group == "tekton.dev" or group.endswith(".tekton.dev")


def _file_finding(name: str, rule: str, exc: InputError) -> Finding:
    line = 1
    where = exc.where or ""
    if where.startswith(name + ":") and where[len(name) + 1:].isdigit():
        line = int(where[len(name) + 1:])
    return Finding(name, line, rule, Severity.ERROR, exc.message)


def _sanitize(data: Any) -> str:
    """Make ``data`` safe to walk: refuse cycles and deep nesting; dates become strings.

    YAML gives dates for unquoted ``2024-01-01``; the Kubernetes YAML reader gives
    strings, so the schema must see strings too. Returns a problem, or ``""``.
    """
    stack: list[tuple[Any, int, bool]] = [(data, 0, False)]
    active: set[int] = set()
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            active.discard(id(node))
            continue
        if isinstance(node, (dict, list)):
            if id(node) in active:
                return "a YAML alias refers to a node that contains it (a recursive alias)"
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            active.add(id(node))
            stack.append((node, depth, True))
            pairs = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in list(pairs):
                if isinstance(value, (datetime.date, datetime.datetime)):
                    node[key] = value.isoformat()
                elif isinstance(value, (dict, list)):
                    stack.append((value, depth + 1, False))
    return ""
