"""The app's one exit point (cli.main.CatalogGroup) and what a run leaves behind.

Runs are in-process, as every CLI test's are, so a run that changed the process's
environment, working directory or progress reporter would change the next test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from catalog_cli import errors, progress
from catalog_cli.cli.root import CatalogGroup
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


# -- errors under -o json, for scripts ---------------------------------------------------

def _json_app(fail: BaseException) -> typer.Typer:
    app = typer.Typer(cls=CatalogGroup, add_completion=False)

    @app.callback()
    def _root() -> None:
        pass

    @app.command()
    def work(output: str = typer.Option("table", "--output", "-o")) -> None:
        raise fail

    return app


def test_under_o_json_an_error_is_json_on_stderr() -> None:
    r = run_cli("info", "no-such-task", "-o", "json")
    assert r.code == 3 and r.out == ""
    assert json.loads(r.err) == {"error": "no 'no-such-task' in catalog " + str(BUILTIN), "exit_code": 3}
    assert len(r.err.splitlines()) == 1
    # Elsewhere the same error stays the human line.
    for fmt in ("table", "yaml", "name"):
        assert run_cli("info", "no-such-task", "-o", fmt).err.startswith("catalog: error: no 'no-such-task'")


def test_usage_errors_after_o_json_are_json_too() -> None:
    r = run_cli("info", "-o", "json")  # the argument is missing
    assert r.code == 2
    data = json.loads(r.err)
    assert data["exit_code"] == 2 and "Missing argument" in data["error"]
    r = run_cli("info")  # human: Typer's usage message
    assert r.code == 2 and "Usage:" in r.err


def test_json_errors_of_every_output_option(tmp_path: Path) -> None:
    # lint has its own -o (table|json), the install family theirs: all count.
    r = run_cli("lint", str(tmp_path / "none.yaml"), "-o", "json")
    assert r.code != 0 and json.loads(r.err)["exit_code"] == r.code
    r = run_cli("status", "--kubeconfig", str(tmp_path / "none"), "-o", "json")
    assert r.code == 7 and json.loads(r.err)["exit_code"] == 7


def test_ctrl_c_under_json_is_json(bar: _Bar) -> None:
    r = CliRunner().invoke(_json_app(KeyboardInterrupt()), ["work", "-o", "json"])
    assert r.exit_code == 130
    assert json.loads(r.stderr) == {"error": "interrupted", "exit_code": 130}


def test_json_errors_escape_what_a_terminal_would_act_on() -> None:
    r = CliRunner().invoke(_json_app(NotFound("no \x1b[2Jsuch", "x")), ["work", "-o", "json"])
    assert "\x1b" not in r.stderr  # escaped as JSON escapes it: a program reads it back whole
    assert json.loads(r.stderr)["error"] == "x: no \x1b[2Jsuch"


# -- missing rights: a table, not one long line -----------------------------------------

def _refusal() -> errors.Forbidden:
    from catalog_cli.actions.preflight import TO_GRANT, Missing, refusal
    from catalog_cli.cluster.base import Access

    rbac = "rbac.authorization.k8s.io"
    missing = [Missing(Access(verb, group, res, "team-a"))
               for verb in ("create", "patch") for group, res in (("tekton.dev", "tasks"), ("", "serviceaccounts"),
                                                                  (rbac, "roles"), (rbac, "rolebindings"))]
    missing.append(Missing(Access("get", "", "secrets", "team-a"), TO_GRANT))
    return refusal(missing + missing[:2], "kind-dev")  # repeats are shown once


def test_missing_rights_are_a_table_under_one_line() -> None:
    r = CliRunner().invoke(_app(_refusal()), ["work"])
    assert r.exit_code == 7
    lines = r.stderr.splitlines()
    assert lines[0] == ("catalog: error: kind-dev: you may not do what this needs in namespace team-a "
                        "(9 rights missing); nothing was changed:")
    assert lines[1].split() == ["VERB", "RESOURCE", "NAMESPACE", "WHY"]
    rows = [line.split(None, 3) for line in lines[2:]]
    assert len(rows) == 9
    assert ["create", "tasks.tekton.dev", "team-a"] in [row[:3] for row in rows]
    assert ["create", "roles.rbac.authorization.k8s.io", "team-a"] in [row[:3] for row in rows]
    assert ["get", "secrets", "team-a", "to grant it to the Task's ServiceAccount"] in rows
    assert max(len(line) for line in lines) < 130


def test_a_table_without_reasons_has_no_why_column() -> None:
    from catalog_cli.actions.preflight import Missing, refusal
    from catalog_cli.cluster.base import Access

    missing = [Missing(Access(verb, "tekton.dev", "tasks", "ns")) for verb in ("list", "create", "patch", "delete")]
    r = CliRunner().invoke(_app(refusal(missing, None)), ["work"])
    assert r.stderr.splitlines() == [
        "catalog: error: you may not do what this needs in namespace ns (4 rights missing); nothing was changed:",
        "VERB    RESOURCE          NAMESPACE",
        "create  tasks.tekton.dev  ns",
        "delete  tasks.tekton.dev  ns",
        "list    tasks.tekton.dev  ns",
        "patch   tasks.tekton.dev  ns",
    ]


def test_a_few_missing_rights_stay_one_line() -> None:
    from catalog_cli.actions.preflight import Missing, refusal
    from catalog_cli.cluster.base import Access

    missing = [Missing(Access(verb, "rbac.authorization.k8s.io", "rolebindings", "ns")) for verb in ("create", "patch")]
    r = CliRunner().invoke(_app(refusal(missing, "ctx")), ["work"])
    assert r.stderr == ("catalog: error: ctx: you may not: create rolebindings (rbac.authorization.k8s.io) in ns; "
                        "patch rolebindings (rbac.authorization.k8s.io) in ns; nothing was changed\n")


def test_missing_rights_under_json_are_a_list() -> None:
    app = _json_app(_refusal())
    r = CliRunner().invoke(app, ["work", "-o", "json"])
    data = json.loads(r.stderr)
    assert data["exit_code"] == 7 and "create tasks (tekton.dev) in team-a" in data["error"]
    assert {"verb": "create", "resource": "tasks.tekton.dev", "namespace": "team-a", "why": ""} in data["missing"]
    assert len(data["missing"]) == 9


def test_the_library_still_has_the_whole_story_in_one_line() -> None:
    text = str(_refusal())
    assert text.startswith("kind-dev: you may not: ") and "create tasks (tekton.dev) in team-a" in text
    assert "\n" not in text
