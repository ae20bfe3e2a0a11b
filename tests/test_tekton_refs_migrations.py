"""Declarative migrations (tekton_refs/migrations.py): each operation applied by `update`
to the pipeline using a reference, and refused cleanly (the file, the reference and the
operation named, nothing written); in order across versions; idempotent.

The cases are data: tests/data/tekton_refs/migration-cases.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli import index
from catalog_cli.errors import InputError
from catalog_cli.tekton_refs import migrations

from .conftest import assert_one_line_error, run_cli

CASES = yaml.safe_load((Path(__file__).parent / "data/tekton_refs/migration-cases.yaml").read_text())


def task(name: str, version: str, params: list[str] = (), workspaces: list[str] = (),
         results: list[str] = ()) -> str:
    spec: dict[str, Any] = {
        "description": f"{name} for tests.",
        "params": [{"name": p, "type": "string", "default": ""} for p in params],
        "workspaces": [{"name": w} for w in workspaces],
        "results": [{"name": r} for r in results],
        "steps": [{"name": "run", "image": "docker.io/library/alpine:3.19@sha256:" + "0" * 64,
                   "script": "#!/bin/sh\ntrue\n"}]}
    return yaml.safe_dump({"apiVersion": "tekton.dev/v1", "kind": "Task",
                           "metadata": {"name": name, "labels": {"app.kubernetes.io/version": version}},
                           "spec": spec}, sort_keys=False)


def team(tmp: Path, ops: dict[str, list[dict[str, Any]]]) -> Path:
    """A catalog: greet 0.1, 0.2, 0.3 (``ops``: each version's migrations), greet-v2 1.0, fetch 0.1."""
    root = tmp / "team"
    files = {
        "greet/0.1": task("greet", "0.1", ["url", "verbose"], ["output"], ["commit"]),
        "greet/0.2": task("greet", "0.2", ["repo-url", "depth", "verbose"], ["source", "cache"], ["sha"]),
        "greet/0.3": task("greet", "0.3", ["repo-url", "depth", "verbose"], ["source", "cache"], ["sha"]),
        "greet-v2/1.0": task("greet-v2", "1.0", ["repo-url"], ["source"]),
        "fetch/0.1": task("fetch", "0.1", ["url", "revision", "label"], [], ["url"]),
    }
    for where, text in files.items():
        name, version = where.split("/")
        folder = root / "task" / name / version
        folder.mkdir(parents=True)
        (folder / f"{name}.yaml").write_text(text)
        if version in ops:
            (folder / migrations.FILE_NAME).write_text(yaml.safe_dump(
                {"apiVersion": migrations.API_VERSION, "kind": migrations.KIND, "operations": ops[version]}))
    index.write(root)
    assert run_cli("repo", "add", "team", str(root)).code == 0
    return root


def hub_ref(name: str = "greet", version: str = "0.1.0") -> dict[str, Any]:
    return {"resolver": "hub", "params": [{"name": "catalog", "value": "team"}, {"name": "name", "value": name},
                                          {"name": "version", "value": version}]}


def _fill(tasks: Any, ref: dict[str, Any]) -> Any:
    if tasks == "REF":
        return ref
    if isinstance(tasks, list):
        return [_fill(t, ref) for t in tasks]
    if isinstance(tasks, dict):
        return {k: _fill(v, ref) for k, v in tasks.items()}
    return tasks


def service(tmp: Path, tasks: list[dict[str, Any]]) -> Path:
    tekton = tmp / "svc" / ".tekton"
    tekton.mkdir(parents=True)
    doc = {"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"},
           "spec": {"workspaces": [{"name": "shared"}, {"name": "cache"}], "tasks": _fill(tasks, hub_ref())}}
    (tekton / "pipeline.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return tekton / "pipeline.yaml"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_operation_applies_or_refuses_cleanly(case: dict[str, Any], tmp_path: Path) -> None:
    team(tmp_path, {"0.2": [case["op"]]})
    file = service(tmp_path, case["before"])
    before = file.read_text()
    r = run_cli("update", "--to", "greet@0.2", cwd=file.parent.parent)
    if "refuse" in case:
        position = next(i for i, t in enumerate(case["before"]) if t.get("taskRef") == "REF")
        assert_one_line_error(r, case["refuse"], "pipeline.yaml", f"spec.tasks[{position}].taskRef",
                              case["op"]["op"], "migrations.yaml")
        assert file.read_text() == before
        return
    assert r.code == 0, r.err
    name, version = case.get("replaced", ["greet", "0.2.0"])
    want = _fill(case["after"], hub_ref(name, version))
    assert yaml.safe_load(file.read_text())["spec"]["tasks"] == want
    again = run_cli("update", "--to", f"{name}@{version}", cwd=file.parent.parent)
    assert again.code == 0 and "nothing to update" in again.err, again.err
    assert yaml.safe_load(file.read_text())["spec"]["tasks"] == want


def test_migrations_of_every_version_between_apply_oldest_first(tmp_path: Path) -> None:
    team(tmp_path, {"0.2": [{"op": "renameParam", "from": "url", "to": "repo-url"}],
                    "0.3": [{"op": "renameParam", "from": "repo-url", "to": "source-url"},
                            {"op": "addParam", "name": "depth", "value": "1"}]})
    file = service(tmp_path, [{"name": "t", "taskRef": "REF", "params": [{"name": "url", "value": "x"}]}])
    r = run_cli("update", cwd=file.parent.parent)
    assert r.code == 0, r.err
    (t,) = yaml.safe_load(file.read_text())["spec"]["tasks"]
    assert t["params"] == [{"name": "source-url", "value": "x"}, {"name": "depth", "value": "1"}]
    assert t["taskRef"] == hub_ref("greet", "0.3.0")
    assert r.err.index("renameParam {from: url") < r.err.index("renameParam {from: repo-url")
    assert "nothing to update" in run_cli("update", cwd=file.parent.parent).err


def test_a_migration_stops_before_the_current_version(tmp_path: Path) -> None:
    # At 0.2 already: 0.2's migrations were applied (or not needed) before; only 0.3's apply.
    team(tmp_path, {"0.2": [{"op": "addParam", "name": "depth", "value": "1"}],
                    "0.3": [{"op": "addParam", "name": "verbose", "value": "true"}]})
    tekton = tmp_path / "svc" / ".tekton"
    tekton.mkdir(parents=True)
    (tekton / "run.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "TaskRun", "metadata": {"name": "once"},
        "spec": {"taskRef": hub_ref("greet", "0.2.0"), "params": [{"name": "repo-url", "value": "x"}]}}))
    r = run_cli("update", cwd=tekton.parent)
    assert r.code == 0, r.err
    spec = yaml.safe_load((tekton / "run.yaml").read_text())["spec"]
    assert spec["params"] == [{"name": "repo-url", "value": "x"}, {"name": "verbose", "value": "true"}]


@pytest.mark.parametrize(("data", "words"), [
    ({"apiVersion": "catalog.dev/v1", "kind": "Other"}, "not a migrations file"),
    ({"apiVersion": "catalog.dev/v2", "kind": "Migrations", "operations": []}, "apiVersion"),
    ({"apiVersion": "catalog.dev/v1", "kind": "Migrations", "operations": [{"op": "runScript"}]}, "unknown op"),
    ({"apiVersion": "catalog.dev/v1", "kind": "Migrations", "operations": [{"op": "addParam", "name": "x"}]},
     "addParam needs value"),
    ({"apiVersion": "catalog.dev/v1", "kind": "Migrations",
      "operations": [{"op": "addParam", "name": "x", "value": 1}]}, "must be a string"),
    ({"apiVersion": "catalog.dev/v1", "kind": "Migrations",
      "operations": [{"op": "renameParam", "from": "a", "to": "b", "shell": "rm -rf /"}]}, "takes no field 'shell'"),
    ({"apiVersion": "catalog.dev/v1", "kind": "Migrations",
      "operations": [{"op": "replaceTask", "name": "x", "version": "not a range"}]}, "not a range"),
])
def test_a_malformed_migrations_file_is_refused_naming_the_field(data: Any, words: str) -> None:
    with pytest.raises(InputError) as err:
        migrations.parse(data, "task/x/0.2/migrations.yaml")
    assert words in str(err.value) and "task/x/0.2/migrations.yaml" in str(err.value)


def test_a_malformed_migrations_file_in_a_catalog_stops_update(tmp_path: Path) -> None:
    root = team(tmp_path, {})
    (root / "task/greet/0.2/migrations.yaml").write_text("apiVersion: catalog.dev/v1\nkind: Migrations\n"
                                                          "operations:\n- op: exec\n")
    index.write(root)
    file = service(tmp_path, [{"name": "t", "taskRef": "REF"}])
    before = file.read_text()
    r = run_cli("update", cwd=file.parent.parent)
    assert_one_line_error(r, "unknown op 'exec'", "greet 0.2: migrations.yaml")
    assert file.read_text() == before
