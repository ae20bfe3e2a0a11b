"""Where task-like specs live in a resource, and the shared helpers checks read them with.

A *scope* is one spec with its own params, workspaces and results: a Task's spec,
a StepAction's spec, or the inline ``taskSpec`` of a pipeline task. An inline
spec also sees what the Pipeline propagates into it: the Pipeline's params and the
pipeline task's own params and workspace bindings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .model import JsonPath, Resource, items, mapping, text
from .refs import Ref, walk_refs

PIPELINE_SECTIONS = ("tasks", "finally")
#: DNS-1123 label: step, sidecar and pipeline task names.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: DNS-1123 subdomain: metadata.name.
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
#: Tekton's param names: letters, digits, ``_``, ``-`` and ``.``, not starting with a digit.
PARAM_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]*$")
#: Tekton's result names.
RESULT_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


@dataclass(frozen=True)
class Scope:
    """One task-like spec and what it may reference from outside."""

    kind: str  # "Task", "StepAction" or "taskSpec"
    label: str  # how messages name it
    path: JsonPath
    spec: Mapping[str, Any]
    outer_params: frozenset[str] = frozenset()
    outer_workspaces: frozenset[str] = frozenset()
    #: Params from outside that Tekton's webhook counts as declared for this spec's steps
    #: (fewer than reach it at run time: a pipeline task's own params are not among them).
    checked_params: frozenset[str] = frozenset()

    def params(self) -> list[tuple[JsonPath, Mapping[str, Any]]]:
        return param_decls(self.spec, self.path)

    def named(self, key: str) -> list[tuple[JsonPath, str]]:
        """Path and name of each entry of the list ``spec[key]`` that has a string name."""
        return [(p, text(d.get("name"))) for p, d in items(self.spec, key, self.path) if text(d.get("name"))]

    def containers(self) -> Iterator[tuple[JsonPath, Mapping[str, Any], str]]:
        """Steps, sidecars and the stepTemplate (a StepAction's spec is its one step)."""
        if self.kind == "StepAction":
            yield self.path, self.spec, f"{self.label}"
            return
        for key, what in (("steps", "step"), ("sidecars", "sidecar")):
            for i, (p, c) in enumerate(items(self.spec, key, self.path)):
                name = text(c.get("name"))
                yield p, c, f"{what} '{name}'" if name else f"{what} {i + 1}"
        template = self.spec.get("stepTemplate")
        if isinstance(template, Mapping):
            yield (*self.path, "stepTemplate"), template, "stepTemplate"

    @cached_property
    def all_refs(self) -> tuple[tuple[JsonPath, Ref], ...]:
        return tuple(self._refs())

    def refs(self) -> tuple[tuple[JsonPath, Ref], ...]:
        """Every reference in the spec outside its own param declarations."""
        return self.all_refs

    def _refs(self) -> list[tuple[JsonPath, Ref]]:
        out: list[tuple[JsonPath, Ref]] = []
        for key, value in self.spec.items():
            if key == "params":
                continue
            if key == "inputs" and isinstance(value, Mapping):
                rest = {k: v for k, v in value.items() if k != "params"}
                out.extend(walk_refs(rest, (*self.path, key)))
                continue
            out.extend(walk_refs(value, (*self.path, key)))
        return out


def param_decls(spec: Mapping[str, Any], base: JsonPath) -> list[tuple[JsonPath, Mapping[str, Any]]]:
    """A spec's param declarations: ``spec.params``, or v1alpha1's ``spec.inputs.params``."""
    if isinstance(spec.get("params"), list):
        return list(items(spec, "params", base))
    inputs = mapping(spec.get("inputs"))
    return list(items(inputs, "params", (*base, "inputs")))


def names(decls: list[tuple[JsonPath, Mapping[str, Any]]]) -> set[str]:
    return {text(d.get("name")) for _, d in decls if text(d.get("name"))}


def pipeline_specs(res: Resource) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """The Pipeline specs of a resource: a Pipeline's own, or a PipelineRun's inline one."""
    if res.kind == "Pipeline":
        yield ("spec",), res.spec
    elif res.kind == "PipelineRun" and isinstance(res.spec.get("pipelineSpec"), Mapping):
        yield ("spec", "pipelineSpec"), res.spec["pipelineSpec"]


def pipeline_tasks(res: Resource) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """Every pipeline task of a Pipeline (or a PipelineRun's inline Pipeline), ``tasks`` then ``finally``."""
    for base, spec in pipeline_specs(res):
        for section in PIPELINE_SECTIONS:
            yield from items(spec, section, base)


def scopes(res: Resource) -> tuple[Scope, ...]:
    """The task-like specs of a resource (computed once per resource)."""
    found = res.memo.get("scopes")
    if found is None:
        found = res.memo["scopes"] = tuple(_scopes(res))
    return found


def _scopes(res: Resource) -> Iterator[Scope]:
    if res.kind in ("Task", "StepAction"):
        yield Scope(res.kind, res.label, ("spec",), res.spec)
    elif res.kind == "TaskRun" and isinstance(res.spec.get("taskSpec"), Mapping):
        # A TaskRun's params and workspace bindings reach its inline Task.
        yield Scope(
            "taskSpec", f"{res.label} (inline task)", ("spec", "taskSpec"), res.spec["taskSpec"],
            frozenset(names(list(items(res.spec, "params", ("spec",))))),
            frozenset(names(list(items(res.spec, "workspaces", ("spec",))))),
            frozenset(names(list(items(res.spec, "params", ("spec",))))),
        )
    for base, pspec in pipeline_specs(res):
        pipeline_params = frozenset(names(param_decls(pspec, base)))
        checked = pipeline_params
        if res.kind == "PipelineRun":
            pipeline_params |= frozenset(names(list(items(res.spec, "params", ("spec",)))))
            # validateInlineParameters: the run's, the pipeline's, every task's params and specs'.
            checked = pipeline_params.union(*(
                names(list(items(pt, "params", p))) | names(param_decls(mapping(pt.get("taskSpec")), p))
                for p, pt in pipeline_tasks(res)
            ))
        for path, pt in pipeline_tasks(res):
            spec = pt.get("taskSpec")
            if not isinstance(spec, Mapping) or "spec" in spec:
                continue  # none, or a custom task's embedded spec
            provided = names(list(items(pt, "params", path)))
            matrix = mapping(pt.get("matrix"))
            provided |= names(list(items(matrix, "params", path)))
            for _, inc in items(matrix, "include", path):
                provided |= names(list(items(inc, "params", path)))
            bound = names(list(items(pt, "workspaces", path)))
            yield Scope(
                "taskSpec", f"pipeline task '{text(pt.get('name'))}'", (*path, "taskSpec"), spec,
                pipeline_params | provided, frozenset(bound), checked,
            )
