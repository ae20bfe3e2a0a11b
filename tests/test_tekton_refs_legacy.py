"""Built-in migrations (tekton_refs/legacy.py): ClusterTask references, taskRef.bundle,
short hub versions and v1beta1 fields rewritten as Tekton v1 reads them; refused where
there is no v1 form; idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .conftest import assert_one_line_error, run_cli

OFFLINE = {"CATALOG_OFFLINE": "1"}

V1BETA1 = """\
# Written for Tekton 0.4x.
apiVersion: tekton.dev/v1beta1
kind: PipelineRun
metadata:
  name: old
spec:
  serviceAccountName: builder   # the robot
  serviceAccountNames:
    - taskName: deploy
      serviceAccountName: deployer
  podTemplate:
    nodeSelector: {disk: ssd}
  timeout: 1h30m
  pipelineSpec:
    tasks:
      - name: build
        taskSpec:
          stepTemplate:
            resources: {limits: {memory: 1Gi}}
          steps:
            - name: make
              image: docker.io/library/alpine:3.19
              resources:
                requests: {cpu: 500m}
              script: make
          sidecars:
            - name: db
              image: docker.io/library/postgres:16
              resources: {limits: {memory: 512Mi}}
      - name: deploy
        taskRef:
          name: kubectl-deploy
          bundle: registry.example.com/team/kubectl-deploy:0.1
---
apiVersion: tekton.dev/v1beta1
kind: TaskRun
metadata:
  name: once
spec:
  taskRef:
    name: lint
    kind: ClusterTask
  stepOverrides:
    - name: lint
      resources: {requests: {memory: 64Mi}}
  timeout: 10m
"""


def _service(tmp: Path, text: str, config: str = "clusterTaskNamespace: ci-tasks\n") -> Path:
    tekton = tmp / "svc" / ".tekton"
    tekton.mkdir(parents=True)
    (tekton / "run.yaml").write_text(text)
    (tmp / "svc" / "catalog.yaml").write_text(config)
    return tekton / "run.yaml"


def test_v1beta1_runs_move_to_v1_with_their_fields(tmp_path: Path) -> None:
    file = _service(tmp_path, V1BETA1)
    r = run_cli("update", cwd=file.parent.parent, env=OFFLINE)
    assert r.code == 0, r.err
    run, taskrun = yaml.safe_load_all(file.read_text())
    assert run["apiVersion"] == taskrun["apiVersion"] == "tekton.dev/v1"
    spec = run["spec"]
    assert spec["taskRunTemplate"] == {"serviceAccountName": "builder", "podTemplate": {"nodeSelector": {"disk": "ssd"}}}
    assert spec["timeouts"] == {"pipeline": "1h30m"}
    assert spec["taskRunSpecs"] == [{"pipelineTaskName": "deploy", "serviceAccountName": "deployer"}]
    assert not {"serviceAccountName", "serviceAccountNames", "podTemplate", "timeout"} & set(spec)
    build, deploy = spec["pipelineSpec"]["tasks"]
    ts = build["taskSpec"]
    assert ts["stepTemplate"] == {"computeResources": {"limits": {"memory": "1Gi"}}}
    assert ts["steps"][0]["computeResources"] == {"requests": {"cpu": "500m"}}
    assert ts["sidecars"][0]["computeResources"] == {"limits": {"memory": "512Mi"}}
    assert deploy["taskRef"] == {"resolver": "bundles", "params": [
        {"name": "bundle", "value": "registry.example.com/team/kubectl-deploy:0.1"},
        {"name": "name", "value": "kubectl-deploy"}, {"name": "kind", "value": "task"}]}
    assert taskrun["spec"]["taskRef"] == {"resolver": "cluster", "params": [
        {"name": "kind", "value": "task"}, {"name": "name", "value": "lint"}, {"name": "namespace", "value": "ci-tasks"}]}
    assert taskrun["spec"]["stepSpecs"] == [{"name": "lint", "computeResources": {"requests": {"memory": "64Mi"}}}]
    assert taskrun["spec"]["timeout"] == "10m"  # a v1 TaskRun field still
    text = file.read_text()
    assert text.startswith("# Written for Tekton 0.4x.\n") and "# the robot" in text
    assert "spec.timeout -> spec.timeouts.pipeline" in r.err and "ClusterTask lint -> cluster resolver" in r.err
    again = run_cli("update", cwd=file.parent.parent, env=OFFLINE)
    assert again.code == 0 and "nothing to update" in again.err and file.read_text() == text


def test_a_v1beta1_pipeline_moves_to_a_v1_that_lints_clean(tmp_path: Path) -> None:
    pipeline = {"apiVersion": "tekton.dev/v1beta1", "kind": "Pipeline", "metadata": {"name": "p"},
                "spec": {"tasks": [{"name": "t", "taskSpec": {"steps": [
                    {"name": "s", "image": "docker.io/library/alpine:3.19@sha256:" + "0" * 64,
                     "resources": {"limits": {"memory": "64Mi"}}, "script": "true"}]}}]}}
    file = _service(tmp_path, yaml.safe_dump(pipeline, sort_keys=False))
    assert run_cli("update", cwd=file.parent.parent, env=OFFLINE).code == 0
    data = yaml.safe_load(file.read_text())
    assert data["apiVersion"] == "tekton.dev/v1" and "computeResources" in data["spec"]["tasks"][0]["taskSpec"]["steps"][0]
    lint = run_cli("lint", str(file), "-o", "json")
    assert not [f for f in lint.json()["findings"] if f["rule"] in ("schema", "removed-api")], lint.out


def test_hub_versions_are_written_in_full_where_artifact_hub_needs_them(tmp_path: Path) -> None:
    def ref(name: str, version: str, **more: str) -> dict[str, Any]:
        params = [{"name": "name", "value": name}, {"name": "version", "value": version}]
        return {"resolver": "hub", "params": params + [{"name": k, "value": v} for k, v in more.items()]}
    doc = {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"}, "spec": {"tasks": [
        {"name": "a", "taskRef": ref("git-clone", "0.9")},
        {"name": "b", "taskRef": ref("git-clone", "0.9", type="tekton")},  # Tekton Hub names them short
        {"name": "c", "taskRef": ref("git-clone", ">= 0.7")},  # a constraint: as written
        {"name": "d", "taskRef": ref("git-clone", "0.9.1")}]}}
    file = _service(tmp_path, yaml.safe_dump(doc, sort_keys=False))
    assert run_cli("update", cwd=file.parent.parent, env=OFFLINE).code == 0
    got = [t["taskRef"]["params"][1]["value"] for t in yaml.safe_load(file.read_text())["spec"]["tasks"]]
    assert got == ["0.9.0", "0.9", ">= 0.7", "0.9.1"]


def test_a_clustertask_without_a_namespace_to_move_to_is_refused(tmp_path: Path) -> None:
    file = _service(tmp_path, V1BETA1, config="ranges: {}\n")
    r = run_cli("update", cwd=file.parent.parent, env=OFFLINE)
    assert_one_line_error(r, "run.yaml", "TaskRun/once", "ClusterTask lint", "clusterTaskNamespace")
    assert file.read_text() == V1BETA1


def test_pipeline_resources_have_no_v1_form(tmp_path: Path) -> None:
    text = V1BETA1.replace("  timeout: 1h30m\n", "  timeout: 1h30m\n  resources:\n    - name: source\n"
                                                   "      resourceRef: {name: repo}\n", 1)
    file = _service(tmp_path, text)
    r = run_cli("update", cwd=file.parent.parent, env=OFFLINE)
    assert_one_line_error(r, "run.yaml", "PipelineRun/old", "PipelineResources have no tekton.dev/v1 form")
    assert file.read_text() == text


def test_naming_references_leaves_documents_in_v1beta1(tmp_path: Path) -> None:
    file = _service(tmp_path, V1BETA1)
    r = run_cli("update", "kubectl-deploy", cwd=file.parent.parent, env=OFFLINE)
    assert r.code == 0, r.err
    run, taskrun = yaml.safe_load_all(file.read_text())
    assert run["apiVersion"] == "tekton.dev/v1beta1" and "serviceAccountName" in run["spec"]
    assert run["spec"]["pipelineSpec"]["tasks"][1]["taskRef"]["resolver"] == "bundles"
    assert taskrun["spec"]["taskRef"] == {"name": "lint", "kind": "ClusterTask"}
