"""repo add|list|remove|update, the order of precedence, REPO/NAME, and credentials."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
import yaml

from catalog_cli import repos
from catalog_cli.errors import InputError
from catalog_cli.settings import Settings

from .conftest import BUILTIN, TEKTON_CATALOG, assert_one_line_error, run_cli
from .faultserve import serve

TOKEN = "s3cr3t-t0ken-value"


def config() -> dict:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"
    return yaml.safe_load(path.read_text())


def team_catalog(tmp_path: Path, description: str = "Team kaniko") -> Path:
    """A copy of the built-in catalog whose kaniko says ``description``."""
    root = tmp_path / "team"
    shutil.copytree(BUILTIN, root)
    task = root / "task/kaniko/0.2/kaniko.yaml"
    task.write_text(task.read_text().replace("description: >-", f"description: >-\n    {description}.", 1))
    assert run_cli("index", str(root)).code == 0
    return root


def test_add_list_remove_and_the_order(tmp_path: Path) -> None:
    team = team_catalog(tmp_path)
    assert run_cli("repo", "add", "team", str(team)).code == 0
    r = run_cli("repo", "add", "corpus", str(TEKTON_CATALOG), "--priority", "1")
    assert r.code == 0, r.err
    assert "position 1 of 3" in r.err  # as repo list counts: the built-in catalog is the last
    r = run_cli("repo", "list", "-o", "json")
    assert [(x["priority"], x["name"]) for x in r.json()] == [(1, "corpus"), (2, "team"), (3, "builtin")]
    r = run_cli("repo", "add", "third", str(team), "--no-fetch")
    assert "position 3 of 4" in r.err
    assert run_cli("repo", "remove", "third").code == 0
    assert [x["name"] for x in config()["repos"]] == ["corpus", "team"]
    r = run_cli("repo", "remove", "corpus")
    assert r.code == 0 and [x["name"] for x in config()["repos"]] == ["team"]
    assert_one_line_error(run_cli("repo", "remove", "corpus"), "no repo named 'corpus'")


@pytest.mark.parametrize("name", ["task", "Pipelines", "builtin", "a/b", "Team", "x_"])
def test_names_that_would_be_ambiguous_are_refused(name: str, tmp_path: Path) -> None:
    r = run_cli("repo", "add", name, str(BUILTIN))
    assert_one_line_error(r, name)
    assert r.code == 2


def test_a_bad_repo_adds_nothing(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:  # no index.yaml there
        r = run_cli("repo", "add", "empty", srv.url)
    assert r.code == 3
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml").exists()


def test_first_repo_with_a_name_wins_builtin_last(tmp_path: Path) -> None:
    team = team_catalog(tmp_path)
    assert run_cli("repo", "add", "team", str(team)).code == 0
    r = run_cli("info", "kaniko", "-o", "json")
    assert r.code == 0, r.err
    assert r.json()["description"].startswith("Team kaniko")
    r = run_cli("info", "builtin/kaniko", "-o", "json")
    assert r.code == 0, r.err
    assert not r.json()["description"].startswith("Team kaniko")
    r = run_cli("info", "team/task/kaniko@0.2", "-o", "json")
    assert r.json()["description"].startswith("Team kaniko")
    # A name only the built-in catalog has still comes from it.
    shutil.rmtree(team / "task/yq-update")
    assert run_cli("index", str(team)).code == 0
    r = run_cli("info", "yq-update", "-o", "json")
    assert r.code == 0 and r.json()["name"] == "yq-update"
    r = run_cli("search", "kaniko", "-o", "json")
    assert [h["name"] for h in r.json()].count("kaniko") == 1  # shadowed, not listed twice


def test_repo_selection_in_render(tmp_path: Path) -> None:
    team = team_catalog(tmp_path)
    assert run_cli("repo", "add", "team", str(team)).code == 0
    r = run_cli("render", "team/kaniko@0.2", "-o", "json")
    assert r.code == 0, r.err
    task = next(o for o in r.json()["items"] if o["kind"] == "Task")
    assert "Team kaniko" in task["spec"]["description"]
    assert task["metadata"]["annotations"]["catalog.dev/source"] == "team"  # the entry's origin
    r = run_cli("render", "builtin/kaniko", "-o", "json")
    task = next(o for o in r.json()["items"] if o["kind"] == "Task")
    assert "Team kaniko" not in task["spec"]["description"]
    assert task["metadata"]["annotations"]["catalog.dev/source"] == "builtin"
    assert_one_line_error(run_cli("render", "nosuch/kaniko"), "unknown kind or repo 'nosuch'")


def test_catalog_option_takes_a_repo_name(tmp_path: Path) -> None:
    team = team_catalog(tmp_path)
    assert run_cli("repo", "add", "team", str(team)).code == 0
    r = run_cli("info", "kaniko", "--catalog", "builtin", "-o", "json")
    assert not r.json()["description"].startswith("Team kaniko")
    r = run_cli("info", "kaniko", "--catalog", "team", "-o", "json")
    assert r.json()["description"].startswith("Team kaniko")
    assert_one_line_error(run_cli("info", "builtin/kaniko", "--catalog", "team"), "repo 'builtin' is not part")


def test_tektoncd_catalog_layout_works_as_a_repo_as_it_is() -> None:
    assert run_cli("repo", "add", "upstream", str(TEKTON_CATALOG)).code == 0
    r = run_cli("info", "upstream/golang-build", "-o", "json")
    assert r.code == 0, r.err
    assert r.json()["name"] == "golang-build"


def test_tektoncd_catalog_over_http_needs_an_index(tmp_path: Path) -> None:
    root = tmp_path / "upstream"
    shutil.copytree(TEKTON_CATALOG, root, ignore=shutil.ignore_patterns(".git"))
    assert run_cli("index", str(root)).code == 0  # a static web server needs index.yaml
    with serve(root) as srv:
        assert run_cli("repo", "add", "upstream", srv.url).code == 0
        r = run_cli("info", "upstream/golang-build", "-o", "json")
    assert r.code == 0, r.err


def test_credentials_are_references_and_never_shown(tmp_path: Path) -> None:
    with serve(BUILTIN, token=TOKEN) as srv:
        env = {"TEAM_TOKEN": TOKEN}
        r = run_cli("repo", "add", "team", srv.url, "--token-env", "TEAM_TOKEN", env=env)
        assert r.code == 0, r.err
        assert config()["repos"][0]["auth"] == {"token_env": "TEAM_TOKEN"}
        assert all(h.get("Authorization") == f"Bearer {TOKEN}" for h in srv.state.headers)
        r = run_cli("repo", "list", env=env)
        assert "bearer (from $TEAM_TOKEN)" in r.out and TOKEN not in r.out + r.err
        # A wrong token: the server refuses; the message names the URL, never the token.
        for args in (["--debug", "repo", "update"], ["repo", "update"], ["list"], ["--debug", "list"]):
            r = run_cli(*args, env={"TEAM_TOKEN": TOKEN + "-wrong", "CATALOG_DEBUG": ""})
            assert r.code != 0
            assert TOKEN not in r.out + r.err, args
        r = run_cli("list", env={"TEAM_TOKEN": ""})
        assert_one_line_error(r, "environment variable TEAM_TOKEN is not set")


def test_a_stored_token_is_private_and_hidden(tmp_path: Path) -> None:
    with serve(BUILTIN, token=TOKEN) as srv:
        r = run_cli("repo", "add", "team", srv.url, "--token-stdin", input=TOKEN + "\n")
        assert r.code == 0, r.err
        path = Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        r = run_cli("repo", "list")
        assert TOKEN not in r.out + r.err and "bearer (stored in" in r.out
        assert run_cli("info", "team/kaniko").code == 0


def test_basic_auth_from_the_environment(tmp_path: Path) -> None:
    auth = repos.Auth(username_env="U", password_env="P")
    # The library reads credentials from the environment it is handed (Settings.env).
    assert auth.headers("r", {"U": "me", "P": "pw"}) == {"Authorization": "Basic bWU6cHc="}
    assert auth.describe(tmp_path / "repos.yaml") == "basic (from $U and $P)"
    with pytest.raises(InputError):
        repos.make("team", str(BUILTIN), repos.Auth(token_env="T"))  # credentials for a folder


def test_priority_and_replace_in_the_library(settings: Settings) -> None:
    a, b, c = (repos.make(n, str(BUILTIN)) for n in ("a", "b", "c"))
    repos.add(a, settings)
    repos.add(b, settings)
    assert [r.name for r in repos.add(c, settings, 1)] == ["c", "a", "b"]
    with pytest.raises(InputError):
        repos.add(a, settings)
    assert [r.name for r in repos.add(a, settings, replace=True)] == ["c", "a", "b"]
    assert [r.name for r in repos.add(a, settings, 99, replace=True)] == ["c", "b", "a"]
