"""What .tekton/ reference commands read besides the files' references: Pipelines-as-Code
annotation items, every kind of document, catalog.yaml and the lock file; bad input is
one line naming the file and field, nothing written; credentials never recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalog_cli.refs import ResolverRef
from catalog_cli.tekton_refs import pac
from catalog_cli.tekton_refs.lookup import Status
from catalog_cli.tekton_refs.reflock import resolve
from catalog_cli.tekton_refs.scan import scan_text
from catalog_cli.tekton_refs.verbs import FixedRemote

from .conftest import assert_one_line_error, run_cli

OFFLINE = {"CATALOG_OFFLINE": "1"}


@pytest.mark.parametrize(("value", "items"), [
    ("git-clone", [("hub", "git-clone", None, None)]),
    ("[git-clone:0.9, golang-test]", [("hub", "git-clone", "0.9", None), ("hub", "golang-test", None, None)]),
    ("[mycat://curl:0.1]", [("hub", "curl", "0.1", "mycat")]),
    ("[https://example.com/task/lint/0.2/lint.yaml, .tekton/tasks/t.yaml]",
     [("http", "lint", None, None), ("file", "t", None, None)]),
])
def test_pipelines_as_code_items(value: str, items: list[tuple[str, str, str | None, str | None]]) -> None:
    got = list(pac.items({"pipelinesascode.tekton.dev/task-1": value, "other/task": "x"}))
    assert [(i.ref.resolver, i.ref.name, i.ref.param("version"), i.ref.param("catalog")) for i in got] == items


def test_an_item_is_replaced_with_everything_else_as_written() -> None:
    assert pac.replace_item("[ a:0.1 ,b,  c:0.1]", 2, "c:0.2") == "[ a:0.1 ,b,  c:0.2]"
    assert pac.replace_item("a:0.1", 0, "a:0.2") == "a:0.2"


def test_every_kind_of_document_and_place_is_read() -> None:
    hub = {"resolver": "hub", "params": [{"name": "name", "value": "x"}, {"name": "version", "value": "0.1"}]}
    docs = [
        {"apiVersion": "triggers.tekton.dev/v1beta1", "kind": "TriggerTemplate", "metadata": {"name": "tt"},
         "spec": {"resourcetemplates": [{"apiVersion": "tekton.dev/v1", "kind": "TaskRun",
                                         "metadata": {"generateName": "r-"}, "spec": {"taskRef": hub}}]}},
        {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"},
         "spec": {"finally": [{"name": "f", "taskRef": hub}],
                  "tasks": [{"name": "e", "pipelineSpec": {"tasks": [{"name": "inner", "taskRef": hub}]}}]}},
        {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "t"},
         "spec": {"steps": [{"name": "s", "ref": hub}]}},
    ]
    scanned = scan_text(yaml.safe_dump_all(docs, sort_keys=False), "all.yaml")
    assert [(r.resource, r.where, r.task, r.kind) for r in scanned.refs] == [
        ("TriggerTemplate/tt", "spec.resourcetemplates[0].spec.taskRef", None, "Task"),
        ("Pipeline/p", "spec.tasks[0].pipelineSpec.tasks[0].taskRef", "inner", "Task"),
        ("Pipeline/p", "spec.finally[0].taskRef", "f", "Task"),
        ("Task/t", "spec.steps[0].ref", "s", "StepAction"),
    ]


@pytest.mark.parametrize(("config", "words"), [
    ("ranges: [git-clone]\n", "ranges must map names"),
    ("ranges:\n  git-clone: not-a-range\n", "ranges.git-clone"),
    ("ranges:\n  Git_Clone: ^1\n", "is not a resource name"),
    ("pins: {}\n", "unknown field 'pins'"),
    ("clusterTaskNamespace: Not A Namespace\n", "clusterTaskNamespace"),
    ("- a\n", "expected a mapping"),
])
def test_a_bad_catalog_yaml_is_one_line_and_nothing_written(config: str, words: str, tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    text = "apiVersion: tekton.dev/v1beta1\nkind: Pipeline\nmetadata: {name: p}\nspec: {tasks: []}\n"
    (tekton / "p.yaml").write_text(text)
    (tmp_path / "catalog.yaml").write_text(config)
    for command in ("refs", "update"):
        assert_one_line_error(run_cli(command, cwd=tmp_path, env=OFFLINE), "catalog.yaml", words)
    assert (tekton / "p.yaml").read_text() == text


@pytest.mark.parametrize(("lock", "words"), [
    ("apiVersion: catalog.dev/v1\nkind: Lock\n", "not a reference lock"),
    ("apiVersion: catalog.dev/v1\nkind: ReferenceLock\nreferences: {}\n", "references must be a list"),
    ("apiVersion: catalog.dev/v1\nkind: ReferenceLock\nreferences:\n- {resolver: bundles, tag: r/x:1, digest: abc}\n",
     "references[0]"),
])
def test_a_bad_lock_is_refused_by_update_locked(lock: str, words: str, tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    (tekton / "p.yaml").write_text("apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec: {tasks: []}\n")
    (tmp_path / "catalog-refs.lock").write_text(lock)
    assert_one_line_error(run_cli("update", "--locked", cwd=tmp_path), "catalog-refs.lock", words)
    assert_one_line_error(run_cli("update", "--locked", cwd=tmp_path, env=OFFLINE), "not possible offline")


def test_the_lock_records_locations_without_credentials(tmp_path: Path) -> None:
    text = ("apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n"
            "  - name: a\n    taskRef:\n      resolver: git\n      params:\n"
            "      - {name: url, value: 'https://bot:s3cret@git.example.com/team/cat.git'}\n"
            "      - {name: revision, value: v1.0}\n      - {name: pathInRepo, value: task/x/0.1/x.yaml}\n")
    (ref,) = scan_text(text, "p.yaml").refs
    assert isinstance(ref.ref, ResolverRef)
    remote = FixedRemote(commits={("https://bot:s3cret@git.example.com/team/cat.git", "v1.0"): "a" * 40},
                         tags={"https://bot:s3cret@git.example.com/team/cat.git": {"v1.0": "a" * 40}})
    (locked,) = resolve([Status(ref, version="0.1")], remote, tmp_path / ".tekton")
    data = yaml.safe_dump(locked.to_data())
    assert "s3cret" not in data and "bot@" not in data
    assert locked.tag == "https://git.example.com/team/cat.git@v1.0" and locked.pin == "a" * 40
