"""kubectl's and Helm's habits against the real local kube-apiserver: ``catalog version``
reads the cluster's Tekton version, completion offers what is installed, and missing
rights come as a table."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalog_cli.actions.version import versions
from catalog_cli.cluster.client import KubeCluster

from .clusterkit import catalog
from .test_completion import complete

pytestmark = pytest.mark.kube


def test_version_reads_tekton_from_the_cluster(kube_server: Any) -> None:
    for user in ("admin", "limited"):  # Tekton lets every authenticated user read pipelines-info
        r = catalog(kube_server, "version", user=user)
        assert r.code == 0, r.err
        lines = r.out.splitlines()
        assert lines[0].startswith("Client:   catalog ")
        assert lines[1].startswith(f"Cluster:  {kube_server.server}")
        assert lines[2] == "Tekton:   v0.59.0 (ConfigMap tekton-pipelines/pipelines-info)"
    r = catalog(kube_server, "version", "-o", "json")
    data = r.json()
    assert data["tekton"] == {"version": "v0.59.0", "source": "ConfigMap tekton-pipelines/pipelines-info"}
    assert data["cluster"]["server"] == kube_server.server and data["problem"] is None
    r = catalog(kube_server, "version", "--client")
    assert r.out.splitlines() == [f"Client:   catalog {data['client']['version']}"]


def test_without_the_configmap_the_controller_then_the_crd_say_it(kube_server: Any, kube_namespace: str) -> None:
    # kube_namespace stands for a tekton-pipelines namespace that has no pipelines-info.
    admin = KubeCluster(str(kube_server.admin_kubeconfig))
    found = versions(lambda: admin, namespace=kube_namespace)
    # The CRDs loaded here are Tekton's development ones: their release label says so.
    assert (found.tekton, found.tekton_source) == ("devel", "CustomResourceDefinition tasks.tekton.dev")
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "tekton-pipelines-controller", "namespace": kube_namespace,
                     "labels": {"app.kubernetes.io/version": "v0.62.1", "pipeline.tekton.dev/release": "v0.62.1"}},
        "spec": {"selector": {"matchLabels": {"app": "c"}},
                 "template": {"metadata": {"labels": {"app": "c"}},
                              "spec": {"containers": [{"name": "c", "image": "example.invalid/c"}]}}}}
    status, body = kube_server.request("POST", f"/apis/apps/v1/namespaces/{kube_namespace}/deployments", deployment)
    assert status == 201, body
    found = versions(lambda: admin, namespace=kube_namespace)
    assert (found.tekton, found.tekton_source) == ("v0.62.1", f"Deployment {kube_namespace}/tekton-pipelines-controller")
    # Someone who may read none of the three: not found, and no error.
    limited = KubeCluster(str(kube_server.limited_kubeconfig))
    found = versions(lambda: limited, namespace=kube_namespace)
    assert found.tekton is None and found.problem is None and found.server == kube_server.server


def test_completion_offers_the_installed_entries(kube_server: Any, kube_namespace: str) -> None:
    assert catalog(kube_server, "install", "git-clone@0.1", "-n", kube_namespace).code == 0
    env = {"KUBECONFIG": str(kube_server.admin_kubeconfig)}
    for line in (f"catalog upgrade -n {kube_namespace} ", f"catalog uninstall -n {kube_namespace} git",
                 f"catalog rollback --namespace {kube_namespace} ",
                 f"catalog upgrade --kubeconfig {kube_server.admin_kubeconfig} -n {kube_namespace} "):
        assert complete(line, env=env) == ["git-clone"], line
    assert complete("catalog upgrade -n no-such-namespace ", env=env) == []


def test_missing_rights_are_a_table(kube_server: Any, kube_namespace: str) -> None:
    r = catalog(kube_server, "install", "kubectl-deploy", "-n", kube_namespace, user="limited")
    assert r.code == 7, r
    lines = r.err.splitlines()
    assert lines[0].startswith("catalog: error: ") and "you may not do what this needs in namespace " \
        f"{kube_namespace} (" in lines[0] and lines[0].endswith("nothing was changed:")
    assert lines[1].split()[:3] == ["VERB", "RESOURCE", "NAMESPACE"]
    rows = [line.split() for line in lines[2:]]
    assert ["create", "tasks.tekton.dev", kube_namespace] in [row[:3] for row in rows]
    assert ["create", "configmaps", kube_namespace] in [row[:3] for row in rows]
    assert len(rows) >= 10
    assert max(len(line) for line in lines) < 140  # not one line of 1,800 characters
    r = catalog(kube_server, "install", "kubectl-deploy", "-n", kube_namespace, "-o", "json", user="limited")
    assert r.code == 7 and r.out == ""
    missing = json.loads(r.err)["missing"]
    assert {"verb": "create", "resource": "tasks.tekton.dev", "namespace": kube_namespace, "why": ""} in missing
