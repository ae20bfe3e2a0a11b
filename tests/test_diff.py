"""diff over the FakeCluster: which version it compares with, and what it shows. The
real API server (test_install_cluster.py) proves the server's dry run and field owners."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.diff import diff
from catalog_cli.actions.install import install
from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.errors import NotFound
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

from .conftest import BUILTIN


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog("builtin")


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(namespaces={"team-a"})


@pytest.fixture
def opts(tmp_path: Path) -> Options:
    return Options(("team-a",), settings=Settings.from_env().but(state_home=tmp_path / "state"))


def changed_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_an_installed_entry_is_compared_with_its_installed_version(builtin: Any, cluster: FakeCluster,
                                                                   opts: Options) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts)
    result = diff(builtin, cluster, ["git-clone"], opts)
    assert not result.differs, [d["diff"] for d in result.differences]
    assert {d["state"] for d in result.differences} == {"same"}
    newer = diff(builtin, cluster, ["git-clone@0.2"], opts)  # with a range: what install would apply
    task = next(d for d in newer.differences if d["object"] == "Task git-clone in team-a")
    assert "-    app.kubernetes.io/version: '0.1'" in task["diff"].splitlines()
    assert "+    app.kubernetes.io/version: '0.2'" in task["diff"].splitlines()


def test_a_param_added_by_hand_is_the_only_difference(builtin: Any, cluster: FakeCluster, opts: Options) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts)
    task = cluster.objects[ObjectRef("Task", "team-a", "git-clone")]
    task["spec"]["params"].insert(1, {"name": "by-hand", "type": "string", "default": "x"})
    task["spec"]["steps"][0]["timeout"] = "5m"
    result = diff(builtin, cluster, ["git-clone"], opts)
    assert result.differs
    [item] = [d for d in result.differences if d["state"] != "same"]
    assert item["object"] == "Task git-clone in team-a"
    # Only what was added shows (four lines, however difflib aligns the param's own
    # "type: string"), not every param after it as removed and added again.
    lines = changed_lines(item["diff"])
    assert len(lines) == 4 and all(line.startswith("-") for line in lines), lines
    assert {"-  - default: x", "-    name: by-hand", "-    timeout: 5m"} <= set(lines)


def test_an_entry_not_installed_is_what_install_would_apply(builtin: Any, cluster: FakeCluster,
                                                            opts: Options) -> None:
    result = diff(builtin, cluster, ["kaniko"], opts)
    assert {d["state"] for d in result.differences} == {"missing"}
    assert any("+    app.kubernetes.io/version: '0.2'" in d["diff"] for d in result.differences)


def test_what_the_user_may_not_dry_run_is_compared_here_and_said(builtin: Any, cluster: FakeCluster,
                                                                 opts: Options) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts)
    cluster.objects[ObjectRef("Task", "team-a", "git-clone")]["spec"]["description"] = "by hand"
    cluster.forbidden |= {("patch", "Task")}
    result = diff(builtin, cluster, ["git-clone"], opts)
    assert result.differs
    assert any("rather than by a dry run on the server" in n for n in result.notes)


def test_an_installed_entry_whose_source_is_gone_says_how_to_reach_it(cluster: FakeCluster, opts: Options,
                                                                       tmp_path: Path) -> None:
    import shutil

    shutil.copytree(BUILTIN / "task" / "git-clone", tmp_path / "team" / "task" / "git-clone")
    install(open_catalog(str(tmp_path / "team")), cluster, ["git-clone"], opts)
    with pytest.raises(NotFound, match="installed from folder:team, which builtin does not hold: pass that folder"):
        diff(open_catalog("builtin"), cluster, ["git-clone"], opts)
    assert not diff(open_catalog(str(tmp_path / "team")), cluster, ["git-clone"], opts).differs
