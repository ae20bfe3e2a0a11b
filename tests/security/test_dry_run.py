"""A dry run never writes: not an object, not the record, not the journal; per verb,
on the real API server, in both modes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..clusterkit import catalog, snapshot

pytestmark = pytest.mark.kube


@pytest.fixture
def ready(kube_server: Any, kube_namespace: str, tmp_path: Path) -> str:
    """git-clone 0.1 installed, kaniko 0.1 upgraded to 0.2: every verb has something to do."""
    for args in (["install", "git-clone@0.1", "kaniko@0.1", "kubectl-deploy"], ["upgrade", "kaniko@0.2"]):
        r = catalog(kube_server, *args, "-n", kube_namespace, state=tmp_path)
        assert r.code == 0, r.err
    return kube_namespace



@pytest.mark.parametrize("mode", ["client", "server"])
@pytest.mark.parametrize("verb", [
    ["install", "yq-update", "kaniko"],
    ["upgrade", "git-clone@*"],
    ["rollback", "kaniko"],
    ["rollback", "kaniko", "--to", "0.1"],
    ["uninstall", "kubectl-deploy", "git-clone"],
])
def test_a_dry_run_writes_nothing(kube_server: Any, ready: str, tmp_path: Path, verb: list[str], mode: str) -> None:
    state = tmp_path / "dry"
    before = snapshot(kube_server, ready)
    r = catalog(kube_server, *verb, "-n", ready, f"--dry-run={mode}", state=state)
    assert r.code == 0, r.err
    assert snapshot(kube_server, ready) == before
    assert not (state / "catalog").exists()  # not even an (empty) journal
    assert "would" in r.out + r.err
