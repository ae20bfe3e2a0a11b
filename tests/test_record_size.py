"""The install record is one ConfigMap, which Kubernetes limits to 1 MiB of data: the
record keeps fewer revisions rather than fail, and an install whose record could not
fit even so is refused before anything is written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.uninstall import uninstall
from catalog_cli.cluster import base
from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import HISTORY_LIMIT, RECORD_NAME, RecordStore
from catalog_cli.errors import ClusterError, InputError
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

TASKS = ["git-clone", "kaniko", "kubectl-deploy", "maven-jib-build", "yq-update"]
RECORD = ObjectRef("ConfigMap", "team", RECORD_NAME)


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog("builtin")


@pytest.fixture
def opts(tmp_path: Path) -> Options:
    return Options(("team",), settings=Settings.from_env().but(state_home=tmp_path / "state", undo_patience=0.0))


def record_bytes(cluster: FakeCluster) -> int:
    data = cluster.objects[RECORD]["data"]
    return sum(len(v) for v in data.values())


def test_the_fake_refuses_a_configmap_over_the_limit_as_the_server_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "CONFIGMAP_MAX_BYTES", 100)
    cluster = FakeCluster(namespaces={"team"})
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "team"},
           "data": {"k": "v" * 101}}
    with pytest.raises(ClusterError, match="must have at most 100 bytes"):
        cluster.create(big)


def test_a_record_near_the_limit_keeps_fewer_revisions(builtin: Any, opts: Options,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = FakeCluster(namespaces={"team"})
    install(builtin, cluster, TASKS, opts)
    one_revision = record_bytes(cluster)
    # Room for the five entries and a few revisions, not for ten.
    limit = one_revision + 3 * 700
    monkeypatch.setattr(base, "CONFIGMAP_MAX_BYTES", limit)
    for _ in range(HISTORY_LIMIT):
        uninstall(None, cluster, ["kaniko"], opts)
        install(builtin, cluster, ["kaniko"], opts)
    assert record_bytes(cluster) <= limit
    record = RecordStore(cluster).read("team").record
    assert set(record.packages) == {f"Task/{t}" for t in TASKS}
    assert 1 < len(record.history) < HISTORY_LIMIT
    assert record.history[-1].number == 1 + 2 * HISTORY_LIMIT  # the newest is kept, numbered on


def test_an_install_whose_record_cannot_fit_writes_nothing(builtin: Any, opts: Options,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = FakeCluster(namespaces={"team"})
    install(builtin, cluster, ["git-clone"], opts)
    before = copy.deepcopy(cluster.objects)
    limit = record_bytes(cluster) + 2000
    monkeypatch.setattr(base, "CONFIGMAP_MAX_BYTES", limit)
    cluster.requests = 0
    writes: list[str] = []
    cluster.fault = lambda verb, ref: writes.append(f"{verb} {ref}") if verb not in ("get", "list") else None
    with pytest.raises(InputError) as info:
        install(builtin, cluster, TASKS[1:], opts)
    message = str(info.value)
    assert "\n" not in message
    assert "namespace team" in message and "5 entries" in message and f"{limit:,} bytes" in message
    assert writes == []
    assert cluster.objects == before


def test_history_says_how_many_revisions_the_record_kept(builtin: Any, opts: Options,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog_cli.actions.history import history

    cluster = FakeCluster(namespaces={"team"})
    install(builtin, cluster, TASKS, opts)
    monkeypatch.setattr(base, "CONFIGMAP_MAX_BYTES", record_bytes(cluster) + 3 * 700)
    for _ in range(HISTORY_LIMIT):
        uninstall(None, cluster, ["kaniko"], opts)
        install(builtin, cluster, ["kaniko"], opts)
    kept = len(RecordStore(cluster).read("team").record.history)
    assert history(cluster, "kaniko", opts).notes == [
        f"namespace team keeps its last {kept} revisions (not {HISTORY_LIMIT}: more would not fit in the install "
        f"record's ConfigMap): revisions before {2 * HISTORY_LIMIT + 2 - kept} are gone"]
