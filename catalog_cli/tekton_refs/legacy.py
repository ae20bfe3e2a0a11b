"""Built-in migrations: references and fields Tekton no longer reads as written.

- a ``ClusterTask`` reference (ClusterTasks are gone from Tekton) becomes a cluster
  resolver reference to the Task of that name in ``clusterTaskNamespace`` (catalog.yaml);
- the v1beta1 ``taskRef.bundle`` becomes a bundles resolver reference;
- a hub version written ``0.2`` becomes ``0.2.0``: Artifact Hub, the hub resolver's
  default type, names versions in full (type ``tekton`` is left alone);
- a ``tekton.dev/v1beta1`` PipelineRun, TaskRun, Pipeline or Task moves to
  ``tekton.dev/v1`` with the fields v1 moved (Tekton's v1beta1-to-v1 migration guide):
  PipelineRun ``serviceAccountName`` and ``podTemplate`` into ``taskRunTemplate``,
  ``timeout`` to ``timeouts.pipeline``, ``serviceAccountNames`` to ``taskRunSpecs``;
  in ``taskRunSpecs``, ``taskServiceAccountName`` and ``taskPodTemplate`` lose their
  prefix; ``stepOverrides``/``sidecarOverrides`` become ``stepSpecs``/``sidecarSpecs``;
  a step's, sidecar's or stepTemplate's ``resources`` become ``computeResources``.
  PipelineResources have no v1 form: a document using them is refused.

Each rewrite is described in one line; applying them again finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from ..refs import LocalRef, ResolverRef, find_refs
from .edit import Editor, mapping, quoted, set_scalar
from .migrations import Refused
from .rewrite import hub_version
from .scan import ScannedFile

V1BETA1 = "tekton.dev/v1beta1"
V1 = "tekton.dev/v1"
KINDS = ("PipelineRun", "TaskRun", "Pipeline", "Task")


def _rename(node: Any, old: str, new: str) -> bool:
    """Rename a key where it stands; refused when both are there."""
    if old not in node:
        return False
    if new in node:
        raise ValueError(f"both {old} and {new} are set")
    at = list(node).index(old)
    value = node.pop(old)
    node.insert(at, new, value)
    _carry_comment(node, old, node, new)
    return True


def _carry_comment(src: Any, old: str, dst: Any, new: str) -> None:
    """The end-of-line comment of ``src[old]`` kept on ``dst[new]``."""
    items = getattr(getattr(src, "ca", None), "items", None)
    if isinstance(items, dict) and old in items and hasattr(dst, "ca"):
        dst.ca.items[new] = items.pop(old)


def _move_into(node: Any, old: str, parent: str, new: str) -> bool:
    """``node[old]`` moved to ``node[parent][new]`` (``parent`` made where ``old`` was)."""
    if old not in node:
        return False
    if parent in node and not isinstance(node[parent], dict):
        raise ValueError(f"{parent} is not a mapping")
    if parent in node and new in node[parent]:
        raise ValueError(f"both {old} and {parent}.{new} are set")
    at = list(node).index(old)
    value = node.pop(old)
    if parent not in node:
        node.insert(at, parent, mapping({}))
    node[parent][new] = value
    _carry_comment(node, old, node[parent], new)
    return True


def _overrides(node: Any, at: str) -> list[str]:
    """``stepOverrides``/``sidecarOverrides`` -> ``stepSpecs``/``sidecarSpecs``, their
    ``resources`` -> ``computeResources``."""
    done = []
    for old, new in (("stepOverrides", "stepSpecs"), ("sidecarOverrides", "sidecarSpecs")):
        if _rename(node, old, new):
            done.append(f"{at}.{old} -> {new}")
        for item in node.get(new) or []:
            if isinstance(item, dict) and _rename(item, "resources", "computeResources"):
                done.append(f"{at}.{new}[{item.get('name')}].resources -> computeResources")
    return done


def _task_specs(doc: Any) -> Iterator[Any]:
    """Every task spec in a document: a Task's spec, a TaskRun's taskSpec, pipeline tasks'."""
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        return
    kind = doc.get("kind")
    if kind == "Task":
        yield spec
    if kind == "TaskRun" and isinstance(spec.get("taskSpec"), dict):
        yield spec["taskSpec"]
    pipeline = spec if kind == "Pipeline" else spec.get("pipelineSpec") if kind == "PipelineRun" else None
    stack = [pipeline] if isinstance(pipeline, dict) else []
    while stack:
        p = stack.pop()
        for section in ("tasks", "finally"):
            for t in p.get(section) or []:
                if isinstance(t, dict) and isinstance(t.get("taskSpec"), dict):
                    yield t["taskSpec"]
                if isinstance(t, dict) and isinstance(t.get("pipelineSpec"), dict):
                    stack.append(t["pipelineSpec"])


def _pipeline_resources(doc: Any) -> str | None:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if spec.get("resources") and doc.get("kind") in ("PipelineRun", "TaskRun", "Pipeline"):
        return "spec.resources"
    for ts in _task_specs(doc):
        if ts.get("inputs") or ts.get("outputs") or (isinstance(ts.get("resources"), dict) and ts["resources"]):
            return "a task spec's resources"
    pipeline = spec if doc.get("kind") == "Pipeline" else spec.get("pipelineSpec")
    if isinstance(pipeline, dict):
        if pipeline.get("resources"):
            return "pipelineSpec.resources"
        for section in ("tasks", "finally"):
            for t in pipeline.get(section) or []:
                if isinstance(t, dict) and t.get("resources"):
                    return f"the resources of pipeline task {t.get('name')}"
    return None


def _v1(doc: Any) -> list[str]:
    """The v1beta1 -> v1 field moves of one document (round-trip structure)."""
    kind = doc.get("kind")
    spec: Any = doc.get("spec")
    done = []
    if isinstance(spec, dict) and kind == "PipelineRun":
        for old in ("serviceAccountName", "podTemplate"):
            if _move_into(spec, old, "taskRunTemplate", old):
                done.append(f"spec.{old} -> spec.taskRunTemplate.{old}")
        if _move_into(spec, "timeout", "timeouts", "pipeline"):
            done.append("spec.timeout -> spec.timeouts.pipeline")
        names = spec.get("serviceAccountNames")
        if names is not None:
            if spec.get("taskRunSpecs"):
                raise ValueError("both serviceAccountNames and taskRunSpecs are set")
            from ruamel.yaml.comments import CommentedSeq

            at = list(spec).index("serviceAccountNames")
            spec.pop("serviceAccountNames")
            specs = CommentedSeq(mapping({"pipelineTaskName": n.get("taskName"),
                                          "serviceAccountName": n.get("serviceAccountName")}) for n in names)
            cast(Any, spec).insert(at, "taskRunSpecs", specs)
            done.append("spec.serviceAccountNames -> spec.taskRunSpecs")
        for i, trs in enumerate(spec.get("taskRunSpecs") or []):
            for old, new in (("taskServiceAccountName", "serviceAccountName"), ("taskPodTemplate", "podTemplate")):
                if isinstance(trs, dict) and _rename(trs, old, new):
                    done.append(f"spec.taskRunSpecs[{i}].{old} -> {new}")
            if isinstance(trs, dict):
                done += _overrides(trs, f"spec.taskRunSpecs[{i}]")
    if isinstance(spec, dict) and kind == "TaskRun":
        done += _overrides(spec, "spec")
    for ts in _task_specs(doc):
        for section in ("steps", "sidecars"):
            for c in ts.get(section) or []:
                if isinstance(c, dict) and _rename(c, "resources", "computeResources"):
                    done.append(f"{section}[{c.get('name')}].resources -> computeResources")
        if isinstance(ts.get("stepTemplate"), dict) and _rename(ts["stepTemplate"], "resources", "computeResources"):
            done.append("stepTemplate.resources -> computeResources")
    return done


def _refs(editor: Editor, index: int, data: Any, names: set[str], namespace: str | None) -> list[str]:
    done = []
    for site in find_refs(data):
        ref = site.ref
        if names and ref.name not in names:
            continue
        where = site.where
        if isinstance(ref, LocalRef) and ref.kind == "ClusterTask":
            if namespace is None:
                raise ValueError(f"{where}: ClusterTask {ref.name} has no v1 form but the cluster resolver, "
                                 "which needs the namespace its Task now lives in: set clusterTaskNamespace "
                                 "in catalog.yaml")
            node = editor.get(index, site.path)
            _to_resolver(node, "cluster", [("kind", "task"), ("name", ref.name), ("namespace", namespace)])
            done.append(f"{where}: ClusterTask {ref.name} -> cluster resolver (namespace {namespace})")
        elif isinstance(ref, ResolverRef) and ref.legacy:
            node = editor.get(index, site.path)
            _to_resolver(node, "bundles", list(ref.params))
            done.append(f"{where}: taskRef.bundle -> bundles resolver")
        elif isinstance(ref, ResolverRef) and ref.resolver == "hub":
            version = ref.param("version") or ""
            full = hub_version(ref, version) if ref.version else version
            if full != version:
                params = editor.read(index, (*site.path, "params"))
                at = next(i for i, p in enumerate(params) if isinstance(p, dict) and p.get("name") == "version")
                editor.set(index, (*site.path, "params", at, "value"), full)
                done.append(f"{where}: hub version {version} -> {full}")
    return done


def _to_resolver(node: Any, resolver: str, params: list[tuple[str, str]]) -> None:
    from ruamel.yaml.comments import CommentedSeq

    at = list(node).index("name") if "name" in node else 0
    for key in ("name", "kind", "bundle", "apiVersion"):
        node.pop(key, None)
    node.insert(min(at, len(node)), "resolver", resolver)
    node.insert(min(at + 1, len(node)), "params",
                CommentedSeq(mapping({"name": k, "value": quoted(v) if k == "version" else v}) for k, v in params))


def needed(scanned: ScannedFile, names: set[str]) -> bool:
    """Whether a file holds anything these rewrites change (cheap: no round-trip parse)."""
    for doc in scanned.docs:
        if isinstance(doc, dict) and doc.get("apiVersion") == V1BETA1 and doc.get("kind") in KINDS and not names:
            return True
    for r in scanned.refs:
        if (names and r.name not in names) or r.item is not None:
            continue
        ref = r.ref
        if isinstance(ref, LocalRef) and ref.kind == "ClusterTask":
            return True
        if isinstance(ref, ResolverRef) and (ref.legacy or (ref.resolver == "hub" and ref.version and
                                                             hub_version(ref, ref.param("version") or "")
                                                             != ref.param("version"))):
            return True
    return False


def rewrite(editor: Editor, scanned: ScannedFile, names: set[str], namespace: str | None) -> list[str]:
    """Apply every built-in rewrite to the file in ``editor`` (only reference rewrites, and
    only of ``names``, when names are given); one line each, naming file and document."""
    out = []
    for i, data in enumerate(scanned.docs):
        if not isinstance(data, dict):
            continue
        label = f"{scanned.path}: {data.get('kind')}/{(data.get('metadata') or {}).get('name')}"
        try:
            lines = _refs(editor, i, data, names, namespace)
            if data.get("apiVersion") == V1BETA1 and data.get("kind") in KINDS and not names:
                doc = editor.tree()[i]
                blocked = _pipeline_resources(data)
                if blocked:
                    raise ValueError(f"{blocked}: PipelineResources have no tekton.dev/v1 form; "
                                     "replace them with workspaces, params and results by hand")
                lines += _v1(doc)
                set_scalar(doc, "apiVersion", V1)
                lines.append(f"apiVersion {V1BETA1} -> {V1}")
        except ValueError as exc:
            raise Refused(f"built-in migration refused: {exc}", label) from None
        if lines:
            editor.changed = True
        out += [f"{label}: {line}" for line in lines]
    return out
