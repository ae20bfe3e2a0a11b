"""Shared test helpers: run the real ``catalog`` command, find the corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: The real local kube-apiserver (scripts/localkube.sh): fixtures kube_server, kube_namespace.
pytest_plugins = ["tests.kubeserver"]

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
    """Run ``catalog ARGS`` in a fresh interpreter, exactly as a user's shell would."""
    proc = subprocess.run(
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", *args],
        capture_output=True, text=True, cwd=cwd or ROOT, input=input,
        env={**os.environ, **(env or {})}, timeout=120, check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own cache and config folders, so no state leaks between tests."""
    base = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(base / "config"))
    monkeypatch.delenv("CATALOG_SOURCE", raising=False)


def assert_one_line_error(r: Result, *needles: str) -> None:
    """A bad input's contract: non-zero exit, one line on stderr naming the culprit, no traceback."""
    assert r.code != 0, r
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {r.err!r}"
    assert "Traceback" not in r.err
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"

