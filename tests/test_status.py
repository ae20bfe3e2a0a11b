"""status over the FakeCluster: what it says of versions (compared as versions, never as
text: the comparison that broke tkn hub's upgrades), sources and rights, truthfully.
The real API server proves the CLI's -A and the least-privileged user's view
(test_install_cluster.py, test_least_privilege.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.status import installed_namespaces, newer, status
from catalog_cli.actions.upgrade import rollback, upgrade
from catalog_cli.cluster.base import ObjectRef
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.errors import ClusterError, Forbidden
from catalog_cli.sources import open_catalog

from .conftest import BUILTIN


@pytest.mark.parametrize(("candidate", "installed", "upgrade"), [
    ("0.10", "0.9", True),
    ("0.2", "0.10", False),   # as text "0.2" > "0.10"
    ("0.2", "0.2.0", False),  # the same version, written two ways
    ("0.2.1", "0.2", True),
    ("1.0.0", "1.0.0-rc.1", True),
    ("1.0.0-rc.1", "1.0.0", False),
    ("v0.3", "0.2", True),
    ("", "0.2", False),       # no newest known
    ("0.3", "main", False),   # installed from a branch, not a version
])
def test_newer_compares_versions(candidate: str, installed: str, upgrade: bool) -> None:
    assert newer(candidate, installed) is upgrade


def rows(builtin: Any, cluster: FakeCluster, opts: Options) -> dict[str, dict[str, Any]]:
    return {str(r["name"]): dict(r) for r in status(builtin, cluster, opts).rows}


def test_an_exact_pin_is_not_shown_as_upgradable(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1", "kaniko@0.1"], opts())
    row = rows(builtin, cluster, opts())["git-clone"]
    assert (row["version"], row["newest"], row["requested"], row["upgradable"], row["upgrade"]) == (
        "0.1", "0.2", "0.1", "", False)
    # and upgrade, all of it, leaves it where its requirement holds it
    report = upgrade(builtin, cluster, [], opts(), all_=True)
    assert {p["name"]: p["status"] for p in report.packages} == {"git-clone": "unchanged", "kaniko": "unchanged"}


def test_what_upgrade_would_move_to_is_shown(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    install(builtin, cluster, ["git-clone@0.1"], opts())
    upgrade(builtin, cluster, ["git-clone@*"], opts())
    rollback(builtin, cluster, "git-clone", opts())  # back to 0.1, still asked for as "*"
    row = rows(builtin, cluster, opts())["git-clone"]
    assert (row["version"], row["requested"], row["upgradable"], row["upgrade"]) == ("0.1", "*", "0.2", True)


def test_upgrading_one_entry_keeps_the_others_requirements(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    """The others are held at their versions while one moves; what the user asked for
    them (here ^0.1) is still what the record says afterwards, not the hold."""
    install(builtin, cluster, ["git-clone@0.1", "kaniko@^0.1"], opts())
    upgrade(builtin, cluster, ["git-clone@*"], opts())
    rollback(builtin, cluster, "git-clone", opts())
    assert {r: row["requested"] for r, row in rows(builtin, cluster, opts()).items()} == {
        "git-clone": "*", "kaniko": "^0.1"}


def test_entries_from_a_source_the_catalog_lacks_are_not_compared_with_another(
        builtin: Any, cluster: FakeCluster, opts: Any, tmp_path: Path) -> None:
    import shutil

    team = tmp_path / "team"
    shutil.copytree(BUILTIN / "task" / "git-clone", team / "task" / "git-clone")
    install(open_catalog(str(team)), cluster, ["git-clone"], opts())
    result = status(builtin, cluster, opts())
    row = result.rows[0]
    assert (row["source"], row["newest"], row["upgradable"]) == ("folder:team", "", "")
    assert result.notes == ["entries installed from folder:team are not compared with any catalog: builtin does "
                            "not hold folder:team (pass that folder with --catalog PATH)"]


def test_a_kind_the_user_may_not_list_holds_nothing_of_theirs(builtin: Any, cluster: FakeCluster,
                                                              opts: Any) -> None:
    install(builtin, cluster, ["git-clone"], opts())
    cluster.forbidden |= {("list", "Pipeline")}
    assert list(rows(builtin, cluster, opts())) == ["git-clone"]
    cluster.forbidden |= {("list", "Task"), ("get", "Task")}
    with pytest.raises(ClusterError, match="Forbidden"):  # but not one of a kind they installed
        status(builtin, cluster, opts())


def test_all_namespaces_are_those_with_a_record(builtin: Any, cluster: FakeCluster, opts: Any) -> None:
    cluster.namespaces |= {"team-c"}
    install(builtin, cluster, ["git-clone"], opts("team-b", "team-a"))
    cluster.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "lookalike", "namespace": "team-c", "labels": {"app.kubernetes.io/managed-by": "catalog"}}})
    assert installed_namespaces(cluster) == ["team-a", "team-b"]

    def no_cluster_wide_list(verb: str, ref: ObjectRef) -> ClusterError | None:
        return ClusterError("Forbidden", str(ref), 403) if verb == "list" and not ref.namespace else None

    cluster.fault = no_cluster_wide_list
    with pytest.raises(Forbidden, match="may not list ConfigMaps in all namespaces.*-n NAMESPACE"):
        installed_namespaces(cluster)


def test_all_namespaces_goes_with_installed_and_not_with_namespaces() -> None:
    from .conftest import assert_one_line_error, run_cli

    assert_one_line_error(run_cli("list", "-A"), "--all-namespaces", "--installed")
    assert_one_line_error(run_cli("status", "-A", "-n", "team-a"), "-A", "-n")
