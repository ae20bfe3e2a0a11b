"""Tekton bundles against a real registry on loopback (Debian's docker-registry).

The registry is started here for this module and stopped after it; when the package
is missing the fixture fails (scripts/test.sh installs it) rather than skipping, so a
machine without it cannot pass by testing less.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

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
                                 headers={"Accept": f"{oci_registry.MANIFEST_MEDIA_TYPE}, {DOCKER_MANIFEST}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read()), resp.headers["Docker-Content-Digest"]


def http(url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    return urllib.request.urlopen(req, timeout=30)


def push_blob(host: str, repo: str, data: bytes) -> dict[str, Any]:
    """Upload ``data`` with the registry's HTTP API (monolithic upload); its descriptor."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with http(f"http://{host}/v2/{repo}/blobs/uploads/", "POST", b"") as resp:
        location = resp.headers["Location"]
    location = f"http://{host}{location}" if location.startswith("/") else location
    with http(f"{location}{'&' if '?' in location else '?'}digest={digest}", "PUT", data,
              {"Content-Type": "application/octet-stream"}) as resp:
        assert resp.status == 201
    return {"digest": digest, "size": len(data)}


#: What ``tkn bundle push`` writes (go-containerregistry's defaults for an empty.Image).
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def push_by_hand(host: str, repo: str, tag: str, layers: list[tuple[bytes, str, dict[str, str]]],
                 manifest_type: str = DOCKER_MANIFEST, config_type: str = DOCKER_CONFIG) -> str:
    """An image of ``layers`` (blob, media type, annotations) pushed over raw HTTP; its
    manifest digest."""
    config = json.dumps({"architecture": "", "created": "1970-01-01T00:00:00Z", "os": "",
                         "rootfs": {"type": "layers", "diff_ids": []}, "config": {}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": manifest_type,
                "config": {"mediaType": config_type, **push_blob(host, repo, config)},
                "layers": [{"mediaType": kind, **push_blob(host, repo, blob), "annotations": ann}
                           for blob, kind, ann in layers]}
    with http(f"http://{host}/v2/{repo}/manifests/{tag}", "PUT", json.dumps(manifest).encode(),
              {"Content-Type": manifest_type}) as resp:
        assert resp.status == 201
        return str(resp.headers["Docker-Content-Digest"])


def go_tar(name: str, data: bytes) -> bytes:
    """A tar of one file as Go's archive/tar writes the one tkn bundle push makes (mode
    0600, no times, USTAR), gzipped as go-containerregistry's tarball.LayerFromReader does."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o600, 0
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue())


def as_tkn_json(path: Path) -> bytes:
    """A catalog file as tkn bundle push stores it: the document converted to JSON
    (sigs.k8s.io/yaml: keys sorted, compact)."""
    return json.dumps(yaml.safe_load(path.read_text()), sort_keys=True, separators=(",", ":")).encode()


def tekton_annotations(kind: str, name: str, api_version: str = "v1") -> dict[str, str]:
    return {oci.ANNOTATION_API_VERSION: api_version, oci.ANNOTATION_KIND: kind, oci.ANNOTATION_NAME: name}


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


def test_publish_leaves_templates_out_and_says_so(registry: dict[str, Any]) -> None:
    host = registry["host"]
    r = run_cli("publish", "--oci", f"{host}/every", "-o", "json")
    assert r.code == 0, r.err
    builtin = open_catalog(str(BUILTIN))
    tekton = {n for n in builtin.names() if set(builtin.kinds(n)) & {"Task", "Pipeline", "StepAction"}}
    assert {p["name"] for p in r.json()} == tekton
    assert {p["kind"] for p in r.json()} <= {"Task", "Pipeline", "StepAction"}
    assert ("not pushed: template/dockerfile-kaniko, template/java-maven-jib: a Tekton bundle holds only "
            "Tasks, Pipelines and StepActions") in r.err
    with pytest.raises(urllib.error.HTTPError) as info:
        manifest(host, "every/java-maven-jib", builtin.get("java-maven-jib").version)
    assert info.value.code == 404


def test_publish_of_a_named_template_is_refused_before_any_push(registry: dict[str, Any]) -> None:
    host = registry["host"]
    r = run_cli("publish", "--oci", f"{host}/named", "kaniko", "java-maven-jib")
    assert_one_line_error(r, "java-maven-jib is a Template", "publish templates as a catalog")
    with pytest.raises(urllib.error.HTTPError):
        manifest(host, "named/kaniko", open_catalog(str(BUILTIN)).get("kaniko").version)


def test_installing_a_template_bundle_says_it_is_a_template(registry: dict[str, Any]) -> None:
    """Someone pushed a Template as a bundle (an older catalog did, or by hand): install
    names it a Template before any cluster is asked anything."""
    host = registry["host"]
    text = (BUILTIN / "template" / "java-maven-jib" / "0.4" / "java-maven-jib.yaml").read_bytes()
    oci.push_bundle(oci_registry.parse_ref(f"{host}/old/java-maven-jib:0.4"),
                    [oci.BundleLayer(text, "catalog.dev/v1", "Template", "java-maven-jib")])
    r = run_cli("install", f"oci://{host}/old/java-maven-jib:0.4", "-n", "shop",
                env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "holds the Template java-maven-jib: templates are scaffolded")
    assert r.code == 2


def test_installing_a_template_by_name_says_so_before_connecting() -> None:
    r = run_cli("install", "java-maven-jib", "-n", "shop", env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "java-maven-jib is a Template", "`catalog scaffold java-maven-jib`")
    assert r.code == 2


def test_a_bundle_pushed_as_tkn_bundle_push_does_is_read(registry: dict[str, Any], tmp_path: Path) -> None:
    """Docker media types, the documents as JSON, apiVersion annotations of the version
    alone, layers in the order of their contents' digests: as tektoncd/cli's
    pkg/bundle/builder.go writes them."""
    host = registry["host"]
    builtin = open_catalog(str(BUILTIN))
    docs = {name: as_tkn_json(BUILTIN / builtin.get(name).path) for name in ("git-clone", "yq-update")}
    layers = sorted(((go_tar(name, data), DOCKER_LAYER, tekton_annotations("task", name))
                     for name, data in docs.items()), key=lambda layer: hashlib.sha256(layer[0]).digest())
    digest = push_by_hand(host, "tkn/tasks", "1", layers)
    got, served = manifest(host, "tkn/tasks", "1")
    assert served == digest and got["mediaType"] == DOCKER_MANIFEST
    bundle = oci.pull(f"{host}/tkn/tasks:1")
    assert bundle.ref.digest == digest
    assert {layer.name: layer.data for layer in bundle.layers} == docs
    assert {layer.api_version for layer in bundle.layers} == {"v1"}
    from catalog_cli.settings import Settings
    from catalog_cli.sources.bundle import open_bundle

    cat, reqs = open_bundle(f"{host}/tkn/tasks:1", Settings(tmp_path / "cache", tmp_path / "config", tmp_path / "state"))
    assert sorted(reqs) == sorted(f"task/{n}@{builtin.get(n).version}" for n in docs)
    entry = cat.get("git-clone")
    assert entry.digest == "sha256:" + hashlib.sha256(docs["git-clone"]).hexdigest()
    assert cat.load_resource(entry)["spec"] == builtin.load_resource(builtin.get("git-clone"))["spec"]


@pytest.mark.parametrize("how", ["plain", "gzip"])
@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_raw_layer_is_read_as_tekton_reads_it(how: str, form: str, registry: dict[str, Any]) -> None:
    """Tekton's resolver reads a layer that is no tar as the document itself (readRawLayer)."""
    host = registry["host"]
    builtin = open_catalog(str(BUILTIN))
    path = BUILTIN / builtin.get("kubectl-deploy").path
    data = path.read_bytes() if form == "yaml" else as_tkn_json(path)
    blob = gzip.compress(data) if how == "gzip" else data
    kind = oci.LAYER_MEDIA_TYPE if how == "gzip" else "application/vnd.oci.image.layer.v1.tar"
    push_by_hand(host, "raw/kubectl-deploy", f"{form}-{how}", [(blob, kind, tekton_annotations(
        "task", "kubectl-deploy", "tekton.dev/v1"))], oci_registry.MANIFEST_MEDIA_TYPE, oci.CONFIG_MEDIA_TYPE)
    (layer,) = oci.pull(f"{host}/raw/kubectl-deploy:{form}-{how}").layers
    assert layer.data == data


@pytest.mark.parametrize(("blob", "annotations", "needle"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, tekton_annotations("task", "x"), "not UTF-8 text"),
    (b"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: other\n", tekton_annotations("task", "x"),
     "annotations say task x (v1), its document is Task other"),
    (b"apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata:\n  name: x\n", tekton_annotations("task", "x"),
     "its document is Pipeline x"),
    (b"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: x\n", tekton_annotations("task", "x", "v1beta1"),
     "annotations say task x (v1beta1)"),
    (gzip.compress(b"kind: Task\n#" + b" " * oci.MAX_LAYER_BYTES), tekton_annotations("task", "x"),
     "decompresses to over"),
])
def test_a_raw_layer_must_be_what_its_annotations_say(blob: bytes, annotations: dict[str, str], needle: str,
                                                      registry: dict[str, Any]) -> None:
    host = registry["host"]
    tag = hashlib.sha256(blob + needle.encode()).hexdigest()[:12]
    push_by_hand(host, "bad/raw", tag, [(blob, DOCKER_LAYER, annotations)])
    with pytest.raises(InputError, match="layer 0") as info:
        oci.pull(f"{host}/bad/raw:{tag}")
    assert needle in str(info.value)
    r = run_cli("install", f"oci://{host}/bad/raw:{tag}", "-n", "default", env={"KUBECONFIG": "/nonexistent"})
    assert_one_line_error(r, "layer 0", needle)


def test_read_layer_tells_a_tar_from_a_document() -> None:
    doc = b"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: t\n"
    assert oci.read_layer(go_tar("t", doc), "l") == doc
    assert oci.read_layer(doc, "l") == doc
    assert oci.read_layer(doc * 100, "l") == doc * 100  # over one tar block, still no tar header
    with pytest.raises(InputError, match="holds one file, this one 0"):
        oci.read_layer(bytes(1024), "l")  # the end blocks of an empty tar


@pytest.mark.kube
@pytest.mark.parametrize("how", ["tkn", "raw"])
def test_install_from_a_bundle_pushed_as_tkn_does(how: str, registry: dict[str, Any], kube_server: Any,
                                                  kube_namespace: str) -> None:
    """As ``tkn bundle push`` writes it (Docker media types, JSON in a tar), or a raw
    layer (the catalog's YAML file itself, OCI media types): both install."""
    host = registry["host"]
    entry = open_catalog(str(BUILTIN)).get("yq-update")
    if how == "tkn":
        data = as_tkn_json(BUILTIN / entry.path)
        digest = push_by_hand(host, f"{how}/yq-update", entry.version,
                              [(go_tar("yq-update", data), DOCKER_LAYER, tekton_annotations("task", "yq-update"))])
    else:
        data = (BUILTIN / entry.path).read_bytes()
        digest = push_by_hand(host, f"{how}/yq-update", entry.version, [(data, "application/vnd.oci.image.layer.v1.tar",
                              tekton_annotations("task", "yq-update", "tekton.dev/v1"))],
                              oci_registry.MANIFEST_MEDIA_TYPE, oci.CONFIG_MEDIA_TYPE)
    r = run_cli("install", f"oci://{host}/{how}/yq-update:{entry.version}", "-n", kube_namespace,
                env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == 0, r.err
    task = json.loads(kube_server.kubectl("get", "task", "yq-update", "-n", kube_namespace, "-o", "json").stdout)
    assert task["metadata"]["annotations"]["catalog.dev/source"] == f"oci://{host}/{how}/yq-update@{digest}"
    assert task["metadata"]["annotations"]["catalog.dev/digest"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert task["metadata"]["labels"]["app.kubernetes.io/version"] == entry.version
    assert task["spec"]["steps"] == yaml.safe_load(data)["spec"]["steps"]
