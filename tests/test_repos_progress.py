"""Progress bars: on stderr when it is a terminal, never with --quiet or into a pipe."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import BUILTIN, ROOT, run_cli
from .faultserve import serve


def run_on_terminal(*args: str) -> tuple[int, str, str]:
    """Run ``catalog ARGS`` with stderr on a pseudo-terminal; (exit code, stdout, stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", *args],
        stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(30)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def test_repo_update_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    with serve(BUILTIN) as srv:
        assert run_cli("repo", "add", "one", srv.url).code == 0
        assert run_cli("repo", "add", "two", srv.url + "/index.yaml").code == 0
        code, out, err = run_on_terminal("repo", "update")
        assert code == 0, err
        assert "updating repos" in err and "0/2" in err
        assert "unchanged" in out  # results stay on stdout
        code, out, err = run_on_terminal("--quiet", "repo", "update")
        assert code == 0 and err == ""
        r = run_cli("repo", "update")  # stderr is a pipe here
        assert r.code == 0 and r.err == ""



@pytest.mark.kube
def test_a_multi_namespace_install_shows_progress(kube_server: Any, kube_namespace: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    other = f"t-{uuid.uuid4().hex[:10]}"
    kube_server.kubectl("create", "namespace", other)
    monkeypatch.setenv("KUBECONFIG", str(kube_server.admin_kubeconfig))
    try:
        code, _, err = run_on_terminal("install", "kubectl-deploy", "-n", kube_namespace, "-n", other)
        assert code == 0, err
        assert "writing to 2 namespaces" in err
    finally:
        kube_server.kubectl("delete", "namespace", other, "--wait=false", check=False)
