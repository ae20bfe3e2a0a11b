"""A Pipeline as a graph: its tasks, the order ``runAfter`` and result references impose,
its ``finally`` tasks and the ``when`` conditions that guard a task."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import InputError
from ..refs import LocalRef, ResolverRef, parse_ref
from .model import Edge, Graph, Group, Node

#: ``$(tasks.NAME.results.RESULT...)`` and ``$(tasks.NAME.status)``, as Tekton substitutes them.
_RESULT = re.compile(r"\$\(\s*tasks\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.results\.([^.\s)\[]+)")
_STATUS = re.compile(r"\$\(\s*tasks\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.(status|reason)\s*\)")
PIPELINE_KINDS = ("Pipeline", "PipelineRun")


def pipeline_spec(doc: Mapping[str, Any], where: str) -> tuple[str, Mapping[str, Any]]:
    """The name and spec of a Pipeline, or of the Pipeline a PipelineRun embeds."""
    kind = doc.get("kind")
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    assert isinstance(meta, Mapping)
    name = str(meta.get("name") or meta.get("generateName") or "pipeline")
    spec = doc.get("spec")
    if kind == "PipelineRun" and isinstance(spec, Mapping):
        spec = spec.get("pipelineSpec")
        if not isinstance(spec, Mapping):
            raise InputError("this PipelineRun names its Pipeline (pipelineRef) rather than embedding "
                             "it (pipelineSpec): draw the Pipeline's own file", where)
    if kind not in PIPELINE_KINDS or not isinstance(spec, Mapping):
        raise InputError(f"expected a Pipeline (or a PipelineRun with a pipelineSpec), found {kind!r}", where)
    return name, spec


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _reference(task: Mapping[str, Any]) -> str:
    """What a pipeline task runs, in a few words."""
    for key, kind in (("taskRef", "Task"), ("pipelineRef", "Pipeline")):
        if key in task:
            ref = parse_ref(task[key], kind)
            if isinstance(ref, LocalRef):
                return ref.name if kind == "Task" else f"Pipeline {ref.name}"
            if isinstance(ref, ResolverRef):
                return f"{ref.resolver}: {ref.name}"
            return key
    if "taskSpec" in task:
        return "inline taskSpec"
    if "pipelineSpec" in task:
        return "inline pipelineSpec"
    return "nothing to run"


def _when(task: Mapping[str, Any]) -> list[str]:
    lines = []
    for item in task.get("when") or ():
        if not isinstance(item, Mapping):
            continue
        if "cel" in item:
            lines.append(f"when {item['cel']}")
        else:
            values = item.get("values")
            shown = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
            lines.append(f"when {item.get('input')} {item.get('operator')} [{shown}]")
    return lines


def _tasks(spec: Mapping[str, Any], field: str) -> list[Mapping[str, Any]]:
    items = spec.get(field) or []
    return [t for t in items if isinstance(t, Mapping)] if isinstance(items, list) else []


def pipeline_graph(doc: Mapping[str, Any], where: str = "pipeline") -> Graph:
    """The graph of a Pipeline document (or a PipelineRun embedding one). Task nodes say
    what each runs and when; a solid edge is ``runAfter``, a dashed one reads results
    (named on the edge), a dotted one reads a task's status; finally tasks sit in a
    group that runs after all the others."""
    name, spec = pipeline_spec(doc, where)
    main, final = _tasks(spec, "tasks"), _tasks(spec, "finally")
    ids: dict[str, str] = {}
    nodes: list[Node] = []
    for group, tasks in (("tasks", main), ("finally", final)):
        for task in tasks:
            tname = str(task.get("name") or "?")
            ids[tname] = node_id = f"t{len(ids)}"
            lines = (tname, _reference(task), *_when(task))
            nodes.append(Node(node_id, lines, group=group if final else None))
    edges: dict[tuple[str, str], tuple[set[str], str]] = {}

    def add(src: str, dst: str, label: str | None, style: str) -> None:
        if src not in ids:  # a task the Pipeline lacks: shown, marked missing
            ids[src] = f"t{len(ids)}"
            nodes.append(Node(ids[src], (src, "no such task"), style="missing"))
        labels, old = edges.get((ids[src], ids[dst]), (set(), style))
        if label:
            labels.add(label)
        rank = {"solid": 0, "dashed": 1, "dotted": 2}
        edges[(ids[src], ids[dst])] = (labels, old if rank[old] <= rank[style] else style)

    for task in [*main, *final]:
        tname = str(task.get("name") or "?")
        after = task.get("runAfter") or []
        for before in after if isinstance(after, list) else []:
            add(str(before), tname, None, "solid")
        body = {k: v for k, v in task.items() if k not in ("name", "runAfter")}
        for text in _strings(body):
            for m in _RESULT.finditer(text):
                add(m.group(1), tname, m.group(3), "dashed")
            for m in _STATUS.finditer(text):
                add(m.group(1), tname, m.group(3), "dotted")
    out = tuple(Edge(a, b, ", ".join(sorted(labels)), style) for (a, b), (labels, style) in edges.items())
    groups: tuple[Group, ...] = ()
    group_edges: tuple[Edge, ...] = ()
    if final:
        groups = (Group("tasks", "tasks"), Group("finally", "finally"))
        if main:
            group_edges = (Edge("tasks", "finally", "then, whatever happened", "solid"),)
    return Graph(f"Pipeline {name}", tuple(nodes), out, groups, group_edges, "LR")
