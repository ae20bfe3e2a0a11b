"""The app's one exit point (cli.main.CatalogGroup) and what a run leaves behind.

Runs are in-process, as every CLI test's are, so a run that changed the process's
environment, working directory or progress reporter would change the next test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from catalog_cli import errors, progress
from catalog_cli.cli.main import CatalogGroup
from catalog_cli.errors import CatalogError, NotFound

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .faultserve import serve


class _Bar:
    """A reporter whose bar is open until ``stop``: stands for the terminal's."""

    def __init__(self) -> None:
        self.stopped = False

    def note(self, text: str) -> None:
        pass

    def bar(self, label: str, total: float | None = None, *, unit: str = "") -> progress.Bar:
        return progress.SilentBar()

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def bar() -> Iterator[_Bar]:
    """A progress bar open while the command runs, as ``repo update`` leaves one."""
    fake = _Bar()
    previous = progress.set_reporter(fake)
    yield fake
    progress.set_reporter(previous)


def _app(fail: BaseException) -> typer.Typer:
    """A small app on the real exit point whose one command raises ``fail``."""
    app = typer.Typer(cls=CatalogGroup, add_completion=False)

    @app.callback()
    def _root(debug: bool = typer.Option(False, "--debug")) -> None:
        pass

    @app.command()
    def work() -> None:
        raise fail

    return app


@pytest.mark.parametrize(("error", "code"), [
    (CatalogError("broken", "here"), 1),
    (NotFound("no such thing", "x.yaml"), 3),
])
def test_a_catalog_error_is_one_line_and_its_exit_code(error: CatalogError, code: int, bar: _Bar) -> None:
    app = _app(error)
    r = CliRunner().invoke(app, ["work"])
    assert r.exit_code == code
    assert r.stderr == f"catalog: error: {error}\n"
    assert r.stdout == ""
    assert bar.stopped  # the bar is off the terminal before the line is printed


def test_debug_adds_the_traceback_and_keeps_the_exit_code() -> None:
    app = _app(NotFound("no such thing", "x.yaml"))
    r = CliRunner().invoke(app, ["--debug", "work"])
    assert r.exit_code == 3
    assert r.stderr.startswith("Traceback (most recent call last):")
    assert r.stderr.endswith("catalog: error: x.yaml: no such thing\n")
    r = CliRunner().invoke(app, ["work"], env={"CATALOG_DEBUG": "1"})
    assert r.exit_code == 3 and "Traceback" in r.stderr


def test_ctrl_c_stops_the_bar_and_exits_130(bar: _Bar) -> None:
    app = _app(KeyboardInterrupt())
    r = CliRunner().invoke(app, ["work"])
    assert r.exit_code == 130
    assert r.stderr == "catalog: interrupted\n"
    assert bar.stopped


def test_a_bug_is_not_dressed_up_as_an_error() -> None:
    app = _app(ZeroDivisionError("bug"))
    r = CliRunner().invoke(app, ["work"])
    assert isinstance(r.exception, ZeroDivisionError)
    assert "catalog: error" not in r.stderr


def test_offline_lasts_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_OFFLINE", raising=False)
    assert run_cli("--offline", "list", "-o", "name").code == 0
    assert "CATALOG_OFFLINE" not in os.environ
    monkeypatch.setenv("CATALOG_OFFLINE", "0")
    assert run_cli("--offline", "list", "-o", "name").code == 0
    assert os.environ["CATALOG_OFFLINE"] == "0"


def test_a_run_puts_the_progress_reporter_back() -> None:
    before = progress.reporter()
    assert run_cli("list", "-o", "name").code == 0
    assert run_cli("info", "no-such-task").code == 3
    assert progress.reporter() is before


def test_run_cli_applies_cwd_env_and_input_then_restores_them(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CATALOG_SOURCE", raising=False)
    here = os.getcwd()
    (tmp_path / "cat").symlink_to(BUILTIN)
    # A relative --catalog through the environment: works only in cwd, with env applied.
    r = run_cli("list", "-o", "name", cwd=tmp_path, env={"CATALOG_SOURCE": "cat"})
    assert r.code == 0, r.err
    assert "git-clone" in r.out.split()
    assert os.getcwd() == here and "CATALOG_SOURCE" not in os.environ
    with serve(BUILTIN, token="s3cret") as srv:  # the server refuses any other token
        r = run_cli("repo", "add", "team", srv.url, "--token-stdin", input="s3cret\n")
    assert r.code == 0, r.err


def test_errors_from_the_real_app_are_one_line() -> None:
    assert_one_line_error(run_cli("info", "no-such-task"), "catalog: error:", "no-such-task")


def test_the_error_diagram_names_every_error_with_its_exit_code() -> None:
    # errors.py's docstring is where people look up an exit code: it must not drift.
    diagram = {}
    for line in (errors.__doc__ or "").splitlines():
        m = re.match(r"^[\s|`-]*([A-Z]\w+)\s+(\d+)\s", line)
        if m:
            diagram[m.group(1)] = int(m.group(2))
    tree = {name: cls for name, cls in vars(errors).items()
            if isinstance(cls, type) and issubclass(cls, errors.CatalogError)}
    assert diagram == {name: cls.exit_code for name, cls in tree.items()}
