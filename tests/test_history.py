"""history over the FakeCluster: the revisions of one entry, with who made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.history import history
from catalog_cli.actions.install import install
from catalog_cli.actions.uninstall import uninstall
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.errors import InputError, NotFound
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog("builtin")


@pytest.fixture
def opts(tmp_path: Path) -> Options:
    return Options(("team-a",), settings=Settings.from_env().but(state_home=tmp_path / "state"))


def test_the_revisions_of_one_entry_with_versions_and_who(builtin: Any, opts: Options) -> None:
    cluster = FakeCluster(namespaces={"team-a"}, user="alice")
    install(builtin, cluster, ["git-clone@0.1"], opts)
    cluster.user = "bob"
    install(builtin, cluster, ["kaniko"], opts)  # another entry: not in git-clone's history
    upgrade(builtin, cluster, ["git-clone@0.2"], opts)
    rollback(builtin, cluster, "git-clone", opts)
    uninstall(None, cluster, ["kaniko"], opts)
    rows = history(cluster, "git-clone", opts).rows
    assert [(r["revision"], r["action"], r["version"], r["user"]) for r in rows] == [
        (1, "install", "0.1", "alice"), (3, "upgrade", "0.2", "bob"), (4, "rollback", "0.1", "bob")]
    assert all(r["namespace"] == "team-a" and r["updated"].endswith("+00:00") for r in rows)
    removed = history(cluster, "task/kaniko", opts).rows
    assert [(r["revision"], r["action"], r["version"]) for r in removed] == [(2, "install", "0.2"),
                                                                            (5, "uninstall", None)]


def test_history_says_what_it_no_longer_keeps(builtin: Any, opts: Options) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    install(builtin, cluster, ["git-clone@0.1"], opts)
    for i in range(11):
        rollback(builtin, cluster, "git-clone", opts, to="0.2" if i % 2 == 0 else "0.1")
    result = history(cluster, "git-clone", opts)
    assert [r["revision"] for r in result.rows] == list(range(3, 13))
    assert result.notes == ["namespace team-a keeps its last 10 revisions: revisions before 3 are gone"]


def test_an_unknown_name_or_a_range_is_one_clear_error(builtin: Any, opts: Options) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    install(builtin, cluster, ["git-clone"], opts)
    with pytest.raises(NotFound, match="no history of kaniko in namespace team-a"):
        history(cluster, "kaniko", opts)
    with pytest.raises(InputError, match="a name, not NAME@RANGE"):
        history(cluster, "git-clone@0.1", opts)
