"""Install records: parsing, tamper detection, ownership and precondition writes (FakeCluster)."""

from __future__ import annotations

import json
import threading

import pytest

from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import (
    HISTORY_LIMIT,
    RECORD_NAME,
    Installed,
    ObjectRecord,
    Record,
    RecordStore,
    TamperedRecord,
    is_ours,
    record_from_object,
    record_object,
)
from catalog_cli.errors import InputError
from catalog_cli.manifests import MANAGED_BY, MANAGER, PACKAGE_LABEL


def installed(name: str = "git-clone", version: str = "0.1", uid: str = "uid-1") -> Installed:
    return Installed(name, "Task", version, "sha256:" + "b" * 64, "builtin", "^0.1",
                     (ObjectRecord("Task", name, "sha256:" + "c" * 64, uid),), ("Pipeline/ship",))


def stored_text(packages: dict[str, dict[str, object]], namespace: str = "team-a") -> dict[str, object]:
    data = {"apiVersion": "catalog.dev/v1", "kind": "InstallRecord", "namespace": namespace,
            "packages": packages, "history": []}
    return {"data": {"record.json": json.dumps(data)}}


def test_round_trip_through_the_configmap() -> None:
    record = Record("team-a").with_packages({"Task/git-clone": installed()}, "install")
    again = record_from_object("team-a", record_object(record, "team-a"))
    assert again == record
    assert again.find("git-clone").required_by == ("Pipeline/ship",)


def test_history_is_bounded_and_numbered() -> None:
    record = Record("ns")
    for i in range(HISTORY_LIMIT + 5):
        record = record.with_packages({"Task/git-clone": installed(version=f"0.{i % 3 + 1}")}, "upgrade")
    assert len(record.history) == HISTORY_LIMIT
    assert record.revision == HISTORY_LIMIT + 5
    assert [r.number for r in record.history] == list(range(6, HISTORY_LIMIT + 6))


def test_damaged_record_is_one_error_naming_it() -> None:
    with pytest.raises(InputError, match="install record is damaged"):
        record_from_object("ns", {"data": {"record.json": "{not json"}})


def test_the_records_own_namespace_field_is_ignored() -> None:
    good = json.loads(record_object(Record("a").with_packages({"Task/git-clone": installed()}, "install"),
                                    "a")["data"]["record.json"])
    good["namespace"] = "kube-system"
    record = record_from_object("a", {"data": {"record.json": json.dumps(good)}})
    assert record.namespace == "a"
    assert record_object(record, "a")["metadata"]["namespace"] == "a"


@pytest.mark.parametrize("objects, why", [
    ([{"kind": "Secret", "name": "db-password", "spec_hash": "", "uid": "u1"}], "Secret db-password"),
    ([{"kind": "ClusterRoleBinding", "name": "cluster-admin", "spec_hash": "", "uid": "u1"}],
     "ClusterRoleBinding cluster-admin"),
    ([{"kind": "Namespace", "name": "prod", "spec_hash": "", "uid": "u1"}], "Namespace prod"),
    ([{"kind": "Role", "name": "someone-elses", "spec_hash": "", "uid": "u1"}], "Role someone-elses"),
    ([{"kind": "ServiceAccount", "name": "default", "spec_hash": "", "uid": "u1"}], "ServiceAccount default"),
    ([{"kind": "Task", "name": "git-clone", "spec_hash": "", "uid": ""}], "without the uid"),
])
def test_a_record_naming_what_catalog_never_makes_is_tampering(objects: list[dict[str, str]], why: str) -> None:
    pkg = {"name": "git-clone", "kind": "Task", "version": "0.1", "digest": "sha256:" + "d" * 64, "source": "builtin",
           "requested": "*", "objects": objects}
    with pytest.raises(TamperedRecord, match=why) as info:
        record_from_object("team-a", stored_text({"Task/git-clone": pkg}))
    assert "ConfigMap catalog-installs in team-a" in str(info.value)


def test_an_entry_under_another_name_is_tampering() -> None:
    pkg = {"name": "git-clone", "kind": "Task", "version": "0.1", "digest": "sha256:" + "d" * 64, "source": "builtin",
           "requested": "*", "objects": []}
    with pytest.raises(TamperedRecord, match="does not name itself"):
        record_from_object("team-a", stored_text({"Task/harmless": pkg}))
    with pytest.raises(TamperedRecord, match="never installs"):
        record_from_object("team-a", stored_text({"Secret/git-clone": dict(pkg, kind="Secret")}))


def live_task(uid: str = "uid-1", manager: str = "catalog", labels: dict[str, str] | None = None) -> dict[str, object]:
    return {"kind": "Task", "metadata": {
        "name": "git-clone", "uid": uid, "managedFields": [{"manager": manager}],
        "labels": {MANAGED_BY: MANAGER, PACKAGE_LABEL: "git-clone"} if labels is None else labels}}


def test_ours_needs_uid_manager_and_labels() -> None:
    rec = ObjectRecord("Task", "git-clone", "", "uid-1")
    mine = installed()
    assert is_ours(live_task(), rec, mine)
    assert not is_ours(live_task(uid="other"), rec, mine)
    assert not is_ours(live_task(manager="kubectl"), rec, mine)
    assert not is_ours(live_task(labels={}), rec, mine)
    assert not is_ours(live_task(), rec, installed("kaniko"))
    assert not is_ours(live_task(), ObjectRecord("Task", "git-clone", "", ""), mine)
    signed = live_task(labels={})
    signed["metadata"]["annotations"] = {"tekton.dev/signature": "MEUC..."}  # type: ignore[index]
    assert is_ours(signed, rec, mine)


def test_a_tasks_objects_never_pass_for_a_services_of_the_same_name() -> None:
    from dataclasses import replace

    from catalog_cli.manifests import KIND_LABEL

    rec = ObjectRecord("ServiceAccount", "catalog-git-clone", "", "uid-1")
    service = replace(installed(), kind="Service")
    labelled = {MANAGED_BY: MANAGER, PACKAGE_LABEL: "git-clone", KIND_LABEL: "Task"}
    assert not is_ours(live_task(labels=labelled), rec, service)
    assert not is_ours(live_task(), rec, service)  # made before the kind label: never a Service's
    assert is_ours(live_task(labels=labelled), rec, installed())
    assert is_ours(live_task(labels={**labelled, KIND_LABEL: "Service"}), rec, service)


def test_record_writes_never_lose_a_concurrent_entry() -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    store = RecordStore(cluster)
    names = [f"task-{i}" for i in range(16)]
    barrier = threading.Barrier(len(names))

    def write(name: str) -> None:
        base = store.read("team-a")  # everyone reads the same (empty) record first
        barrier.wait()
        store.write("team-a", base, {f"Task/{name}": installed(name)}, "install")

    threads = [threading.Thread(target=write, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    record = store.read("team-a").record
    assert sorted(p.name for p in record.packages.values()) == sorted(names)
    assert record.revision == len(names)


def test_a_stale_write_is_rebased_not_overwritten() -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    store = RecordStore(cluster)
    empty = store.read("team-a")
    store.write("team-a", empty, {"Task/git-clone": installed()}, "install")
    # A writer holding the old (empty) record adds its own entry: git-clone stays.
    store.write("team-a", empty, {"Task/kaniko": installed("kaniko")}, "install")
    live = cluster.get(ObjectRef("ConfigMap", "team-a", RECORD_NAME))
    assert live is not None
    assert set(record_from_object("team-a", live).packages) == {"Task/git-clone", "Task/kaniko"}


def test_each_revision_says_who_made_it() -> None:
    cluster = FakeCluster(namespaces={"team-a"}, user="alice@example.com")
    store = RecordStore(cluster)
    store.write("team-a", store.read("team-a"), {"Task/git-clone": installed()}, "install")
    record = store.read("team-a").record
    assert [(r.action, r.user, r.versions) for r in record.history] == [
        ("install", "alice@example.com", {"Task/git-clone": "0.1"})]


def test_a_revision_from_before_users_were_kept_still_reads() -> None:
    data = json.loads(record_object(Record("a").with_packages({"Task/git-clone": installed()}, "install"),
                                    "a")["data"]["record.json"])
    del data["history"][0]["user"]
    record = record_from_object("a", {"data": {"record.json": json.dumps(data)}})
    assert record.history[0].user == "" and record.history[0].versions == {"Task/git-clone": "0.1"}


def test_a_user_name_no_record_may_hold_is_not_recorded() -> None:
    record = Record("a").with_packages({"Task/git-clone": installed()}, "install", user="\x1b[2Jroot")
    assert record.history[0].user == ""
    assert record_from_object("a", record_object(record, "a")) == record


@pytest.mark.parametrize("forgery, why", [
    ({"versions": ["Task/git-clone"]}, "not a map"),
    ({"versions": {"Task/git-clone": "0.1 || >=0"}}, "not a version"),
    ({"versions": {"Secret/db": "0.1"}}, "no entry catalog installs"),
    ({"number": 0}, "does not follow"),
    ({"number": True}, "does not follow"),
    ({"action": "Install!"}, "action"),
    ({"time": "yesterday"}, "not a time"),
    ({"user": "\u202eadmin"}, "user"),
    ({"user": 7}, "not text"),
])
def test_a_forged_revision_is_tampering(forgery: dict[str, object], why: str) -> None:
    data = json.loads(record_object(Record("a").with_packages({"Task/git-clone": installed()}, "install"),
                                    "a")["data"]["record.json"])
    data["history"][0].update(forgery)
    with pytest.raises(TamperedRecord, match=why):
        record_from_object("a", {"data": {"record.json": json.dumps(data)}})


def test_a_history_longer_than_catalog_keeps_is_tampering() -> None:
    record = Record("a")
    for _ in range(HISTORY_LIMIT):
        record = record.with_packages({"Task/git-clone": installed()}, "install")
    data = json.loads(record_object(record, "a")["data"]["record.json"])
    data["history"].append(dict(data["history"][-1], number=HISTORY_LIMIT + 1))
    with pytest.raises(TamperedRecord, match="more than catalog keeps"):
        record_from_object("a", {"data": {"record.json": json.dumps(data)}})


def test_the_last_entry_removed_removes_the_configmap() -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    store = RecordStore(cluster)
    stored = store.write("team-a", store.read("team-a"), {"Task/git-clone": installed()}, "install")
    after = store.write("team-a", stored, {"Task/git-clone": None}, "uninstall")
    assert after.live is None and after.record.packages == {}
    assert cluster.get(ObjectRef("ConfigMap", "team-a", RECORD_NAME)) is None


def test_removing_the_last_entry_never_loses_one_written_meanwhile() -> None:
    """The delete carries the resourceVersion read: had another install added an entry
    since, the delete is refused, the record read again, and only this run's entry goes."""
    cluster = FakeCluster(namespaces={"team-a"})
    store = RecordStore(cluster)
    stale = store.write("team-a", store.read("team-a"), {"Task/git-clone": installed()}, "install")
    store.write("team-a", store.read("team-a"), {"Task/kaniko": installed("kaniko")}, "install")
    after = store.write("team-a", stale, {"Task/git-clone": None}, "uninstall")
    assert set(after.record.packages) == {"Task/kaniko"}
    live = cluster.get(ObjectRef("ConfigMap", "team-a", RECORD_NAME))
    assert live is not None and set(record_from_object("team-a", live).packages) == {"Task/kaniko"}


def test_each_revision_names_the_entries_it_changed() -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    store = RecordStore(cluster)
    stored = store.write("team-a", store.read("team-a"), {"Task/git-clone": installed(), "Task/kaniko":
                                                          installed("kaniko")}, "install")
    store.write("team-a", stored, {"Task/kaniko": installed("kaniko", "0.2")}, "upgrade")
    record = store.read("team-a").record
    assert [(r.action, r.changed) for r in record.history] == [("install", ("Task/git-clone", "Task/kaniko")),
                                                               ("upgrade", ("Task/kaniko",))]


@pytest.mark.parametrize("changed", [["Secret/db"], "Task/git-clone", [7]])
def test_a_forged_list_of_changed_entries_is_refused(changed: object) -> None:
    data = json.loads(record_object(Record("a").with_packages({"Task/git-clone": installed()}, "install"),
                                    "a")["data"]["record.json"])
    data["history"][0]["changed"] = changed
    with pytest.raises((TamperedRecord, InputError)):
        record_from_object("a", {"data": {"record.json": json.dumps(data)}})
