"""The worst forged-catalog attacks against the real API server, installing as admin:
the install must fail with one line and leave the cluster exactly as it was (no
ClusterRoleBinding, no object in the namespace, no install record)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import repos
from catalog_cli.actions.common import Options
from catalog_cli.actions.install import install
from catalog_cli.cluster.client import KubeCluster
from catalog_cli.errors import CatalogError
from catalog_cli.sources import open_catalog

from .test_forged_catalog import CONFIGMAP_RULES, CRB, RENAMED_DOC, SECRET_RULES, forge, honest_catalog

pytestmark = pytest.mark.kube

RECORD = "catalog-installs"
#: What every namespace holds before anyone installs anything.
STOCK = ("default", "kube-root-ca.crt")


def contents(kube_server: Any, ns: str) -> dict[str, str]:
    """Every object in ``ns`` install could make, with its resourceVersion, once the
    controller manager has given each ServiceAccount its token Secret (that update
    changes their resourceVersions, and must not pass for a write of catalog's)."""
    deadline = time.monotonic() + 30
    while True:
        out = kube_server.kubectl("get", "tasks,pipelines,stepactions,serviceaccounts,roles,rolebindings,"
                                  "configmaps,secrets", "-n", ns, "-o", "yaml").stdout
        items = yaml.safe_load(out)["items"]
        if time.monotonic() > deadline or all(i.get("secrets") for i in items if i["kind"] == "ServiceAccount"):
            break
        time.sleep(0.2)
    return {f"{i['kind']}/{i['metadata']['name']}": i["metadata"]["resourceVersion"] for i in items
            if i["metadata"]["name"] not in STOCK and not i["metadata"]["name"].startswith("default-token")}


def exists(kube_server: Any, *args: str) -> bool:
    return kube_server.kubectl("get", *args, check=False).returncode == 0


def refused(catalog_location: str | None, cluster: KubeCluster, name: str, ns: str) -> str:
    """Open the catalog and install ``name`` into ``ns``: the one-line error it must give."""
    with pytest.raises(CatalogError) as caught:
        install(open_catalog(catalog_location), cluster, [name], Options((ns,)))
    text = str(caught.value)
    assert "\n" not in text
    return text


def test_a_clusterrolebinding_indexed_as_a_task_is_not_installed(
        kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    crb_name = f"evil-{kube_namespace}"  # cluster-scoped: one per test run
    root = honest_catalog(tmp_path / "cat")
    forge(root, "evil", document={**CRB, "metadata": {"name": crb_name}})
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    try:
        text = refused(str(root), admin, "evil", kube_namespace)
        assert "task/evil/0.1/evil.yaml" in text and "ClusterRoleBinding" in text
        assert not exists(kube_server, "clusterrolebinding", crb_name)
        assert contents(kube_server, kube_namespace) == {}
    finally:  # never leave cluster-admin bound behind, whatever happened above
        kube_server.kubectl("delete", "clusterrolebinding", crb_name, "--ignore-not-found", check=False)


def test_an_entry_renamed_from_its_key_does_not_replace_the_builtin_task(
        kube_server: Any, kube_namespace: str, tmp_path: Path, settings: Any) -> None:
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    install(open_catalog(None), admin, ["kubectl-deploy"], Options((kube_namespace,)))
    before = contents(kube_server, kube_namespace)
    assert f"ConfigMap/{RECORD}" in before and "Task/kubectl-deploy" in before
    root = honest_catalog(tmp_path / "cat")
    forge(root, "harmless-tool", document=RENAMED_DOC, name="kubectl-deploy")
    repos.add(repos.make("team", str(root)), settings)  # before the built-in catalog: first repo wins
    text = refused(None, admin, "harmless-tool", kube_namespace)
    assert "index.yaml" in text and "harmless-tool" in text and "kubectl-deploy" in text
    assert contents(kube_server, kube_namespace) == before


def test_an_rbac_yaml_differing_from_its_index_grants_nothing(
        kube_server: Any, kube_namespace: str, tmp_path: Path) -> None:
    root = honest_catalog(tmp_path / "cat")
    forge(root, "harmless-tool", rbac_yaml=SECRET_RULES, rbac=CONFIGMAP_RULES)
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    text = refused(str(root), admin, "harmless-tool", kube_namespace)
    assert "rbac.yaml" in text and "configmaps" in text and "secrets" in text
    assert contents(kube_server, kube_namespace) == {}
    assert not exists(kube_server, "configmap", RECORD, "-n", kube_namespace)
    assert not exists(kube_server, "role", "catalog-harmless-tool", "-n", kube_namespace)
