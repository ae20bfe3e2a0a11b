"""Provenance: an installed entry stays with the source it came from; a repo added later
never slips its own content in through an upgrade, and a source that changes an
installed version's content shows as drift."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.index import write

from ..clusterkit import catalog, live, record_of
from ..conftest import BUILTIN, assert_one_line_error, run_cli

pytestmark = pytest.mark.kube

TASK = "task/kubectl-deploy/0.2/kubectl-deploy.yaml"


def image(kube_server: Any, ns: str) -> str:
    task = live(kube_server, "task", ns, "kubectl-deploy")
    assert task is not None
    return str(task["spec"]["steps"][0]["image"])


def team_catalog(tmp_path: Path, marker: str) -> Path:
    """A copy of the built-in catalog whose kubectl-deploy 0.2 runs another image."""
    root = tmp_path / "team"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(BUILTIN, root)
    task = root / TASK
    text = task.read_text()
    start = text.index("image: ") + len("image: ")
    end = text.index("\n", start)
    task.write_text(text[:start] + f"registry.invalid/{marker}:1" + text[end:])
    write(root)
    return root


def test_a_repo_added_later_does_not_take_over_an_installed_entry(kube_server: Any, kube_namespace: str,
                                                                  tmp_path: Path) -> None:
    ns = kube_namespace
    assert catalog(kube_server, "install", "kubectl-deploy", "-n", ns, state=tmp_path).code == 0
    builtin_image = image(kube_server, ns)
    task = live(kube_server, "task", ns, "kubectl-deploy")
    assert task["metadata"]["annotations"]["catalog.dev/source"] == "builtin"  # never a local path
    root = team_catalog(tmp_path, "backdoor")
    assert run_cli("repo", "add", "team", str(root)).code == 0

    r = catalog(kube_server, "upgrade", "--all", "-n", ns, "--allow-sensitive-rbac", state=tmp_path)
    assert r.code == 0, r.err
    assert "team now has it first; staying with builtin" in r.err
    assert image(kube_server, ns) == builtin_image
    r = catalog(kube_server, "status", "-n", ns, "-o", "json", state=tmp_path)
    row = r.json()[0]
    assert (row["source"], row["drift"]) == ("builtin", [])

    r = catalog(kube_server, "upgrade", "kubectl-deploy", "--from", "team", "-n", ns, "--allow-sensitive-rbac",
                state=tmp_path)
    assert r.code == 0, r.err
    assert image(kube_server, ns) == "registry.invalid/backdoor:1"
    assert (record_of(kube_server, ns) or {})["packages"]["Task/kubectl-deploy"]["source"] == "team"


def test_a_source_that_changes_an_installed_version_shows_as_drift(kube_server: Any, kube_namespace: str,
                                                                   tmp_path: Path) -> None:
    ns = kube_namespace
    root = team_catalog(tmp_path, "first")
    assert run_cli("repo", "add", "team", str(root)).code == 0
    r = catalog(kube_server, "install", "team/kubectl-deploy@0.2", "-n", ns, "--allow-sensitive-rbac",
                state=tmp_path)
    assert r.code == 0, r.err
    team_catalog(tmp_path, "second")  # the same version, other content
    r = catalog(kube_server, "status", "-n", ns, "-o", "json", state=tmp_path)
    assert r.code == 0, r.err
    [row] = r.json()
    assert row["source"] == "team"
    assert any("team's 0.2 is not what was installed" in d for d in row["drift"])
    # Nor does upgrade quietly take the new content of a version already installed.
    r = catalog(kube_server, "upgrade", "--all", "-n", ns, "--allow-sensitive-rbac", state=tmp_path)
    assert_one_line_error(r, "team changed kubectl-deploy 0.2 since it was installed", "--force")
    assert image(kube_server, ns) == "registry.invalid/first:1"
    r = catalog(kube_server, "upgrade", "--all", "-n", ns, "--allow-sensitive-rbac", "--force", state=tmp_path)
    assert r.code == 0, r.err
    assert image(kube_server, ns) == "registry.invalid/second:1"


def test_an_entry_whose_source_is_gone_says_so(kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    ns = kube_namespace
    root = team_catalog(tmp_path, "first")
    assert run_cli("repo", "add", "team", str(root)).code == 0
    assert catalog(kube_server, "install", "team/kubectl-deploy", "-n", ns, "--allow-sensitive-rbac",
                   state=tmp_path).code == 0
    assert run_cli("repo", "remove", "team").code == 0
    r = catalog(kube_server, "upgrade", "--all", "-n", ns, state=tmp_path)
    assert r.code == 3
    assert "installed from team" in r.err and "--from REPO" in r.err
    assert image(kube_server, ns) == "registry.invalid/first:1"
