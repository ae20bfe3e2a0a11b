"""Dependencies on a real cluster: a Pipeline brings its Tasks, a Task its StepActions;
lock files install exactly what they name."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.sources import open_catalog
from catalog_cli.errors import DigestMismatch
from catalog_cli.cluster.client import KubeCluster

from .conftest import BUILTIN, run_cli

pytestmark = pytest.mark.kube


def write(root: Path, kind: str, name: str, version: str, spec: dict[str, Any],
          annotations: dict[str, str] | None = None, rbac: list[dict[str, Any]] | None = None) -> None:
    folder = root / kind.lower() / name / version
    folder.mkdir(parents=True)
    api = "tekton.dev/v1beta1" if kind == "StepAction" else "tekton.dev/v1"
    (folder / f"{name}.yaml").write_text(yaml.safe_dump({
        "apiVersion": api, "kind": kind,
        "metadata": {"name": name, "labels": {"app.kubernetes.io/version": version},
                     "annotations": {"tekton.dev/pipelines.minVersion": "0.54.0", **(annotations or {})}},
        "spec": spec}))
    if rbac:
        (folder / "rbac.yaml").write_text(yaml.safe_dump({"rules": rbac}))


@pytest.fixture
def delivery(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    step = {"image": "busybox:1.36", "script": "echo hi"}
    write(root, "StepAction", "say-hello", "0.1", step)
    write(root, "StepAction", "say-hello", "0.2", step)
    write(root, "Task", "greet", "1.0", {"steps": [{"name": "hello", "ref": {"name": "say-hello"}}]},
          {"catalog.dev/dependencies": "stepaction/say-hello ^0.1"})
    write(root, "Task", "deploy", "1.0", {"steps": [{"name": "apply", "image": "busybox:1.36", "script": "true"}]},
          rbac=[{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}])
    write(root, "Pipeline", "ship", "2.0", {"tasks": [
        {"name": "greet", "taskRef": {"name": "greet"}},
        {"name": "deploy", "taskRef": {"name": "deploy"}, "runAfter": ["greet"]}]},
        {"catalog.dev/dependencies": "deploy ^1.0"})
    return root


def kinds_in(kube_server: Any, ns: str) -> set[str]:
    out = kube_server.kubectl("get", "tasks,pipelines,stepactions,roles", "-n", ns, "-o", "yaml").stdout
    return {f"{i['kind']}/{i['metadata']['name']}" for i in yaml.safe_load(out)["items"]}


def test_pipeline_brings_its_tasks_and_their_stepactions(delivery: Path, kube_server: Any,
                                                         kube_namespace: str) -> None:
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    report = install(open_catalog(str(delivery)), admin, ["ship"],
                     Options((kube_namespace,), allow_sensitive_rbac=True))
    installed = {(p["kind"], p["name"], p["version"]) for p in report.packages}
    assert installed == {("Pipeline", "ship", "2.0"), ("Task", "greet", "1.0"), ("Task", "deploy", "1.0"),
                         ("StepAction", "say-hello", "0.1")}  # ^0.1 keeps 0.2 out
    assert kinds_in(kube_server, kube_namespace) == {
        "Pipeline/ship", "Task/greet", "Task/deploy", "StepAction/say-hello",
        "Role/catalog-ship", "Role/catalog-greet", "Role/catalog-deploy"}
    # The Pipeline's ServiceAccount runs every task, so its Role has the tasks' rules.
    role = yaml.safe_load(kube_server.kubectl("get", "role", "catalog-ship", "-n", kube_namespace,
                                              "-o", "yaml").stdout)
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]
    # Uninstalling the pipeline removes the dependencies nothing else needs.
    r = run_cli("uninstall", "ship", "-n", kube_namespace, env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == 0, r.err
    assert kinds_in(kube_server, kube_namespace) == set()


def test_locked_install_takes_the_locked_versions(tmp_path: Path, kube_server: Any,
                                                  kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    cat = tmp_path / "cat"
    shutil.copytree(BUILTIN, cat)
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "git-clone@0.1", "kubectl-deploy", "--catalog", str(cat), "--file", str(lock))
    assert r.code == 0, r.err
    r = run_cli("install", "--locked", str(lock), "--catalog", str(cat), "-n", kube_namespace, "-o", "json",
                "--allow-sensitive-rbac", env=env)
    assert r.code == 0, r.err
    assert {(p["name"], p["version"]) for p in r.json()["packages"]} == {("git-clone", "0.1"),
                                                                         ("kubectl-deploy", "0.2")}


def test_locked_install_refuses_a_changed_digest(tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    cat = tmp_path / "cat"
    shutil.copytree(BUILTIN, cat)
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "kaniko", "--catalog", str(cat), "--file", str(lock)).code == 0
    task = cat / "task/kaniko/0.2/kaniko.yaml"
    task.write_text(task.read_text().replace("Kaniko", "Kan1ko", 1))
    assert run_cli("index", str(cat)).code == 0  # the catalog itself is consistent again
    r = run_cli("install", "--locked", str(lock), "--catalog", str(cat), "-n", kube_namespace, "--allow-sensitive-rbac",
                env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == DigestMismatch.exit_code, r.err
    assert "kaniko 0.2 changed" in r.err and r.err.count("\n") == 1
    out = kube_server.kubectl("get", "tasks", "-n", kube_namespace, "-o", "name").stdout
    assert out.strip() == ""
