"""What a run loads: start-up is kept fast by structure, not by timing assertions.

Each command runs in a child process that reports, when it exits, which modules it
imported. The rules (benchmarks/README.md, "Start-up and search", says what they buy):

- ``catalog --help`` (once its help is kept) and ``catalog search`` never import Typer;
  ``--help`` not even dataclasses or sqlite3;
- a search of a cached catalog imports none of the packages it does not use (YAML,
  HTTP, Kubernetes, semver, rich on a pipe) nor the index, refs or HTTP-source modules;
- a command that goes through Typer makes only the commands of its own module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from catalog_cli.cli import root

from .conftest import BUILTIN

#: Runs the ``catalog`` entry point; prints the modules it imported, one a line, on exit.
_RUN = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('\\n'.join(['--modules--', *sorted(sys.modules)]), file=sys.stderr))\n"
    "from catalog_cli.cli.main import run\n"
    "run()\n"
)

#: Packages a search of a cached catalog has no use for (rich: only for a table on a terminal).
NOT_FOR_SEARCH = ("typer", "rich", "yaml", "httpx", "kubernetes", "semver", "jsonschema", "fastjsonschema",
                  "ruamel", "cryptography", "oras", "catalog_cli.index", "catalog_cli.refs",
                  "catalog_cli.yamlio", "catalog_cli.sources.remote", "catalog_cli.sources.http",
                  "catalog_cli.sources.layered", "catalog_cli.cli.discover", "catalog_cli.cli.common",
                  "catalog_cli.versions")


def imported(*args: str, env: dict[str, str] | None = None, stdout: int | None = subprocess.PIPE) -> tuple[
        int, set[str]]:
    """Run ``catalog ARGS``; its exit code and the modules it imported."""
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, env={**os.environ, **(env or {})}, timeout=120, check=False)
    _, _, modules = proc.stderr.partition("--modules--\n")
    return proc.returncode, set(modules.split())


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(m == n or m.startswith(n + ".") for m in modules))


def test_help_once_kept_imports_neither_typer_nor_dataclasses() -> None:
    assert imported("--help")[0] == 0  # renders it with Typer, and keeps it
    code, modules = imported("--help")
    assert code == 0
    assert _loaded(modules, ("typer", "rich", "dataclasses", "sqlite3", "typing", "hashlib",
                             "catalog_cli.settings", "catalog_cli.cli.runs")) == []


@pytest.mark.parametrize("args", [
    ["search", "git"], ["search", "git", "-o", "json"], ["search", "nothing-matches-this"],
    ["-q", "search", "--catalog", "builtin", "--tag", "git", "-o", "name"],
], ids=" ".join)
def test_a_search_imports_only_what_it_uses(args: list[str]) -> None:
    imported(*args)  # builds the cache
    code, modules = imported(*args)
    assert code in (0, 1)
    assert "catalog_cli.sources.cache" in modules  # it did search
    assert _loaded(modules, NOT_FOR_SEARCH) == []


def test_a_search_of_a_configured_folder_repo_reads_repos_yaml_but_no_more(tmp_path: Path) -> None:
    config = tmp_path / "config" / "catalog"
    config.mkdir(parents=True, mode=0o700)
    (config / "repos.yaml").write_text(
        f"apiVersion: catalog.dev/v1\nkind: RepoConfig\nrepos:\n- name: team\n  url: {BUILTIN}\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    imported("search", "git", env=env)
    code, modules = imported("search", "git", env=env)
    assert code == 0
    assert "yaml" in modules  # repos.yaml is YAML
    assert _loaded(modules, tuple(n for n in NOT_FOR_SEARCH if n not in ("yaml", "catalog_cli.yamlio",
                                                                          "catalog_cli.sources.layered"))) == []


@pytest.mark.parametrize(("args", "module"), [
    (["index", "--help"], "index_cmd"),
    (["repo", "list"], "repo_cmd"),
    (["version", "--help"], "version_cmd"),
    (["search", "--help"], "discover"),
])
def test_a_command_through_typer_makes_only_its_own_module(args: list[str], module: str) -> None:
    code, modules = imported(*args)
    assert code == 0
    assert "typer" in modules and f"catalog_cli.cli.{module}" in modules
    others = {f"catalog_cli.cli.{m}" for m in root.COMMANDS.values()} - {f"catalog_cli.cli.{module}"}
    # completion is part of the root (it gives every command its completers).
    assert sorted(others & modules) == ["catalog_cli.cli.completion"]
    assert _loaded(modules, ("rich", "httpx", "kubernetes", "semver")) == []


# -- the commands the root makes when used --------------------------------------------------

#: The modules of catalog_cli.cli that register commands, in the order the root's help lists them.
MODULES = ["discover", "index_cmd", "lint_cmd", "install_cmd", "resolve_cmd", "scaffold_cmd", "repo_cmd",
           "share_cmd", "version_cmd", "completion", "sign_cmd", "refs_cmd", "site_cmd"]


def test_the_root_knows_each_command_by_the_module_that_registers_it() -> None:
    for module in MODULES:
        assert set(root.made_by(module)) == {n for n, m in root.COMMANDS.items() if m == module}, module
    assert set(root.COMMANDS.values()) == set(MODULES)


def test_it_lists_them_as_typer_would_with_all_registered() -> None:
    eager = typer.Typer(**root.TYPER_SETTINGS)

    @eager.callback()
    def _root() -> None:
        pass

    import importlib

    for module in MODULES:
        importlib.import_module(f"catalog_cli.cli.{module}").register(eager)
    assert list(typer.main.get_group(eager).commands) == list(root.COMMANDS)


def test_walking_the_tree_makes_every_command_once() -> None:
    group = typer.main.get_command(root.app)
    assert isinstance(group, root.CatalogGroup)
    search = group.get_command(None, "search")  # type: ignore[arg-type]  # needs no context
    assert search is not None and set(group._made) == set(root.made_by("discover"))
    assert group.get_command(None, "search") is search  # type: ignore[arg-type]
    assert list(group.commands) == list(root.COMMANDS)  # the rest made now
    assert group.commands["search"] is search
    assert group.get_command(None, "no-such-command") is None  # type: ignore[arg-type]


# -- a reader that goes away ----------------------------------------------------------------

@pytest.mark.parametrize("args", [["search", "git"], ["list"], ["--help"]], ids=" ".join)
def test_a_closed_pipe_on_stdout_ends_quietly(args: list[str]) -> None:
    # ``catalog search | head -0``: both paths end as Click does, exit 1 and no traceback.
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run([sys.executable, "-m", "catalog_cli", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120, check=False)
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
