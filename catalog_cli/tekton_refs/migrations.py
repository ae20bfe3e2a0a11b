"""Declarative migrations: what a catalog version asks of the pipelines that move to it.

A version folder may hold ``migrations.yaml`` beside its resource::

    apiVersion: catalog.dev/v1
    kind: Migrations
    operations:                      # applied in order, to each pipeline task using it
    - op: addParam                   # pass a param (a string, a list or a mapping)
      name: submodules
      value: "false"
      why: 0.1 checked out no submodules; keep that
    - {op: renameParam, from: url, to: repo-url}
    - {op: removeParam, name: verbose}
    - {op: addWorkspace, name: cache, workspace: maven-cache}   # bind to a Pipeline workspace
    - {op: renameWorkspace, from: output, to: source}
    - {op: renameResult, from: commit, to: sha}                 # $(tasks.T.results.commit) -> sha
    - {op: replaceTask, name: kube-apply, version: ^1.0}        # fetch another task instead
    - {op: setRunAfter, task: git-clone}                        # run after the tasks using git-clone

No shell, nothing fetched but the file itself. ``update`` applies the operations of
every version in (current, new], oldest first, to the pipeline task that makes the
reference (a TaskRun's own params and workspaces, a step's params). An operation that
cannot apply cleanly is refused, naming the file, the reference and the operation, and
nothing is written; one already applied is a no-op, so running update twice changes
nothing the second time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from .. import PREFIX, ranges, yamlio
from ..errors import InputError
from ..refs import NAME, LocalRef, ResolverRef, parse_ref
from .edit import Editor
from .scan import DocPath, Reference

FILE_NAME = "migrations.yaml"
API_VERSION = f"{PREFIX}/v1"
KIND = "Migrations"
#: Each operation and the fields it takes (all required but ``version`` and ``why``).
OPERATIONS: dict[str, tuple[str, ...]] = {
    "addParam": ("name", "value"),
    "renameParam": ("from", "to"),
    "removeParam": ("name",),
    "addWorkspace": ("name", "workspace"),
    "renameWorkspace": ("from", "to"),
    "renameResult": ("from", "to"),
    "replaceTask": ("name",),
    "setRunAfter": ("task",),
}
OPTIONAL = ("why", "version")
_PARAM_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]*$")


@dataclass(frozen=True)
class Operation:
    """One operation; ``source`` names it (``task/x/0.2/migrations.yaml operations[0]``)."""

    op: str
    args: Mapping[str, Any]
    source: str
    version: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.args[key]

    def describe(self) -> str:
        fields = ", ".join(f"{k}: {v!r}" if k == "value" else f"{k}: {v}" for k, v in self.args.items() if k != "why")
        return f"{self.op} {{{fields}}} ({self.source})"


class Refused(InputError):
    """An operation that cannot apply cleanly: nothing is written."""


def parse(data: object, where: str, version: str = "") -> list[Operation]:
    """The operations of a migrations.yaml, checked; an InputError names the field."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise InputError(f"not a migrations file (expected kind: {KIND})", where)
    if data.get("apiVersion") != API_VERSION:
        raise InputError(f"apiVersion is {data.get('apiVersion')!r}, expected {API_VERSION!r}", where)
    extra = [k for k in data if k not in ("apiVersion", "kind", "operations")]
    if extra:
        raise InputError(f"unknown field {extra[0]!r}", where)
    items = data.get("operations")
    if not isinstance(items, list):
        raise InputError("operations must be a list", where)
    out = []
    for i, item in enumerate(items):
        at = f"operations[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("op"), str):
            raise InputError(f"{at} must be a mapping with op:", where)
        op = item["op"]
        if op not in OPERATIONS:
            raise InputError(f"{at}: unknown op {op!r} (one of {', '.join(OPERATIONS)})", where)
        args = {k: v for k, v in item.items() if k != "op"}
        for k in args:
            if k not in OPERATIONS[op] and k not in OPTIONAL:
                raise InputError(f"{at}: {op} takes no field {k!r}", where)
        for k in OPERATIONS[op]:
            if k not in args:
                raise InputError(f"{at}: {op} needs {k}", where)
            if k != "value" and not (isinstance(args[k], str) and args[k]):
                raise InputError(f"{at}.{k} must be a non-empty string", where)
        if op == "addParam" and not _is_value(args["value"]):
            raise InputError(f"{at}.value must be a string, a list of strings or a mapping of strings", where)
        for k in ("task", "workspace") + (("name",) if op == "replaceTask" else ()):
            if k in args and not NAME.match(args[k]):
                raise InputError(f"{at}.{k} {args[k]!r} is not a name", where)
        if "version" in args:
            if op != "replaceTask" or not isinstance(args["version"], str):
                raise InputError(f"{at}: version belongs to replaceTask, as a range", where)
            ranges.parse(args["version"], f"{where}: {at}.version")
        out.append(Operation(op, args, f"{where} {at}", version))
    return out


def _is_value(v: object) -> bool:
    if isinstance(v, str):
        return True
    if isinstance(v, list):
        return all(isinstance(x, str) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and isinstance(x, str) for k, x in v.items())
    return False


def loads(text: str, where: str, version: str = "") -> list[Operation]:
    docs = yamlio.loads_all(text, where)
    if len(docs) != 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", where)
    return parse(docs[0], where, version)


# -- applying ------------------------------------------------------------------------------
@dataclass
class Target:
    """Where operations apply: a pipeline task (``spec`` its pipeline spec), a TaskRun's
    spec, or a step."""

    editor: Editor
    doc: int
    path: DocPath
    spec: DocPath | None
    kind: str  # "pipeline-task", "taskrun" or "step"
    applied: list[str] = field(default_factory=list)

    def read(self, key: str) -> Any:
        """The target's ``key`` as edited so far."""
        return self.editor.read(self.doc, (*self.path, key))


def targets(editor: Editor, found: Reference, data: Any) -> list[Target]:
    """What the operations of ``found``'s migrations apply to. ``data`` is its document
    as the safe loader read it (for an annotation item: the pipeline tasks using the
    annotation's task by name)."""
    path = found.path
    if found.item is not None:
        return by_name(editor, found.doc, data, found.name)
    if len(path) >= 3 and path[-1] in ("taskRef", "pipelineRef") and path[-3] in ("tasks", "finally"):
        return [Target(editor, found.doc, path[:-1], path[:-3], "pipeline-task")]
    if path[-1] == "ref" and len(path) >= 3 and path[-3] == "steps":
        return [Target(editor, found.doc, path[:-1], None, "step")]
    if path == ("spec", "taskRef"):
        return [Target(editor, found.doc, ("spec",), None, "taskrun")]
    return [Target(editor, found.doc, path[:-1], None, "other")]


def by_name(editor: Editor, doc: int, data: Any, name: str) -> list[Target]:
    """The pipeline tasks of a document that name the Task ``name`` (Pipelines-as-Code
    inlines an annotation's task there)."""
    from ..refs import find_refs

    return [Target(editor, doc, site.path[:-1], site.path[:-3], "pipeline-task") for site in find_refs(data)
            if isinstance(site.ref, LocalRef) and site.ref.name == name and site.ref.kind == "Task"
            and len(site.path) >= 3 and site.path[-3] in ("tasks", "finally")]


def _entries(t: Target, key: str) -> list[Any]:
    """The list ``key`` of the target (empty when it has none), checked to be a list of mappings."""
    items = t.read(key)
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{key} is not a list of mappings")
    return items


def _index(items: list[Any], name: str) -> int | None:
    return next((i for i, item in enumerate(items) if item.get("name") == name), None)


def _same(a: Any, b: Any) -> bool:
    return yaml.safe_dump(_normal(a)) == yaml.safe_dump(_normal(b))


def _normal(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _normal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_normal(x) for x in v]
    return str(v)


def apply(op: Operation, t: Target) -> bool:
    """Apply ``op`` to ``t``; whether it changed anything. ValueError says why it cannot."""
    if op.op == "addParam":
        items = _entries(t, "params")
        at = _index(items, op["name"])
        if at is not None:
            if _same(items[at].get("value"), op["value"]):
                return False
            raise ValueError(f"param {op['name']} is already passed, with another value")
        t.editor.append(t.doc, (*t.path, "params"), {"name": op["name"], "value": op["value"]})
        return True
    if op.op in ("renameParam", "renameWorkspace"):
        key = "params" if op.op == "renameParam" else "workspaces"
        items = _entries(t, key)
        old, new = _index(items, op["from"]), _index(items, op["to"])
        if old is None:
            return False
        if new is not None:
            raise ValueError(f"both {op['from']} and {op['to']} are passed")
        return t.editor.set(t.doc, (*t.path, key, old, "name"), op["to"])
    if op.op == "removeParam":
        items = _entries(t, "params")
        at = _index(items, op["name"])
        if at is None:
            return False
        if "$(tasks." in yaml.safe_dump(_normal(items[at].get("value"))):
            raise ValueError(f"param {op['name']} passes another task's result: removing it would drop "
                             "the order that result imposes")
        del t.editor.get(t.doc, (*t.path, "params"))[at]
        t.editor.changed = True
        return True
    if op.op == "addWorkspace":
        if t.kind != "pipeline-task" or t.spec is None:
            raise ValueError(f"a {t.kind} binds volumes, not a pipeline's workspaces")
        declared = [w.get("name") for w in t.editor.read(t.doc, (*t.spec, "workspaces")) or [] if isinstance(w, dict)]
        if op["workspace"] not in declared:
            raise ValueError(f"the pipeline declares no workspace {op['workspace']}")
        items = _entries(t, "workspaces")
        at = _index(items, op["name"])
        if at is not None:
            if items[at].get("workspace") == op["workspace"]:
                return False
            raise ValueError(f"workspace {op['name']} is already bound, to {items[at].get('workspace')}")
        t.editor.append(t.doc, (*t.path, "workspaces"), {"name": op["name"], "workspace": op["workspace"]})
        return True
    if op.op == "renameResult":
        if t.kind != "pipeline-task" or t.spec is None:
            return False  # only a pipeline's other tasks read a task's results
        task = t.read("name")
        if not isinstance(task, str):
            raise ValueError("the pipeline task has no name")
        return _rename_results(t, task, op["from"], op["to"])
    if op.op == "setRunAfter":
        if t.kind != "pipeline-task" or t.spec is None:
            raise ValueError(f"a {t.kind} has no runAfter")
        if t.path[-2] == "finally":
            raise ValueError("a finally task takes no runAfter")
        me = t.read("name")
        before = [tk.get("name") for tk in t.editor.read(t.doc, (*t.spec, "tasks")) or []
                  if isinstance(tk, dict) and _uses(tk, op["task"]) and tk.get("name") != me]
        if not before:
            raise ValueError(f"no task of the pipeline uses {op['task']}")
        run_after = t.read("runAfter")
        if run_after is not None and not isinstance(run_after, list):
            raise ValueError("runAfter is not a list")
        missing = [b for b in before if b not in (run_after or [])]
        if not missing:
            return False
        from ruamel.yaml.comments import CommentedSeq

        node = t.editor.get(t.doc, t.path)
        if node.get("runAfter") is None:
            node["runAfter"] = CommentedSeq()
        node["runAfter"].extend(missing)
        t.editor.changed = True
        return True
    return False  # replaceTask: the reference itself moves (the caller's part)


def _uses(task: Mapping[str, Any], name: str) -> bool:
    ref = parse_ref(task.get("taskRef"), "Task")
    return isinstance(ref, (ResolverRef, LocalRef)) and ref.name == name


def _rename_results(t: Target, task: str, old: str, new: str) -> bool:
    """Every ``$(tasks.TASK.results.OLD...)`` in the pipeline spec renamed to NEW."""
    assert t.spec is not None
    pattern = re.compile(re.escape(f"$(tasks.{task}.results.{old}") + r"(?=[)\[.])")
    replacement = f"$(tasks.{task}.results.{new}"
    changed = False
    stack: list[tuple[DocPath, Any]] = [(t.spec, t.editor.read(t.doc, t.spec))]
    while stack:
        at, here = stack.pop()
        pairs = list(here.items()) if isinstance(here, dict) else list(enumerate(here)) if isinstance(here, list) else []
        for k, value in pairs:
            if isinstance(value, str):
                text = pattern.sub(lambda m: replacement, value)
                if text != value:
                    changed |= t.editor.set(t.doc, (*at, k), text)
            elif isinstance(value, (dict, list)):
                stack.append(((*at, k), value))
    return changed
