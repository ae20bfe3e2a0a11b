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

import yaml

from .. import versions
from ..errors import InputError, NotFound
from ..layout import KIND_FOLDERS
from ..yamlio import MAX_DEPTH, compose_all, construct, read_text
from .model import Finding, Resource, Severity

#: The kinds of each Tekton API group and the versions they were ever served in. A
#: known kind in another version (``tekton.dev/v2``) is an error; removed versions
#: and kinds are let through to the ``removed-api`` rule.
API_KINDS: dict[str, dict[str, frozenset[str]]] = {
    "tekton.dev": {
        "Task": frozenset({"v1", "v1beta1", "v1alpha1"}), "Pipeline": frozenset({"v1", "v1beta1", "v1alpha1"}),
        "TaskRun": frozenset({"v1", "v1beta1", "v1alpha1"}), "PipelineRun": frozenset({"v1", "v1beta1", "v1alpha1"}),
        "StepAction": frozenset({"v1alpha1", "v1beta1"}), "CustomRun": frozenset({"v1beta1"}),
        "Run": frozenset({"v1alpha1"}), "PipelineResource": frozenset({"v1alpha1"}),
        "Condition": frozenset({"v1alpha1"}), "ClusterTask": frozenset({"v1beta1", "v1alpha1"}),
        "VerificationPolicy": frozenset({"v1alpha1"}),
    },
    "triggers.tekton.dev": {
        kind: frozenset({"v1alpha1", "v1beta1"})
        for kind in ("EventListener", "Trigger", "TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate",
                     "Interceptor", "ClusterInterceptor")
    },
    "resolution.tekton.dev": {"ResolutionRequest": frozenset({"v1alpha1", "v1beta1"})},
    # Known, but not Tekton Pipelines' own: Pipelines-as-Code and the Dashboard.
    "pipelinesascode.tekton.dev": {"Repository": frozenset({"v1alpha1"})},
    "dashboard.tekton.dev": {"Extension": frozenset({"v1alpha1"})},
}
#: Kinds that are linted; other known kinds are reported as not checked.
LINTED_KINDS = frozenset({
    "Task", "Pipeline", "StepAction", "TaskRun", "PipelineRun", "PipelineResource", "Condition", "ClusterTask",
    "EventListener", "Trigger", "TriggerBinding", "ClusterTriggerBinding", "TriggerTemplate",
})
TEKTON_KINDS = frozenset(k for kinds in API_KINDS.values() for k in kinds)
YAML_SUFFIXES = (".yaml", ".yml")
HELPER_DIRS = frozenset({"samples", "tests", "spec"})
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
            sources = [Source(f, False, is_helper(f.relative_to(path).parts[:-1]) or beside_an_entry(f))
                       for f in found]
        else:
            sources = [Source(path, True, is_helper(path.parent.parts[-1:]) or beside_an_entry(path))]
        for src in sources:
            key = src.path.resolve()
            if key not in seen:
                seen.add(key)
                out.append(src)
    return out


def is_helper(folders: Iterable[str]) -> bool:
    """Whether a file in these folders is a fixture rather than a catalog entry: under
    samples/ or spec/, or under a folder whose name starts with test (tests/, testdata/)."""
    return any(f in HELPER_DIRS or f.startswith("test") for f in folders)


def beside_an_entry(path: Path) -> bool:
    """Whether ``path`` sits in a catalog resource's folder without being the resource
    itself, as the index reads a catalog (:mod:`catalog_cli.layout`): a file under
    ``<kind>/<name>/<version>/`` other than ``<name>.yaml`` (the Tasks a Pipeline keeps
    in ``pipeline/openwhisk/0.1/tasks/``), or under a TEP-0115 ``<kind>/<name>/`` that
    holds ``<name>.yaml``. Such a file is no catalog entry, so the catalog's metadata
    rules do not apply to it. A lone file of a version folder that lacks ``<name>.yaml``
    may be the entry, misnamed: it stays an entry, for path-mismatch to say so."""
    parts = path.absolute().parts
    spots = [i for i in range(len(parts) - 2) if parts[i] in KIND_FOLDERS]
    if any(_is_entry(parts[i + 1], parts[i + 2:]) for i in spots):
        return False
    for i in spots:
        name, rest, top = parts[i + 1], parts[i + 2:], Path(*parts[: i + 2])
        if len(rest) >= 2 and versions.is_version(rest[0]):
            if len(rest) > 2 or (top / rest[0] / f"{name}.yaml").is_file():
                return True
        elif (top / f"{name}.yaml").is_file():
            return True
    return False


def _is_entry(name: str, rest: tuple[str, ...]) -> bool:
    """``rest`` (after ``<kind>/<name>/``) is ``<name>.yaml`` or ``<version>/<name>.yaml``."""
    entry = f"{name}.yaml"
    return rest == (entry,) or (len(rest) == 2 and rest[1] == entry and versions.is_version(rest[0]))


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
        return [], [_unparsable(name, text, exc)]
    resources: list[Resource] = []
    problems: list[Finding] = []
    kinds: list[str] = []
    tekton = False
    for index, node in enumerate(nodes):
        try:
            data = construct(node, name)
        except InputError as exc:
            return [], [_unparsable(name, text, exc)]
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
        problems.extend(duplicate_keys(name, node))
        assert isinstance(api, str)
        group, _, version = api.partition("/")
        known = API_KINDS.get(group, {})
        if not isinstance(kind, str) or (known and kind not in known):
            problems.append(Finding(name, line, "not-tekton", Severity.ERROR, f"{api} has no kind {kind!r}"))
        elif kind in known and version not in known[kind]:
            served = ", ".join(f"{group}/{v}" for v in sorted(known[kind]))
            problems.append(Finding(name, line, "unknown-api", Severity.ERROR, f"{kind} is not served as {api} (known: {served})"))
        elif kind in LINTED_KINDS:
            resources.append(Resource(name, index, data, node, src.helper))
        else:
            problems.append(Finding(name, line, "not-checked", Severity.INFO, f"{api} {kind}: catalog lint does not check this kind"))
    if src.explicit and not tekton:
        what = ", ".join(dict.fromkeys(kinds)) or "no YAML document"
        return [], [Finding(name, 1, "not-tekton", Severity.ERROR, f"not a Tekton resource: found {what}")]
    return resources, problems


def _unparsable(name: str, text: str, exc: InputError) -> Finding:
    """A file that does not parse: an error, unless it is a template (Helm, Go, Jinja), which
    is not YAML until it is rendered: then an info, since it cannot be checked as it is."""
    if "{{" in text and "}}" in text:
        return Finding(name, _file_finding(name, "template-file", exc).line, "template-file", Severity.INFO,
                       "not YAML: looks like a template ({{ ... }}); lint what it renders")
    return _file_finding(name, "yaml-syntax", exc)


def duplicate_keys(name: str, root: yaml.Node) -> list[Finding]:
    """A key given twice in one mapping: YAML readers keep the last silently, Kubernetes refuses."""
    found: list[Finding] = []
    stack = [root]
    visited: set[int] = set()  # an alias shares its node: look at each once
    while stack:
        node = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in seen:
                        found.append(Finding(name, key.start_mark.line + 1, "duplicate-key", Severity.ERROR,
                                             f"key '{key.value}' is given twice in one mapping; the second silently wins"))
                    seen.add(key.value)
                if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                    stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(n for n in node.value if isinstance(n, (yaml.MappingNode, yaml.SequenceNode)))
    return found


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
