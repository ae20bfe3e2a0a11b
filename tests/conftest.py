"""Shared test helpers: run the ``catalog`` command, find the corpus."""

from __future__ import annotations

import json
import os
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: The real local kube-apiserver (scripts/localkube.sh): fixtures kube_server, kube_namespace;
#: planning over the fake cluster: builtin, cluster, opts (a module's own of a name wins).
pytest_plugins = ["tests.kubeserver", "tests.fakeplan"]

ROOT = Path(__file__).resolve().parent.parent
CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
TEKTON_CATALOG = CORPUS / "tektoncd-catalog"
BUILTIN = ROOT / "catalog"


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> Result:
    """Run ``catalog ARGS`` in this process, through the app's own exit point (the
    same code the ``catalog`` script runs), with ``env`` added to the environment,
    ``cwd`` as the working directory and ``input`` on stdin; all three are restored
    afterwards. stdout and stderr are captured apart, and neither is a terminal.

    A fresh interpreter per call cost most of the suite's time; tests/test_smoke.py
    keeps a few runs of the real script, and tests that need a terminal or a signal
    start their own process."""
    from typer.testing import CliRunner

    from catalog_cli.cli.root import app

    before = os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        res = CliRunner().invoke(app, list(args), input=input, env=env, prog_name="catalog")
    finally:
        os.chdir(before)
    err = res.stderr
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        # A bug escaped the exit point: show its traceback where the interpreter would.
        err += "".join(traceback.format_exception(res.exception))
    return Result(res.exit_code, res.stdout, err)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own cache, config and state folders, so no state leaks between
    tests (the state folder keeps, among others, the last signed index accepted per repo)."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(base / "state"))
    monkeypatch.delenv("CATALOG_SOURCE", raising=False)


@pytest.fixture
def settings(_isolated_dirs: None) -> Any:
    """The Settings the CLI would build in this test's environment (its own cache and
    config folders): for tests that call the library, which reads no environment."""
    from catalog_cli.settings import Settings

    return Settings.from_env()


def assert_one_line_error(r: Result, *needles: str) -> None:
    """A bad input's contract: non-zero exit, one line on stderr naming the culprit, no traceback."""
    assert r.code != 0, r
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {r.err!r}"
    assert "Traceback" not in r.err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"

