"""Installing into many namespaces on the real API server: what is asked, and what is
never touched. The figures of the 1,000-object run are benchmarks/bench_install.py's;
test_round_trips.py pins the same logic over the fake."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.actions.upgrade import upgrade
from catalog_cli.cluster.base import MANY
from catalog_cli.cluster.client import KubeCluster
from catalog_cli.errors import ClusterError
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog

from .clusterkit import live, snapshot
from .test_install_cluster import DEPLOY_RULES, INSTALL_RULES

pytestmark = pytest.mark.kube

OBJECTS = re.compile(r"/(tasks|serviceaccounts|roles|rolebindings)(/|$)")


class Counted(KubeCluster):
    """The real client, remembering each request as (method, path)."""

    def __init__(self, kubeconfig: str) -> None:
        super().__init__(kubeconfig)
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str, path: str, *args: Any, **kw: Any) -> tuple[int, Any]:
        self.sent.append((method, path))
        return super().request(method, path, *args, **kw)

    def object_requests(self) -> Counter[str]:
        return Counter(method for method, path in self.sent if OBJECTS.search(path))


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog(None)


@pytest.fixture
def namespaces(kube_server: Any) -> Iterator[tuple[str, ...]]:
    """MANY fresh namespaces: a run over them reads across namespaces where it can."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    names = tuple(f"{prefix}-{i}" for i in range(MANY))
    for name in names:
        status, body = kube_server.request("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"catalog-test": "true"}}})
        assert status == 201, body
    try:
        yield names
    finally:
        for name in names:
            kube_server.request("DELETE", f"/api/v1/namespaces/{name}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env().but(state_home=tmp_path / "state")


def test_a_first_install_creates_without_reading_and_a_second_reads_once_per_kind(
        kube_server: Any, builtin: Any, namespaces: tuple[str, ...], settings: Settings) -> None:
    admin = Counted(str(kube_server.admin_kubeconfig))
    report = install(builtin, admin, ["git-clone", "kubectl-deploy"], Options(namespaces, settings=settings))
    objects = 8 * len(namespaces)
    assert sum(1 for c in report.changes if c.action == "create") == objects
    assert admin.object_requests() == {"POST": objects}  # not one read of an object, not one apply
    # The rest: who we are, the Tekton version, one rights question, the namespaces, the
    # records (one request, or one each when the session's cluster holds many more), and
    # one write of each namespace's record.
    others = [(m, p) for m, p in admin.sent if not OBJECTS.search(p)]
    assert len(others) <= 5 + 2 * len(namespaces), others
    assert sum(1 for m, p in others if m == "POST" and p.endswith("/configmaps")) == len(namespaces)
    task = live(kube_server, "task", namespaces[0], "git-clone")
    assert task is not None and {m["manager"] for m in task["metadata"]["managedFields"]} == {"catalog"}

    again = Counted(str(kube_server.admin_kubeconfig))
    report = install(builtin, again, ["git-clone", "kubectl-deploy"], Options(namespaces, settings=settings))
    assert not report.changed
    assert again.object_requests() == {"GET": 4 * len(namespaces)}  # a LIST per kind and namespace


def test_an_object_where_nothing_is_catalogs_is_left_as_it_was(
        kube_server: Any, builtin: Any, namespaces: tuple[str, ...], settings: Settings) -> None:
    victim = namespaces[MANY // 2]
    kube_server.kubectl("apply", "-f", "-", input=(
        "apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: kubectl-deploy\n"
        f"  namespace: {victim}\nspec:\n  steps:\n  - name: theirs\n    image: busybox\n"))
    theirs = live(kube_server, "task", victim, "kubectl-deploy")
    before = {ns: snapshot(kube_server, ns) for ns in namespaces}
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    with pytest.raises(ClusterError) as info:
        install(builtin, admin, ["git-clone", "kubectl-deploy"], Options(namespaces, settings=settings))
    assert str(info.value) == (f"Task kubectl-deploy in {victim} exists and was not made by catalog; "
                               "--adopt takes it over; nothing was changed")
    now = live(kube_server, "task", victim, "kubectl-deploy")
    assert now is not None and theirs is not None
    assert now["metadata"]["resourceVersion"] == theirs["metadata"]["resourceVersion"]
    assert now["metadata"]["managedFields"] == theirs["metadata"]["managedFields"]
    assert {ns: snapshot(kube_server, ns) for ns in namespaces} == before
    assert not list((settings.state_home / "journal").glob("*.jsonl"))


def test_an_upgrade_takes_over_only_catalogs_own_fields(
        kube_server: Any, builtin: Any, kube_namespace: str, settings: Settings) -> None:
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    opts = Options((kube_namespace,), settings=settings)
    install(builtin, admin, ["git-clone@0.1"], opts)
    task = live(kube_server, "task", kube_namespace, "git-clone")
    assert task is not None
    assert [(m["manager"], m["operation"]) for m in task["metadata"]["managedFields"]] == [("catalog", "Update")]
    # Someone else takes a field catalog set: the upgrade conflicts with them too, and
    # is not forced over them.
    kube_server.kubectl("label", "task", "git-clone", "-n", kube_namespace, "app.kubernetes.io/version=by-hand",
                        "--overwrite")
    before = snapshot(kube_server, kube_namespace)
    with pytest.raises(ClusterError, match="kubectl-label") as info:
        upgrade(builtin, admin, ["git-clone@0.2"], opts)
    assert "every change was undone" in str(info.value)
    assert snapshot(kube_server, kube_namespace) == before
    # Theirs no more: the upgrade takes over what only catalog held.
    kube_server.kubectl("label", "task", "git-clone", "-n", kube_namespace, "app.kubernetes.io/version-")
    report = upgrade(builtin, admin, ["git-clone@0.2"], opts)
    assert [p["status"] for p in report.packages] == ["0.1 -> 0.2"]
    task = live(kube_server, "task", kube_namespace, "git-clone")
    assert task is not None and task["metadata"]["labels"]["app.kubernetes.io/version"] == "0.2"
    assert ("catalog", "Apply") in {(m["manager"], m["operation"]) for m in task["metadata"]["managedFields"]}


def test_a_user_with_rights_only_in_their_namespaces_installs_into_many(
        kube_server: Any, builtin: Any, namespaces: tuple[str, ...], settings: Settings) -> None:
    for ns in namespaces:
        kube_server.grant(ns, INSTALL_RULES + DEPLOY_RULES)
    alice = Counted(str(kube_server.limited_kubeconfig))
    report = install(builtin, alice, ["kubectl-deploy"], Options(namespaces, settings=settings))
    assert sum(1 for c in report.changes if c.action == "create") == 4 * len(namespaces)
    # No list across the cluster is allowed: namespaces, rights and records are read
    # one namespace at a time, and the objects still created without reading.
    assert alice.object_requests() == {"POST": 4 * len(namespaces)}
    reviews = [p for m, p in alice.sent if p.endswith("selfsubjectrulesreviews")]
    assert len(reviews) == len(namespaces)
    for ns in namespaces:
        assert live(kube_server, "task", ns, "kubectl-deploy") is not None
