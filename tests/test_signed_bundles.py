"""Signed Tekton bundles in the real registry on loopback: ``publish --sign`` pushes what
``cosign sign --key`` pushes, and ``install oci://`` verifies it before anything is
applied: a signed bundle installs on the real API server; a re-tagged bundle, a
signature moved from another digest and a wrong key are refused with nothing applied."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.oci import bundle as oci
from catalog_cli.oci import registry as oci_registry
from catalog_cli.signing import cosign, keys
from catalog_cli.sources import open_catalog

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .test_oci import http, manifest, registry  # noqa: F401  (the registry fixture)
from .test_signed_repos import keygen

NO_CLUSTER = {"KUBECONFIG": "/nonexistent"}


def blob(host: str, repo: str, digest: str) -> bytes:
    with http(f"http://{host}/v2/{repo}/blobs/{digest}") as resp:
        return bytes(resp.read())


def published(host: str, repo: str, name: str, key: Path) -> tuple[str, str]:
    """``name``'s newest version pushed under ``host/repo`` and signed; (its tag, digest)."""
    r = run_cli("publish", "--oci", f"{host}/{repo}", name, "--sign", str(key), "-o", "json")
    assert r.code == 0, r.err
    (row,) = r.json()
    return row["version"], row["digest"]


def retag(host: str, repo: str, tag: str) -> str:
    """Another bundle pushed under ``repo:tag`` (a forged Task); its digest."""
    data = (BUILTIN / "task" / "kubectl-deploy" / "0.2" / "kubectl-deploy.yaml").read_text()
    forged = oci.BundleLayer(data.replace("kubectl", "kubect1", 1).encode(), "tekton.dev/v1", "Task", "kubectl-deploy")
    return oci.push_bundle(oci_registry.parse_ref(f"{host}/{repo}:{tag}"), [forged])


def copy_manifest(host: str, repo: str, source_tag: str, target_tag: str) -> None:
    body, _ = manifest(host, repo, source_tag)
    with http(f"http://{host}/v2/{repo}/manifests/{target_tag}", "PUT", json.dumps(body).encode(),
              {"Content-Type": body["mediaType"]}) as resp:
        assert resp.status == 201


def test_publish_sign_pushes_cosigns_signature_image(registry: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    host = registry["host"]
    key, pub, keyid = keygen(tmp_path)
    r = run_cli("publish", "--oci", f"{host}/cat", "kubectl-deploy", "git-clone", "--sign", str(key), "-o", "json")
    assert r.code == 0, r.err
    assert f"signed 2 bundles with {keyid}" in r.err
    for row in r.json():
        repo = f"cat/{row['name']}"
        tag = cosign.signature_tag(row["digest"])
        assert row["signature"] == f"{host}/{repo}:{tag}" and row["signedBy"] == keyid
        sig, _ = manifest(host, repo, tag)
        assert sig["mediaType"] == cosign.MANIFEST_MEDIA_TYPE
        (layer,) = sig["layers"]
        assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
        payload = blob(host, repo, layer["digest"])
        claims = json.loads(payload)
        assert claims["critical"] == {"identity": {"docker-reference": f"{host}/{repo}"},
                                      "image": {"docker-manifest-digest": row["digest"]},
                                      "type": "cosign container image signature"}
        assert claims["optional"] is None
        signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
        assert keys.load_public_file(pub).verify(signature, payload)
        # What any cosign verifier does with it: the library's verifier, over what the registry serves.
        v = cosign.verify_signatures(json.dumps(sig).encode(), lambda d, repo=repo: blob(host, repo, d),
                                     [keys.load_public_file(pub)], row["digest"])
        assert v.keyid == keyid


def test_an_unsigned_bundle_is_refused_when_a_key_is_trusted(registry: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    host = registry["host"]
    _, pub, keyid = keygen(tmp_path)
    assert run_cli("publish", "--oci", f"{host}/plain", "yq-update").code == 0
    version = open_catalog(str(BUILTIN)).get("yq-update").version
    r = run_cli("install", f"oci://{host}/plain/yq-update:{version}", "-n", "default", "--trust-key", str(pub),
                env=NO_CLUSTER)
    assert_one_line_error(r, f"{host}/plain/yq-update", "--trust-key", keyid, "no cosign signature")
    assert r.code == 9


@pytest.mark.kube
def test_a_signed_bundle_installs_with_its_key(registry: dict[str, Any], tmp_path: Path,  # noqa: F811
                                               kube_server: Any, kube_namespace: str) -> None:
    host = registry["host"]
    key, pub, keyid = keygen(tmp_path)
    tag, digest = published(host, "ok", "kubectl-deploy", key)
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("install", f"oci://{host}/ok/kubectl-deploy:{tag}", "-n", kube_namespace, "--trust-key", str(pub),
                "--allow-sensitive-rbac", env=env)
    assert r.code == 0, r.err
    assert f"signed by {keyid}" in r.err
    got = json.loads(kube_server.kubectl("get", "task", "kubectl-deploy", "-n", kube_namespace, "-o", "json").stdout)
    assert got["metadata"]["annotations"]["catalog.dev/source"] == f"oci://{host}/ok/kubectl-deploy@{digest}"


def objects(kube_server: Any, ns: str) -> str:
    return str(kube_server.kubectl("get", "tasks,serviceaccounts,roles,rolebindings,configmaps", "-n", ns,
                                   "-o", "name").stdout)


@pytest.mark.kube
@pytest.mark.parametrize("attack", ["re-tagged bundle", "signature of another digest", "wrong key"])
def test_each_attack_on_a_signed_bundle_is_refused_and_nothing_applied(
        attack: str, registry: dict[str, Any], tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:  # noqa: F811
    host = registry["host"]
    repo = f"attack-{attack.split()[0]}"
    key, pub, keyid = keygen(tmp_path)
    tag, digest = published(host, repo, "kubectl-deploy", key)
    trusted = pub
    if attack == "re-tagged bundle":
        forged = retag(host, f"{repo}/kubectl-deploy", tag)
        assert forged != digest
        needle = "no cosign signature"
    elif attack == "signature of another digest":
        forged = retag(host, f"{repo}/kubectl-deploy", tag)
        copy_manifest(host, f"{repo}/kubectl-deploy", cosign.signature_tag(digest), cosign.signature_tag(forged))
        needle = f"for digest {digest}"
    else:
        _, trusted, _ = keygen(tmp_path, "other")
        needle = "verifies with"
    before = objects(kube_server, kube_namespace)
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("install", f"oci://{host}/{repo}/kubectl-deploy:{tag}", "-n", kube_namespace,
                "--trust-key", str(trusted), "--allow-sensitive-rbac", env=env)
    assert_one_line_error(r, f"{host}/{repo}/kubectl-deploy", "--trust-key", needle)
    assert r.code == 9
    if attack != "wrong key":
        assert keyid in r.err
    assert objects(kube_server, kube_namespace) == before


def test_a_repo_with_bundles_and_keys_makes_its_bundles_require_a_signature(registry: dict[str, Any],  # noqa: F811
                                                                           tmp_path: Path) -> None:
    host = registry["host"]
    key, pub, keyid = keygen(tmp_path)
    tag, _ = published(host, "team", "kubectl-deploy", key)
    root = tmp_path / "cat"
    import shutil

    shutil.copytree(BUILTIN, root)
    (root / "index.yaml.sig").unlink(missing_ok=True)
    assert run_cli("index", str(root), "--sign", str(key)).code == 0
    r = run_cli("repo", "add", "team", str(root), "--bundles", f"{host}/team", "--trust-key", str(pub))
    assert r.code == 0, r.err
    # Signed: it gets as far as the cluster (none here), verified on the way.
    r = run_cli("install", f"oci://{host}/team/kubectl-deploy:{tag}", "-n", "default", env=NO_CLUSTER)
    assert f"signed by {keyid}" in r.err and r.code != 9
    retag(host, "team/kubectl-deploy", tag)
    r = run_cli("install", f"oci://{host}/team/kubectl-deploy:{tag}", "-n", "default", env=NO_CLUSTER)
    assert_one_line_error(r, f"{host}/team/kubectl-deploy", "repo team", keyid, "no cosign signature")
    assert r.code == 9
    # A registry path no repo requires signatures for installs as before (unsigned).
    assert run_cli("publish", "--oci", f"{host}/elsewhere", "yq-update").code == 0
    version = open_catalog(str(BUILTIN)).get("yq-update").version
    r = run_cli("install", f"oci://{host}/elsewhere/yq-update:{version}", "-n", "default", env=NO_CLUSTER)
    assert r.code != 9 and "signature" not in r.err
