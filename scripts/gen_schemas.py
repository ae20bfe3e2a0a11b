#!/usr/bin/env python3
"""Generate the lint JSON Schemas in catalog_cli/schemas/ from Tekton's own CRDs.

    python scripts/gen_schemas.py            # (re)write catalog_cli/schemas/*.json
    python scripts/gen_schemas.py --check    # exit 1 when the committed files are stale

Input: the ``openAPIV3Schema`` of every served version of the Task, Pipeline,
StepAction, TaskRun and PipelineRun CRDs in third_party/tekton-crds/. Output: one Draft 2020-12 schema per
kind and version, e.g. ``task.v1.json``.

How a Kubernetes structural schema becomes a JSON Schema:

- ``x-kubernetes-int-or-string`` becomes ``type: [integer, string]`` (its ``anyOf``
  goes away); ``nullable: true`` adds ``"null"`` to the type;
- an object that lists ``properties`` and does not say
  ``x-kubernetes-preserve-unknown-fields`` gets ``additionalProperties: false``.
  The API server would silently prune such a field (or reject it under kubectl's
  strict field validation); either way a misspelt ``scripts:`` is lost, so lint says so;
- every other ``x-kubernetes-*`` key goes, and so do the annotations that do not
  take part in validation (``description``, ``default``, ``example``) and
  ``format`` (the validator checks no formats; ``int32`` is not a JSON Schema one).
  This keeps the files a tenth of the CRD size and quick to load;
- ``metadata`` (just ``type: object`` in a CRD) becomes the part of ObjectMeta
  that lint can check: a required string ``name``, string-valued labels and
  annotations;
- a Pipeline's embedded ``taskSpec`` (opaque in the CRD) gets the Task spec of the
  same version, so that inline tasks are checked as strictly as Task files; a TaskRun's
  ``taskSpec`` and a PipelineRun's ``pipelineSpec`` get the Task and Pipeline spec.
  Tekton's webhook decodes every object strictly (``disallowUnknownFields``), so an
  unknown field anywhere in them is refused, as lint says;
- a run's ``metadata`` requires no ``name``: runs are usually created with ``generateName``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CRDS = ROOT / "third_party" / "tekton-crds"
OUT = ROOT / "catalog_cli" / "schemas"

#: CRD file → the kind it defines. Other kinds are not linted against a schema.
SOURCES = {
    "300-task.yaml": "Task", "300-pipeline.yaml": "Pipeline", "300-stepaction.yaml": "StepAction",
    "300-taskrun.yaml": "TaskRun", "300-pipelinerun.yaml": "PipelineRun",
}

_DROPPED = {"description", "default", "example", "format"}
_SUBSCHEMA = {"items", "additionalProperties", "not"}
_SUBSCHEMA_LISTS = {"anyOf", "oneOf", "allOf"}

_STRING_MAP: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


def translate(node: dict[str, Any]) -> dict[str, Any]:
    """One structural-schema node as a JSON Schema node (see the module docstring)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in _DROPPED or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: translate(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA and isinstance(value, dict):
            out[key] = translate(value)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [translate(sub) for sub in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("anyOf", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    preserve = bool(node.get("x-kubernetes-preserve-unknown-fields"))
    if "properties" in out and not preserve and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _embedded_task(task_spec: dict[str, Any]) -> dict[str, Any]:
    """The schema of a Pipeline's inline ``taskSpec``: a Task spec plus EmbeddedTask's fields."""
    props = dict(task_spec["properties"])
    props["metadata"] = {"type": "object", "properties": {"labels": _STRING_MAP, "annotations": _STRING_MAP}}
    # A custom task embeds its own apiVersion, kind and opaque spec.
    props["apiVersion"] = {"type": "string"}
    props["kind"] = {"type": "string"}
    props["spec"] = {"type": "object"}
    return {"type": "object", "properties": props, "additionalProperties": False}


#: A run's metadata: a name or a generateName (lint's metadata rule says which is missing).
RUN_META: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "generateName": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


def _document(kind: str, version: str, source: str, body: dict[str, Any]) -> dict[str, Any]:
    body = dict(body)
    body["properties"] = dict(body["properties"], metadata=RUN_META if kind.endswith("Run") else OBJECT_META)
    body["required"] = sorted({*body.get("required", []), "apiVersion", "kind", "metadata"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://catalog-cli.invalid/schemas/{kind.lower()}.{version}.json",
        "title": f"{kind} tekton.dev/{version}",
        "$comment": f"Generated by scripts/gen_schemas.py from third_party/tekton-crds/{source}. Do not edit.",
        **body,
    }


def generate() -> dict[str, str]:
    """File name → JSON text of every schema, deterministic."""
    crds: dict[str, dict[str, Any]] = {}
    for source, kind in SOURCES.items():
        crd = yaml.safe_load((CRDS / source).read_text(encoding="utf-8"))
        assert crd["spec"]["names"]["kind"] == kind, source
        crds[kind] = {
            v["name"]: translate(v["schema"]["openAPIV3Schema"])
            for v in crd["spec"]["versions"]
            if v.get("served") and v.get("schema")
        }
    files: dict[str, str] = {}
    for source, kind in SOURCES.items():
        for version, body in crds[kind].items():
            if kind == "Pipeline" and version in crds["Task"]:
                task_spec = crds["Task"][version]["properties"]["spec"]
                spec = body["properties"]["spec"]
                for section in ("tasks", "finally"):
                    items = spec["properties"][section]["items"]
                    items["properties"]["taskSpec"] = _embedded_task(task_spec)
            # A run's inline spec is a Task or Pipeline spec of its version (opaque in the CRD;
            # the Pipeline's own inline tasks filled in above, as SOURCES lists it first).
            inline = {"TaskRun": ("Task", "taskSpec"), "PipelineRun": ("Pipeline", "pipelineSpec")}.get(kind)
            if inline and version in crds[inline[0]]:
                spec = body["properties"]["spec"]
                spec["properties"][inline[1]] = crds[inline[0]][version]["properties"]["spec"]
            doc = _document(kind, version, source, body)
            name = f"{kind.lower()}.{version}.json"
            files[name] = json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when committed schemas are stale")
    args = parser.parse_args(argv)
    files = generate()
    stale = sorted(
        name for name, text in files.items()
        if not (OUT / name).is_file() or (OUT / name).read_text(encoding="utf-8") != text
    )
    extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in files) if OUT.is_dir() else []
    if args.check:
        for name in stale + extra:
            print(f"gen_schemas: {OUT.relative_to(ROOT) / name} is stale", file=sys.stderr)
        return 1 if stale or extra else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name in stale:
        (OUT / name).write_text(files[name], encoding="utf-8")
    for name in extra:
        (OUT / name).unlink()
    print(f"gen_schemas: {len(files)} schemas, {len(stale)} rewritten, {len(extra)} removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
