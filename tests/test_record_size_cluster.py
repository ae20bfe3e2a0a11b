"""The install record's room on the real API server: Kubernetes' ConfigMap limit is the
one catalog plans with, and an install whose record would not fit writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.cluster.base import CONFIGMAP_MAX_BYTES

from .clusterkit import catalog, snapshot
from .conftest import assert_one_line_error
from .test_install_deps import write

pytestmark = pytest.mark.kube


@pytest.mark.parametrize("extra, accepted", [(0, True), (1, False)])
def test_the_servers_configmap_limit_is_the_one_catalog_plans_with(kube_server: Any, kube_namespace: str,
                                                                    extra: int, accepted: bool) -> None:
    # The values' lengths summed, whatever the keys.
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "room", "namespace": kube_namespace},
            "data": {"record.json": "x" * (CONFIGMAP_MAX_BYTES - 10 + extra), "k" * 200: "x" * 10}}
    proc = kube_server.kubectl("create", "-f", "-", input=json.dumps(body), check=False)
    assert (proc.returncode == 0) is accepted, proc.stderr
    if not accepted:
        assert f"must have at most {CONFIGMAP_MAX_BYTES} bytes" in proc.stderr


def test_an_install_whose_record_cannot_fit_is_refused_before_any_write(kube_server: Any, kube_namespace: str,
                                                                         tmp_path: Path) -> None:
    # 900 Tasks, each with its ServiceAccount, Role and RoleBinding: 1,251 bytes of record
    # each (measured over a fake cluster), 1.13 MB in all.
    root = tmp_path / "cat"
    names = [f"build-step-{i:04d}" for i in range(900)]
    for name in names:
        write(root, "Task", name, "1.0", {"steps": [{"name": "s", "image": "busybox:1.36", "script": "true"}]})
    r = catalog(kube_server, "index", str(root), state=tmp_path)
    assert r.code == 0, r.err
    before = snapshot(kube_server, kube_namespace)
    r = catalog(kube_server, "install", *names, "--catalog", str(root), "-n", kube_namespace,
                state=tmp_path)
    assert_one_line_error(r, f"namespace {kube_namespace} would hold 900 entries", "install fewer entries")
    assert r.code == 2
    assert snapshot(kube_server, kube_namespace) == before
