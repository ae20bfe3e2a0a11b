"""Dependencies through resolvers as catalog_cli.resources reads them and the index
records them: each reference with the version it fetches as its range, checked against
the files like any other dependency."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from string import Template
from typing import Any

import pytest
import yaml

from catalog_cli import index, resources
from catalog_cli.errors import EntryMismatch, InputError
from catalog_cli.model import Dependency, Entry
from catalog_cli.refs import ResolverRef
from catalog_cli.sources import open_catalog

from .conftest import BUILTIN

ACME = Path(__file__).parent / "data" / "refs" / "acme"


def acme_tree(tmp_path: Path, git_url: str = "https://git.example.com/acme/catalog.git",
              registry: str = "registry.example.com", other_registry: str = "gcr.io") -> Path:
    """The acme catalog (tests/data/refs/acme) with its Pipeline's placeholders filled
    in, indexed."""
    root = tmp_path / "acme"
    shutil.copytree(ACME, root)
    ci = root / "pipeline/ci/0.1/ci.yaml"
    ci.write_text(Template(ci.read_text()).substitute(GIT_URL=git_url, REGISTRY=registry,
                                                      OTHER_REGISTRY=other_registry))
    index.write(root)
    return root


def _ci(tmp_path: Path) -> dict[str, Any]:
    doc = yaml.safe_load((acme_tree(tmp_path) / "pipeline/ci/0.1/ci.yaml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_each_reference_through_a_resolver_is_a_dependency(tmp_path: Path) -> None:
    deps = resources.dependencies(_ci(tmp_path), "ci.yaml")
    assert [(d.name, d.range, d.kind, d.via.resolver if d.via else None) for d in deps] == [
        ("git-clone", "=0.1.0", "Task", "hub"),
        ("golangci-lint", "=0.2.0", "Task", "hub"),
        ("kaniko", "=0.2.0", "Task", "bundles"),
        ("kubectl-deploy", "*", "Task", "cluster"),
        ("trivy-scanner", "=0.2.0", "Task", "bundles"),
        ("yq-update", "=0.2.0", "Task", "git"),
    ]
    trivy = next(d for d in deps if d.name == "trivy-scanner")
    assert trivy.via == ResolverRef("bundles", "Task", "trivy-scanner", (
        ("bundle", "gcr.io/tekton-releases/catalog/upstream/trivy-scanner:0.2"), ("name", "trivy-scanner"),
        ("kind", "task")), legacy=True)


def test_names_and_declared_ranges_come_first_and_do_not_change_a_reference() -> None:
    doc = {"kind": "Pipeline", "metadata": {"annotations": {"catalog.dev/dependencies": "kaniko ^0.1"}},
           "spec": {"tasks": [
               {"name": "a", "taskRef": {"name": "git-clone"}},
               {"name": "b", "taskRef": {"resolver": "cluster", "params": [{"name": "name", "value": "kaniko"}]}},
               {"name": "c", "taskRef": {"resolver": "cluster", "params": [{"name": "name", "value": "kaniko"}]}},
           ]}}
    via = ResolverRef("cluster", "Task", "kaniko", (("name", "kaniko"),))
    assert resources.dependencies(doc, "x") == (
        Dependency("git-clone", "*", "Task"), Dependency("kaniko", "^0.1"), Dependency("kaniko", "*", "Task", via))


def test_the_index_records_them_and_reads_them_back(tmp_path: Path) -> None:
    root = acme_tree(tmp_path)
    text = (root / "index.yaml").read_text()
    data = yaml.safe_load(text)
    ci = data["entries"]["ci"][0]
    assert ci["dependencies"][0] == {"name": "git-clone", "range": "=0.1.0", "kind": "Task", "via": {
        "resolver": "hub", "params": {"catalog": "builtin", "name": "git-clone", "version": "0.1"}}}
    assert ci["dependencies"][4]["via"]["legacy"] is True
    index.validate(data, "index.yaml")  # the JSON Schema knows the new field
    again = index.from_data(data)
    assert again.versions("ci")[0] == index.build(root).versions("ci")[0]
    assert index.render(again) == text
    index.check(root)  # deterministic: the same tree, the same bytes
    as_json = json.loads(index.render(index.build(root), "json"))
    assert as_json["entries"]["ci"][0]["dependencies"] == ci["dependencies"]


def test_the_schema_refuses_a_malformed_reference(tmp_path: Path) -> None:
    data = yaml.safe_load((acme_tree(tmp_path) / "index.yaml").read_text())
    data["entries"]["ci"][0]["dependencies"][0]["via"]["params"]["version"] = 2
    with pytest.raises(InputError, match="params.version must be string"):
        index.validate(data, "index.yaml")


def test_a_catalog_serves_them_and_checks_them_against_the_file(tmp_path: Path) -> None:
    root = acme_tree(tmp_path)
    cat = open_catalog(str(root))
    entry = cat.get("ci")
    assert cat.load(entry).document["metadata"]["name"] == "ci"
    # An index that drops, or invents, a reference through a resolver is caught as a
    # dependency that differs from the file's.
    forged = Entry(**{**entry.__dict__, "dependencies": entry.dependencies[:-1]})
    with pytest.raises(EntryMismatch, match="the index says dependencies .*, the file says .*Task/yq-update =0.2.0: refused"):
        cat.load(forged)


def test_the_built_in_index_is_unchanged_by_the_new_field() -> None:
    index.check(BUILTIN)  # no built-in Pipeline uses a resolver: not one byte moves
