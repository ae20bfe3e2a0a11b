"""Tekton bundles against a real registry on loopback (Debian's docker-registry).

The registry is started here for this module and stopped after it; when the package
is missing the fixture fails (scripts/test.sh installs it) rather than skipping, so a
machine without it cannot pass by testing less.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.oci import bundle as oci
from catalog_cli.oci import registry as oci_registry
from catalog_cli.sources import open_catalog
from catalog_cli.errors import DigestMismatch, InputError, RemoteError

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .faultserve import closed_port_url

REGISTRY_BIN = "/usr/bin/docker-registry"
MISSING = ("docker-registry is not installed: apt-get install docker-registry "
           "(scripts/test.sh installs it)")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    binary = shutil.which("docker-registry") or REGISTRY_BIN
    if not os.access(binary, os.X_OK):
        pytest.fail(MISSING, pytrace=False)
    folder = tmp_path_factory.mktemp("registry")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = folder / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\n"
        f"storage:\n  filesystem:\n    rootdirectory: {folder / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n")
    log = (folder / "registry.log").open("w")
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docker-registry did not start: {(folder / 'registry.log').read_text()[-2000:]}",
                            pytrace=False)
            time.sleep(0.1)
        yield {"host": f"127.0.0.1:{port}", "data": folder / "data"}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def manifest(host: str, repo: str, tag: str) -> tuple[dict[str, Any], str]:
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": oci_registry.MANIFEST_MEDIA_TYPE})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read()), resp.headers["Docker-Content-Digest"]


def test_publish_pushes_one_bundle_per_resource(registry: dict[str, Any]) -> None:
    host = registry["host"]
    r = run_cli("publish", "--oci", f"{host}/cat", "kaniko", "git-clone", "-o", "json")
    assert r.code == 0, r.err
    pushed = {p["name"]: p for p in r.json()}
    assert set(pushed) == {"kaniko", "git-clone"}
    builtin = open_catalog(str(BUILTIN))
    entry = builtin.get("kaniko")
    m, digest = manifest(host, "cat/kaniko", entry.version)
    assert pushed["kaniko"]["digest"] == digest
    assert m["mediaType"] == oci_registry.MANIFEST_MEDIA_TYPE
    assert m["config"]["mediaType"] == oci.CONFIG_MEDIA_TYPE
    (layer,) = m["layers"]
    assert layer["mediaType"] == oci.LAYER_MEDIA_TYPE
    ann = layer["annotations"]
    assert (ann["dev.tekton.image.apiVersion"], ann["dev.tekton.image.kind"], ann["dev.tekton.image.name"]) == (
        "tekton.dev/v1", "task", "kaniko")
    assert m["annotations"]["catalog.dev/digest"] == entry.digest
    assert m["annotations"]["org.opencontainers.image.version"] == entry.version


def test_pull_gives_back_the_catalog_bytes(registry: dict[str, Any]) -> None:
    host = registry["host"]
    assert run_cli("publish", "--oci", f"{host}/cat", "kubectl-deploy", "--all-versions").code == 0
    builtin = open_catalog(str(BUILTIN))
    for entry in builtin.versions("kubectl-deploy"):
        bundle = oci.pull(f"oci://{host}/cat/kubectl-deploy:{entry.version}")
        (layer,) = bundle.layers
        assert layer.data == builtin.read_file(entry.path, entry.digest)
        assert bundle.ref.digest and str(bundle.ref).endswith(bundle.ref.digest)
        again = oci.pull(str(bundle.ref))  # by digest
        assert again.layers == bundle.layers


def test_a_corrupted_blob_is_refused(registry: dict[str, Any]) -> None:
    host = registry["host"]
    assert run_cli("publish", "--oci", f"{host}/bad", "yq-update").code == 0
    version = open_catalog(str(BUILTIN)).get("yq-update").version
    m, _ = manifest(host, "bad/yq-update", version)
    hexdigest = m["layers"][0]["digest"].split(":")[1]
    blob = registry["data"] / "docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"
    data = bytearray(blob.read_bytes())
    data[-5] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatch, match="does not match the manifest"):
        oci.pull(f"{host}/bad/yq-update:{version}")
    r = run_cli("install", f"oci://{host}/bad/yq-update:{version}", "-n", "default",
                env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "layer 0", "does not match the manifest")
    assert r.code == 6


def test_limits_and_refs_are_checked_before_any_network() -> None:
    res = [oci.BundleLayer(b"x", "tekton.dev/v1", "Task", f"t{i}") for i in range(21)]
    with pytest.raises(InputError, match="at most 20"):
        oci.push_bundle(oci_registry.parse_ref("127.0.0.1:9/x:1"), res)
    dup = [oci.BundleLayer(b"x", "tekton.dev/v1", "Task", "t")] * 2
    with pytest.raises(InputError, match="two Tasks named t"):
        oci.push_bundle(oci_registry.parse_ref("127.0.0.1:9/x:1"), dup)
    for bad in ("git-clone", "registry.io", "Registry.io/Repo:1", "r.io/x@sha256:abc"):
        with pytest.raises(InputError):
            oci_registry.parse_ref(bad)
    ref = oci_registry.parse_ref("oci://127.0.0.1:5000/team/git-clone:0.2")
    assert (ref.registry, ref.repository, ref.tag) == ("127.0.0.1:5000", "team/git-clone", "0.2")


def test_plain_http_only_for_loopback_or_when_asked() -> None:
    assert oci_registry.plain_http("127.0.0.1:5000") and oci_registry.plain_http("localhost:5000") and oci_registry.plain_http("[::1]")
    assert not oci_registry.plain_http("registry.example.com") and not oci_registry.plain_http("10.0.0.1:5000")
    assert oci_registry.plain_http("registry.example.com", insecure=True)


def test_a_registry_that_is_down_is_one_error_in_bounded_time() -> None:
    host = closed_port_url().removeprefix("http://")
    start = time.monotonic()
    with pytest.raises(RemoteError, match="cannot reach the registry"):
        oci.pull(f"{host}/cat/kaniko:0.2")
    assert time.monotonic() - start < 5


def pipeline_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    folder = root / "pipeline/build/0.1"
    folder.mkdir(parents=True)
    (folder / "build.yaml").write_text("""\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: build
  labels:
    app.kubernetes.io/version: "0.1"
  annotations:
    tekton.dev/pipelines.minVersion: "0.50.0"
spec:
  description: Clone and build.
  workspaces:
    - name: source
  tasks:
    - name: clone
      taskRef:
        name: git-clone
      workspaces:
        - name: output
          workspace: source
    - name: build
      runAfter: [clone]
      taskRef:
        name: kaniko
      workspaces:
        - name: source
          workspace: source
""")
    assert run_cli("index", str(root)).code == 0
    return root


def test_render_pipelines_through_the_bundles_resolver(tmp_path: Path) -> None:
    root = pipeline_catalog(tmp_path)
    r = run_cli("render", "build", "--catalog", str(root), "--bundles", "127.0.0.1:5000/cat", "-o", "json")
    assert r.code == 0, r.err
    items = r.json()["items"]
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in items)
    assert ("Task", "kaniko") not in kinds and ("Task", "git-clone") not in kinds
    assert ("Pipeline", "build") in kinds and ("Role", "catalog-build") in kinds
    pipeline = next(o for o in items if o["kind"] == "Pipeline")
    cat = open_catalog(str(root))
    refs = {t["name"]: t["taskRef"] for t in pipeline["spec"]["tasks"]}
    assert refs["build"] == {"resolver": "bundles", "params": [
        {"name": "bundle", "value": f"127.0.0.1:5000/cat/kaniko:{cat.get('kaniko').version}"},
        {"name": "name", "value": "kaniko"}, {"name": "kind", "value": "task"}]}
    # Without --bundles the Tasks are rendered and referenced by name, as before.
    r = run_cli("render", "build", "--catalog", str(root), "-o", "json")
    assert ("Task", "kaniko") in {(o["kind"], o["metadata"]["name"]) for o in r.json()["items"]}


@pytest.mark.kube
def test_install_from_a_bundle(registry: dict[str, Any], kube_server: Any, kube_namespace: str) -> None:
    host = registry["host"]
    assert run_cli("publish", "--oci", f"{host}/cat", "kubectl-deploy").code == 0
    entry = open_catalog(str(BUILTIN)).get("kubectl-deploy")
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("install", f"oci://{host}/cat/kubectl-deploy:{entry.version}", "-n", kube_namespace,
                "--allow-sensitive-rbac", env=env)
    assert r.code == 0, r.err
    got = kube_server.kubectl("get", "task", "kubectl-deploy", "-n", kube_namespace, "-o", "json").stdout
    meta = json.loads(got)["metadata"]
    _, digest = manifest(host, "cat/kubectl-deploy", entry.version)
    assert meta["annotations"]["catalog.dev/source"] == f"oci://{host}/cat/kubectl-deploy@{digest}"
    assert meta["annotations"]["catalog.dev/digest"] == entry.digest
    role = json.loads(kube_server.kubectl("get", "role", "catalog-kubectl-deploy", "-n", kube_namespace,
                                          "-o", "json").stdout)
    assert role["rules"] == [r.to_dict() for r in entry.rbac]
    r = run_cli("install", "--bundle", f"{host}/cat/kubectl-deploy:{entry.version}", "-n", kube_namespace,
                "--allow-sensitive-rbac", env=env)
    assert r.code == 0 and "nothing to do" in r.err
