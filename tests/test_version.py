"""``catalog --version`` and ``catalog version`` (actions/version.py): the client's version
always, the cluster's Tekton version when there is a cluster, and never a failure.
The real API server's answers are in test_cli_habits_cluster.py."""

from __future__ import annotations

import time
from importlib.metadata import version as installed_version
from pathlib import Path

from catalog_cli import __version__
from catalog_cli.actions.version import versions
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.errors import ClusterError

from .conftest import run_cli
from .faultserve import closed_port_url


def test_the_version_is_the_package_version() -> None:
    assert __version__ == installed_version("catalog-cli")
    r = run_cli("--version")
    assert (r.code, r.out, r.err) == (0, f"catalog {__version__}\n", "")
    assert run_cli("--version", "search", "no-such-thing").out == f"catalog {__version__}\n"  # first, alone


def test_without_a_kubeconfig_tekton_is_not_found_and_nothing_fails(tmp_path: Path) -> None:
    r = run_cli("version", "--kubeconfig", str(tmp_path / "none"))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0] == f"Client:   catalog {__version__}"
    assert lines[1].startswith("Cluster:  none (") and "no usable cluster configuration" in lines[1]
    assert lines[2] == "Tekton:   not found"
    r = run_cli("version", "-o", "json", env={"KUBECONFIG": str(tmp_path / "none")})
    data = r.json()
    assert data["client"] == {"version": __version__} and data["cluster"] is None and data["tekton"] is None
    assert "no usable cluster configuration" in data["problem"]


def test_an_api_server_that_is_down_is_reported_not_fatal(tmp_path: Path) -> None:
    url = closed_port_url().replace("http://", "https://")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: down\n"
        f"clusters: [{{name: c, cluster: {{server: '{url}', insecure-skip-tls-verify: true}}}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: down, context: {cluster: c, user: u}}]\n")
    start = time.monotonic()
    r = run_cli("version", "--kubeconfig", str(kubeconfig))
    assert time.monotonic() - start < 10
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[1].startswith(f"Cluster:  {url} (context down): ") and "cannot reach the API server" in lines[1]
    assert lines[2] == "Tekton:   not found"


def test_versions_over_the_fake() -> None:
    found = versions(lambda: FakeCluster(tekton="v0.50.1"))
    assert (found.tekton, found.tekton_source) == ("v0.50.1", "ConfigMap tekton-pipelines/pipelines-info")
    assert (found.server, found.context, found.problem) == ("https://fake.invalid", "fake", None)
    assert versions(lambda: FakeCluster(tekton=None)).tekton is None
    assert versions(None).server is None and versions(None).client == __version__

    def refuse() -> FakeCluster:
        raise ClusterError("no usable cluster configuration", "kubeconfig")

    assert versions(refuse).problem == "kubeconfig: no usable cluster configuration"
