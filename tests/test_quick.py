"""The quick path (cli/quick.py): the lines it runs without Typer print what the Typer
app prints for them, with the same exit code; every other line is left to Typer.

Each line runs twice, in-process, with its own fresh cache and config folders: through
``quick.main`` and through the Typer app (conftest.run_cli); the two must agree on
stdout, stderr and the exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalog_cli.cli import quick

from .conftest import BUILTIN, Result, run_cli

MISSING = "/no/such/catalog"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The built-in catalog read without its index, one version folder broken: a catalog
    with an index warning (shown once per cache, so each run gets a fresh one)."""
    root = tmp_path / "tree"
    shutil.copytree(BUILTIN, root)
    (root / "index.yaml").unlink()
    (root / "task/kaniko/0.2/kaniko.yaml").unlink()
    return root


def _fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, env: dict[str, str]) -> None:
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(tmp_path / name / var))
    for var, value in env.items():
        monkeypatch.setenv(var, value)


def both(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str], env: dict[str, str] | None = None) -> tuple[Result, Result]:
    """``args`` through the quick path and through Typer, each in fresh folders."""
    with monkeypatch.context() as m:
        _fresh(m, tmp_path, "quick", env or {})
        capsys.readouterr()
        code = quick.main(list(args))
        out, err = capsys.readouterr()
    assert code is not None, f"the quick path declined {args}"
    with monkeypatch.context() as m:
        _fresh(m, tmp_path, "typer", env or {})
        typer = run_cli(*args)
    return Result(code, out, err), typer


LINES = [
    ["search", "git"],
    ["search", "git", "-o", "json"],
    ["search", "-o", "JSON", "git"],
    ["search", "--output=yaml", "deploy"],
    ["search", "git", "-o", "name"],
    ["search", "git", "--output", "table"],
    ["search"],
    ["search", "no-such-thing-anywhere"],
    ["search", "no-such-thing-anywhere", "-o", "json"],
    ["--offline", "search", "git"],
    ["search", "git", "--offline", "-q", "--verbose", "--debug"],
    ["-q", "search", "no-such-thing-anywhere"],
    ["search", "--kind", "task", "git"],
    ["search", "--kind=Pipeline"],
    ["search", "--tag", "git"],
    ["search", "--category=Git"],
    ["search", "--platform", "linux/arm64", "-o", "name"],
    ["search", "build image"],
    ["--catalog", str(BUILTIN), "search", "git"],
    ["-c", "builtin", "search", "git", "-o", "json"],
    ["search", "git", "-c", str(BUILTIN)],
    ["search", "git", "--catalog=builtin"],
    ["-c", MISSING, "search", "git"],
    ["-c", MISSING, "search", "git", "-c", "builtin"],  # after the command wins
    ["-c", "builtin", "search", "git", "-c", MISSING],
    ["search", "git", "-o", "json", "--catalog", MISSING],  # the error as JSON
    ["search", "git", "--catalog", "no-such-repo"],
    ["search", "search"],  # the command's name as the term
]


@pytest.mark.parametrize("args", LINES, ids=" ".join)
def test_the_quick_path_prints_what_typer_prints(args: list[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    fast, typer = both(args, tmp_path, monkeypatch, capsys)
    assert fast == typer


@pytest.mark.parametrize(("args", "env"), [
    (["search", "git"], {"CATALOG_SOURCE": MISSING}),
    (["search", "git", "-c", "builtin"], {"CATALOG_SOURCE": MISSING}),  # the line wins
    (["-c", "builtin", "search", "git"], {"CATALOG_SOURCE": MISSING}),  # before the command too
    (["search", "git"], {"CATALOG_SOURCE": ""}),  # empty: unset
    (["search", "git"], {"CATALOG_OFFLINE": "1"}),
    (["--debug", "search", "git", "-c", MISSING], {}),
], ids=lambda v: " ".join(v) if isinstance(v, list) else json.dumps(v))
def test_and_reads_the_environment_as_typer_does(args: list[str], env: dict[str, str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    fast, typer = both(args, tmp_path, monkeypatch, capsys, env)
    assert fast.code == typer.code and fast.out == typer.out
    if "--debug" in args:  # the tracebacks go through different frames; both end alike
        assert fast.err.startswith("Traceback") and typer.err.startswith("Traceback")
        assert fast.err.splitlines()[-1] == typer.err.splitlines()[-1]
    else:
        assert fast.err == typer.err


def test_index_warnings_are_shown_alike(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fast, typer = both(["search", "--catalog", str(tree), "git"], tmp_path, monkeypatch, capsys)
    assert fast == typer
    assert "warning: task/kaniko/0.2: version folder has no kaniko.yaml; skipped" in fast.err


def test_a_configured_repo_is_searched_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "repos.yaml"
    config.write_text(f"apiVersion: catalog.dev/v1\nkind: RepoConfig\nrepos:\n- name: team\n  url: {BUILTIN}\n")

    def with_config(name: str) -> None:
        folder = tmp_path / name / "XDG_CONFIG_HOME" / "catalog"
        folder.mkdir(parents=True, mode=0o700)
        shutil.copy(config, folder / "repos.yaml")

    with_config("quick")
    with_config("typer")
    for args in (["search", "git"], ["search", "git", "-c", "team", "-o", "json"], ["-c", "team", "search"]):
        fast, typer = both(args, tmp_path, monkeypatch, capsys)
        assert fast == typer, args
    assert "team" in fast.out


@pytest.mark.parametrize("args", [
    [], ["--help", "search"], ["search", "--help"], ["search", "-h"], ["search", "a", "b"],
    ["search", "--bogus"], ["search", "--tag"], ["search", "--tag", "-q"], ["search", "-o", "xml"],
    ["search", "-ojson"], ["search", "-o=json"], ["search", "--"], ["search", "-"], ["search", "-qo", "json"],
    ["search", "--offline=1"], ["--version", "search"], ["-o", "json", "search"], ["--kind", "task", "search"],
    ["list"], ["info", "git-clone"], ["lock"], ["searc", "git"], ["git", "search"],
], ids=lambda a: " ".join(a) or "(nothing)")
def test_every_other_line_is_left_to_typer(args: list[str]) -> None:
    assert quick.parse_search(list(args)) is None
    assert quick.main(list(args)) is None


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert quick.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out == run_cli("--version").out and out.startswith("catalog ")


# -- the root's help, kept ---------------------------------------------------------------

_HELP = ("import atexit, sys\n"
         "atexit.register(lambda: print('typer' in sys.modules, file=sys.stderr))\n"
         "from catalog_cli.cli.{} import {}\n{}()\n")


def _help(how: str, env: dict[str, str], *args: str) -> tuple[str, bool]:
    """``catalog --help`` in a child process: through the entry point (``main``) or
    straight through Typer (``typer``); its output, and whether it imported Typer."""
    code = _HELP.format("main", "run", "run") if how == "main" else _HELP.format("root", "app", "app")
    proc = subprocess.run([sys.executable, "-c", code, *(args or ["--help"])], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=60, check=True)
    return proc.stdout, proc.stderr.strip() == "True"


@pytest.mark.parametrize("columns", ["", "40", "61", "79", "80", "81", "200", "abc", "-3"])
def test_the_kept_help_is_typers_at_every_width(columns: str, tmp_path: Path) -> None:
    env = {"COLUMNS": columns, "XDG_CACHE_HOME": str(tmp_path)}
    expected, _ = _help("typer", env)
    first, rendered = _help("main", env)
    second, imported = _help("main", env, "-h")
    assert first == second == expected
    assert expected.startswith("Usage: -c [OPTIONS] COMMAND [ARGS]...")  # a ``python -c`` program
    assert rendered and not imported  # the first run rendered it with Typer, the second kept it


def test_a_kept_help_counts_only_for_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    key, path = quick.help_key()
    assert quick.kept_help(path, key) is None
    Path(path).parent.mkdir(parents=True)
    Path(path).write_text(f"{key}\nkept")
    assert quick.kept_help(path, key) == "kept"
    assert quick.kept_help(path, key + " ") is None  # another width, program or version
    monkeypatch.setenv("COLUMNS", "300" if quick.help_width() != 78 else "60")
    assert quick.help_key()[0] != key


def test_a_kept_help_is_printed_only_from_the_users_own_file_of_plain_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # It goes to the terminal as it is: a planted one could move the cursor, retitle...
    path = tmp_path / "help.txt"
    path.write_text("key\nUsage: catalog\n\n  Commands")
    assert quick.kept_help(str(path), "key") == "Usage: catalog\n\n  Commands"
    path.write_text("key\nUsage: catalog\x1b]0;owned\x07\n")
    assert quick.kept_help(str(path), "key") is None
    path.write_text("key\nUsage: catalog\n")
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)  # the file is someone else's
    assert quick.kept_help(str(path), "key") is None


def test_a_link_in_place_of_the_kept_help_is_not_read(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "COLUMNS": "100"}
    real, _ = _help("main", env)
    [kept] = (tmp_path / "cache/catalog/help").iterdir()
    key = kept.read_text().split("\n", 1)[0]
    planted = tmp_path / "planted"
    planted.write_text(f"{key}\nplanted help\n")
    kept.unlink()
    kept.symlink_to(planted)
    assert _help("main", env)[0] == real
    assert planted.read_text() == f"{key}\nplanted help\n"  # replaced, not written through
    assert not kept.is_symlink()


@pytest.mark.parametrize("columns", [None, "0", "-5", "abc", "30", "52", "79", "80", "81", "200"])
def test_the_width_is_clicks(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer._click.formatting import HelpFormatter

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert quick.help_width() == HelpFormatter().width


@pytest.mark.parametrize("cache", [None, "", "/some/where"])
def test_the_help_is_kept_in_the_settings_cache_folder(cache: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog_cli.settings import Settings

    if cache is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", cache)
    assert quick.cache_home() == str(Settings.from_env().cache_home)
