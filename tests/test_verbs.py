"""The verbs of actions/ called as a library: lock, why, repo, mirror, info, lint.

They take one Settings and read no environment (the folders below are not the
ones $XDG_* name), return data, and print nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog_cli import repos
from catalog_cli.actions import discover, lock, share
from catalog_cli.actions import repos as repo_verbs
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

from .conftest import BUILTIN


@pytest.fixture
def own(tmp_path: Path) -> Settings:
    """Settings whose folders are nowhere the environment points."""
    return Settings(cache_home=tmp_path / "own-cache", config_home=tmp_path / "own-config",
                    state_home=tmp_path / "own-state")


@pytest.fixture(autouse=True)
def _silent(capsys: pytest.CaptureFixture[str]) -> object:
    yield
    assert capsys.readouterr() == ("", ""), "the library never prints"


def _env_folders_untouched() -> bool:
    return not any((Path(os.environ[v]) / "catalog").exists() for v in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME"))


def test_settings_come_from_the_environment_given() -> None:
    s = Settings.from_env({"XDG_CACHE_HOME": "/c", "XDG_CONFIG_HOME": "/k", "XDG_STATE_HOME": "/s",
                           "CATALOG_OFFLINE": "yes", "CATALOG_HTTP_TIMEOUT": "0.5", "TEAM_TOKEN": "t0k"})
    assert (s.cache_home, s.config_home, s.state_home) == (Path("/c/catalog"), Path("/k/catalog"),
                                                           Path("/s/catalog"))
    assert s.offline and s.http_timeout == 0.5 and s.http_retries == 2
    assert s.env["TEAM_TOKEN"] == "t0k" and "t0k" not in repr(s)  # credentials, never shown
    assert repos.Auth(token_env="TEAM_TOKEN").headers("team", s.env) == {"Authorization": "Bearer t0k"}


def test_repo_verbs_use_the_settings_folders(own: Settings) -> None:
    added = repo_verbs.add("team", str(BUILTIN), own)
    # Position 1 of 2: the built-in catalog is counted, last, as listing() shows it.
    assert (added.position, added.total, added.resources) == (1, 2, len(open_catalog("builtin", own).names()))
    assert (own.config_home / "repos.yaml").is_file() and (own.cache_home / "index").is_dir()
    assert _env_folders_untouched()
    rows = repo_verbs.listing(own)
    assert [r["name"] for r in rows] == ["team", "builtin"] and rows[0]["url"] == str(BUILTIN)
    updated = repo_verbs.update([], own)
    assert updated.rows == [{"name": "team", "status": "local", "detail": "a folder: nothing to fetch",
                             "bytes": None}]
    assert updated.fetched == 0 and not updated.failed and not updated.none_configured
    assert repo_verbs.remove("team", own).name == "team"
    assert repos.load(own) == [] and repo_verbs.update([], own).none_configured
    assert _env_folders_untouched()


def test_lock_check_and_why(own: Settings, tmp_path: Path) -> None:
    file = tmp_path / "catalog.lock"
    warnings: list[str] = []
    new = lock.lock(file, own, ["kubectl-deploy"], warn=warnings.append)
    assert file.is_file() and [e.name for e in new.resolved] == ["kubectl-deploy"]
    assert lock.check(file, own) == new
    relocked = lock.lock(file, own)  # the lock's own requirements, its versions kept
    assert [(e.name, e.version) for e in relocked.resolved] == [(e.name, e.version) for e in new.resolved]
    found = lock.why(file, "kubectl-deploy", own)
    assert found.catalog_error is None and found.newest == new.resolved[0].version
    assert found.to_dict()["requiredBy"] == [{"requirement": "kubectl-deploy"}]
    assert warnings == []


def test_why_without_its_catalog_still_explains(own: Settings, tmp_path: Path) -> None:
    file = tmp_path / "catalog.lock"
    lock.lock(file, own, ["kubectl-deploy"])
    found = lock.why(file, "kubectl-deploy", own, catalog=str(tmp_path / "gone"))
    assert found.newest is None and "no such file or directory" in (found.catalog_error or "")
    assert found.explanation


def test_mirror_round_trip_adds_a_repo(own: Settings, tmp_path: Path) -> None:
    out = tmp_path / "m.tar.gz"
    exported = share.export(["kubectl-deploy"], out, own, catalog="builtin")
    assert out.is_file() and exported.entries >= 1
    done = share.import_(out, tmp_path / "Site", own)
    assert done.repo == "site" and [r.name for r in repos.load(own)] == ["site"]
    assert done.unpacked.entries == exported.entries
    only = share.import_(out, tmp_path / "again", own, add=False)
    assert only.repo is None and [r.name for r in repos.load(own)] == ["site"]


def test_info_is_data(own: Settings) -> None:
    data = discover.info(open_catalog("builtin", own), "kubectl-deploy")
    assert data["name"] == "kubectl-deploy" and data["versions"][0] == data["version"]
    assert {"params", "workspaces", "results", "rbac", "mismatches"} <= set(data) and "files" not in data


def test_lint_knows_the_tasks_of_the_settings_catalog(own: Settings, tmp_path: Path) -> None:
    from catalog_cli.actions.lint import lint

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata:\n  name: p\nspec:\n"
                        "  tasks:\n    - name: a\n      taskRef:\n        name: kubectl-deploy\n")
    assert not [f for f in lint([pipeline], own).findings if f.rule == "missing-task-ref"]
