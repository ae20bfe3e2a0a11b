"""A signed catalog served over loopback HTTP, against the real local kube-apiserver: it
installs, and every attack on it (tampered file, tampered index, stripped signature,
wrong key, expired signature, older index replayed) is refused with nothing applied,
by install, upgrade and install --locked alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.signing.index_sig import SIG_NAME

from .conftest import assert_one_line_error, run_cli
from .faultserve import serve
from .test_signed_repos import edit_index, keygen, resign, signed_tree

pytestmark = pytest.mark.kube


def objects(kube_server: Any, ns: str) -> str:
    return str(kube_server.kubectl("get", "tasks,serviceaccounts,roles,rolebindings,configmaps", "-n", ns,
                                   "-o", "name").stdout)


def env(kube_server: Any) -> dict[str, str]:
    return {"KUBECONFIG": str(kube_server.admin_kubeconfig)}


def test_a_signed_catalog_over_http_installs(tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        r = run_cli("install", "team/kubectl-deploy", "-n", kube_namespace, "--allow-sensitive-rbac",
                    env=env(kube_server))
        assert r.code == 0, r.err
        assert run_cli("info", "team/kubectl-deploy", "-o", "json").json()["signedBy"] == keyid
    source = kube_server.kubectl("get", "task", "kubectl-deploy", "-n", kube_namespace, "-o",
                                 "jsonpath={.metadata.annotations.catalog\\.dev/source}").stdout
    assert source == "team"


ATTACKS = ["tampered file", "tampered index", "stripped signature", "wrong key", "expired", "older index replayed"]


def attack(name: str, root: Path, key: Path, tmp_path: Path, old: tuple[bytes, bytes]) -> tuple[int, str]:
    """Make the served catalog what the attacker serves; the exit code and words expected."""
    if name == "tampered file":
        task = root / "task" / "kubectl-deploy" / "0.2" / "kubectl-deploy.yaml"
        task.write_text(task.read_text().replace("kubectl", "kubect1", 1))
        return 6, "does not match the index"
    if name == "tampered index":
        edit_index(root)
        return 9, "changed after signing"
    if name == "stripped signature":
        (root / SIG_NAME).unlink()
        return 9, "no index.yaml.sig"
    if name == "wrong key":
        other, _, other_id = keygen(tmp_path, "other")
        edit_index(root)
        resign(root, other, 9)
        return 9, other_id
    if name == "expired":
        resign(root, key, 9, now=datetime.now(timezone.utc) - timedelta(days=40))
        return 9, "expired"
    (root / "index.yaml").write_bytes(old[0])
    (root / SIG_NAME).write_bytes(old[1])
    return 9, "rollback"


def _published_twice(root: Path, key: Path) -> tuple[bytes, bytes]:
    """The first signed index (kept, to replay), then a second one with a higher serial."""
    old = ((root / "index.yaml").read_bytes(), (root / SIG_NAME).read_bytes())
    assert run_cli("index", str(root), "--sign", str(key)).code == 0  # serial 2, same content
    return old


@pytest.mark.parametrize("name", ATTACKS)
def test_install_refuses_each_attack_and_applies_nothing(name: str, tmp_path: Path, kube_server: Any,
                                                         kube_namespace: str) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    old = ((root / "index.yaml").read_bytes(), (root / SIG_NAME).read_bytes())
    before = objects(kube_server, kube_namespace)
    with serve(root) as srv:
        if name == "older index replayed":
            old = _published_twice(root, key)
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        code, needle = attack(name, root, key, tmp_path, old)
        r = run_cli("install", "team/kubectl-deploy", "-n", kube_namespace, "--allow-sensitive-rbac",
                    env=env(kube_server))
    assert_one_line_error(r, needle)
    assert r.code == code
    if code == 9:
        assert "kubectl-deploy" in r.err and "repo team" in r.err and keyid in r.err
    assert objects(kube_server, kube_namespace) == before


@pytest.mark.parametrize("name", ["tampered index", "expired", "older index replayed"])
def test_upgrade_and_install_locked_refuse_a_refused_index_and_change_nothing(
        name: str, tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    lock = tmp_path / "catalog.lock"
    with serve(root) as srv:
        old = _published_twice(root, key) if name == "older index replayed" else (b"", b"")
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        r = run_cli("install", "team/kubectl-deploy@0.1", "-n", kube_namespace, "--allow-sensitive-rbac",
                    env=env(kube_server))
        assert r.code == 0, r.err
        assert run_cli("lock", "team/kubectl-deploy@0.1", "--file", str(lock)).code == 0
        assert yaml.safe_load(lock.read_text())["resolved"][0]["signedBy"] == keyid
        before = objects(kube_server, kube_namespace)
        record = kube_server.kubectl("get", "configmap", "catalog-installs", "-n", kube_namespace, "-o",
                                     "jsonpath={.data}").stdout
        attack(name, root, key, tmp_path, old)
        up = run_cli("upgrade", "kubectl-deploy", "-n", kube_namespace, "--allow-sensitive-rbac",
                     env=env(kube_server))
        locked = run_cli("install", "--locked", str(lock), "-n", kube_namespace, "--allow-sensitive-rbac",
                         env=env(kube_server))
    for r in (up, locked):
        assert_one_line_error(r, "kubectl-deploy", "repo team", keyid)
        assert r.code == 9
    assert objects(kube_server, kube_namespace) == before
    assert kube_server.kubectl("get", "configmap", "catalog-installs", "-n", kube_namespace, "-o",
                               "jsonpath={.data}").stdout == record


def test_install_locked_refuses_an_entry_locked_signed_that_comes_unsigned(
        tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    lock = tmp_path / "catalog.lock"
    before = objects(kube_server, kube_namespace)
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        assert run_cli("lock", "team/kubectl-deploy", "--file", str(lock)).code == 0
        assert run_cli("repo", "add", "team", srv.url, "--force").code == 0  # the key dropped from the config
        r = run_cli("install", "--locked", str(lock), "-n", kube_namespace, "--allow-sensitive-rbac",
                    env=env(kube_server))
    assert_one_line_error(r, "kubectl-deploy", "team", keyid, "not signed")
    assert r.code == 9
    assert objects(kube_server, kube_namespace) == before


def test_upgrading_another_entry_leaves_one_from_a_refused_repo_as_it_is(
        tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    key, pub, keyid = keygen(tmp_path)
    root = signed_tree(tmp_path, key)
    with serve(root) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--trust-key", str(pub)).code == 0
        for ref in ("team/kubectl-deploy@0.1", "builtin/yq-update@0.1"):
            r = run_cli("install", ref, "-n", kube_namespace, "--allow-sensitive-rbac", env=env(kube_server))
            assert r.code == 0, r.err
        edit_index(root)
        r = run_cli("upgrade", "yq-update@*", "-n", kube_namespace, "--allow-sensitive-rbac", env=env(kube_server))
    assert r.code == 0, r.err
    assert "kubectl-deploy (from team) stays as it is: repo team requires an index signed by " + keyid in r.err
    labels = kube_server.kubectl("get", "tasks", "-n", kube_namespace, "-o",
                                 "jsonpath={range .items[*]}{.metadata.name}={.metadata.labels.app\\.kubernetes\\.io/version} {end}").stdout
    assert set(labels.split()) == {"kubectl-deploy=0.1", "yq-update=0.2"}
