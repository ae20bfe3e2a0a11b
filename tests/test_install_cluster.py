"""install and its life cycle against the real local kube-apiserver, as admin and as
an unprivileged user."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.status import status
from catalog_cli.actions.uninstall import uninstall
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.sources import open_catalog
from catalog_cli.errors import CatalogError, ClusterError
from catalog_cli.settings import Settings
from catalog_cli.cluster.base import Cluster, ObjectRef
from catalog_cli.cluster.client import KubeCluster

from .clusterkit import live, snapshot
from .conftest import BUILTIN, run_cli

pytestmark = pytest.mark.kube

# What the limited user needs to install kubectl-deploy: the objects themselves, the
# install record, and the rights kubectl-deploy's Role grants (escalation prevention).
INSTALL_RULES = [
    {"apiGroups": ["tekton.dev"], "resources": ["tasks"], "verbs": ["get", "list", "create", "patch", "delete"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create", "patch", "delete"]},
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "create", "update", "delete"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
     "verbs": ["get", "list", "create", "patch", "delete"]},
]
DEPLOY_RULES = [
    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "create", "patch"]},
    {"apiGroups": [""], "resources": ["services"], "verbs": ["create", "patch"]},
]


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog(None)


@pytest.fixture
def admin(kube_server: Any) -> Cluster:
    return KubeCluster(str(kube_server.admin_kubeconfig))


@pytest.fixture
def alice(kube_server: Any) -> Cluster:
    return KubeCluster(str(kube_server.limited_kubeconfig))


def opts(ns: str, **kw: Any) -> Options:
    return Options((ns,), **kw)


def test_install_makes_task_serviceaccount_role_binding(admin: Cluster, builtin: Any, kube_server: Any,
                                                        kube_namespace: str) -> None:
    report = install(builtin, admin, ["kubectl-deploy"], opts(kube_namespace))
    entry = builtin.get("kubectl-deploy")
    assert [p["status"] for p in report.packages] == ["installed"]
    task = live(kube_server, "task", kube_namespace, "kubectl-deploy")
    assert task is not None
    labels, ann = task["metadata"]["labels"], task["metadata"]["annotations"]
    assert labels["app.kubernetes.io/managed-by"] == "catalog"
    assert labels["app.kubernetes.io/version"] == entry.version
    assert ann["catalog.dev/digest"] == entry.digest
    assert ann["catalog.dev/source"]
    role = live(kube_server, "role", kube_namespace, "catalog-kubectl-deploy")
    rbac = yaml.safe_load((BUILTIN / f"task/kubectl-deploy/{entry.version}/rbac.yaml").read_text())["rules"]
    assert role["rules"] == rbac  # exactly the rules of rbac.yaml
    assert not any("*" in v for r in role["rules"] for v in r["verbs"] + r["resources"] + r["apiGroups"])
    binding = live(kube_server, "rolebinding", kube_namespace, "catalog-kubectl-deploy")
    assert binding["roleRef"]["name"] == "catalog-kubectl-deploy"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "catalog-kubectl-deploy",
                                    "namespace": kube_namespace}]
    assert live(kube_server, "serviceaccount", kube_namespace, "catalog-kubectl-deploy") is not None
    # One field manager (a create where nothing was catalog's; server-side apply after).
    managers = {m["manager"] for m in task["metadata"]["managedFields"]}
    assert managers == {"catalog"}


def test_second_install_changes_nothing(admin: Cluster, builtin: Any, kube_server: Any,
                                        kube_namespace: str) -> None:
    install(builtin, admin, ["kubectl-deploy", "git-clone"], opts(kube_namespace))
    before = snapshot(kube_server, kube_namespace)
    writes: list[ObjectRef] = []
    report = install(builtin, admin, ["kubectl-deploy", "git-clone"], opts(kube_namespace),
                     on_write=lambda ref, _: writes.append(ref))
    assert writes == []
    assert not report.changed
    assert {p["status"] for p in report.packages} == {"unchanged"}
    assert snapshot(kube_server, kube_namespace) == before


def test_cli_install_idempotent_and_says_so(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    first = run_cli("install", "kubectl-deploy", "-n", kube_namespace, env=env)
    assert first.code == 0, first.err
    assert f"4 objects changed in namespace {kube_namespace}: 4 created" in first.err
    second = run_cli("install", "kubectl-deploy", "-n", kube_namespace, env=env)
    assert second.code == 0
    assert f"nothing to do in namespace {kube_namespace}" in second.err


def test_cli_dry_runs_say_what_would_happen(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    ns = kube_namespace
    r = run_cli("install", "git-clone@0.1", "-n", ns, "--dry-run=client", env=env)
    assert r.code == 0, r.err
    assert r.out.splitlines()[1].split()[-2:] == ["would", "install"] and "installed" not in r.out
    assert f"(dry run: client) nothing written; 4 objects would change in namespace {ns}: create 4" in r.err
    assert run_cli("install", "git-clone@0.1", "-n", ns, env=env).code == 0
    r = run_cli("upgrade", "git-clone@0.2", "-n", ns, "--dry-run=server", env=env)
    assert "would upgrade 0.1 -> 0.2" in r.out and f"would change in namespace {ns}: update 4" in r.err, r.out + r.err
    r = run_cli("uninstall", "git-clone", "-n", ns, "--dry-run=client", env=env)
    assert "would remove" in r.out and f"would change in namespace {ns}: delete 4" in r.err, r.out + r.err
    # Every object gone by hand: said once, and the entry still leaves the record.
    kube_server.kubectl("delete", "task/git-clone", "serviceaccount/catalog-git-clone", "role/catalog-git-clone",
                        "rolebinding/catalog-git-clone", "-n", ns)
    r = run_cli("uninstall", "git-clone", "-n", ns, env=env)
    assert r.code == 0, r.err
    assert r.err.count("already gone") == 1 and "nothing to do" not in r.err, r.err
    assert f"no object to write in namespace {ns}; only the install record was changed" in r.err
    assert live(kube_server, "configmap", ns, "catalog-installs") is None


def test_create_namespace_as_helm_does(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    ns = f"{kube_namespace}-new"
    r = run_cli("install", "git-clone", "-n", ns, env=env)
    assert r.code != 0 and r.err.count("\n") == 1, r.err
    assert f"namespace '{ns}' does not exist: --create-namespace creates it" in r.err
    try:
        r = run_cli("install", "git-clone", "-n", ns, "--create-namespace", env=env)
        assert r.code == 0, r.err
        assert f"created namespace {ns}" in r.err
        assert live(kube_server, "task", ns, "git-clone") is not None
        r = run_cli("install", "kaniko", "-n", ns, "--create-namespace", env=env)  # there now: nothing to create
        assert r.code == 0 and "created namespace" not in r.err, r.err
    finally:
        kube_server.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_installing_a_deprecated_version_warns(kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    for version, extra in (("0.1", {"tekton.dev/deprecated": "true"}), ("0.2", {})):
        folder = tmp_path / "cat" / "task" / "old" / version
        folder.mkdir(parents=True)
        (folder / "old.yaml").write_text(yaml.safe_dump({
            "apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": "old", "labels": {"app.kubernetes.io/version": version},
                         "annotations": {"tekton.dev/pipelines.minVersion": "0.50.0", **extra}},
            "spec": {"steps": [{"name": "run", "image": "busybox:1.36", "script": "true"}]}}))
    r = run_cli("install", "old@0.1", "-n", kube_namespace, "--catalog", str(tmp_path / "cat"),
                env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == 0, r.err
    assert "warning: Task old 0.1 is deprecated in folder:cat; 0.2 is not" in r.err.splitlines()


def test_all_namespaces_for_status_and_list_installed(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    other = f"{kube_namespace}-b"
    kube_server.kubectl("create", "namespace", other)
    try:
        assert run_cli("install", "git-clone", "-n", kube_namespace, env=env).code == 0
        assert run_cli("install", "kaniko", "-n", other, env=env).code == 0
        r = run_cli("status", "-A", env=env)
        assert r.code == 0, r.err
        assert r.out.splitlines()[0].split()[0] == "NAMESPACE"
        mine = [line.split()[:2] for line in r.out.splitlines()[1:] if line.split()[0] in (kube_namespace, other)]
        assert mine == [[kube_namespace, "git-clone"], [other, "kaniko"]]
        r = run_cli("list", "--installed", "--all-namespaces", "-o", "json", env=env)
        assert r.code == 0, r.err
        assert {(row["namespace"], row["name"]) for row in r.json()} >= {(kube_namespace, "git-clone"),
                                                                          (other, "kaniko")}
        # A user who may list only in their namespace: one line, saying what to do instead.
        r = run_cli("status", "-A", env={"KUBECONFIG": str(kube_server.limited_kubeconfig)})
        assert r.code == 7 and r.err.count("\n") == 1, r.err
        assert "may not list ConfigMaps in all namespaces" in r.err and "-n NAMESPACE" in r.err
    finally:
        kube_server.kubectl("delete", "namespace", other, "--wait=false")


def test_unprivileged_user_gets_one_message_and_nothing_is_written(
        alice: Cluster, builtin: Any, kube_server: Any, kube_namespace: str) -> None:
    before = snapshot(kube_server, kube_namespace)
    with pytest.raises(ClusterError) as info:
        install(builtin, alice, ["kubectl-deploy"], opts(kube_namespace))
    message = str(info.value)
    assert "\n" not in message
    for needed in ("create tasks (tekton.dev)", "create rolebindings (rbac.authorization.k8s.io)",
                   "create serviceaccounts (core)", "create configmaps (core)"):
        assert needed in message
    assert "nothing was changed" in message
    assert snapshot(kube_server, kube_namespace) == before


def test_unprivileged_user_without_rolebindings_is_stopped_before_writing(
        alice: Cluster, builtin: Any, kube_server: Any, kube_namespace: str) -> None:
    rules = [r for r in INSTALL_RULES if "roles" not in r["resources"]] + DEPLOY_RULES + [
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"],
         "verbs": ["get", "list", "create", "patch"]}]
    kube_server.grant(kube_namespace, rules)
    before = snapshot(kube_server, kube_namespace)
    r = run_cli("install", "kubectl-deploy", "-n", kube_namespace,
                env={"KUBECONFIG": str(kube_server.limited_kubeconfig)})
    assert r.code == 7
    # Five rights missing (the RoleBinding's, and deleting what it would make, which an
    # undo needs): one line saying so, then a table of them.
    head, *table = r.err.splitlines()
    assert head.startswith("catalog: error: ") and "5 rights missing" in head and "Traceback" not in r.err
    assert table[0].split() == ["VERB", "RESOURCE", "NAMESPACE"]
    assert any("rolebindings" in row for row in table[1:])
    assert snapshot(kube_server, kube_namespace) == before


def test_unprivileged_user_with_the_rights_installs(alice: Cluster, builtin: Any, kube_server: Any,
                                                     kube_namespace: str) -> None:
    kube_server.grant(kube_namespace, INSTALL_RULES + DEPLOY_RULES)
    report = install(builtin, alice, ["kubectl-deploy"], opts(kube_namespace))
    assert report.changed
    assert live(kube_server, "task", kube_namespace, "kubectl-deploy") is not None


def test_role_rules_the_user_does_not_hold_are_caught(alice: Cluster, builtin: Any, kube_server: Any,
                                                      kube_namespace: str) -> None:
    # May create Roles, but does not hold what kubectl-deploy's Role grants: Kubernetes
    # would refuse the Role (escalation); the pre-flight says so first.
    kube_server.grant(kube_namespace, INSTALL_RULES)
    with pytest.raises(ClusterError, match=r"deployments \(apps\).*to grant it"):
        install(builtin, alice, ["kubectl-deploy"], opts(kube_namespace))
    assert live(kube_server, "task", kube_namespace, "kubectl-deploy") is None


def test_forbidden_half_way_undoes_everything(alice: Cluster, builtin: Any, kube_server: Any,
                                              kube_namespace: str) -> None:
    # Allowed to write Tasks, ServiceAccounts, Roles, but only to read RoleBindings; the
    # pre-flight is skipped so that the API server itself refuses the RoleBinding mid-way.
    rules = [r for r in INSTALL_RULES if "roles" not in r["resources"]] + DEPLOY_RULES + [
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"],
         "verbs": ["get", "list", "create", "patch", "delete"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get", "list"]}]
    kube_server.grant(kube_namespace, rules)
    before = snapshot(kube_server, kube_namespace)
    writes: list[str] = []
    with pytest.raises(ClusterError) as info:
        install(builtin, alice, ["kubectl-deploy"], opts(kube_namespace, check_access=False),
                on_write=lambda ref, what: writes.append(str(ref)))
    assert "Forbidden" in str(info.value) and "every change was undone" in str(info.value)
    assert len(writes) == 3  # Task, ServiceAccount and Role were written, then undone
    assert snapshot(kube_server, kube_namespace) == before


def test_failure_in_one_namespace_leaves_every_namespace_as_it_was(
        admin: Cluster, builtin: Any, kube_server: Any, kube_namespace: str) -> None:
    other = f"{kube_namespace}-b"
    kube_server.kubectl("create", "namespace", other)
    try:
        kube_server.grant(kube_namespace, INSTALL_RULES + DEPLOY_RULES)
        kube_server.grant(other, [r for r in INSTALL_RULES if "roles" not in r["resources"]] + [
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
             "verbs": ["get", "list"]}])
        alice = KubeCluster(str(kube_server.limited_kubeconfig))
        before = (snapshot(kube_server, kube_namespace), snapshot(kube_server, other))
        with pytest.raises(ClusterError):
            install(builtin, alice, ["kubectl-deploy"],
                    Options((kube_namespace, other), check_access=False))
        assert (snapshot(kube_server, kube_namespace), snapshot(kube_server, other)) == before
    finally:
        kube_server.kubectl("delete", "namespace", other, "--wait=false")


def test_api_server_going_away_is_undone_when_it_returns(
        admin: Cluster, builtin: Any, kube_server: Any, kube_namespace: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(kube_server, kube_namespace)
    patient = replace(opts(kube_namespace), settings=Settings.from_env().but(undo_patience=60.0))
    restarted = threading.Event()

    def stop_after_two(ref: ObjectRef, what: str) -> None:
        if len(seen) == 1:  # after the second write, the server goes away for a while
            kube_server.stop_apiserver()
            threading.Timer(3.0, lambda: (kube_server.start_apiserver(), restarted.set())).start()
        seen.append(ref)

    seen: list[ObjectRef] = []
    with pytest.raises(ClusterError, match="every change was undone"):
        install(builtin, admin, ["kubectl-deploy", "git-clone"], patient, on_write=stop_after_two)
    assert restarted.wait(120)
    assert len(seen) == 2
    assert snapshot(kube_server, kube_namespace) == before


def test_api_server_gone_for_good_is_undone_by_the_next_command(
        admin: Cluster, builtin: Any, kube_server: Any, kube_namespace: str,
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    impatient = replace(opts(kube_namespace), settings=Settings.from_env().but(undo_patience=1.0))
    before = snapshot(kube_server, kube_namespace)
    seen: list[ObjectRef] = []

    def stop_after_three(ref: ObjectRef, what: str) -> None:
        seen.append(ref)
        if len(seen) == 3:
            kube_server.stop_apiserver()

    try:
        with pytest.raises(ClusterError, match="could not be undone yet") as info:
            install(builtin, admin, ["kubectl-deploy"], impatient, on_write=stop_after_three)
        assert "API server unreachable" in str(info.value)
    finally:
        kube_server.start_apiserver()
    assert snapshot(kube_server, kube_namespace) != before  # half-installed until the next command
    r = run_cli("status", "-n", kube_namespace, env={"KUBECONFIG": str(kube_server.admin_kubeconfig),
                                                      "XDG_STATE_HOME": str(tmp_path / "state")})
    assert r.code == 0, r.err
    assert snapshot(kube_server, kube_namespace) == before


def test_user_made_task_is_not_taken_without_adopt(admin: Cluster, builtin: Any, kube_server: Any,
                                                   kube_namespace: str) -> None:
    mine = {"apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": "git-clone", "namespace": kube_namespace},
            "spec": {"steps": [{"name": "mine", "image": "busybox:1.36", "script": "echo mine"}]}}
    kube_server.kubectl("apply", "-f", "-", input=yaml.safe_dump(mine))
    before = snapshot(kube_server, kube_namespace)
    with pytest.raises(ClusterError, match="Task git-clone in .* exists and was not made by catalog"):
        install(builtin, admin, ["git-clone"], opts(kube_namespace))
    assert snapshot(kube_server, kube_namespace) == before


def hub_task(ns: str, version: str, params: tuple[str, ...] = ("url",),
             workspaces: tuple[str, ...] = ("output",)) -> dict[str, Any]:
    """A Task as ``tkn hub install task git-clone`` leaves it (its labels), with the params
    and workspaces given."""
    return {"apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": "git-clone", "namespace": ns,
                         "labels": {"app.kubernetes.io/version": version, "hub.tekton.dev/catalog": "tekton",
                                    "artifacthub.io/category": "integration-delivery"}},
            "spec": {"params": [{"name": p, "type": "string"} for p in params],
                     "workspaces": [{"name": w} for w in workspaces],
                     "steps": [{"name": "hub-step", "image": "busybox:1.36", "script": "echo clone"}]}}


HUB_LABELS = {"hub.tekton.dev/catalog", "artifacthub.io/category"}


def test_tkn_hub_task_is_recognised_and_adopted(admin: Cluster, builtin: Any, kube_server: Any,
                                                kube_namespace: str) -> None:
    from catalog_cli.actions.plan import installed_by_hub

    # Made by another field manager (kubectl's), which owns the hub labels.
    kube_server.kubectl("apply", "-f", "-", input=yaml.safe_dump(hub_task(kube_namespace, "0.9")))
    rows = status(builtin, admin, opts(kube_namespace)).rows
    assert [(r["name"], r["version"], r["managedBy"], r["upgrade"]) for r in rows] == [
        ("git-clone", "0.9", "tkn hub", False)]  # the catalog's newest, 0.2, is older than 0.9
    with pytest.raises(ClusterError, match="installed by tkn hub \\(version 0.9\\); --adopt"):
        install(builtin, admin, ["git-clone"], opts(kube_namespace))
    report = install(builtin, admin, ["git-clone"], opts(kube_namespace, adopt=True))
    task = live(kube_server, "task", kube_namespace, "git-clone")
    assert task["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "catalog"
    assert task["spec"]["steps"][0]["name"] != "hub-step"
    # tkn hub no longer takes it for its own: its labels are gone, catalog's version label stays.
    assert not HUB_LABELS & set(task["metadata"]["labels"]) and installed_by_hub(task) is None
    assert task["metadata"]["labels"]["app.kubernetes.io/version"] == builtin.get("git-clone").version
    assert any("removing the labels artifacthub.io/category, hub.tekton.dev/catalog" in n for n in report.notes)
    rows = status(builtin, admin, opts(kube_namespace)).rows
    assert [(r["name"], r["managedBy"], r["drift"]) for r in rows] == [("git-clone", "catalog", [])]
    # Adopted once, it is catalog's: a second install changes nothing.
    report = install(builtin, admin, ["git-clone"], opts(kube_namespace))
    assert {p["name"]: p["status"] for p in report.packages} == {"git-clone": "unchanged"}


def test_adopting_warns_of_another_version_and_of_params_and_workspaces_it_drops(
        kube_server: Any, kube_namespace: str, builtin: Any) -> None:
    kube_server.kubectl("apply", "-f", "-", input=yaml.safe_dump(
        hub_task(kube_namespace, "0.10", params=("url", "revision", "sslVerify", "gitInitImage"),
                 workspaces=("output", "ssh-directory", "credentials"))))
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("status", "-n", kube_namespace, "-o", "json", env=env)
    assert [(x["version"], x["newest"], x["upgrade"]) for x in r.json()] == [("0.10", "0.2", False)]
    r = run_cli("status", "-n", kube_namespace, env=env)
    assert "(upgrade)" not in r.out  # 0.2 is no upgrade of 0.10
    version = builtin.get("git-clone").version
    r = run_cli("install", "git-clone", "-n", kube_namespace, "--adopt", "--dry-run=server", env=env)
    assert r.code == 0, r.err
    warnings = [line for line in r.err.splitlines() if line.startswith("warning: adopting")]
    assert warnings == [
        f"warning: adopting Task git-clone in {kube_namespace} replaces its version 0.10 with {version}, "
        "an older one",
        f"warning: adopting Task git-clone in {kube_namespace} drops its params gitInitImage, sslVerify: "
        "runs and Pipelines that pass them will fail",
        f"warning: adopting Task git-clone in {kube_namespace} drops its workspaces credentials: runs and "
        "Pipelines that pass them will fail"], r.err
    assert "would remove the labels" in r.err
    assert set(live(kube_server, "task", kube_namespace, "git-clone")["metadata"]["labels"]) >= HUB_LABELS
    r = run_cli("install", "git-clone", "-n", kube_namespace, "--adopt", env=env)
    assert r.code == 0, r.err
    assert "warning: adopting Task git-clone" in r.err


def test_an_adoption_undone_half_way_gives_tkn_hub_its_task_back(builtin: Any, kube_server: Any,
                                                                 kube_namespace: str) -> None:
    """The labels are removed after the apply, in the same change: when a later write is
    refused, both are undone and the Task is tkn hub's again, labels and all."""
    kube_server.kubectl("apply", "-f", "-", input=yaml.safe_dump(hub_task(kube_namespace, "0.9")))
    before = live(kube_server, "task", kube_namespace, "git-clone")
    writes = [{"apiGroups": ["tekton.dev"], "resources": ["tasks"],
               "verbs": ["get", "list", "create", "patch", "update", "delete"]},
              {"apiGroups": [""], "resources": ["serviceaccounts", "configmaps"],
               "verbs": ["get", "list", "create", "patch", "update", "delete"]},
              {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"],
               "verbs": ["get", "list", "create", "patch", "update", "delete"]},
              {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["get", "list"]}]
    kube_server.grant(kube_namespace, writes)
    alice = KubeCluster(str(kube_server.limited_kubeconfig))
    touched: list[str] = []
    labels_meanwhile: list[set[str]] = []

    def on_write(ref: ObjectRef, what: str) -> None:
        touched.append(str(ref))
        if ref.kind == "ServiceAccount":  # written after the Task and its labels
            labels_meanwhile.append(set(live(kube_server, "task", kube_namespace, "git-clone")["metadata"]["labels"]))

    with pytest.raises(ClusterError, match="every change was undone"):
        install(builtin, alice, ["git-clone"], opts(kube_namespace, adopt=True, check_access=False),
                on_write=on_write)
    assert touched[0] == f"Task git-clone in {kube_namespace}"
    assert labels_meanwhile and not labels_meanwhile[0] & HUB_LABELS  # removed, then put back
    after = live(kube_server, "task", kube_namespace, "git-clone")
    assert after["metadata"]["labels"] == before["metadata"]["labels"]
    assert after["spec"] == before["spec"] and after["metadata"]["uid"] == before["metadata"]["uid"]


def test_edited_task_is_not_overwritten_without_force(admin: Cluster, builtin: Any, kube_server: Any,
                                                      kube_namespace: str) -> None:
    install(builtin, admin, ["git-clone@0.1"], opts(kube_namespace))
    kube_server.kubectl("patch", "task", "git-clone", "-n", kube_namespace, "--type", "merge",
                        "-p", '{"spec":{"description":"edited by hand"}}')
    rows = status(builtin, admin, opts(kube_namespace)).rows
    assert rows[0]["drift"] == ["Task git-clone edited"]
    with pytest.raises(ClusterError, match="was edited since catalog installed it; --force"):
        upgrade(builtin, admin, ["git-clone@0.2"], opts(kube_namespace))
    assert live(kube_server, "task", kube_namespace, "git-clone")["spec"]["description"] == "edited by hand"
    upgrade(builtin, admin, ["git-clone@0.2"], opts(kube_namespace, force=True))
    task = live(kube_server, "task", kube_namespace, "git-clone")
    assert task["metadata"]["labels"]["app.kubernetes.io/version"] == "0.2"
    assert task["spec"]["description"] != "edited by hand"


def test_widened_role_is_put_back_to_rbac_yaml(admin: Cluster, builtin: Any, kube_server: Any,
                                               kube_namespace: str) -> None:
    install(builtin, admin, ["kubectl-deploy"], opts(kube_namespace))
    role = live(kube_server, "role", kube_namespace, "catalog-kubectl-deploy")
    rules = role["rules"]
    kube_server.kubectl("patch", "role", "catalog-kubectl-deploy", "-n", kube_namespace, "--type", "json",
                        "-p", '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],'
                              '"resources":["secrets"],"verbs":["get"]}}]')
    rows = status(builtin, admin, opts(kube_namespace)).rows
    assert "Role catalog-kubectl-deploy edited" in rows[0]["drift"]
    with pytest.raises(ClusterError, match="Role catalog-kubectl-deploy .* was edited"):
        install(builtin, admin, ["kubectl-deploy"], opts(kube_namespace))
    install(builtin, admin, ["kubectl-deploy"], opts(kube_namespace, force=True))
    assert live(kube_server, "role", kube_namespace, "catalog-kubectl-deploy")["rules"] == rules


def test_upgrade_rollback_and_bounded_history(admin: Cluster, builtin: Any, kube_server: Any,
                                              kube_namespace: str) -> None:
    install(builtin, admin, ["git-clone@0.1"], opts(kube_namespace))
    version = lambda: live(kube_server, "task", kube_namespace, "git-clone")["metadata"]["labels"][  # noqa: E731
        "app.kubernetes.io/version"]
    assert version() == "0.1"
    upgrade(builtin, admin, ["git-clone@^0.2"], opts(kube_namespace))
    assert version() == "0.2"
    rollback(builtin, admin, "git-clone", opts(kube_namespace))
    assert version() == "0.1"
    rollback(builtin, admin, "git-clone", opts(kube_namespace), to="0.2")
    assert version() == "0.2"
    for i in range(12):
        rollback(builtin, admin, "git-clone", opts(kube_namespace), to="0.1" if i % 2 == 0 else "0.2")
    record = live(kube_server, "configmap", kube_namespace, "catalog-installs")
    import json

    history = json.loads(record["data"]["record.json"])["history"]
    assert len(history) == 10
    assert [h["number"] for h in history] == list(range(history[0]["number"], history[0]["number"] + 10))


def test_upgrade_all_and_status_show_newest(admin: Cluster, builtin: Any, kube_server: Any,
                                            kube_namespace: str) -> None:
    install(builtin, admin, ["git-clone@0.1", "kaniko@0.1"], opts(kube_namespace))
    rows = {r["name"]: r for r in status(builtin, admin, opts(kube_namespace)).rows}
    assert rows["git-clone"]["version"] == "0.1" and rows["git-clone"]["newest"] == "0.2"
    # Asked for as 0.1 (0.1.x): newer exists, but no upgrade moves it there.
    assert (rows["git-clone"]["upgradable"], rows["git-clone"]["upgrade"]) == ("", False)
    r = run_cli("status", "-n", kube_namespace, env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == 0 and "(upgrade" not in r.out, r.out
    report = upgrade(builtin, admin, ["git-clone"], opts(kube_namespace))
    assert {p["name"]: p["status"] for p in report.packages} == {"git-clone": "unchanged", "kaniko": "unchanged"}
    report = upgrade(builtin, admin, [], opts(kube_namespace), all_=True)
    assert any("out of the requested range" in n for n in report.notes)  # 0.1 holds them at 0.1.x
    report = upgrade(builtin, admin, ["git-clone@*", "kaniko@*"], opts(kube_namespace))
    assert {p["name"]: p["status"] for p in report.packages} == {"git-clone": "0.1 -> 0.2",
                                                                 "kaniko": "0.1 -> 0.2"}


def test_history_shows_revisions_versions_dates_and_who(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    ns = kube_namespace
    for args in (["install", "git-clone@0.1"], ["upgrade", "git-clone@0.2"], ["rollback", "git-clone"]):
        assert run_cli(*args, "-n", ns, env=env).code == 0
    r = run_cli("history", "git-clone", "-n", ns, "-o", "json", env=env)
    assert r.code == 0, r.err
    assert [(h["revision"], h["action"], h["version"], h["user"]) for h in r.json()] == [
        (1, "install", "0.1", "admin"), (2, "upgrade", "0.2", "admin"), (3, "rollback", "0.1", "admin")]
    r = run_cli("history", "git-clone", "-n", ns, env=env)
    assert r.out.splitlines()[0].split() == ["NAMESPACE", "REVISION", "UPDATED", "ACTION", "VERSION", "BY"]
    assert len(r.out.splitlines()) == 4


def test_uninstall_removes_exactly_what_catalog_made(admin: Cluster, builtin: Any, kube_server: Any,
                                                     kube_namespace: str) -> None:
    kube_server.kubectl("create", "configmap", "users-own", "-n", kube_namespace, "--from-literal=a=b")
    kube_server.kubectl("create", "serviceaccount", "users-sa", "-n", kube_namespace)
    install(builtin, admin, ["kubectl-deploy", "git-clone"], opts(kube_namespace))
    uninstall(None, admin, ["kubectl-deploy"], opts(kube_namespace))
    assert live(kube_server, "task", kube_namespace, "kubectl-deploy") is None
    assert live(kube_server, "role", kube_namespace, "catalog-kubectl-deploy") is None
    assert live(kube_server, "rolebinding", kube_namespace, "catalog-kubectl-deploy") is None
    assert live(kube_server, "task", kube_namespace, "git-clone") is not None
    assert live(kube_server, "configmap", kube_namespace, "users-own") is not None
    assert live(kube_server, "serviceaccount", kube_namespace, "users-sa") is not None
    # An object that a user replaced under our name is left alone.
    kube_server.kubectl("delete", "serviceaccount", "catalog-git-clone", "-n", kube_namespace)
    kube_server.kubectl("create", "serviceaccount", "catalog-git-clone", "-n", kube_namespace)
    report = uninstall(None, admin, ["git-clone"], opts(kube_namespace))
    assert live(kube_server, "serviceaccount", kube_namespace, "catalog-git-clone") is not None
    assert any("left alone" in n for n in report.notes)
    assert live(kube_server, "task", kube_namespace, "git-clone") is None
    # That was the last entry: no empty install record is left behind.
    assert live(kube_server, "configmap", kube_namespace, "catalog-installs") is None
    assert live(kube_server, "configmap", kube_namespace, "users-own") is not None


def test_dry_runs_write_nothing(admin: Cluster, builtin: Any, kube_server: Any, kube_namespace: str) -> None:
    before = snapshot(kube_server, kube_namespace)
    for mode in ("client", "server"):
        report = install(builtin, admin, ["kubectl-deploy"], opts(kube_namespace, dry_run=mode))
        assert report.changed and {c.action for c in report.changes} == {"create"}
    assert snapshot(kube_server, kube_namespace) == before


def test_server_dry_run_reports_what_the_server_refuses(kube_server: Any, kube_namespace: str,
                                                        tmp_path: Path) -> None:
    cat = tmp_path / "cat" / "task" / "broken" / "0.1"
    cat.mkdir(parents=True)
    (cat / "broken.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Task",
        "metadata": {"name": "broken", "labels": {"app.kubernetes.io/version": "0.1"}},
        "spec": {"steps": "not a list"}}))
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("install", "broken", "-n", kube_namespace, "--dry-run=server", "--catalog",
                str(tmp_path / "cat"), env=env)
    assert r.code == 7 and "Task broken" in r.err and "every change was undone" not in r.err
    assert "Traceback" not in r.err


def test_diff_and_render(kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    r = run_cli("diff", "kubectl-deploy", "-n", kube_namespace, env=env)
    assert r.code == 1 and "+++ catalog/Task kubectl-deploy" in r.out
    assert run_cli("install", "kubectl-deploy", "-n", kube_namespace, env=env).code == 0
    r = run_cli("diff", "kubectl-deploy", "-n", kube_namespace, env=env)
    assert r.code == 0, r.out
    kube_server.kubectl("patch", "task", "kubectl-deploy", "-n", kube_namespace, "--type", "merge",
                        "-p", '{"spec":{"description":"x"}}')
    r = run_cli("diff", "kubectl-deploy", "-n", kube_namespace, env=env)
    assert r.code == 1 and "-  description: x" in r.out


def changed_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_diff_shows_what_was_edited_by_hand_against_the_installed_version(
        admin: Cluster, builtin: Any, kube_server: Any, kube_namespace: str) -> None:
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    ns = kube_namespace
    install(builtin, admin, ["git-clone@0.1"], opts(ns))
    r = run_cli("diff", "git-clone", "-n", ns, env=env)
    assert r.code == 0 and "no differences" in r.err, r.out  # 0.1, as installed; not the newest 0.2
    # The case: a param default and a step timeout added by hand (both inside lists).
    kube_server.kubectl("patch", "task", "git-clone", "-n", ns, "--type", "json", "-p",
                        '[{"op": "add", "path": "/spec/params/0/default", "value": "https://example.com/x.git"},'
                        ' {"op": "add", "path": "/spec/steps/0/timeout", "value": "5m"}]')
    assert status(builtin, admin, opts(ns)).rows[0]["drift"] == ["Task git-clone edited"]
    r = run_cli("diff", "git-clone", "-n", ns, env=env)
    assert r.code == 1
    lines = changed_lines(r.out)
    assert {"-  - default: https://example.com/x.git", "-    timeout: 5m"} <= set(lines), r.out
    assert len(lines) <= 4, r.out  # and the param's first line, which moved out of the "- " prefix
    # A field added beside catalog's (applying would leave it: another manager owns it).
    kube_server.kubectl("patch", "task", "git-clone", "-n", ns, "--type", "merge", "-p",
                        '{"spec": {"stepTemplate": {"env": [{"name": "BY_HAND", "value": "1"}]}}}')
    r = run_cli("diff", "git-clone", "-n", ns, env=env)
    assert "-    - name: BY_HAND" in changed_lines(r.out), r.out
    # A param inserted in the middle: only its lines show, not the params after it.
    install(builtin, admin, ["kubectl-deploy"], opts(ns))
    kube_server.kubectl("patch", "task", "kubectl-deploy", "-n", ns, "--type", "json", "-p",
                        '[{"op": "add", "path": "/spec/params/1", "value": {"name": "by-hand", "type": "string"}}]')
    r = run_cli("diff", "kubectl-deploy", "-n", ns, env=env)
    assert r.code == 1 and len(changed_lines(r.out)) == 2, r.out


def test_render_needs_no_cluster(tmp_path: Path) -> None:
    r = run_cli("render", "kubectl-deploy", "-n", "team-a", env={"KUBECONFIG": str(tmp_path / "none")})
    assert r.code == 0, r.err
    docs = list(yaml.safe_load_all(r.out))
    assert [d["kind"] for d in docs] == ["Task", "ServiceAccount", "Role", "RoleBinding"]
    assert all(d["metadata"]["namespace"] == "team-a" for d in docs)


def test_tekton_version_of_the_cluster_is_checked(admin: Cluster, kube_server: Any, kube_namespace: str,
                                                  tmp_path: Path) -> None:
    cat = tmp_path / "cat" / "task" / "needs-new"
    for version, minimum in (("0.1", "0.50.0"), ("0.2", "0.70.0")):
        d = cat / version
        d.mkdir(parents=True)
        (d / "needs-new.yaml").write_text(yaml.safe_dump({
            "apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": "needs-new", "labels": {"app.kubernetes.io/version": version},
                         "annotations": {"tekton.dev/pipelines.minVersion": minimum}},
            "spec": {"steps": [{"name": "run", "image": "busybox:1.36", "script": "true"}]}}))
    catalog = open_catalog(str(tmp_path / "cat"))
    # The cluster runs Tekton 0.59: the newest version that fits is chosen.
    report = install(catalog, admin, ["needs-new"], opts(kube_namespace))
    assert report.packages[0]["version"] == "0.1"
    with pytest.raises(CatalogError) as info:
        install(catalog, admin, ["needs-new@0.2"], opts(kube_namespace))
    assert "0.70" in str(info.value) and "0.59" in str(info.value)


@pytest.mark.parametrize(("ref", "needle", "code"), [
    ("kubectl-deploy@banana", "'banana' is not a version", 2),
    ("no-such-task", "no 'no-such-task'", 3),
    ("kubectl-deploy@^9", "matches no version", 8),
])
def test_bad_requirements_install_nothing(ref: str, needle: str, code: int, kube_server: Any,
                                          kube_namespace: str) -> None:
    before = snapshot(kube_server, kube_namespace)
    r = run_cli("install", ref, "-n", kube_namespace, env={"KUBECONFIG": str(kube_server.admin_kubeconfig)})
    assert r.code == code, r.err
    assert needle in r.err and "Traceback" not in r.err
    assert snapshot(kube_server, kube_namespace) == before
