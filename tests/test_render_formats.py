"""`catalog render -o yaml|json|name|table`: each format as asked, YAML readable in review."""

from __future__ import annotations

import yaml

from .conftest import run_cli


def test_yaml_writes_scripts_as_literal_blocks_and_reads_back_the_same() -> None:
    r = run_cli("render", "git-clone", "-n", "shop")
    assert r.code == 0, r.err
    assert "    script: |\n      #!/usr/bin/env sh\n" in r.out
    as_json = run_cli("render", "git-clone", "-n", "shop", "-o", "json").json()["items"]
    assert list(yaml.safe_load_all(r.out)) == as_json  # the same objects, only easier to read


def test_name_lists_kind_group_and_name_as_kubectl_does() -> None:
    r = run_cli("render", "kubectl-deploy", "-n", "shop", "-o", "name")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "task.tekton.dev/kubectl-deploy",
        "serviceaccount/catalog-kubectl-deploy",
        "role.rbac.authorization.k8s.io/catalog-kubectl-deploy",
        "rolebinding.rbac.authorization.k8s.io/catalog-kubectl-deploy",
    ]


def test_table_has_a_row_per_object() -> None:
    r = run_cli("render", "kubectl-deploy", "-n", "shop", "-o", "table")
    assert r.code == 0, r.err
    header, *rows = r.out.splitlines()
    assert header.split() == ["KIND", "NAME", "NAMESPACE", "APIVERSION"]
    assert [row.split()[:3] for row in rows] == [
        ["Task", "kubectl-deploy", "shop"], ["ServiceAccount", "catalog-kubectl-deploy", "shop"],
        ["Role", "catalog-kubectl-deploy", "shop"], ["RoleBinding", "catalog-kubectl-deploy", "shop"]]


def test_json_is_a_list() -> None:
    r = run_cli("render", "kubectl-deploy", "-n", "shop", "-o", "json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["kind"] == "List" and len(data["items"]) == 4
