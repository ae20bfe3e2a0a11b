"""The lint rules, case by case: tests/data/lint/cases.yaml is the specification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.lint import RULES, Severity, lint_paths
from catalog_cli.lint.checks_meta import image_problem
from catalog_cli.lint.refs import refs_in_text

DATA = Path(__file__).resolve().parent / "data" / "lint"
CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))


def _rules(files: list[str]) -> set[str]:
    report = lint_paths([DATA / f for f in files])
    return {f.rule for f in report.findings}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    found = _rules(case["files"])
    assert found <= set(RULES), f"unknown rule ids: {found - set(RULES)}"
    if "only" in case:
        assert found == set(case["only"])
    for rule in case.get("must", []):
        assert rule in found, f"{rule} not reported; got {sorted(found)}"
    for rule in case.get("must_not", []):
        assert rule not in found, f"{rule} reported, but must not be"


def test_cases_name_only_known_rules() -> None:
    for case in CASES:
        for key in ("only", "must", "must_not"):
            assert set(case.get(key, [])) <= set(RULES), case["name"]


def test_clean_v1_task_has_no_findings_at_any_severity() -> None:
    report = lint_paths([DATA / "catalog/task/hello/0.1/hello.yaml"])
    assert report.findings == ()
    assert report.files == 1
    assert not report.failed(strict=True)


def _findings(name: str, rule: str) -> list[tuple[int, str]]:
    return [(f.line, f.message) for f in lint_paths([DATA / name]).findings if f.rule == rule]


def test_findings_carry_the_line_of_the_problem() -> None:
    assert [line for line, _ in _findings("params.yaml", "undefined-param")] == [39, 40]
    assert [line for line, _ in _findings("params.yaml", "unused-param")] == [8]
    assert [line for line, _ in _findings("schema-errors.yaml", "schema")] == [3, 5, 10, 11]
    assert _findings("malformed.yaml", "yaml-syntax")[0][0] > 1


def test_schema_messages_name_the_field() -> None:
    messages = [m for _, m in _findings("schema-errors.yaml", "schema")]
    assert "spec.steps.0: unknown field 'scripts'" in messages
    assert "metadata: 'name' is required" in messages
    assert any("timeout: expected string, got number 5" in m for m in messages)


def test_severity_filter_and_strict() -> None:
    everything = lint_paths([DATA / "images.yaml"])
    errors_only = lint_paths([DATA / "images.yaml"], min_severity=Severity.ERROR)
    assert {f.severity for f in errors_only.findings} == {Severity.ERROR}
    assert len(errors_only.findings) < len(everything.findings)
    warnings_only = lint_paths([DATA / "workspaces.yaml"], min_severity=Severity.WARNING)
    assert warnings_only.failed()


def test_findings_sorted_by_file_then_line() -> None:
    report = lint_paths([DATA / "workspaces.yaml", DATA / "params.yaml"])
    keys = [(f.file, f.line) for f in report.findings]
    assert keys == sorted(keys)


def test_pipeline_resolves_task_results_and_propagated_params() -> None:
    # The clean pipeline reads greet's result, and its inline task reads $(params.who),
    # which it does not declare but the Pipeline propagates.
    report = lint_paths([DATA / "catalog"])
    assert {f.rule for f in report.findings} == {"path-mismatch"}


def test_every_rule_is_documented() -> None:
    from catalog_cli.lint import rules

    doc = rules.__doc__ or ""
    for rid in RULES:
        assert f"    {rid} " in doc, rid
    comparison = (Path(__file__).resolve().parents[1] / "docs" / "lint-comparison.md").read_text()
    for rid in RULES:
        assert f"`{rid}`" in comparison, rid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(params.a)", [("params", ("a",))]),
        ("$(params.a[*])", [("params", ("a", "[*]"))]),
        ("$(params.obj.key)", [("params", ("obj", "key"))]),
        ('$(params["a.b"])', [("params", ("a.b",))]),
        ("$(params['a.b'][*])", [("params", ("a.b", "[*]"))]),
        ("$(inputs.params.x)", [("params", ("x",))]),
        ("$(workspaces.w.bound)", [("workspaces", ("w", "bound"))]),
        ("$(tasks.t.results.r[0])", [("tasks", ("t", "results", "r", "[0]"))]),
        ("$(steps.step-a.exitCode.path)", [("steps", ("step-a", "exitCode", "path"))]),
        ("$(context.taskRun.name)", [("context", ("taskRun", "name"))]),
        ('x=$(cat "$(results.r.path)")', [("results", ("r", "path"))]),
        ("$(echo $(params.q))", [("params", ("q",))]),
        ("$(date +%s) $(git rev-parse HEAD)", []),
        ("no references", []),
    ],
)
def test_reference_parser(text: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(r.root, r.parts) for r in refs_in_text(text)] == expected


@pytest.mark.parametrize(
    ("image", "rule"),
    [
        ("ubuntu", "unpinned-image"),
        ("localhost:5000/a/b", "unpinned-image"),
        ("alpine:latest", "latest-image"),
        ("alpine:3.20", "image-without-digest"),
        ("localhost:5000/a/b:1.0", "image-without-digest"),
        ("alpine@sha256:abc", ""),
        ("alpine:3.20@sha256:abc", ""),
    ],
)
def test_image_problem(image: str, rule: str) -> None:
    assert image_problem(image)[0] == rule


def _paths(value: Any, base: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [base]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*base, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, (*base, i))
    return out


def test_no_check_crashes_on_mistyped_input() -> None:
    """Every check reads shapes it cannot trust: replace random parts of valid files by junk."""
    import copy
    import random

    from catalog_cli.lint import lint_resources
    from catalog_cli.lint.model import Resource

    docs = []
    for path in sorted(DATA.rglob("*.yaml")):
        if "alias" in path.name or path.name == "cases.yaml":
            continue
        try:
            loaded = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        except yaml.YAMLError:
            continue
        docs += [d for d in loaded if isinstance(d, dict) and d.get("kind") in ("Task", "Pipeline", "StepAction")]
    node = yaml.compose("a: 1")
    junk: list[Any] = [None, 1, 2.5, "x", "$(params.zz)", [], {}, [1], {"a": 1}, {1: "a"}, True,
                       ["$(", {"name": 3}], {"name": None}, {"name": "$(tasks.a.results.b)"}]
    rng = random.Random(20240601)
    for _ in range(3000):
        doc = copy.deepcopy(rng.choice(docs))
        where = rng.choice(_paths(doc)[1:])
        target = doc
        for part in where[:-1]:
            target = target[part]
        target[where[-1]] = copy.deepcopy(rng.choice(junk))
        crashes = [f for f in lint_resources([Resource("f.yaml", 0, doc, node)]) if f.rule == "lint-crash"]
        assert not crashes, (where, crashes[0].message)
