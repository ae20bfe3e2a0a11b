"""What an install makes, without a cluster."""

from __future__ import annotations

import pytest

from catalog_cli.errors import InputError
from catalog_cli.manifests import Package, merged_rules, objects_for, spec_hash
from catalog_cli.model import Entry, PolicyRule

RULE = PolicyRule(("apps",), ("deployments",), ("get", "patch"))


def package(resource_meta: dict | None = None, rules: tuple[PolicyRule, ...] = (RULE,), kind: str = "Task") -> Package:
    entry = Entry(name="deploy", kind=kind, version="0.2", path="task/deploy/0.2/deploy.yaml",
                  digest="sha256:" + "a" * 64)
    resource = {"apiVersion": "tekton.dev/v1", "kind": kind,
                "metadata": resource_meta or {"name": "deploy", "labels": {"app.kubernetes.io/version": "0.2"}},
                "spec": {"steps": [{"name": "run", "image": "busybox:1.36"}]}}
    return Package(entry, resource, "builtin", rules)


def test_task_gets_serviceaccount_role_and_binding() -> None:
    objs = objects_for(package(), "team-a")
    assert [o["kind"] for o in objs] == ["Task", "ServiceAccount", "Role", "RoleBinding"]
    assert all(o["metadata"]["namespace"] == "team-a" for o in objs)
    task, _, role, binding = objs
    assert task["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "catalog"
    assert task["metadata"]["annotations"]["catalog.dev/digest"] == "sha256:" + "a" * 64
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]}]
    assert binding["subjects"][0] == {"kind": "ServiceAccount", "name": "catalog-deploy", "namespace": "team-a"}


def test_stepaction_needs_only_itself() -> None:
    assert [o["kind"] for o in objects_for(package(kind="StepAction", rules=()), "ns")] == ["StepAction"]


def test_signed_resource_is_left_as_signed() -> None:
    meta = {"name": "deploy", "annotations": {"tekton.dev/signature": "MEUCIQ..."}, "labels": {"x": "y"}}
    task = objects_for(package(meta), "ns")[0]
    assert task["metadata"]["labels"] == {"x": "y"}
    assert task["metadata"]["annotations"] == {"tekton.dev/signature": "MEUCIQ..."}


def test_wildcards_are_refused() -> None:
    with pytest.raises(InputError, match=r"grants '\*' in verbs"):
        objects_for(package(rules=(PolicyRule(("",), ("secrets",), ("*",)),)), "ns")


def test_rules_union_keeps_order_without_duplicates() -> None:
    other = PolicyRule(("",), ("services",), ("create",))
    assert merged_rules([(RULE,), (other, RULE)]) == (RULE, other)


def test_spec_hash_ignores_metadata() -> None:
    a = {"kind": "Task", "metadata": {"name": "x"}, "spec": {"a": 1}}
    b = {"kind": "Task", "metadata": {"name": "x", "labels": {"l": "v"}}, "spec": {"a": 1}}
    assert spec_hash(a) == spec_hash(b)
    assert spec_hash(a) != spec_hash({**a, "spec": {"a": 2}})
