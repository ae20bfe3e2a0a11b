"""upgrade and rollback of one entry over the FakeCluster, in a namespace that also
holds entries from a source the catalog at hand does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.cluster.records import RecordStore
from catalog_cli.errors import NotFound
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog
from .test_install_deps import write


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """Another team's catalog: a Task buildah that needs their StepAction say."""
    root = tmp_path / "team"
    write(root, "StepAction", "say", "0.1", {"image": "busybox:1.36", "script": "echo hi"})
    write(root, "Task", "buildah", "0.1", {"steps": [{"name": "hello", "ref": {"name": "say"}}]})
    return root


@pytest.fixture
def opts(tmp_path: Path) -> Options:
    return Options(("team-a",), settings=Settings.from_env().but(state_home=tmp_path / "state", undo_patience=0.0))


@pytest.fixture
def cluster(team: Path, opts: Options) -> FakeCluster:
    cluster = FakeCluster(namespaces={"team-a"})
    install(open_catalog(str(team)), cluster, ["buildah"], opts)
    install(open_catalog("builtin"), cluster, ["git-clone@0.1"], opts)
    return cluster


def entries(cluster: FakeCluster) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    record = RecordStore(cluster).read("team-a").record
    return {k: (p.version, p.requested, p.required_by) for k, p in record.packages.items()}


KEPT = {"Task/buildah": ("0.1", "*", ()), "StepAction/say": ("0.1", "", ("Task/buildah",))}


def test_upgrading_one_entry_leaves_entries_the_catalog_lacks_as_they_are(cluster: FakeCluster,
                                                                         opts: Options) -> None:
    objects = {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items() if r.name in ("buildah", "say")}
    report = upgrade(open_catalog("builtin"), cluster, ["git-clone@*"], opts)
    assert [(p["name"], p["status"]) for p in report.packages] == [("git-clone", "0.1 -> 0.2")]
    assert entries(cluster) == {**KEPT, "Task/git-clone": ("0.2", "*", ())}
    assert {r: o["metadata"]["resourceVersion"] for r, o in cluster.objects.items()
            if r.name in ("buildah", "say")} == objects
    assert "buildah (from folder:team) stays as it is: builtin does not hold it" in " ".join(report.notes)

    report = rollback(open_catalog("builtin"), cluster, "git-clone", opts)
    assert [(p["name"], p["status"]) for p in report.packages] == [("git-clone", "0.2 -> 0.1")]
    assert entries(cluster) == {**KEPT, "Task/git-clone": ("0.1", "*", ())}


def test_moving_an_entry_the_catalog_lacks_says_where_it_came_from(cluster: FakeCluster, opts: Options) -> None:
    with pytest.raises(NotFound, match=r"buildah was installed from folder:team, which builtin does not hold: "
                                       r"pass that folder with --catalog PATH"):
        upgrade(open_catalog("builtin"), cluster, ["buildah"], opts)
    with pytest.raises(NotFound, match=r"buildah was installed from folder:team, which builtin does not hold"):
        rollback(open_catalog("builtin"), cluster, "buildah", opts, to="0.1")


def test_upgrade_all_moves_what_the_catalog_has_and_keeps_the_rest(cluster: FakeCluster, opts: Options) -> None:
    install(open_catalog("builtin"), cluster, ["kaniko@*"], opts)
    rollback(open_catalog("builtin"), cluster, "kaniko", opts, to="0.1")
    report = upgrade(open_catalog("builtin"), cluster, [], opts, all_=True)
    assert {p["name"]: p["status"] for p in report.packages} == {"git-clone": "unchanged", "kaniko": "0.1 -> 0.2"}
    assert {k: v for k, v in entries(cluster).items() if k in KEPT} == KEPT


def test_installing_a_deprecated_version_warns(tmp_path: Path, opts: Options) -> None:
    root = tmp_path / "cat"
    step = {"steps": [{"name": "s", "image": "busybox:1.36", "script": "true"}]}
    write(root, "Task", "old", "0.1", step, {"tekton.dev/deprecated": "true"})
    write(root, "Task", "old", "0.2", step)
    catalog = open_catalog(str(root))
    cluster = FakeCluster(namespaces={"team-a"})
    report = install(catalog, cluster, ["old@0.1"], opts)
    assert report.notes == ["warning: Task old 0.1 is deprecated in folder:cat; 0.2 is not"]
    assert install(catalog, cluster, ["old@0.1"], opts).notes == []  # already there: said when it was installed
    assert upgrade(catalog, cluster, ["old@0.2"], opts).notes == []
    assert rollback(catalog, cluster, "old", opts).notes == ["warning: Task old 0.1 is deprecated in folder:cat; "
                                                             "0.2 is not"]


def test_upgrade_all_with_nothing_the_catalog_holds_says_where_it_came_from(team: Path, opts: Options) -> None:
    cluster = FakeCluster(namespaces={"team-a"})
    install(open_catalog(str(team)), cluster, ["buildah"], opts)
    with pytest.raises(NotFound, match="nothing to upgrade in team-a: buildah was installed from folder:team, which "
                                       "builtin does not hold: pass that folder with --catalog PATH, or move it "
                                       "with --from REPO"):
        upgrade(open_catalog("builtin"), cluster, [], opts, all_=True)
