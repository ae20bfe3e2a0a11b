"""Interrupted and concurrent installs, against the real API server: a command killed
at any point leaves nothing behind once the next command has run, and two installs
into one namespace at the same time both end up in its record."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.cluster.client import KubeCluster
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

from ..clusterkit import catalog, orphans, record_of, records
from ..conftest import ROOT

pytestmark = pytest.mark.kube

TASKS = ["kubectl-deploy", "git-clone"]


@pytest.fixture
def namespaces(kube_server: Any) -> Any:
    tag = uuid.uuid4().hex[:6]
    names = [f"k-{tag}-{i:02d}" for i in range(20)]
    kube_server.kubectl("create", "-f", "-", input="".join(
        f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {n}\n" for n in names))
    yield names
    kube_server.kubectl("delete", "namespace", *names, "--wait=false", check=False)


def start(kube_server: Any, state: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "KUBECONFIG": str(kube_server.admin_kubeconfig), "XDG_STATE_HOME": str(state)}
    return subprocess.Popen([sys.executable, "-c", "from catalog_cli.cli.main import run; run()", *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ns_args(names: list[str]) -> list[str]:
    return [a for n in names for a in ("-n", n)]


def reset(kube_server: Any, names: list[str], state: Path) -> None:
    if any(r.get("packages") for r in records(kube_server, names).values()):
        r = catalog(kube_server, "uninstall", *TASKS, *ns_args(names), state=state)
        assert r.code == 0, r.err


def first_write(kube_server: Any, proc: subprocess.Popen[str], namespaces: list[str]) -> float:
    """Wait until the command has written its first object; when that was (monotonic)."""
    deadline = time.monotonic() + 60
    while not tasks_written(kube_server, namespaces):
        assert time.monotonic() < deadline and proc.poll() is None, "the install wrote nothing"
        time.sleep(0.005)
    return time.monotonic()


def tasks_written(kube_server: Any, namespaces: list[str]) -> bool:
    """Whether any Task of catalog's is in ``namespaces`` (Tasks are written first; one request)."""
    status, body = kube_server.request(
        "GET", "/apis/tekton.dev/v1/tasks?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dcatalog")
    assert status == 200, body
    return any(i["metadata"]["namespace"] in namespaces for i in body["items"])


def test_kill_9_at_any_point_leaves_no_orphans_after_the_next_command(kube_server: Any, namespaces: list[str],
                                                                     tmp_path: Path) -> None:
    state = tmp_path / "state"
    spans = []
    for _ in range(2):  # the write phase of a whole install, from its first Task to its last record
        proc = start(kube_server, state, "install", *TASKS, *ns_args(namespaces))
        began = first_write(kube_server, proc, namespaces)
        while sum(len(r["packages"]) == len(TASKS) for r in records(kube_server, namespaces).values()) \
                < len(namespaces):
            assert proc.poll() in (None, 0)
            time.sleep(0.005)
        spans.append(time.monotonic() - began)
        assert proc.wait(120) == 0, proc.stderr.read() if proc.stderr else ""
        reset(kube_server, namespaces, state)
    writing = min(spans)
    rng = random.Random(20261129)
    mid_write = 0
    for attempt in range(20):
        delay = rng.uniform(0, writing)
        proc = start(kube_server, state, "install", *TASKS, *ns_args(namespaces))
        first_write(kube_server, proc, namespaces)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        found = orphans(kube_server, namespaces)
        if found:
            mid_write += 1
        r = catalog(kube_server, "status", *ns_args(namespaces), state=state)
        assert r.code == 0, f"attempt {attempt} (killed {delay:.2f} s into its writes): {r.err}"
        assert orphans(kube_server, namespaces) == [], f"attempt {attempt}, killed {delay:.2f} s into its writes"
        reset(kube_server, namespaces, state)
    # The kills must have landed while objects were being written, or this proves nothing.
    assert mid_write >= 10, f"only {mid_write} of 20 kills hit an install half-way"


def kill_once_writing(kube_server: Any, proc: subprocess.Popen[str], namespaces: list[str], sig: int) -> None:
    """Send ``sig`` as soon as the command has written its first object."""
    first_write(kube_server, proc, namespaces)
    proc.send_signal(sig)


def test_sigterm_undoes_at_once(kube_server: Any, namespaces: list[str], tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = start(kube_server, state, "install", *TASKS, *ns_args(namespaces))
    kill_once_writing(kube_server, proc, namespaces, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert orphans(kube_server, namespaces) == []
    assert not list((state / "catalog" / "journal").glob("*.jsonl"))


def test_another_users_command_never_replays_admins_journal(kube_server: Any, namespaces: list[str],
                                                            tmp_path: Path) -> None:
    state = tmp_path / "state"
    ns = namespaces
    kube_server.grant(ns[0], [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]},
                              {"apiGroups": ["tekton.dev"], "resources": ["tasks", "pipelines"],
                               "verbs": ["get", "list"]}])
    proc = start(kube_server, state, "install", *TASKS, *ns_args(ns))
    kill_once_writing(kube_server, proc, ns, signal.SIGKILL)
    proc.wait(30)
    left = orphans(kube_server, ns)
    assert left
    journals = list((state / "catalog" / "journal").glob("*.jsonl"))
    assert journals
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in journals)
    r = catalog(kube_server, "status", "-n", ns[0], user="limited", state=state)
    assert orphans(kube_server, ns) == left  # alice's command replayed nothing
    assert list((state / "catalog" / "journal").glob("*.jsonl")) == journals
    r = catalog(kube_server, "status", *ns_args(ns), state=state)
    assert r.code == 0, r.err
    assert "undid an interrupted earlier change" in r.err
    assert orphans(kube_server, ns) == []


def test_twenty_pairs_of_concurrent_installs_never_lose_an_entry(kube_server: Any, namespaces: list[str],
                                                                 tmp_path: Path) -> None:
    settings = Settings.from_env().but(state_home=tmp_path / "state")
    cat = open_catalog(None)
    lost = []
    for ns in namespaces:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def one(name: str, ns: str = ns, barrier: threading.Barrier = barrier,
                errors: list[BaseException] = errors) -> None:
            cluster = KubeCluster(str(kube_server.admin_kubeconfig))
            barrier.wait()
            try:
                install(cat, cluster, [name], Options((ns,), settings=settings))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in ("git-clone", "kaniko")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        record = record_of(kube_server, ns) or {"packages": {}}
        if set(record["packages"]) != {"Task/git-clone", "Task/kaniko"}:
            lost.append(f"{ns}: {sorted(record['packages'])}")
        assert orphans(kube_server, [ns]) == []
    assert lost == []
