"""Global options (--offline, --debug, -q/--quiet, -c/--catalog) before or after the
command, as kubectl's and Helm's are: the same run either way, for every command group."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer

from catalog_cli.cli.root import app

from .conftest import BUILTIN, TEKTON_CATALOG, run_cli
from .faultserve import serve


def _commands() -> list[list[str]]:
    """Every command a user can run, as its words (``repo add``, ``mirror export``...)."""
    found: list[list[str]] = []

    def visit(cmd: typer.core.TyperGroup, path: list[str]) -> None:
        for name, sub in cmd.commands.items():
            if hasattr(sub, "commands"):
                visit(sub, [*path, name])
            else:
                found.append([*path, name])

    visit(typer.main.get_command(app), [])  # type: ignore[arg-type]  # the root is a group
    return found


COMMANDS = _commands()


def test_the_walk_finds_every_group() -> None:
    words = {" ".join(c) for c in COMMANDS}
    assert {"search", "install", "lock", "scaffold", "repo add", "mirror export", "version",
            "completion", "index", "lint", "bump"} <= words


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_takes_the_global_options_after_it(command: list[str]) -> None:
    # --help is handled once the whole line is parsed: an option the command did not
    # know would have failed the parse first (exit 2, "No such option").
    r = run_cli(*command, "--offline", "-q", "--debug", "--catalog", str(BUILTIN), "--help")
    assert r.code == 0, r.err
    assert "--offline" in r.out and "--quiet" in r.out and "--debug" in r.out


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_and_before_it(command: list[str]) -> None:
    r = run_cli("--offline", "-q", "--debug", "--catalog", str(BUILTIN), *command, "--help")
    assert r.code == 0, r.err


def test_a_command_that_reads_no_catalog_does_not_advertise_catalog() -> None:
    assert "--catalog" not in run_cli("lint", "--help").out
    assert "--catalog" in run_cli("search", "--help").out
    assert "--catalog" in run_cli("--help").out


# -- --debug, one failing command per group ----------------------------------------------

def _failures(tmp: Path) -> list[tuple[list[str], int]]:
    return [
        (["info", "no-such-task"], 3),                                            # discover
        (["index", str(tmp / "none")], 3),                                        # index
        (["status", "--kubeconfig", str(tmp / "none")], 7),                       # install family
        (["why", "git-clone", "--file", str(tmp / "none.lock")], 3),              # lock, why
        (["scaffold", "no-such-template", "--dir", str(tmp / "out")], 3),         # scaffold
        (["repo", "remove", "no-such-repo"], 3),                                  # repo
        (["mirror", "import", str(tmp / "none.tar.gz"), str(tmp / "dest")], 3),   # mirror
        (["bump", "no-such-task", str(BUILTIN), "--patch"], 3),                   # bump
    ]


def test_debug_before_or_after_the_command_shows_the_traceback(tmp_path: Path) -> None:
    for args, code in _failures(tmp_path):
        plain = run_cli(*args)
        assert plain.code == code, (args, plain)
        assert "Traceback" not in plain.err
        for r in (run_cli("--debug", *args), run_cli(*args, "--debug")):
            assert r.code == code, (args, r)
            assert r.err.startswith("Traceback (most recent call last):"), (args, r.err)
            assert r.err.rstrip().splitlines()[-1] == plain.err.strip(), args


# -- --offline ---------------------------------------------------------------------------

def test_offline_after_the_command_uses_the_cache_only(tmp_path: Path) -> None:
    with serve(BUILTIN) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--no-fetch").code == 0
        for args in (["search", "kaniko"], ["info", "kaniko"], ["lock", "kaniko", "--file", str(tmp_path / "l")],
                     ["mirror", "export", "kaniko", "--file", str(tmp_path / "m.tar.gz")]):
            for r in (run_cli(*args, "--offline"), run_cli("--offline", *args)):
                assert r.code == 5, (args, r)  # never fetched, and may not fetch now
                assert "offline, and no cached index of repo team" in r.err
            assert srv.state.requests == []
        assert run_cli("search", "kaniko").code == 0  # online, the same line works
        assert srv.state.requests


# -- -q ----------------------------------------------------------------------------------

def test_quiet_after_the_command_silences_every_note(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(BUILTIN, tree)
    cases = [
        ["index", str(tree)],                                                      # "wrote ..."
        ["lock", "git-clone", "--file", str(tmp_path / "catalog.lock")],           # "wrote ..."
        ["mirror", "export", "git-clone", "--file", str(tmp_path / "m.tar.gz")],   # "wrote ..."
        ["repo", "add", "team", str(tree), "--force"],                             # "added repo ..."
        ["search", "no-such-thing-at-all"],                                        # "no resource matches"
    ]
    for args in cases:
        loud = run_cli(*args)
        assert loud.err.strip(), args
        for r in (run_cli(*args, "-q"), run_cli("--quiet", *args)):
            assert r.code == loud.code, (args, r)
            assert r.err == "", (args, r.err)


# -- --catalog ---------------------------------------------------------------------------

def _team(tmp_path: Path) -> Path:
    root = tmp_path / "team"
    shutil.copytree(BUILTIN, root)
    task = root / "task/kaniko/0.2/kaniko.yaml"
    task.write_text(task.read_text().replace("description: >-", "description: >-\n    Team edition.", 1))
    assert run_cli("index", str(root)).code == 0
    return root


def test_catalog_before_the_command_is_the_catalog_it_reads(tmp_path: Path) -> None:
    team = str(_team(tmp_path))
    for r in (run_cli("-c", team, "info", "kaniko@0.2", "-o", "json"),
              run_cli("info", "kaniko@0.2", "-o", "json", "--catalog", team),
              run_cli("--catalog", str(BUILTIN), "info", "kaniko@0.2", "-o", "json", "--catalog", team)):
        assert r.code == 0, r.err
        assert r.json()["description"].startswith("Team edition."), r.json()["description"]
    # Typed before the command, it beats the environment, as a flag does.
    r = run_cli("-c", team, "info", "kaniko@0.2", "-o", "json", env={"CATALOG_SOURCE": str(BUILTIN)})
    assert r.json()["description"].startswith("Team edition.")
    r = run_cli("info", "kaniko@0.2", "-o", "json", env={"CATALOG_SOURCE": str(BUILTIN)})
    assert not r.json()["description"].startswith("Team edition.")


def test_catalog_before_lock_why_and_render(tmp_path: Path) -> None:
    team = str(_team(tmp_path))
    lock = tmp_path / "catalog.lock"
    assert run_cli("-c", team, "lock", "kaniko@0.2", "--file", str(lock)).code == 0
    assert str(Path(team).resolve()) in lock.read_text() or "team" in lock.read_text()
    r = run_cli("-c", team, "why", "kaniko", "--file", str(lock), "-o", "json")
    assert r.code == 0, r.err
    r = run_cli("-c", str(TEKTON_CATALOG), "render", "git-clone@0.9", "-o", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["items"][0]["metadata"]["labels"]["app.kubernetes.io/version"] == "0.9"


def test_between_a_group_and_its_command_too(tmp_path: Path) -> None:
    r = run_cli("repo", "-q", "add", "team", str(BUILTIN))
    assert (r.code, r.err) == (0, "")
    r = run_cli("repo", "--debug", "remove", "no-such-repo")
    assert r.code == 3 and r.err.startswith("Traceback")
    r = run_cli("mirror", "--offline", "export", "git-clone", "--catalog", "team", "-f", str(tmp_path / "m.tgz"))
    assert r.code == 0, r.err  # a folder repo needs no network
