"""A Pipeline whose Tasks are fetched through resolvers, installed on a real cluster:
the references into known catalogs bring their Tasks and rules, exactly as the lock
resolved them; the Pipeline goes to the API server as written; a lock whose git pin no
longer holds installs nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.sources import open_catalog

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .test_resolve_cli import FAST, _git, acme_git  # noqa: F401  (acme_git: a fixture)
from .test_resources_resolvers import acme_tree

pytestmark = pytest.mark.kube


def _live(kube_server: Any, kind: str, name: str, namespace: str) -> dict[str, Any]:
    out = kube_server.kubectl("get", kind, name, "-n", namespace, "-o", "yaml").stdout
    doc: dict[str, Any] = yaml.safe_load(out)
    return doc


def test_locked_install_of_a_pipeline_through_resolvers(tmp_path: Path, kube_server: Any,
                                                        kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    root = acme_tree(tmp_path)
    assert run_cli("repo", "add", "acme", str(root), "--git", "https://git.example.com/acme/catalog.git").code == 0
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "ci", "-f", str(lock), env={"CATALOG_OFFLINE": "1"})
    assert r.code == 0, r.err
    r = run_cli("install", "--locked", str(lock), "-n", kube_namespace, "-o", "json", "--allow-sensitive-rbac",
                env=env)
    assert r.code == 0, r.err
    assert {(p["kind"], p["name"], p["version"]) for p in r.json()["packages"]} == {
        ("Pipeline", "ci", "0.1"), ("Task", "git-clone", "0.1"), ("Task", "kubectl-deploy", "0.2"),
        ("Task", "yq-update", "0.2")}  # not golangci-lint, kaniko nor trivy-scanner: external
    assert r.json()["notes"] == [f"ci 0.1 fetches Task kubectl-deploy from namespace ci-tasks (cluster resolver), "
                                 f"not from {kube_namespace} where it is installed"]

    # Each Task is the entry of the catalog its reference points into.
    acme, builtin = open_catalog(str(root)), open_catalog(str(BUILTIN))
    for name, version, cat in (("git-clone", "0.1", builtin), ("yq-update", "0.2", acme),
                               ("kubectl-deploy", "0.2", builtin)):
        meta = _live(kube_server, "tasks.v1beta1.tekton.dev", name, kube_namespace)["metadata"]
        assert meta["annotations"]["catalog.dev/digest"] == cat.get(name, version).digest, name

    # The Pipeline as written: every reference through its resolver, params and all.
    written = yaml.safe_load((root / "pipeline/ci/0.1/ci.yaml").read_text())["spec"]
    written_refs = [t["taskRef"] for t in written["tasks"] + written["finally"]]
    live = _live(kube_server, "pipelines.v1beta1.tekton.dev", "ci", kube_namespace)["spec"]
    live_refs = [t["taskRef"] for t in live["tasks"] + live["finally"]]
    assert live_refs[:5] == written_refs[:5]
    # v1beta1's taskRef.bundle is not in the v1 schema the server stores: without Tekton's
    # conversion webhook (which makes it a bundles resolver reference) it is pruned there.
    # What install sent is what render shows: the reference as written.
    assert live_refs[5] == {"name": "trivy-scanner"}
    r = run_cli("render", "--locked", str(lock), "-o", "json")
    assert r.code == 0, r.err
    sent = next(o for o in r.json()["items"] if o["kind"] == "Pipeline")["spec"]
    assert [t["taskRef"] for t in sent["tasks"] + sent["finally"]] == written_refs
    role = _live(kube_server, "role", "catalog-ci", kube_namespace)
    assert {"deployments"} <= {res for rule in role["rules"] for res in rule["resources"]}  # kubectl-deploy's


def test_a_moved_git_pin_installs_nothing(acme_git: tuple[Path, Path, str], tmp_path: Path,  # noqa: F811
                                          kube_server: Any, kube_namespace: str) -> None:
    _, git_dir, _ = acme_git
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig), **FAST}
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "ci", "-f", str(lock), env=FAST).code == 0
    commit = _git(git_dir, "rev-parse", "main")
    assert f"commit: {commit}" in lock.read_text()

    (git_dir / "README.md").write_text("moved\n")
    _git(git_dir, "add", "-A")
    _git(git_dir, "commit", "-q", "-m", "move main")
    r = run_cli("install", "--locked", str(lock), "-n", kube_namespace, "--allow-sensitive-rbac", env=env)
    assert_one_line_error(r, "git file://", "@main:task/yq-update/0.2/yq-update.yaml now names",
                          f"the lock has {commit}")
    got = kube_server.kubectl("get", "pipelines.v1beta1.tekton.dev,tasks.v1beta1.tekton.dev,roles",
                              "-n", kube_namespace, "-o", "name").stdout
    assert got.strip() == ""

    # Once re-locked, it installs; offline, the pin cannot be checked and says so.
    assert run_cli("lock", "--upgrade", "-f", str(lock), env=FAST).code == 0
    r = run_cli("install", "--locked", str(lock), "-n", kube_namespace, "--allow-sensitive-rbac",
                env={**env, "CATALOG_OFFLINE": "1"})
    assert r.code == 0, r.err
    assert "yq-update.yaml not checked: offline: git was not asked" in r.err
    assert _live(kube_server, "pipelines.v1beta1.tekton.dev", "ci", kube_namespace)["metadata"]["name"] == "ci"
