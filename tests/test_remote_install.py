"""install from a remote repo against the real local kube-apiserver: a good file installs
(its source recorded), a file whose digest is not the index's is refused and nothing
is written, in one namespace or in several."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .faultserve import serve

pytestmark = pytest.mark.kube


def objects(kube_server: Any, ns: str) -> str:
    return str(kube_server.kubectl("get", "tasks,serviceaccounts,roles,rolebindings,configmaps", "-n", ns,
                                   "-o", "name").stdout)


def test_install_from_a_repo_records_its_source(tmp_path: Path, kube_server: Any, kube_namespace: str) -> None:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    with serve(tmp_path / "cat") as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        r = run_cli("install", "team/kubectl-deploy", "-n", kube_namespace, "--allow-sensitive-rbac", env=env)
        assert r.code == 0, r.err
    task = kube_server.kubectl("get", "task", "kubectl-deploy", "-n", kube_namespace, "-o",
                               "jsonpath={.metadata.annotations.catalog\\.dev/source}").stdout
    assert task == "team"  # the origin of the entry (the repo it came from), not the layered catalog


def test_a_wrong_digest_is_refused_and_nothing_installed(tmp_path: Path, kube_server: Any,
                                                         kube_namespace: str) -> None:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    rel = "task/kubectl-deploy/0.2/kubectl-deploy.yaml"
    task = tmp_path / "cat" / rel
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    before = objects(kube_server, kube_namespace)
    with serve(tmp_path / "cat") as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        # The server's copy changes after the index was made: a tampered mirror.
        task.write_text(task.read_text().replace("kubectl", "kubect1", 1))
        r = run_cli("install", "team/kubectl-deploy@0.2", "-n", kube_namespace, "-n", "default",
                    "--allow-sensitive-rbac", env=env)
    assert_one_line_error(r, rel, "does not match the index")
    assert r.code == 6
    assert objects(kube_server, kube_namespace) == before
    assert "kubectl-deploy" not in objects(kube_server, "default")
