"""References into real parts beyond the sample: a TEP-0115 git catalog whose versions
are release tags (a Task and a StepAction fetched by the git resolver, pinned to the
tags' commits and read back through them), and an HTTP catalog (the http resolver,
pinned by the file's digest; a Pipelines-as-Code URL moved)."""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from catalog_cli import index

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .httpserve import serve
from .test_layouts import released_checkout
from .test_resolve_cli import FAST, _git


def _git_ref(url: str, revision: str, path: str) -> dict[str, Any]:
    return {"resolver": "git", "params": [{"name": "url", "value": url}, {"name": "revision", "value": revision},
                                          {"name": "pathInRepo", "value": path}]}


def test_release_tags_of_a_tep0115_catalog(tmp_path: Path) -> None:
    checkout = released_checkout(tmp_path / "greetings")
    url = f"file://{checkout}"
    assert run_cli("repo", "add", "greetings", str(checkout)).code == 0
    tekton = tmp_path / "svc" / ".tekton"
    tekton.mkdir(parents=True)
    (tekton / "hello.yaml").write_text(yaml.safe_dump({
        "apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "hello"},
        "spec": {"tasks": [{"name": "greet", "taskRef": _git_ref(url, "v0.1.0", "task/greet/greet.yaml")},
                           {"name": "inline", "taskSpec": {"steps": [
                               {"name": "say", "ref": _git_ref(url, "v0.1.0", "stepaction/say/say.yaml")}]}}]}},
        sort_keys=False))
    rows = {r["kind"]: r for r in run_cli("refs", "-o", "json", cwd=tekton.parent, env=FAST).json()}
    assert {k: (r["version"], r["pinned"], r["repo"], r["newestAllowed"]) for k, r in rows.items()} == {
        "Task": ("v0.1.0", False, "greetings", "0.2.0"), "StepAction": ("v0.1.0", False, "greetings", "0.2.0")}

    r = run_cli("update", cwd=tekton.parent, env=FAST)
    assert r.code == 0, r.err
    release = _git(checkout, "rev-parse", "0.2.0^{commit}")
    doc = yaml.safe_load((tekton / "hello.yaml").read_text())
    assert doc["spec"]["tasks"][0]["taskRef"]["params"][1] == {"name": "revision", "value": release}
    assert doc["spec"]["tasks"][1]["taskSpec"]["steps"][0]["ref"]["params"][1]["value"] == release
    # A commit names no version by itself: the release tag naming it does, asked of git.
    rows = {r["kind"]: r for r in run_cli("refs", "-o", "json", cwd=tekton.parent, env=FAST).json()}
    assert {k: (r["version"], r["pinned"]) for k, r in rows.items()} == {
        "Task": ("0.2.0", True), "StepAction": ("0.2.0", True)}
    assert "nothing to update" in run_cli("update", cwd=tekton.parent, env=FAST).err
    offline = run_cli("refs", "-o", "json", cwd=tekton.parent, env={"CATALOG_OFFLINE": "1"}).json()
    assert offline[0]["version"] is None and offline[0]["note"].startswith("offline")


def test_an_http_catalog_pins_by_the_file_digest(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(BUILTIN / "task", site / "task")
    index.write(site)
    with serve(site) as base:
        assert run_cli("repo", "add", "web", base).code == 0
        tekton = tmp_path / "svc" / ".tekton"
        tekton.mkdir(parents=True)
        old = f"{base}/task/git-clone/0.1/git-clone.yaml"
        (tekton / "run.yaml").write_text(
            "apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata:\n  name: r\n  annotations:\n"
            f"    pipelinesascode.tekton.dev/task: \"[{base}/task/kaniko/0.1/kaniko.yaml]\"\n"
            "spec:\n  pipelineSpec:\n    tasks:\n      - name: clone\n        taskRef:\n          resolver: http\n"
            f"          params:\n            - name: url\n              value: {old}\n")
        rows = run_cli("refs", "-o", "json", cwd=tekton.parent, env=FAST).json()
        assert [(r["name"], r["resolver"], r["version"], r["repo"]) for r in rows] == [
            ("kaniko", "http", "0.1", "web"), ("git-clone", "http", "0.1", "web")]
        r = run_cli("update", cwd=tekton.parent, env=FAST)
        assert r.code == 0, r.err
        doc = yaml.safe_load((tekton / "run.yaml").read_text())
        params = {p["name"]: p["value"] for p in doc["spec"]["pipelineSpec"]["tasks"][0]["taskRef"]["params"]}
        assert params["url"] == f"{base}/task/git-clone/0.2/git-clone.yaml"
        with urllib.request.urlopen(params["url"], timeout=5) as resp:
            assert params["digest"] == "sha256:" + hashlib.sha256(resp.read()).hexdigest()
        assert doc["metadata"]["annotations"]["pipelinesascode.tekton.dev/task"] == \
            f"[{base}/task/kaniko/0.2/kaniko.yaml]"
        assert doc["spec"]["pipelineSpec"]["tasks"][0]["params"] == [{"name": "submodules", "value": "false"}]


def test_to_moves_one_name_to_a_version_and_refuses_one_it_lacks(tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    ref = {"resolver": "hub", "params": [{"name": "catalog", "value": "builtin"}, {"name": "name", "value": "NAME"},
                                         {"name": "version", "value": "0.2.0"}]}
    tasks = [{"name": n, "taskRef": yaml.safe_load(yaml.safe_dump(ref).replace("NAME", n))}
             for n in ("yq-update", "kaniko")]
    text = yaml.safe_dump({"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "p"},
                           "spec": {"tasks": tasks}}, sort_keys=False)
    (tekton / "p.yaml").write_text(text)
    offline = {"CATALOG_OFFLINE": "1"}
    assert_one_line_error(run_cli("update", "--to", "yq-update@0.9", cwd=tmp_path, env=offline),
                          "no version 0.9 of yq-update")
    assert_one_line_error(run_cli("update", "--to", "yq-update", cwd=tmp_path, env=offline), "NAME@VERSION")
    assert_one_line_error(run_cli("update", "nope", cwd=tmp_path, env=offline), "no reference to nope")
    r = run_cli("update", "--to", "yq-update@0.1", cwd=tmp_path, env=offline)
    assert r.code == 0, r.err
    got = [t["taskRef"]["params"][2]["value"] for t in yaml.safe_load((tekton / "p.yaml").read_text())["spec"]["tasks"]]
    assert got == ["0.1.0", "0.2.0"]  # only the one named moved, and back is allowed when asked
