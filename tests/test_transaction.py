"""Transactions and the intent journal over the FakeCluster: undo on failure, replay
after a crash, and the journal's own safety (identity, lock, modes, no Secrets)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.journal import Journal
from catalog_cli.cluster.records import RecordStore
from catalog_cli.cluster.transaction import Transaction, open_journal, recover
from catalog_cli.errors import ClusterError
from catalog_cli.manifests import MANAGED_BY, MANAGER


def task(name: str, ns: str = "team-a", image: str = "alpine") -> dict[str, object]:
    return {"apiVersion": "tekton.dev/v1", "kind": "Task",
            "metadata": {"name": name, "namespace": ns, "labels": {MANAGED_BY: MANAGER}},
            "spec": {"steps": [{"name": "s", "image": image}]}}


def names(cluster: FakeCluster) -> set[str]:
    return {r.name for r in cluster.objects if r.kind == "Task"}


def crash(tx: Transaction) -> None:
    """What kill -9 leaves: the journal file, its lock released, nothing undone."""
    assert tx.journal._fd is not None
    os.close(tx.journal._fd)
    tx.journal._fd = None


def test_a_failure_undoes_every_write(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    cluster.add(task("kept", image="old"))
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("new-one"), None, force=False)
    before = cluster.get(ObjectRef("Task", "team-a", "kept"))
    tx.apply(task("kept", image="new"), before, force=False)
    left, refused = tx.rollback()
    assert (left, refused) == ([], [])
    assert names(cluster) == {"kept"}
    kept = cluster.get(ObjectRef("Task", "team-a", "kept"))
    assert kept is not None and kept["spec"]["steps"][0]["image"] == "old"
    assert not list((tmp_path / "journal").glob("*.jsonl"))


def test_a_crashed_transaction_is_undone_by_the_next_command(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    tx.apply(task("b"), None, force=False)
    base = RecordStore(cluster).read("team-a")
    crash(tx)
    assert names(cluster) == {"a", "b"}
    notes = recover(cluster, tmp_path)
    assert names(cluster) == set()
    assert notes and "team-a" in notes[0] and "2 writes" in notes[0]
    assert not list((tmp_path / "journal").glob("*.jsonl"))
    assert RecordStore(cluster).read("team-a") == base


def test_a_crash_after_the_record_was_written_removes_the_record_too(tmp_path: Path) -> None:
    from catalog_cli.cluster.records import Installed, ObjectRecord

    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    live = tx.apply(task("a"), None, force=False)
    pkg = Installed("a", "Task", "0.1", "sha256:" + "e" * 64, "builtin", "*",
                    (ObjectRecord("Task", "a", "", live["metadata"]["uid"]),))
    tx.write_record("team-a", RecordStore(cluster).read("team-a"), {"Task/a": pkg}, "install")
    crash(tx)
    recover(cluster, tmp_path)
    assert cluster.objects == {}


def test_a_crash_after_the_last_entry_went_puts_the_record_back(tmp_path: Path) -> None:
    from catalog_cli.cluster.records import Installed, ObjectRecord

    cluster = FakeCluster(namespaces={"team-a"})
    pkg = Installed("a", "Task", "0.1", "sha256:" + "e" * 64, "builtin", "*", (ObjectRecord("Task", "a", "", "u"),))
    store = RecordStore(cluster)
    store.write("team-a", store.read("team-a"), {"Task/a": pkg}, "install")
    base = store.read("team-a")
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.write_record("team-a", base, {"Task/a": None}, "uninstall")
    assert store.read("team-a").live is None
    crash(tx)
    recover(cluster, tmp_path)
    assert store.read("team-a").record == base.record


def test_a_committed_journal_is_not_replayed(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    tx.commit()
    assert recover(cluster, tmp_path) == []
    assert names(cluster) == {"a"}


def test_a_journal_is_never_replayed_on_another_cluster_at_the_same_url(tmp_path: Path) -> None:
    first = FakeCluster(namespaces={"team-a"})
    tx = Transaction(first, open_journal(first, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    crash(tx)
    second = FakeCluster(host=first.host, namespaces={"team-a"})
    second.add(task("a"), manager="catalog")  # the same name, made on the other cluster
    assert recover(second, tmp_path) == []
    assert names(second) == {"a"}
    other_user = FakeCluster(host=first.host, cluster_id=first.cluster_id, user="alice",
                             namespaces={"team-a"}, objects=dict(first.objects))
    assert recover(other_user, tmp_path) == []
    assert names(other_user) == {"a"}
    recover(first, tmp_path)
    assert names(first) == set()


def test_a_journal_whose_writer_is_alive_is_left_alone(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    assert recover(cluster, tmp_path) == []  # the running transaction holds its lock
    assert names(cluster) == {"a"}
    tx.commit()


def test_a_refused_replay_keeps_the_journal(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    crash(tx)
    cluster.forbidden.add(("delete", "Task"))
    notes = recover(cluster, tmp_path)
    assert "could not finish undoing" in notes[0]
    assert names(cluster) == {"a"}
    assert list((tmp_path / "journal").glob("*.jsonl"))
    cluster.forbidden.clear()
    recover(cluster, tmp_path)
    assert names(cluster) == set()


def test_an_unreachable_server_keeps_the_journal_and_says_so(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    crash(tx)
    cluster.fault = lambda verb, ref: ClusterError("connection refused") if ref.kind == "Task" else None
    with pytest.raises(ClusterError, match="cannot be reached"):
        recover(cluster, tmp_path)
    cluster.fault = None
    recover(cluster, tmp_path)
    assert names(cluster) == set()


def test_undo_never_deletes_an_object_someone_made_in_the_meantime(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    crash(tx)
    del cluster.objects[ObjectRef("Task", "team-a", "a")]
    cluster.add(task("a"), manager="kubectl")  # someone else's Task of the same name
    recover(cluster, tmp_path)
    assert names(cluster) == {"a"}


def test_a_delete_whose_object_was_replaced_meanwhile_fails_and_deletes_nothing(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    planned = cluster.add(task("a"), manager="catalog")
    del cluster.objects[ObjectRef("Task", "team-a", "a")]
    cluster.add(task("a"), manager="kubectl")  # replaced between plan and delete
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    with pytest.raises(ClusterError) as info:
        tx.delete(ObjectRef("Task", "team-a", "a"), planned)
    assert info.value.status == 409
    assert names(cluster) == {"a"}
    tx.rollback()


def test_the_journal_is_private_and_holds_no_secrets(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    journal = open_journal(cluster, tmp_path)
    tx = Transaction(cluster, journal, patience=0)
    tx.apply(task("a"), None, force=False)
    assert journal.path is not None
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700
    with pytest.raises(ValueError, match="never holds Secrets"):
        journal.write({"op": "object", "ref": ["Secret", "team-a", "s"],
                       "before": {"kind": "Secret", "data": {"token": "c2VjcmV0"}}})
    tx.commit()


def test_a_journal_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    from catalog_cli.fsutil import UnsafePath

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "journal").symlink_to(elsewhere)
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path / "state"), patience=0)
    with pytest.raises(UnsafePath):
        tx.apply(task("a"), None, force=False)
    assert not list(elsewhere.iterdir())
    assert names(cluster) == set()  # the intent could not be written, so nothing was


def test_journal_lines_cut_short_are_skipped(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a"), None, force=False)
    journal: Journal = tx.journal
    assert journal._fd is not None
    os.write(journal._fd, b'{"op":"object","ref":["Task","team-a","b"],"befo')
    crash(tx)
    recover(cluster, tmp_path)
    assert names(cluster) == set()


def test_a_write_the_server_refused_is_not_undone(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    mine = cluster.add(task("a", image="mine"), manager="kubectl")
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    stale = dict(task("a", image="new"), metadata={**task("a")["metadata"], "uid": "not-the-one"})  # type: ignore[dict-item]
    with pytest.raises(ClusterError):
        tx.apply(stale, mine, force=False)
    assert tx.steps == []
    crash(tx)
    assert recover(cluster, tmp_path) == []  # the refused write left nothing to undo
    live = cluster.get(ObjectRef("Task", "team-a", "a"))
    assert live is not None and live["spec"]["steps"][0]["image"] == "mine"


def test_undo_never_overwrites_an_object_replaced_since(tmp_path: Path) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    ours = cluster.add(task("a", image="old"), manager="catalog")
    tx = Transaction(cluster, open_journal(cluster, tmp_path), patience=0)
    tx.apply(task("a", image="new"), ours, force=False)
    del cluster.objects[ObjectRef("Task", "team-a", "a")]
    cluster.add(task("a", image="theirs"), manager="kubectl")
    assert tx.rollback() == ([], [])
    live = cluster.get(ObjectRef("Task", "team-a", "a"))
    assert live is not None and live["spec"]["steps"][0]["image"] == "theirs"
