"""Attacks through the install record, against the real API server.

alice may only read and edit ConfigMaps in the namespace; admin (system:masters)
then runs catalog there. Nothing alice writes into the record may make admin
delete, overwrite or grant anything catalog did not make.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ..clusterkit import catalog, edit_record, exists, live, record_of, snapshot
from ..conftest import assert_one_line_error

pytestmark = pytest.mark.kube

CONFIGMAP_EDITOR = [{"apiGroups": [""], "resources": ["configmaps"],
                     "verbs": ["get", "list", "update", "patch"]}]


def victims(kube_server: Any, ns: str, tag: str) -> dict[tuple[str, str, str], str]:
    """Another team's objects in and around the namespace: (kind, namespace, name) -> uid."""
    docs = [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-password", "namespace": ns},
         "stringData": {"password": "hunter2"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "team-sa", "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "team-role", "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "team-task", "namespace": ns},
         "spec": {"steps": [{"name": "s", "image": "alpine", "script": "true"}]}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": f"victim-{tag}"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": f"victim-{tag}"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"victim-{tag}"},
         "subjects": [{"kind": "ServiceAccount", "name": "team-sa", "namespace": ns}]},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"victim-{tag}"}},
    ]
    kube_server.kubectl("create", "-f", "-", input=yaml.safe_dump_all(docs))
    out = {}
    for d in docs:
        where = d["metadata"].get("namespace", "")
        obj = live(kube_server, d["kind"], where or "default", d["metadata"]["name"]) if where else \
            yaml.safe_load(kube_server.kubectl("get", d["kind"], d["metadata"]["name"], "-o", "yaml").stdout)
        out[(d["kind"], where, d["metadata"]["name"])] = obj["metadata"]["uid"]
    return out


def still_there(kube_server: Any, found: dict[tuple[str, str, str], str]) -> list[str]:
    return [f"{k} {n}" for (k, ns, n) in found if not exists(kube_server, k, n, ns or None)]


@pytest.fixture
def installed(kube_server: Any, kube_namespace: str, tmp_path: Path) -> str:
    r = catalog(kube_server, "install", "kubectl-deploy", "-n", kube_namespace, state=tmp_path)
    assert r.code == 0, r.err
    kube_server.grant(kube_namespace, CONFIGMAP_EDITOR)
    return kube_namespace


@pytest.mark.parametrize("verb", [["uninstall", "kubectl-deploy"], ["upgrade", "--all"],
                                  ["rollback", "kubectl-deploy", "--to", "0.1"]])
def test_forged_entries_never_make_admin_delete_foreign_objects(kube_server: Any, installed: str,
                                                               tmp_path: Path, verb: list[str]) -> None:
    ns = installed
    found = victims(kube_server, ns, tmp_path.name[-12:].lower().replace("_", "-"))

    def forge(data: dict[str, Any]) -> None:
        objs = data["packages"]["Task/kubectl-deploy"]["objects"]
        objs += [{"kind": k, "name": n, "spec_hash": "", "uid": uid} for (k, _, n), uid in found.items()]

    edit_record(kube_server, ns, forge)
    before = snapshot(kube_server, ns)
    r = catalog(kube_server, *verb, "-n", ns, state=tmp_path)
    assert_one_line_error(r, "catalog-installs", "edited by someone else")
    assert r.code == 2
    assert still_there(kube_server, found) == []
    assert snapshot(kube_server, ns) == before


def test_a_forged_entry_for_someone_elses_task_deletes_nothing(kube_server: Any, installed: str,
                                                              tmp_path: Path) -> None:
    """Only names catalog would make, but for an object catalog did not make: its uid,
    manager and labels give it away."""
    ns = installed
    found = victims(kube_server, ns, tmp_path.name[-12:].lower().replace("_", "-"))
    uid = found[("Task", ns, "team-task")]

    def forge(data: dict[str, Any]) -> None:
        data["packages"]["Task/team-task"] = {
            "name": "team-task", "kind": "Task", "version": "0.1", "digest": "sha256:" + "0" * 64, "source": "builtin",
            "requested": "*", "required_by": [], "adopted_from": "",
            "objects": [{"kind": "Task", "name": "team-task", "spec_hash": "", "uid": uid}]}

    edit_record(kube_server, ns, forge)
    r = catalog(kube_server, "uninstall", "team-task", "-n", ns, state=tmp_path)
    assert exists(kube_server, "task", "team-task", ns)
    assert "left alone" in r.err


def test_an_empty_uid_is_tampering(kube_server: Any, installed: str, tmp_path: Path) -> None:
    ns = installed

    def blank(data: dict[str, Any]) -> None:
        for o in data["packages"]["Task/kubectl-deploy"]["objects"]:
            o["uid"] = ""

    edit_record(kube_server, ns, blank)
    r = catalog(kube_server, "uninstall", "kubectl-deploy", "-n", ns, state=tmp_path)
    assert_one_line_error(r, "without the uid")
    assert exists(kube_server, "task", "kubectl-deploy", ns)


def test_the_records_namespace_field_cannot_redirect_admins_writes(kube_server: Any, installed: str,
                                                                   tmp_path: Path) -> None:
    ns = installed
    other = f"{ns}-b"
    kube_server.kubectl("create", "namespace", other)
    try:
        assert catalog(kube_server, "install", "git-clone", "-n", other, state=tmp_path).code == 0
        theirs = live(kube_server, "configmap", other, "catalog-installs")
        edit_record(kube_server, ns, lambda d: d.__setitem__("namespace", other))
        r = catalog(kube_server, "install", "yq-update", "-n", ns, state=tmp_path)
        assert r.code == 0, r.err
        after = live(kube_server, "configmap", other, "catalog-installs")
        assert after["metadata"]["resourceVersion"] == theirs["metadata"]["resourceVersion"]
        mine = record_of(kube_server, ns)
        assert mine is not None and "Task/yq-update" in mine["packages"]
    finally:
        kube_server.kubectl("delete", "namespace", other, "--wait=false")


def test_an_object_without_catalogs_labels_is_not_deleted(kube_server: Any, installed: str,
                                                          tmp_path: Path) -> None:
    ns = installed
    kube_server.kubectl("label", "task", "kubectl-deploy", "-n", ns, "app.kubernetes.io/managed-by-")
    r = catalog(kube_server, "uninstall", "kubectl-deploy", "-n", ns, state=tmp_path)
    assert r.code == 0, r.err
    assert exists(kube_server, "task", "kubectl-deploy", ns)
    assert "left alone" in r.err
    assert not exists(kube_server, "role", "catalog-kubectl-deploy", ns)


def test_uninstall_leaves_an_edited_task_without_force(kube_server: Any, installed: str, tmp_path: Path) -> None:
    ns = installed
    kube_server.kubectl("patch", "task", "kubectl-deploy", "-n", ns, "--type", "json", "-p",
                        '[{"op": "replace", "path": "/spec/steps/0/image", "value": "evil/image"}]')
    before = snapshot(kube_server, ns)
    r = catalog(kube_server, "uninstall", "kubectl-deploy", "-n", ns, state=tmp_path)
    assert_one_line_error(r, "Task kubectl-deploy", "edited since catalog installed it", "--force")
    assert snapshot(kube_server, ns) == before
    r = catalog(kube_server, "uninstall", "kubectl-deploy", "-n", ns, "--force", state=tmp_path)
    assert r.code == 0, r.err
    assert not exists(kube_server, "task", "kubectl-deploy", ns)


def test_uninstall_dry_run_on_the_server_deletes_nothing(kube_server: Any, installed: str,
                                                        tmp_path: Path) -> None:
    ns = installed
    before = snapshot(kube_server, ns)
    for mode in ("server", "client"):
        r = catalog(kube_server, "uninstall", "kubectl-deploy", "-n", ns, f"--dry-run={mode}", state=tmp_path)
        assert r.code == 0, r.err
        assert snapshot(kube_server, ns) == before


def test_a_name_that_is_a_task_and_a_stepaction_must_be_said_whole(kube_server: Any, kube_namespace: str,
                                                                    tmp_path: Path) -> None:
    from catalog_cli.index import write

    root = tmp_path / "cat"
    for kind, api in (("task", "tekton.dev/v1"), ("stepaction", "tekton.dev/v1beta1")):
        folder = root / kind / "twin" / "0.1"
        folder.mkdir(parents=True)
        spec = ({"steps": [{"name": "s", "image": "alpine", "script": "true"}]} if kind == "task"
                else {"image": "alpine", "script": "true"})
        (folder / "twin.yaml").write_text(yaml.safe_dump({
            "apiVersion": api, "kind": "Task" if kind == "task" else "StepAction",
            "metadata": {"name": "twin", "labels": {"app.kubernetes.io/version": "0.1"},
                         "annotations": {"tekton.dev/pipelines.minVersion": "0.50.0"}},
            "spec": spec}))
    write(root)
    ns = kube_namespace
    r = catalog(kube_server, "install", "task/twin", "stepaction/twin", "-n", ns, "--catalog", str(root),
                state=tmp_path)
    assert r.code == 0, r.err
    before = snapshot(kube_server, ns)
    r = catalog(kube_server, "uninstall", "twin", "-n", ns, state=tmp_path)
    assert_one_line_error(r, "twin is a Task and a StepAction", "stepaction/twin")
    assert snapshot(kube_server, ns) == before
    r = catalog(kube_server, "uninstall", "stepaction/twin", "-n", ns, state=tmp_path)
    assert r.code == 0, r.err
    assert exists(kube_server, "task", "twin", ns)
    assert not exists(kube_server, "stepaction", "twin", ns)


def test_an_object_replaced_between_plan_and_write_is_not_overwritten(kube_server: Any, kube_namespace: str,
                                                                      tmp_path: Path) -> None:
    """TOCTOU: catalog planned to update its kaniko Task; before the write, someone replaced
    it with their own. The write carries the planned object's uid, so the server refuses
    it, and everything this run wrote is undone."""
    from catalog_cli.actions.common import Options
    from catalog_cli.actions.upgrade import upgrade
    from catalog_cli.cluster.client import KubeCluster
    from catalog_cli.errors import ClusterError
    from catalog_cli.settings import Settings
    from catalog_cli.sources import open_catalog

    ns = kube_namespace
    assert catalog(kube_server, "install", "git-clone@0.1", "kaniko@0.1", "-n", ns, state=tmp_path).code == 0
    theirs = {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "kaniko", "namespace": ns},
              "spec": {"steps": [{"name": "mine", "image": "alpine", "script": "echo mine"}]}}
    swapped: list[bool] = []

    def swap(ref: Any, what: str) -> None:
        if not swapped:
            swapped.append(True)
            kube_server.kubectl("delete", "task", "kaniko", "-n", ns)
            kube_server.kubectl("create", "-f", "-", input=yaml.safe_dump(theirs))

    opts = Options((ns,), settings=Settings.from_env().but(state_home=tmp_path / "s"))
    with pytest.raises(ClusterError, match="every change was undone"):
        upgrade(open_catalog(None), KubeCluster(str(kube_server.admin_kubeconfig)), ["git-clone@0.2", "kaniko@0.2"],
                opts, on_write=swap)
    task = live(kube_server, "task", ns, "kaniko")
    assert task["spec"]["steps"][0]["name"] == "mine"
    assert live(kube_server, "task", ns, "git-clone")["metadata"]["labels"]["app.kubernetes.io/version"] == "0.1"


def test_a_deleted_record_never_makes_admin_write_over_what_is_there(kube_server: Any, installed: str,
                                                                    tmp_path: Path) -> None:
    """alice deletes the record: the namespace now looks as if it held nothing of
    catalog's, where objects are created without reading first. Each is a create the
    server refuses for a name that is taken, so nothing there is written over; the
    install is planned again from what is there, and refused as one that read first."""
    ns = installed
    kube_server.grant(ns, [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["delete"]}])
    kube_server.kubectl("delete", "configmap", "catalog-installs", "-n", ns, user="limited")
    before = snapshot(kube_server, ns)
    r = catalog(kube_server, "install", "kubectl-deploy", "git-clone", "-n", ns, state=tmp_path)
    assert_one_line_error(r, f"Task kubectl-deploy in {ns} exists and was not made by catalog", "--adopt",
                          "nothing was changed")
    assert snapshot(kube_server, ns) == before
    assert not exists(kube_server, "task", "git-clone", ns)


def test_a_forged_service_entry_cannot_take_a_tasks_objects(kube_server: Any, installed: str,
                                                           tmp_path: Path) -> None:
    """A scaffolded service may name ServiceAccounts and Roles; a forged Service entry
    named like an installed Task must still not reach that Task's own objects."""
    ns = installed
    sa = live(kube_server, "serviceaccount", ns, "catalog-kubectl-deploy")

    def forge(data: dict[str, Any]) -> None:
        data["packages"]["Service/kubectl-deploy"] = {
            "name": "kubectl-deploy", "kind": "Service", "version": "0.3", "digest": "sha256:" + "1" * 64,
            "source": "builtin", "requested": "java-maven-jib@0.3", "required_by": [], "adopted_from": "",
            "objects": [{"kind": "ServiceAccount", "name": "catalog-kubectl-deploy", "spec_hash": "",
                         "uid": sa["metadata"]["uid"]}]}

    edit_record(kube_server, ns, forge)
    r = catalog(kube_server, "uninstall", "service/kubectl-deploy", "-n", ns, state=tmp_path)
    assert exists(kube_server, "serviceaccount", "catalog-kubectl-deploy", ns)
    assert "left alone" in r.err


@pytest.mark.parametrize("forgery", [
    {"versions": ["Task/kubectl-deploy"]},
    {"versions": {"Task/kubectl-deploy": "0.1 || >=0"}},
    {"versions": {"Secret/db-password": "0.1"}},
    {"number": "one"},
    {"action": "install; rm -rf /"},
    {"time": "\x1b]0;owned\x07"},
    {"user": "\x1b[2J\x1b[Hadmin"},
    {"user": "a" * 10_000},
    {"changed": ["Secret/db-password"]},
])
def test_a_forged_history_is_tampering(kube_server: Any, installed: str, tmp_path: Path,
                                       forgery: dict[str, Any]) -> None:
    """The history says what rollback goes back to and who did what: a revision alice
    rewrote is refused as any other forged part of the record, before anything is read
    from it or shown."""
    ns = installed

    def forge(data: dict[str, Any]) -> None:
        data["history"][-1].update(forgery)

    edit_record(kube_server, ns, forge)
    before = snapshot(kube_server, ns)
    for verb in (["rollback", "kubectl-deploy", "--to", "0.1"], ["status"], ["history", "kubectl-deploy"]):
        r = catalog(kube_server, *verb, "-n", ns, state=tmp_path)
        assert_one_line_error(r, "catalog-installs", "edited by someone else")
    assert snapshot(kube_server, ns) == before


@pytest.mark.parametrize("added", [
    # A sidecar beside every step, with the Task's workspaces at hand.
    {"sidecars": [{"name": "tap", "image": "registry.example/tap:1", "command": ["sh", "-c", "sleep 1"]}]},
    # Defaults for every step: an image and an environment of someone else's choosing.
    {"stepTemplate": {"env": [{"name": "HTTPS_PROXY", "value": "http://listening.example:3128"}]}},
])
def test_a_forced_install_leaves_nothing_another_hand_added(kube_server: Any, installed: str, tmp_path: Path,
                                                            added: dict[str, Any]) -> None:
    """Someone who may edit Tasks adds a field the catalog's Task does not set. The
    admin sees the drift and runs `install --force` to put the catalog's Task back:
    afterwards the Task is the catalog's, and status and diff say so truthfully."""
    import json

    ns = installed
    kube_server.kubectl("patch", "task", "kubectl-deploy", "-n", ns, "--type", "merge",
                        "-p", json.dumps({"spec": added}))
    r = catalog(kube_server, "status", "-n", ns, "-o", "json", state=tmp_path)
    assert "Task kubectl-deploy edited" in json.loads(r.out)[0]["drift"]
    r = catalog(kube_server, "install", "kubectl-deploy", "-n", ns, "--force", state=tmp_path)
    assert r.code == 0, r.err
    task = live(kube_server, "task", ns, "kubectl-deploy")
    assert not set(added) & set(task["spec"]), task["spec"]
    r = catalog(kube_server, "status", "-n", ns, "-o", "json", state=tmp_path)
    assert json.loads(r.out)[0]["drift"] == []
    r = catalog(kube_server, "diff", "kubectl-deploy", "-n", ns, state=tmp_path)
    assert r.code == 0 and not set(added) & set(r.out.split()), r.out
