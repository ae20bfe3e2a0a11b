"""sources.verify: an entry's file against its entry, case by case, over MemoryCatalog
(the attacks themselves, on folders, HTTP and the API server, are in tests/security/)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest

from catalog_cli import yamlio
from catalog_cli.errors import EntryMismatch, InputError
from catalog_cli.model import Dependency, Entry, FileDigest, PolicyRule
from catalog_cli.sources.memory import MemoryCatalog
from catalog_cli.sources.verify import check_document, rbac_path, rules_text

ENTRY = Entry("deploy", "Task", "0.1", "task/deploy/0.1/deploy.yaml", "sha256:" + "0" * 64)
RULES = (PolicyRule(("apps",), ("deployments",), ("get", "patch")), PolicyRule(("",), ("services",), ("create",)))


def doc(kind: str = "Task", api: str = "tekton.dev/v1", name: str = "deploy", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": {}, **extra}


@pytest.mark.parametrize(("kind", "api"), [
    ("Task", "tekton.dev/v1"), ("Task", "tekton.dev/v1beta1"), ("Pipeline", "tekton.dev/v1"),
    ("Pipeline", "tekton.dev/v1beta1"), ("StepAction", "tekton.dev/v1alpha1"),
    ("StepAction", "tekton.dev/v1beta1"), ("Template", "catalog.dev/v1"),
])
def test_every_apiversion_tekton_serves_is_accepted(kind: str, api: str) -> None:
    assert check_document(replace(ENTRY, kind=kind), doc(kind, api)) == doc(kind, api)


@pytest.mark.parametrize(("entry_kind", "document", "message"), [
    ("Task", doc("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"),
     "the index says Task deploy, the file holds a ClusterRoleBinding (rbac.authorization.k8s.io/v1) 'deploy'"),
    ("Task", doc("Secret", "v1", type="kubernetes.io/service-account-token"),
     "the file holds a Secret of type kubernetes.io/service-account-token (v1) 'deploy'"),
    ("Task", doc("Pipeline"), "the index says Task deploy, the file holds a Pipeline (tekton.dev/v1) 'deploy'"),
    ("Task", doc(api="tekton.dev/v1alpha1"),
     "apiVersion 'tekton.dev/v1alpha1' is not one Tekton serves for a Task (tekton.dev/v1, tekton.dev/v1beta1)"),
    ("Task", doc(api="evil.example.com/v1"), "apiVersion 'evil.example.com/v1' is not one Tekton serves"),
    ("StepAction", doc("StepAction", "tekton.dev/v1"), "apiVersion 'tekton.dev/v1' is not one Tekton serves"),
    ("Template", doc("Template", "tekton.dev/v1"), "apiVersion 'tekton.dev/v1' is not one Tekton serves"),
    ("Task", doc(name="kubectl-deploy"), "metadata.name is 'kubectl-deploy', the index says 'deploy'"),
    ("Task", {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"generateName": "deploy-"}},
     "metadata.name is None, the index says 'deploy'"),
    ("Task", ["a", "list"], "the file holds no resource (a YAML list)"),
])
def test_a_document_that_is_not_its_entry_is_refused(entry_kind: str, document: Any, message: str) -> None:
    with pytest.raises(EntryMismatch) as caught:
        check_document(replace(ENTRY, kind=entry_kind), document)
    assert caught.value.where == ENTRY.path
    assert message in caught.value.message and caught.value.message.endswith(": refused")


def test_rbac_yaml_stands_beside_the_document() -> None:
    assert rbac_path(ENTRY) == "task/deploy/0.1/rbac.yaml"
    assert rbac_path(replace(ENTRY, path="deploy.yaml")) == "rbac.yaml"
    assert rules_text(RULES) == 'apps deployments: get,patch; "" services: create'
    assert rules_text(()) == "no rules"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def catalog_with(document: dict[str, Any], rbac_yaml: Any = None, **entry: Any) -> tuple[MemoryCatalog, Entry]:
    """A MemoryCatalog holding ``document`` (and an rbac.yaml) under an entry whose
    digests match: only the checks of sources.verify can tell what is wrong."""
    raw = yamlio.dump(document).encode()
    files = {ENTRY.path: raw}
    named = [FileDigest(ENTRY.path, sha(raw))]
    if rbac_yaml is not None:
        rbac_raw = rbac_yaml if isinstance(rbac_yaml, bytes) else yamlio.dump(rbac_yaml).encode()
        files[rbac_path(ENTRY)] = rbac_raw
        named.append(FileDigest(rbac_path(ENTRY), sha(rbac_raw)))
    e = replace(ENTRY, digest=sha(raw), files=tuple(named), **entry)
    return MemoryCatalog([e], files), e


def test_rules_come_from_rbac_yaml_in_any_order() -> None:
    cat, e = catalog_with(doc(), {"rules": [r.to_dict() for r in RULES]}, rbac=RULES[::-1])
    assert cat.load(e).rules == RULES  # rbac.yaml's own order


@pytest.mark.parametrize(("rbac_yaml", "index_rules", "message"), [
    ({"rules": [RULES[0].to_dict()]}, RULES,
     'the index says apps deployments: get,patch; "" services: create, rbac.yaml says apps deployments: get,patch'),
    (None, RULES[:1], "the index says apps deployments: get,patch, there is no rbac.yaml"),
    ({"rules": [RULES[1].to_dict()]}, (), 'the index says no rules, rbac.yaml says "" services: create'),
])
def test_rules_differing_from_the_index_are_refused(rbac_yaml: Any, index_rules: tuple[PolicyRule, ...],
                                                    message: str) -> None:
    cat, e = catalog_with(doc(), rbac_yaml, rbac=index_rules)
    with pytest.raises(EntryMismatch) as caught:
        cat.load(e)
    assert str(caught.value) == f"task/deploy/0.1/rbac.yaml: {message}: refused"
    detail = cat.detail(e)  # info shows rbac.yaml's rules and the disagreement instead
    assert detail.mismatches == (str(caught.value),)
    assert detail.rules == cat.load(replace(e, rbac=detail.rules)).rules


def test_a_broken_rbac_yaml_is_refused_not_ignored() -> None:
    cat, e = catalog_with(doc(), b"rules:\n- verbs: [get]\n")
    with pytest.raises(InputError, match="rules\\[0\\].resources must be a non-empty list"):
        cat.load(e)
    cat, e = catalog_with(doc(), b"rules: []\n---\nrules: []\n")
    with pytest.raises(InputError, match="expected one YAML document, found 2"):
        cat.load(e)


@pytest.mark.parametrize(("document", "deps", "message"), [
    (doc(metadata={"name": "deploy", "annotations": {"catalog.dev/dependencies": "kaniko ^0.2"}}), (),
     "the index says dependencies none, the file says kaniko ^0.2"),
    (doc(), (Dependency("kaniko", "*"),), "the index says dependencies kaniko *, the file says none"),
    (doc(spec={"steps": [{"name": "s", "ref": {"name": "git-clone"}}]}), (Dependency("git-clone", "*"),),
     "the index says dependencies git-clone *, the file says StepAction/git-clone *"),
])
def test_dependencies_differing_from_the_index_are_refused(document: dict[str, Any],
                                                           deps: tuple[Dependency, ...], message: str) -> None:
    cat, e = catalog_with(document, dependencies=deps)
    with pytest.raises(EntryMismatch) as caught:
        cat.load(e)
    assert str(caught.value) == f"task/deploy/0.1/deploy.yaml: {message}: refused"


def test_the_same_dependencies_in_another_order_are_fine() -> None:
    ann = {"catalog.dev/dependencies": "kaniko ^0.2\ngit-clone ^0.1"}
    deps = (Dependency("kaniko", "^0.2"), Dependency("git-clone", "^0.1"))
    cat, e = catalog_with(doc(metadata={"name": "deploy", "annotations": ann}), dependencies=deps)
    assert cat.load(e).document["metadata"]["annotations"] == ann
