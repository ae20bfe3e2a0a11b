"""What Pipelines-as-Code makes of a repository's ``.tekton/`` for a push, to check
scaffolds against. Written here from the rules read in openshift-pipelines/pipelines-as-code:

- the provider reads every ``.yaml``/``.yml`` file under ``.tekton/``, subfolders too,
  and joins them into one multi-document text (``concatAllYamlFiles``);
- ``{{ NAME }}`` (``keys.ParamsRe``) is replaced in that whole text by the event's
  standard params (``customparams/standard.go``); an unknown name stays as it is;
- each document is decoded as a Kubernetes or Tekton object; one it cannot decode is a
  validation error, a known non-Tekton kind is skipped (``resolve.ReadTektonTypes``);
- a run matches when ``on-event`` names the event and ``on-target-branch`` the branch
  (values ``[a, b]`` or one word; a branch with or without ``refs/heads/``)
  (``matcher/annotation_matcher.go``);
- a ``pipelineRef`` without a resolver names a Pipeline in ``.tekton/``, whose spec is
  put in the run; a ``taskRef`` without a resolver (not a ClusterTask) must name a Task
  in ``.tekton/`` or an annotation, and is inlined; the run's name becomes its
  ``generateName`` plus ``-`` (``resolve/remote.go``);
- ``{{ git_auth_secret }}`` becomes the name of the Secret made for the run, the rest is
  templated again (``pipelineascode/match.go``, ``changePipelineRun``).

Remote tasks from annotations (Artifact Hub, URLs) are not fetched here: a run that
needs one is refused, which is what a scaffold must never need.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import yaml

PARAMS_RE = re.compile(r"{{([^}]{2,})}}")
DOC_SEPARATOR = re.compile(r"(?m)^---\s*$")
ANNOTATION_VALUE = re.compile(r"^\[(.*)\]$|^[^[\]\s]*$")
#: API groups a Kubernetes scheme decodes besides Tekton's (the ones a scaffold might hold).
KUBERNETES_API_VERSIONS = ("v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1")
ON_EVENT = "pipelinesascode.tekton.dev/on-event"
ON_TARGET_BRANCH = "pipelinesascode.tekton.dev/on-target-branch"


class PacError(Exception):
    """What Pipelines-as-Code would report instead of starting a run."""


def tekton_dir_text(folder: Path) -> str:
    text = ""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix not in (".yaml", ".yml"):
            continue
        data = path.read_text()
        if text and not data.startswith("---"):
            text += "---"
        text += "\n" + data + "\n"
    return text


def template(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        return values.get(key, match.group(0))
    return PARAMS_RE.sub(one, text)


def read_types(text: str) -> dict[str, list[dict[str, Any]]]:
    types: dict[str, list[dict[str, Any]]] = {"PipelineRun": [], "Pipeline": [], "Task": []}
    for doc in DOC_SEPARATOR.split(text):
        if not doc.strip():
            continue
        try:
            obj = yaml.safe_load(doc)
        except yaml.YAMLError as exc:
            raise PacError(f"error decoding yaml document: {exc}") from exc
        if obj is None:  # comments alone: no kind to decode
            raise PacError("error decoding yaml document: Object 'Kind' is missing")
        api = str(obj.get("apiVersion", "")) if isinstance(obj, dict) else ""
        if not (api.startswith("tekton.dev/") or api in KUBERNETES_API_VERSIONS):
            raise PacError(f"error decoding yaml document: {obj.get('kind') if isinstance(obj, dict) else obj!r} "
                           f"({api or 'no apiVersion'}) is no kind it knows")
        if api.startswith("tekton.dev/") and obj.get("kind") in types:
            types[obj["kind"]].append(obj)
    return types


def annotation_values(value: str) -> list[str]:
    value = value.strip()
    match = ANNOTATION_VALUE.match(value)
    if not match:
        raise PacError(f"annotations in pipeline are in wrong format: {value}")
    if not value.startswith("["):
        return [value]
    items = [v.strip() for v in match.group(1).split(",")]
    if items[0] == "":
        raise PacError(f'annotation "{value}" has empty values')
    return items


def branch_matches(pattern: str, branch: str) -> bool:
    def ref(b: str) -> str:
        return b if b.startswith(("refs/heads/", "refs/tags/")) else "refs/heads/" + b
    return fnmatch.fnmatchcase(ref(branch), ref(pattern))


def _inline(tasks: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for task in tasks:
        ref = task.get("taskRef")
        if ref and not ref.get("resolver") and ref.get("kind") != "ClusterTask":
            if ref.get("name") not in known:
                raise PacError(f"cannot find referenced task {ref.get('name')}. if it's a remote task make sure "
                               "to add it in the annotations")
            task = {k: v for k, v in task.items() if k != "taskRef"}
            task["taskSpec"] = copy.deepcopy(known[ref["name"]]["spec"])
        out.append(task)
    return out


def runs_for_push(folder: Path, *, branch: str, params: dict[str, str], secret: str) -> list[dict[str, Any]]:
    """The PipelineRuns Pipelines-as-Code would create for a push to ``branch`` of the
    repository whose ``.tekton/`` is ``folder``, with the standard ``params`` and the
    clone Secret named ``secret``."""
    types = read_types(template(tekton_dir_text(folder), params))
    if not types["PipelineRun"]:
        raise PacError("could not find any PipelineRun in your .tekton/ directory")
    pipelines = {p["metadata"]["name"]: p for p in types["Pipeline"]}
    tasks = {t["metadata"]["name"]: t for t in types["Task"]}
    runs = []
    for run in types["PipelineRun"]:
        annotations = run["metadata"].get("annotations") or {}
        if ON_EVENT not in annotations or ON_TARGET_BRANCH not in annotations:
            continue
        if "push" not in annotation_values(annotations[ON_EVENT]):
            continue
        if not any(branch_matches(v, branch) for v in annotation_values(annotations[ON_TARGET_BRANCH])):
            continue
        run = copy.deepcopy(run)
        spec = run["spec"]
        ref = spec.get("pipelineRef")
        if ref and not ref.get("resolver"):
            if ref.get("name") not in pipelines:
                raise PacError(f"cannot find referenced pipeline {ref.get('name')}. for a remote pipeline make "
                               "sure to add it in the annotation")
            spec["pipelineSpec"] = copy.deepcopy(pipelines[ref["name"]]["spec"])
            del spec["pipelineRef"]
        if "pipelineSpec" in spec:
            for field in ("tasks", "finally"):
                if field in spec["pipelineSpec"]:
                    spec["pipelineSpec"][field] = _inline(spec["pipelineSpec"][field], tasks)
        meta = run["metadata"]
        if not meta.get("generateName"):
            meta["generateName"] = meta.pop("name") + "-"
        run = json.loads(template(json.dumps(run), {"git_auth_secret": secret, **params}))
        run["metadata"]["annotations"]["pipelinesascode.tekton.dev/git-auth-secret"] = secret
        runs.append(run)
    return runs
