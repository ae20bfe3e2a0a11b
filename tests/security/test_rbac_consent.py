"""Consent for rights: rules that amount to escalation are never granted silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.actions.consent import ConsentRequired, Grant, check, sensitive
from catalog_cli.index import write
from catalog_cli.model import PolicyRule

from ..clusterkit import catalog, exists, snapshot
from ..conftest import assert_one_line_error


def rule(groups: list[str], resources: list[str], verbs: list[str]) -> PolicyRule:
    return PolicyRule(tuple(groups), tuple(resources), tuple(verbs))


@pytest.mark.parametrize("groups, resources, verbs, why", [
    ([""], ["secrets"], ["get"], "read Secrets"),
    ([""], ["secrets"], ["list", "watch"], "read Secrets"),
    ([""], ["pods/exec"], ["create"], "pods/exec"),
    ([""], ["pods/attach"], ["get"], "pods/attach"),
    ([""], ["serviceaccounts/token"], ["create"], "mint ServiceAccount tokens"),
    (["rbac.authorization.k8s.io"], ["roles"], ["escalate"], "escalate RBAC"),
    (["rbac.authorization.k8s.io"], ["clusterroles"], ["bind"], "bind any role"),
    ([""], ["users", "groups", "serviceaccounts"], ["impersonate"], "impersonate"),
    ([""], ["pods"], ["create"], "create pods (runs pods)"),
    (["apps"], ["deployments"], ["patch"], "patch deployments (runs pods)"),
    (["batch"], ["jobs"], ["create"], "create jobs (runs pods)"),
    (["tekton.dev"], ["taskruns"], ["create"], "create taskruns (runs pods)"),
    (["rbac.authorization.k8s.io"], ["rolebindings"], ["create"], "change rolebindings"),
])
def test_escalating_rules_are_named(groups: list[str], resources: list[str], verbs: list[str], why: str) -> None:
    assert why in sensitive(rule(groups, resources, verbs))


@pytest.mark.parametrize("groups, resources, verbs", [
    ([""], ["configmaps"], ["get", "list", "create", "patch"]),
    ([""], ["secrets"], ["create"]),  # writing a Secret reveals nothing
    (["apps"], ["deployments"], ["get", "list", "watch"]),
    ([""], ["pods", "pods/log"], ["get", "list"]),
    (["tekton.dev"], ["tasks"], ["create", "patch"]),
])
def test_ordinary_rules_are_not(groups: list[str], resources: list[str], verbs: list[str]) -> None:
    assert sensitive(rule(groups, resources, verbs)) == []


def test_consent_comes_from_the_flag_or_a_trusted_source() -> None:
    g = Grant("team-a", "catalog-x", "x", "team", (rule([""], ["secrets"], ["get"]),))
    with pytest.raises(ConsentRequired, match="x \\(from team\\) would let ServiceAccount catalog-x read Secrets"):
        check([g], allow=False, trusted={"builtin"})
    check([g], allow=True, trusted=set())
    check([g], allow=False, trusted={"team"})


EVIL_RULES = [
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["escalate", "bind"]},
    {"apiGroups": [""], "resources": ["users", "serviceaccounts"], "verbs": ["impersonate"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
]


def greedy_catalog(root: Path) -> Path:
    folder = root / "task" / "greedy" / "0.1"
    folder.mkdir(parents=True)
    (folder / "greedy.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": "greedy", "labels": {"app.kubernetes.io/version": "0.1"},
                     "annotations": {"tekton.dev/pipelines.minVersion": "0.50.0"}},
        "spec": {"description": "Looks harmless.", "steps": [{"name": "s", "image": "alpine", "script": "true"}]}}))
    (folder / "rbac.yaml").write_text(yaml.safe_dump({"rules": EVIL_RULES}))
    write(root)
    return root


@pytest.mark.kube
def test_escalating_rbac_from_a_repo_is_refused_without_consent(kube_server: Any, kube_namespace: str,
                                                                tmp_path: Path) -> None:
    root = greedy_catalog(tmp_path / "cat")
    ns = kube_namespace
    before = snapshot(kube_server, ns)
    for dry in ([], ["--dry-run=server"], ["--dry-run=client"]):
        r = catalog(kube_server, "install", "greedy", "-n", ns, "--catalog", str(root), *dry, state=tmp_path)
        assert_one_line_error(r, "greedy", "escalate RBAC", "impersonate", "read Secrets", "pods/exec",
                              "--allow-sensitive-rbac")
        assert r.code == 1
        assert snapshot(kube_server, ns) == before
    r = catalog(kube_server, "install", "greedy", "-n", ns, "--catalog", str(root), "--allow-sensitive-rbac",
                state=tmp_path)
    assert r.code == 0, r.err
    assert "ServiceAccount catalog-greedy in" in r.err and "! read Secrets" in r.err
    assert exists(kube_server, "role", "catalog-greedy", ns)


@pytest.mark.kube
def test_every_grant_is_shown_even_from_the_trusted_builtin_catalog(kube_server: Any, kube_namespace: str,
                                                                   tmp_path: Path) -> None:
    r = catalog(kube_server, "install", "kubectl-deploy", "-n", kube_namespace, "--dry-run=client", state=tmp_path)
    assert r.code == 0, r.err
    assert "ServiceAccount catalog-kubectl-deploy" in r.err and "would be granted" in r.err
    assert "apps/deployments: get list watch create patch" in r.err
    assert "(runs pods)" in r.err
    assert "would install" in r.out


@pytest.mark.parametrize("spec, why", [
    ({"steps": [{"name": "s", "image": "a", "securityContext": {"privileged": True}}]}, "privileged containers"),
    ({"stepTemplate": {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}, "steps": []},
     "capability SYS_ADMIN"),
    ({"sidecars": [{"name": "d", "image": "docker:dind", "securityContext": {"privileged": True}}]},
     "privileged containers"),
    ({"volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}]}, "hostPath volumes"),
    ({"tasks": [{"name": "t", "taskSpec": {"steps": [{"name": "s", "image": "a",
                                                      "securityContext": {"privileged": True}}]}}]},
     "privileged containers"),
])
def test_specs_that_ask_for_the_node_are_named(spec: dict[str, Any], why: str) -> None:
    from catalog_cli.actions.consent import risky

    assert any(why in r for r in risky({"kind": "Task", "spec": spec}))


def test_the_builtin_tasks_ask_for_nothing_of_the_node() -> None:
    from catalog_cli.actions.consent import risky
    from catalog_cli.sources import open_catalog

    cat = open_catalog("builtin")
    for name in cat.names():
        for entry in cat.versions(name):
            if entry.kind != "Template":
                assert risky(cat.load_resource(entry)) == [], entry.ref


@pytest.mark.kube
def test_a_privileged_task_from_a_repo_needs_consent(kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    root = tmp_path / "cat"
    folder = root / "task" / "dind" / "0.1"
    folder.mkdir(parents=True)
    (folder / "dind.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": "dind", "labels": {"app.kubernetes.io/version": "0.1"}},
        "spec": {"steps": [{"name": "s", "image": "docker:dind", "script": "true"}],
                 "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                 "sidecars": [{"name": "d", "image": "docker:dind", "securityContext": {"privileged": True}}]}}))
    write(root)
    before = snapshot(kube_server, kube_namespace)
    r = catalog(kube_server, "install", "dind", "-n", kube_namespace, "--catalog", str(root), state=tmp_path)
    assert_one_line_error(r, "Task dind", "privileged containers", "hostPath volumes", "--allow-sensitive-rbac")
    assert snapshot(kube_server, kube_namespace) == before
    r = catalog(kube_server, "install", "dind", "-n", kube_namespace, "--catalog", str(root),
                "--allow-sensitive-rbac", state=tmp_path)
    assert r.code == 0, r.err
    assert "runs with: hostPath volumes (the node's files), privileged containers" in r.err


@pytest.mark.kube
def test_a_repo_trusted_for_sensitive_rbac_needs_no_flag(kube_server: Any, kube_namespace: str,
                                                         tmp_path: Path) -> None:
    from ..conftest import run_cli

    root = greedy_catalog(tmp_path / "cat")
    assert run_cli("repo", "add", "platform", str(root)).code == 0
    r = catalog(kube_server, "install", "greedy", "-n", kube_namespace, "--dry-run=client", state=tmp_path)
    assert r.code == 1 and "greedy (from platform)" in r.err
    assert run_cli("repo", "add", "platform", str(root), "--force", "--trust-sensitive-rbac").code == 0
    listed = run_cli("repo", "list", "-o", "json").json()
    assert [r["trust"] for r in listed if r["name"] == "platform"] == [["sensitive-rbac"]]
    r = catalog(kube_server, "install", "greedy", "-n", kube_namespace, state=tmp_path)
    assert r.code == 0, r.err
    assert "! read Secrets" in r.err  # trusted, and still shown
