"""The install family over the in-memory FakeCluster: planning, pre-flight, the all or
nothing commit and its undo, in milliseconds. The real API server proves the same
in test_install_cluster.py and tests/security/; these pin the logic."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.install import install
from catalog_cli.actions.uninstall import uninstall
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import RecordStore
from catalog_cli.errors import ClusterError, Forbidden, InputError
from catalog_cli.manifests import spec_hash


def kinds(cluster: FakeCluster, ns: str = "team-a") -> set[str]:
    return {f"{r.kind}/{r.name}" for r in cluster.objects if r.namespace == ns}


def test_install_makes_the_task_its_rbac_and_a_record(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    report = install(builtin, cluster, ["kubectl-deploy"], opts())
    assert kinds(cluster) == {"Task/kubectl-deploy", "ServiceAccount/catalog-kubectl-deploy",
                              "Role/catalog-kubectl-deploy", "RoleBinding/catalog-kubectl-deploy",
                              "ConfigMap/catalog-installs"}
    assert [(p["name"], p["status"]) for p in report.packages] == [("kubectl-deploy", "installed")]
    record = RecordStore(cluster).read("team-a").record
    pkg = record.packages["Task/kubectl-deploy"]
    assert pkg.source == "builtin" and all(o.uid for o in pkg.objects)
    assert [g.service_account for g in report.grants] == ["catalog-kubectl-deploy"]


def test_a_second_install_writes_nothing(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone"], opts())
    before = {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()}
    report = install(builtin, cluster, ["git-clone"], opts())
    assert not report.changed
    assert {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()} == before


def test_preflight_lists_every_missing_right_and_writes_nothing(builtin: Any, cluster: FakeCluster,
                                                                opts: Any, tmp_path: Path) -> None:
    cluster.forbidden |= {("create", "Role"), ("create", "RoleBinding")}
    with pytest.raises(Forbidden) as info:
        install(builtin, cluster, ["kubectl-deploy"], opts())
    assert "create roles" in str(info.value) and "create rolebindings" in str(info.value)
    assert cluster.objects == {}
    assert not (tmp_path / "state").exists()


def test_a_failure_half_way_undoes_every_namespace(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts("team-a", "team-b"))
    before = {r: dict(o) for r, o in cluster.objects.items()}
    writes = []

    def fail_late(verb: str, ref: ObjectRef) -> ClusterError | None:
        if verb == "patch":
            writes.append(ref)
            if len(writes) == 6:
                return ClusterError("Internal error", str(ref), 500)
        return None

    cluster.fault = fail_late
    with pytest.raises(ClusterError, match="every change was undone"):
        upgrade(builtin, cluster, ["git-clone@0.2"], opts("team-a", "team-b"))
    cluster.fault = None
    assert set(cluster.objects) == set(before)
    assert {r: spec_hash(o) for r, o in cluster.objects.items()} == {r: spec_hash(o) for r, o in before.items()}
    for ns in ("team-a", "team-b"):
        assert RecordStore(cluster).read(ns).record.packages["Task/git-clone"].version == "0.1"


def test_someone_elses_object_in_the_way_is_refused(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    cluster.add({"apiVersion": "tekton.dev/v1", "kind": "Task",
                 "metadata": {"name": "git-clone", "namespace": "team-a"}, "spec": {"steps": []}})
    with pytest.raises(ClusterError, match="Task git-clone in team-a exists and was not made by catalog; --adopt"):
        install(builtin, cluster, ["git-clone"], opts())
    assert kinds(cluster) == {"Task/git-clone"}
    install(builtin, cluster, ["git-clone"], opts(adopt=True))
    record = RecordStore(cluster).read("team-a").record
    assert record.packages["Task/git-clone"].adopted_from == "unmanaged"


def test_an_edited_object_needs_force(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts())
    task = cluster.objects[ObjectRef("Task", "team-a", "git-clone")]
    task["spec"]["description"] = "edited by hand"
    with pytest.raises(ClusterError, match="edited since catalog installed it"):
        upgrade(builtin, cluster, ["git-clone@0.2"], opts())
    upgrade(builtin, cluster, ["git-clone@0.2"], opts(force=True))
    assert RecordStore(cluster).read("team-a").record.packages["Task/git-clone"].version == "0.2"


def test_upgrade_then_rollback(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts())
    upgrade(builtin, cluster, ["git-clone@0.2"], opts())
    rollback(builtin, cluster, "git-clone", opts())
    record = RecordStore(cluster).read("team-a").record
    assert record.packages["Task/git-clone"].version == "0.1"
    assert [r.action for r in record.history] == ["install", "upgrade", "rollback"]


def test_uninstall_removes_exactly_what_catalog_made(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    cluster.add({"apiVersion": "v1", "kind": "ServiceAccount",
                 "metadata": {"name": "users-own", "namespace": "team-a"}})
    install(builtin, cluster, ["kubectl-deploy", "git-clone"], opts())
    uninstall(builtin, cluster, ["kubectl-deploy"], opts())
    assert kinds(cluster) == {"ServiceAccount/users-own", "Task/git-clone", "ServiceAccount/catalog-git-clone",
                              "Role/catalog-git-clone", "RoleBinding/catalog-git-clone",
                              "ConfigMap/catalog-installs"}


@pytest.mark.parametrize("mode", ["client", "server"])
def test_dry_runs_write_nothing(builtin: Any, cluster: FakeCluster, opts: Any, mode: str, tmp_path: Path) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts())
    before = {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()}
    for run in (lambda o: install(builtin, cluster, ["kaniko"], o),
                lambda o: upgrade(builtin, cluster, ["git-clone@0.2"], o),
                lambda o: uninstall(builtin, cluster, ["git-clone"], o)):
        report = run(opts(dry_run=mode))
        assert report.changed
        assert {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()} == before


def test_no_namespace_is_one_error(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    with pytest.raises(InputError, match="namespace 'nowhere' does not exist"):
        install(builtin, cluster, ["git-clone"], opts("nowhere"))


def test_uninstalling_the_last_entry_leaves_no_record_behind(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone", "kaniko"], opts())
    uninstall(None, cluster, ["git-clone"], opts())
    assert "ConfigMap/catalog-installs" in kinds(cluster)
    uninstall(None, cluster, ["kaniko"], opts())
    assert kinds(cluster) == set()


def test_an_uninstall_undone_puts_the_record_back_with_its_history(builtin: Any, cluster: FakeCluster,
                                                                   opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts("team-a", "team-b"))
    upgrade(builtin, cluster, ["git-clone@0.2"], opts("team-a", "team-b"))
    before = {ns: RecordStore(cluster).read(ns).record for ns in ("team-a", "team-b")}

    def fail_in_team_b(verb: str, ref: ObjectRef) -> ClusterError | None:
        if verb == "delete" and ref.namespace == "team-b" and ref.kind == "ConfigMap":
            # Fail only once team-a's record is gone, so that its removal is what is undone.
            deadline = time.monotonic() + 10
            while ObjectRef("ConfigMap", "team-a", "catalog-installs") in cluster.objects:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            return ClusterError("Internal error", str(ref), 500)
        return None

    cluster.fault = fail_in_team_b
    with pytest.raises(ClusterError, match="every change was undone"):
        uninstall(None, cluster, ["git-clone"], opts("team-a", "team-b"))
    cluster.fault = None
    for ns in ("team-a", "team-b"):
        assert RecordStore(cluster).read(ns).record == before[ns]
        assert "Task/git-clone" in kinds(cluster, ns)


@pytest.mark.parametrize("mode", ["client", "server"])
def test_a_dry_run_says_would_in_every_row(builtin: Any, cluster: FakeCluster, opts: Any, mode: str) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts())
    upgrade(builtin, cluster, ["git-clone@0.2"], opts())
    said = {
        "install": install(builtin, cluster, ["kaniko"], opts(dry_run=mode)),
        "upgrade": upgrade(builtin, cluster, ["git-clone@*"], opts(dry_run=mode)),  # at 0.2 already
        "rollback": rollback(builtin, cluster, "git-clone", opts(dry_run=mode)),
        "uninstall": uninstall(None, cluster, ["git-clone"], opts(dry_run=mode)),
    }
    assert [p["status"] for p in said["install"].packages] == ["would install"]
    assert [p["status"] for p in said["upgrade"].packages] == ["unchanged"]
    assert [p["status"] for p in said["rollback"].packages] == ["would downgrade 0.2 -> 0.1"]
    assert [p["status"] for p in said["uninstall"].packages] == ["would remove"]
    rollback(builtin, cluster, "git-clone", opts())
    moved = upgrade(builtin, cluster, ["git-clone@*"], opts(dry_run=mode))
    assert [p["status"] for p in moved.packages] == ["would upgrade 0.1 -> 0.2"]


def test_objects_already_gone_are_said_once_and_the_entry_still_goes(builtin: Any, cluster: FakeCluster,
                                                                     opts: Any) -> None:
    install(builtin, cluster, ["git-clone", "kaniko"], opts())
    for ref in [r for r in cluster.objects if r.kind != "ConfigMap" and "git-clone" in r.name]:
        del cluster.objects[ref]
    for mode in ("client", None):
        report = uninstall(None, cluster, ["git-clone"], opts(dry_run=mode))
        gone = [n for n in report.notes if "already gone" in n]
        assert gone == ["already gone, so not deleted: RoleBinding catalog-git-clone in team-a, Role catalog-git-clone "
                        "in team-a, ServiceAccount catalog-git-clone in team-a, Task git-clone in team-a"]
        assert report.changed and not report.changes
        assert [p["status"] for p in report.packages] == ["would remove" if mode else "removed"]
    assert list(RecordStore(cluster).read("team-a").record.packages) == ["Task/kaniko"]


def test_a_missing_namespace_is_created_only_when_asked(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    with pytest.raises(InputError, match="namespace 'team-c' does not exist: --create-namespace creates it"):
        install(builtin, cluster, ["git-clone"], opts("team-c"))
    with pytest.raises(InputError, match="--dry-run=client shows the plan"):
        install(builtin, cluster, ["git-clone"], opts("team-c", create_namespace=True, dry_run="server"))
    report = install(builtin, cluster, ["git-clone"], opts("team-c", create_namespace=True, dry_run="client"))
    assert "would create namespace team-c" in report.notes and "team-c" not in cluster.namespaces
    report = install(builtin, cluster, ["git-clone"], opts("team-c", create_namespace=True))
    assert "created namespace team-c" in report.notes
    assert "team-c" in cluster.namespaces and "Task/git-clone" in kinds(cluster, "team-c")
    with pytest.raises(InputError, match="namespace 'team-d' does not exist$"):  # no hint where it cannot
        uninstall(None, cluster, ["git-clone"], opts("team-d"))
