"""The local API server behaves as the tests of the tool assume (see DESIGN.md).

Needs the plugin ``tests/kubeserver.py`` and the binaries of
``scripts/localkube.sh build``.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import uuid

import pytest
import yaml

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "localkube.sh"


def task(name: str, namespace: str, steps: object = None) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "tekton.dev/v1",
            "kind": "Task",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "steps": steps
                if steps is not None
                else [{"name": "s1", "image": "alpine", "script": "echo hi"}]
            },
        }
    )


@pytest.mark.kube
def test_admin_creates_task(kube_server, kube_namespace):
    kube_server.kubectl("create", "-f", "-", input=task("hello", kube_namespace))

    got = json.loads(
        kube_server.kubectl(
            "get", "tasks.tekton.dev", "hello", "-n", kube_namespace, "-o", "json"
        ).stdout
    )
    assert got["apiVersion"] == "tekton.dev/v1"
    assert got["spec"]["steps"][0]["image"] == "alpine"
    assert got["metadata"]["uid"]


@pytest.mark.kube
def test_crd_schema_rejects_invalid_task(kube_server, kube_namespace):
    # --validate=false: the server's CRD schema must reject it, not kubectl.
    proc = kube_server.kubectl(
        "create",
        "--validate=false",
        "-f",
        "-",
        input=task("bad", kube_namespace, steps="not-a-list"),
        check=False,
    )

    assert proc.returncode != 0
    assert "is invalid" in proc.stderr and "spec.steps" in proc.stderr, proc.stderr


@pytest.mark.kube
def test_limited_user_forbidden_until_granted(kube_server, kube_namespace):
    denied = kube_server.kubectl(
        "create", "-f", "-", input=task("mine", kube_namespace), user="limited", check=False
    )
    assert denied.returncode != 0
    assert "forbidden" in denied.stderr.lower() and kube_server.limited_user in denied.stderr, (
        denied.stderr
    )

    kube_server.grant(
        kube_namespace,
        [{"apiGroups": ["tekton.dev"], "resources": ["tasks"], "verbs": ["get", "create"]}],
    )

    kube_server.kubectl("create", "-f", "-", input=task("mine", kube_namespace), user="limited")
    elsewhere = kube_server.kubectl(
        "get", "tasks.tekton.dev", "-n", "default", user="limited", check=False
    )
    assert "forbidden" in elsewhere.stderr.lower(), elsewhere.stderr


@pytest.mark.kube
def test_pipelines_info_configmap(kube_server):
    version = kube_server.kubectl(
        "get",
        "configmap",
        "pipelines-info",
        "-n",
        "tekton-pipelines",
        "-o",
        "jsonpath={.data.version}",
    ).stdout
    if kube_server.owned:
        assert version == os.environ.get("LOCALKUBE_TEKTON_VERSION", "v0.59.0")
    else:
        assert version.startswith("v")


@pytest.mark.kube
def test_server_side_apply_conflict_between_managers(kube_server, kube_namespace):
    path = f"/apis/tekton.dev/v1/namespaces/{kube_namespace}/tasks/ssa"
    apply = "application/apply-patch+yaml"
    first = yaml.safe_load(task("ssa", kube_namespace))
    status, _ = kube_server.request(
        "PATCH", path + "?fieldManager=installer", first, content_type=apply
    )
    assert status == 201

    second = yaml.safe_load(task("ssa", kube_namespace, steps=[{"name": "s1", "image": "busybox"}]))
    status, body = kube_server.request(
        "PATCH", path + "?fieldManager=someone-else", second, content_type=apply
    )
    assert (status, body["reason"]) == (409, "Conflict"), body

    status, body = kube_server.request(
        "PATCH", path + "?fieldManager=someone-else&force=true", second, content_type=apply
    )
    assert status == 200 and body["spec"]["steps"][0]["image"] == "busybox"


@pytest.mark.kube
def test_kubectl_server_side_apply_conflict(kube_server, kube_namespace):
    kube_server.kubectl(
        "apply", "--server-side", "--field-manager=one", "-f", "-", input=task("t", kube_namespace)
    )
    changed = task("t", kube_namespace, steps=[{"name": "s1", "image": "busybox"}])

    proc = kube_server.kubectl(
        "apply", "--server-side", "--field-manager=two", "-f", "-", input=changed, check=False
    )

    assert proc.returncode != 0 and "conflict" in proc.stderr.lower(), proc.stderr


@pytest.mark.kube
def test_controller_manager_runs(kube_server):
    name = f"t-{uuid.uuid4().hex[:10]}"
    kube_server.kubectl("create", "namespace", name)
    kube_server.kubectl(
        "wait", "--for=create", "serviceaccount/default", "-n", name, "--timeout=30s"
    )

    # The namespace controller empties and removes a deleted namespace.
    kube_server.kubectl("delete", "namespace", name, "--wait=true", "--timeout=60s")
    assert kube_server.kubectl("get", "namespace", name, check=False).returncode != 0


@pytest.mark.kube
def test_stop_and_restart_apiserver_keeps_objects(kube_server, kube_namespace):
    if not (kube_server.dir / "config").is_file():
        pytest.skip(
            f"{kube_server.dir} was not made by scripts/localkube.sh start: cannot restart its API server"
        )
    kube_server.kubectl("create", "-f", "-", input=task("survivor", kube_namespace))

    kube_server.stop_apiserver()
    try:
        down = kube_server.kubectl("get", "namespaces", "--request-timeout=5s", check=False)
        assert down.returncode != 0
    finally:
        kube_server.start_apiserver()

    kube_server.kubectl("get", "tasks.tekton.dev", "survivor", "-n", kube_namespace)


def test_start_without_binaries_fails_clearly(tmp_path):
    proc = subprocess.run(
        ["bash", str(SCRIPT), "start", str(tmp_path / "cluster")],
        env={**os.environ, "LOCALKUBE_HOME": str(tmp_path / "empty")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert proc.returncode != 0
    assert "local kube-apiserver not built: run scripts/localkube.sh build" in proc.stderr
