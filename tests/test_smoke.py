"""The real ``catalog`` program in a child process: what in-process tests cannot show.

Every other CLI test runs the app in-process (conftest.run_cli). These few start
``python -m catalog_cli``, as a user's shell would, to prove the parts in between:
the entry point, exit codes as the shell sees them, a real SIGINT, and which
modules a run imports.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import BUILTIN, Result, assert_one_line_error
from .faultserve import serve

#: Prints, when the program exits, which heavy modules it imported.
_RUN = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('imported:', ','.join(sorted(m for m in ('httpx', 'jsonschema', "
    "'kubernetes', 'rich') if m in sys.modules)), file=sys.stderr))\n"
    "import runpy\n"
    "runpy.run_module('catalog_cli', run_name='__main__')\n"
)


def catalog(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[Result, str]:
    """Run the program; (its result without the import line, the modules it imported)."""
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=120, check=False)
    err, _, imported = proc.stderr.rpartition("imported:")
    return Result(proc.returncode, proc.stdout, err), imported.strip()


def test_help_lists_the_commands_without_heavy_imports(tmp_path: Path) -> None:
    r, imported = catalog("--help", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "Usage:" in r.out
    for command in ("search", "install", "lint", "lock", "repo", "scaffold"):
        assert f" {command} " in r.out, command
    assert imported == ""  # `catalog --help` must stay Python's start-up plus little more


def test_an_error_is_one_line_and_its_exit_code(tmp_path: Path) -> None:
    r, _ = catalog("info", "no-such-task", cwd=tmp_path)
    assert r.code == 3  # NotFound
    assert_one_line_error(r, "catalog: error:", "no-such-task")
    assert r.out == ""


def test_search_reads_the_builtin_catalog_from_the_package(tmp_path: Path) -> None:
    # From an empty folder: the catalog comes with the package, not from the working tree.
    r, imported = catalog("search", "git", "-o", "json", cwd=tmp_path)
    assert r.code == 0, r.err
    assert "git-clone" in [hit["name"] for hit in json.loads(r.out)]
    assert "kubernetes" not in imported


def test_ctrl_c_closes_the_progress_bar_and_exits_130(tmp_path: Path) -> None:
    # Needs a real process: a real SIGINT, and stderr on a terminal so a bar is drawn.
    with serve(BUILTIN) as srv:
        env = {"CATALOG_HTTP_TIMEOUT": "60"}
        for name in ("one", "two"):  # two repos: `repo update` shows a bar over them
            r, _ = catalog("repo", "add", name, srv.url, cwd=tmp_path, env=env)
            assert r.code == 0, r.err
        srv.clear()
        srv.fault("/index.yaml", "slow:30")
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "catalog_cli", "repo", "update"], cwd=tmp_path,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
            env={**os.environ, **env, "TERM": "xterm", "COLUMNS": "100"},
            # A test run started in the background ignores SIGINT, and a child inherits
            # that; Python then installs no handler. Give the child the default back.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        os.close(slave)
        try:
            # Keep reading the terminal throughout: a full one would block the child.
            seen, interrupted = b"", False
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.1)
                data = b""
                if ready:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # the terminal closed with the process
                        break
                    if not data:
                        break
                seen += data
                if (not interrupted and b"updating repos" in seen
                        and srv.state.hits.get("/index.yaml")):
                    proc.send_signal(signal.SIGINT)  # mid-request, with the bar shown
                    interrupted = True
            assert interrupted, f"the update never reached the server: {seen[-300:]!r}"
            code = proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
    err = seen.decode(errors="replace")
    assert code == 130, err[-300:]  # the end: a bar redrawn for a minute is long
    assert "updating repos" in err  # the bar was on the terminal...
    assert err.rstrip().endswith("catalog: interrupted")
    assert "\x1b[?25h" in err  # ...and it was stopped: the cursor rich hid is shown again
    assert "Traceback" not in err
