"""Values go in structurally and are checked first: injection cases, missing values,
prompts on a terminal, and the renderer's own guarantees."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.sources import open_catalog
from catalog_cli.errors import InputError
from catalog_cli.scaffold import answers, create, load
from catalog_cli.scaffold.generate import generate, resolve_dependencies
from catalog_cli.scaffold.render import substitute

from .conftest import ROOT, assert_one_line_error, run_cli
from .test_scaffold_cases import ANSWERS, scaffold_args

INJECTION = yaml.safe_load((ROOT / "tests" / "data" / "scaffold" / "injection.yaml").read_text())


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog(None)


@pytest.mark.parametrize("case", INJECTION, ids=lambda c: f"{c['option']}={c['value']!r}")
def test_bad_values_are_refused_before_anything_is_written(case: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / ".tekton"
    if case["option"].startswith("--set "):
        args = [*scaffold_args("java-maven-jib", "0.2", "triggers", out),
                "--set", f"{case['option'][6:]}={case['value']}"]
    else:
        args = scaffold_args("java-maven-jib", "0.2", "triggers", out, **{case["option"]: case["value"]})
    r = run_cli(*args)
    assert r.code == 2, r
    assert_one_line_error(r, case["option"], case["needle"])
    assert not out.exists()


def test_missing_required_values_are_an_error_without_a_terminal(tmp_path: Path) -> None:
    r = run_cli("scaffold", "java-maven-jib", "--name", "orders", "--dir", str(tmp_path / "x"), input="")
    assert r.code == 2
    assert_one_line_error(r, "missing required parameters of java-maven-jib", "--git-url", "--image")
    assert not (tmp_path / "x").exists()


def test_missing_required_values_are_asked_for_on_a_terminal(tmp_path: Path) -> None:
    """Run the real command with a pseudo-terminal as stdin and answer its prompts."""
    out = tmp_path / ".tekton"
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()",
         "scaffold", "dockerfile-kaniko", "--name", "orders", "--dir", str(out)],
        stdin=slave, stdout=subprocess.PIPE, stderr=slave, cwd=ROOT, env=os.environ.copy())
    os.close(slave)
    seen = b""
    # The first image answer has a tag: it is refused and asked again.
    replies = [(b"git-url", b"https://github.com/example-org/orders.git\n"),
               (b"image", b"registry.example.com/orders:1.0\n"),
               (b"without tag or digest", b"registry.example.com/orders\n")]
    deadline = time.monotonic() + 30
    while replies and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
            if replies[0][0] in seen:
                os.write(master, replies.pop(0)[1])
                seen = b""
    stdout, _ = proc.communicate(timeout=30)
    os.close(master)
    assert proc.returncode == 0, (seen, stdout)
    assert not replies
    record = answers.read_record(out.parent)  # the newest version writes the repository around .tekton
    assert record.answers["git-url"] == "https://github.com/example-org/orders.git"
    assert record.answers["image"] == "registry.example.com/orders"


def test_set_gives_typed_values_and_array_items(builtin: Any, tmp_path: Path) -> None:
    outcome = create(builtin, "java-maven-jib", folder=tmp_path, dry_run=True,
                     given={"name": "orders", "git-url": ANSWERS["--git-url"], "image": ANSWERS["--image"]},
                     sets=["maven-args=-Pprod", "maven-args=-DskipITs", "branch=release/1.x"])
    pipeline = yaml.safe_load(outcome.files[".tekton/pipeline.yaml"])
    defaults = {p["name"]: p.get("default") for p in pipeline["spec"]["params"]}
    assert defaults["maven-args"] == ["-Pprod", "-DskipITs"]
    assert defaults["git-revision"] == "release/1.x"
    assert outcome.answers["namespace"] == "default"
    assert not any(tmp_path.iterdir())


def test_answer_given_twice_is_refused() -> None:
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", Path("/nonexistent/x")), "--set", "name=other")
    assert_one_line_error(r, "--set name", "given twice")


def test_bad_set_syntax() -> None:
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", Path("/nonexistent/x")), "--set", "branch")
    assert_one_line_error(r, "--set branch", "KEY=VALUE")


def test_unknown_template_is_not_found(tmp_path: Path) -> None:
    r = run_cli("scaffold", "no-such-template", "--dir", str(tmp_path / "x"))
    assert r.code == 3
    assert_one_line_error(r, "no-such-template")


# -- the renderer on its own, with no validation in front of it -----------------------------

HOSTILE = [
    'orders"\nkind: Secret',
    "orders: {evil: true}",
    "- name: evil\n  image: busybox\n  script: rm -rf /",
    "'; rm -rf / #",
    "$(params.git-url)",
    "((name))",
    "---\napiVersion: v1\nkind: Secret",
    "&anchor *alias",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_can_never_become_yaml_structure(value: str, builtin: Any) -> None:
    """Bypassing every check, a hostile value still lands as one string where the
    placeholder was: the documents, their kinds and the pipeline's tasks do not change."""
    template = load(builtin, "java-maven-jib", "0.2")
    good = {"name": "orders", "namespace": "team-a", "git-url": "https://x/y.git", "branch": "main",
            "image": "registry.example.com/orders", "context-dir": ".", "deployment-manifest": "k8s/d.yaml",
            "manifests": "k8s", "maven-args": [], "rollout-timeout": "5m", "registry-secret": "r",
            "webhook-secret": "w", "webhook-secret-key": "token"}
    deps = resolve_dependencies(builtin, template)
    plain = generate(builtin, template, good, "triggers", deps)
    bad = generate(builtin, template, {**good, "name": value, "git-url": value, "maven-args": [value]},
                   "triggers", deps)
    for path, text in plain.files.items():
        want = list(yaml.safe_load_all(text))
        got = list(yaml.safe_load_all(bad.files[path]))
        assert [d["kind"] for d in got] == [d["kind"] for d in want], path
    pipeline = yaml.safe_load(bad.files["pipeline.yaml"])
    assert pipeline["metadata"]["name"] == value
    assert [t["name"] for t in pipeline["spec"]["tasks"]] == ["fetch-source", "build-image", "set-image", "deploy"]
    params = {p["name"]: p for p in pipeline["spec"]["params"]}
    assert params["git-url"]["default"] == value
    assert params["maven-args"]["default"] == [value]
    assert params["deployment"]["default"] == value
    rbac = list(yaml.safe_load_all(bad.files["rbac.yaml"]))
    assert rbac[0]["metadata"]["name"] == f"{value}-pipeline"


def test_placeholders_substitute_whole_values_and_inside_text() -> None:
    values = {"name": "orders", "args": ["-a", "-b"], "n": 3, "flag": True}
    tree = {"a": "((name))", "b": "((name))-pipeline", "c": "((args))", "d": "((n))", "e": "x((flag))",
            "f": ["(( name ))"], "g": 7}
    assert substitute(tree, values, "t") == {
        "a": "orders", "b": "orders-pipeline", "c": ["-a", "-b"], "d": 3, "e": "xtrue", "f": ["orders"], "g": 7}


@pytest.mark.parametrize(("tree", "needle"), [
    ({"((name))": "x"}, "mapping key"),
    ({"a": "((nope))"}, "names no parameter"),
    ({"a": "x-((args))"}, "can only fill a whole value"),
])
def test_template_mistakes_are_reported(tree: dict[str, Any], needle: str) -> None:
    with pytest.raises(InputError) as info:
        substitute(tree, {"name": "orders", "args": ["-a"]}, "files/p.yaml")
    assert needle in str(info.value) and "files/p.yaml" in str(info.value)


def test_values_are_not_searched_again_for_placeholders() -> None:
    assert substitute({"a": "((x))-((y))"}, {"x": "((y))", "y": "Y"}, "t") == {"a": "((y))-Y"}


# -- the template manifest itself -------------------------------------------------------------

def _manifest(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "parameters": {"type": "object", "additionalProperties": False, "required": ["name"],
                       "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}}},
        "files": [{"path": "pipeline.yaml", "source": "files/pipeline.yaml"}],
    }
    base.update(spec)
    return {"apiVersion": "catalog.dev/v1", "kind": "Template", "metadata": {"name": "demo"}, "spec": base}


@pytest.mark.parametrize(("spec", "needle"), [
    ({}, None),
    ({"parameters": {"type": "object", "properties": {"name": {"type": "string"}}}}, "namespace"),
    ({"parameters": {"type": "object", "properties": {"name": {"type": "string"},
                                                      "namespace": {"type": "string"}}}}, "additionalProperties"),
    ({"parameters": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string"}, "namespace": {"type": "string"}, "Bad_Key": {"type": "string"}}}},
     "parameter name 'Bad_Key'"),
    ({"parameters": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string"}, "namespace": {"type": "string"}, "x": {"type": "object"}}}}, "type must be"),
    ({"parameters": {"type": "object", "additionalProperties": False, "properties": {
        "name": {"type": "string", "pattern": 7}, "namespace": {"type": "string"}}}}, "not a valid JSON Schema"),
    ({"files": [{"path": "../escape.yaml", "source": "files/pipeline.yaml"}]}, "inside the output folder"),
    ({"files": [{"path": "p.yaml", "source": "files/missing.yaml"}]}, "not a file of this template version"),
    ({"files": [{"path": "p.yaml", "source": "files/pipeline.yaml", "variants": ["tekton"]}]}, "variants"),
    ({"files": [{"path": "p.yaml", "source": "files/pipeline.yaml"},
                {"path": "p.yaml", "source": "files/pipeline.yaml"}]}, "generated twice"),
])
def test_template_manifests_are_checked(spec: dict[str, Any], needle: str | None) -> None:
    from catalog_cli.model import Entry, FileDigest
    from catalog_cli.scaffold.template import parse

    entry = Entry("demo", "Template", "0.1", "template/demo/0.1/demo.yaml", "sha256:0",
                  files=(FileDigest("template/demo/0.1/files/pipeline.yaml", "sha256:1"),))
    if needle is None:
        assert [f.path for f in parse(entry, _manifest(**spec)).files] == ["pipeline.yaml"]
        return
    with pytest.raises(InputError) as info:
        parse(entry, _manifest(**spec))
    assert needle in str(info.value) and "template/demo/0.1/demo.yaml" in str(info.value)
