"""Lint agrees with Tekton: tests/data/lint/tekton-rules.yaml is the specification.

For every pair there, the file Tekton rejects gets the rule, and the nearest file
Tekton accepts gets neither that rule nor any error of Tekton or Kubernetes origin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.lint import RULES, Finding, Severity, lint_paths
from .conftest import run_cli

DATA = Path(__file__).resolve().parent / "data" / "lint"
PAIRS: list[dict[str, Any]] = yaml.safe_load((DATA / "tekton-rules.yaml").read_text(encoding="utf-8"))
IDS = [f"{p['rule']}-{i}" for i, p in enumerate(PAIRS)]
#: Rules that say what Tekton or the API server refuses.
REJECTING = {rid for rid, info in RULES.items() if info.origin in ("tekton", "kubernetes") and info.severity is Severity.ERROR}
#: Rules a pair here cannot show: a file that does not parse, a linter bug (their
#: fixtures are in cases.yaml and test_lint.py).
ELSEWHERE = {"yaml-syntax", "lint-crash"}


def _lint(tmp_path: Path, text: str, *, catalog: bool) -> tuple[Finding, ...]:
    folder = tmp_path / ("catalog" if catalog else "tests")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return lint_paths([path]).findings


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_tekton_rejects(pair: dict[str, Any], tmp_path: Path) -> None:
    found = _lint(tmp_path, pair["reject"], catalog=pair.get("catalog", False))
    rules = {f.rule for f in found}
    assert pair["rule"] in rules, f"{pair['tekton']}: not reported; got {sorted(rules)}"
    hits = [f for f in found if f.rule == pair["rule"]]
    assert any(f.severity is RULES[pair["rule"]].severity for f in hits), hits  # not a downgraded one
    assert all(f.line >= 1 and f.message for f in hits)


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_tekton_accepts(pair: dict[str, Any], tmp_path: Path) -> None:
    found = _lint(tmp_path, pair["accept"], catalog=pair.get("catalog", False))
    assert pair["rule"] not in {f.rule for f in found}, [f.message for f in found if f.rule == pair["rule"]]
    wrong = [f"{f.rule}: {f.message}" for f in found if f.rule in REJECTING and f.severity is Severity.ERROR]
    assert not wrong, f"an accepted file reported as rejected: {wrong}"


def test_every_rejecting_rule_has_a_pair() -> None:
    covered = {p["rule"] for p in PAIRS}
    assert covered >= REJECTING - ELSEWHERE, sorted(REJECTING - ELSEWHERE - covered)
    assert covered <= set(RULES)


def test_findings_name_the_line(tmp_path: Path) -> None:
    text = "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  steps:\n" \
           "    - name: ok\n      image: alpine:3.20\n      command: [date]\n" \
           "    - name: bad\n      command: [date]\n      onError: ignore\n"
    found = {f.rule: f.line for f in _lint(tmp_path, text, catalog=False)}
    assert found["missing-image"] == 9
    assert found["invalid-on-error"] == 11


def test_unquoted_scalars_are_strings_to_tekton(tmp_path: Path) -> None:
    """tekton-lint's no-invalid-param-type flags these; Tekton takes them as strings."""
    text = "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  params:\n" \
           "    - {name: a, default: true}\n    - {name: b, type: string, default: 1000}\n" \
           "  steps: [{name: s, image: alpine:3.20, command: [echo, $(params.a), $(params.b)]}]\n"
    assert not [f for f in _lint(tmp_path, text, catalog=False) if f.severity is Severity.ERROR]


def test_inline_task_steps_need_no_names(tmp_path: Path) -> None:
    text = "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: p}\nspec:\n  tasks:\n" \
           "    - name: a\n      taskSpec:\n        steps: [{image: alpine:3.20, command: [date]}]\n"
    assert not [f for f in _lint(tmp_path, text, catalog=False) if f.severity is Severity.ERROR]


def test_catalog_rules_skip_spec_and_test_folders(tmp_path: Path) -> None:
    text = "apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n" \
           "  steps: [{name: s, image: alpine:3.20, command: [date]}]\n"
    for folder in ("spec", "testdata", "test", "e2e/tests/fixtures"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "t.yaml").write_text(text)
    found = lint_paths([tmp_path]).findings
    assert not [f for f in found if f.rule in ("missing-version-label", "missing-min-version", "missing-description")]


# --- catalog metadata: only for catalog entries, read as the index reads paths --------

BARE_TASK = "apiVersion: tekton.dev/v1\nkind: {kind}\nmetadata:\n  name: {name}\n{labels}spec:\n" \
            "  steps: [{{name: s, image: alpine:3.20, command: [date]}}]\n"
META_RULES = {"missing-version-label", "missing-min-version", "missing-annotation", "missing-description"}


def _bare(name: str, *, kind: str = "Task", label: str | None = None) -> str:
    labels = f"  labels: {{app.kubernetes.io/version: \"{label}\"}}\n" if label is not None else ""
    return BARE_TASK.format(kind=kind, name=name, labels=labels)


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _rules_by_file(root: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in lint_paths([root]).findings:
        out.setdefault(str(Path(f.file).relative_to(root)), set()).add(f.rule)
    return out


def test_files_beside_an_entry_are_not_catalog_entries(tmp_path: Path) -> None:
    """The Tasks tektoncd/catalog's openwhisk Pipeline keeps in pipeline/openwhisk/0.1/tasks/
    are not entries (the index never reads them): no catalog metadata is asked of them."""
    _write(tmp_path, "pipeline/ow/0.1/ow.yaml", _bare("ow", kind="Pipeline").replace(
        "  steps: [{name: s, image: alpine:3.20, command: [date]}]", "  tasks: [{name: a, taskRef: {name: clone}}]"))
    _write(tmp_path, "pipeline/ow/0.1/tasks/clone.yaml", _bare("clone"))
    _write(tmp_path, "pipeline/ow/0.1/tasks/java/build.yaml", _bare("build"))
    _write(tmp_path, "task/greet/greet.yaml", _bare("greet", label="v0.2.0"))  # TEP-0115
    _write(tmp_path, "task/greet/extra/helper.yaml", _bare("helper"))
    found = _rules_by_file(tmp_path)
    assert "missing-version-label" in found["pipeline/ow/0.1/ow.yaml"]
    assert "missing-version-label" not in found["task/greet/greet.yaml"]
    for helper in ("pipeline/ow/0.1/tasks/clone.yaml", "pipeline/ow/0.1/tasks/java/build.yaml",
                   "task/greet/extra/helper.yaml"):
        assert not found.get(helper, set()) & META_RULES, (helper, found.get(helper))


def test_a_misnamed_entry_is_still_an_entry(tmp_path: Path) -> None:
    """task/foo/0.1/fooo.yaml, alone in its version folder, is the entry with a typo: the
    index skips it, so lint must say why rather than exempt it."""
    _write(tmp_path, "task/foo/0.1/fooo.yaml", _bare("foo", label="0.1"))
    found = lint_paths([tmp_path]).findings
    assert [f.message for f in found if f.rule == "path-mismatch"] == [
        "name 'foo' differs from its file name 'fooo.yaml'"]


def test_two_version_folders_with_one_version_are_an_error(tmp_path: Path) -> None:
    from catalog_cli import index

    _write(tmp_path, "task/greet/1.0/greet.yaml", _bare("greet", label="1.0"))
    _write(tmp_path, "task/greet/1.0.0/greet.yaml", _bare("greet", label="1.0.0"))
    _write(tmp_path, "task/greet/1.1/greet.yaml", _bare("greet", label="1.1"))
    found = [f for f in lint_paths([tmp_path]).findings if f.rule == "duplicate-version"]
    assert [(Path(f.file).parent.name, f.severity) for f in found] == [("1.0.0", Severity.ERROR)]
    assert "same version as '1.0'" in found[0].message
    assert [e.version for e in index.build(tmp_path).entries["greet"]] == ["1.1", "1.0"]  # the index keeps one


@pytest.mark.parametrize(("label", "name", "problem"), [
    ("0.2.0", "greet", None),
    ("v0.2.0", "greet", None),  # index drops the v: version 0.2.0
    ("0.2", "greet", None),
    ("latest", "greet", "version label 'latest' is not a version"),
    ("0.2.0", "hello", "name 'hello' differs from its folder 'greet'"),
])
def test_tep0115_layout_checked_as_the_index_reads_it(tmp_path: Path, label: str, name: str,
                                                       problem: str | None) -> None:
    from catalog_cli import index

    _write(tmp_path, "task/greet/greet.yaml", _bare(name, label=label))
    mismatches = [f.message for f in lint_paths([tmp_path]).findings if f.rule == "path-mismatch"]
    built = index.build(tmp_path)
    if problem is None:
        assert mismatches == []
        assert not built.warnings
        assert [e.version for e in built.entries["greet"]] == ["0.2" if label == "0.2" else "0.2.0"]
    else:
        assert len(mismatches) == 1 and mismatches[0].startswith(problem), mismatches
        assert built.warnings  # the index says something too: skipped, or a name unlike its folder


# --- never passed silently, never called clean ----------------------------------------

@pytest.mark.parametrize("text", [
    "apiVersion: pipelinesascode.tekton.dev/v1alpha1\nkind: Repository\nmetadata: {name: shop}\n"
    "spec: {url: 'https://github.com/acme/shop'}\n",
    "apiVersion: dashboard.tekton.dev/v1alpha1\nkind: Extension\nmetadata: {name: deployments}\n"
    "spec: {apiVersion: apps/v1, name: deployments, displayname: k8s deployments}\n",
    "apiVersion: tekton.dev/v1beta1\nkind: CustomRun\nmetadata: {name: r}\n"
    "spec: {customRef: {apiVersion: example.dev/v1, kind: Wait}}\n",
])
def test_known_kinds_lint_does_not_check_are_said_so(tmp_path: Path, text: str) -> None:
    """Pipelines-as-Code's Repository, the Dashboard's Extension, a CustomRun: known kinds, not
    errors, and not clean either: an info, and the summary counts them whatever --severity."""
    path = _write(tmp_path, "tekton/x.yaml", text)
    found = lint_paths([path]).findings
    assert [(f.rule, f.severity) for f in found] == [("not-checked", Severity.INFO)]
    res = run_cli("lint", "--severity", "warning", "-o", "json", str(path))
    assert res.code == 0
    assert res.json()["findings"] == [] and res.json()["summary"]["not_checked"] == 1
    assert "1 object of a kind lint does not check" in res.err


# --- issue 11, point 4: every item of its list has its reject/accept pair here ----------

#: The list's items, each as the (rule, words of the pair's `tekton` note or reject file)
#: that show it. A pair means: lint reports the rule on the reject file and keeps quiet on
#: the accept file (test_tekton_rejects, test_tekton_accepts).
ISSUE_LIST: dict[str, list[tuple[str, str]]] = {
    "empty steps": [("missing-steps", "steps")],
    "image missing": [("missing-image", "Step.Validate"), ("missing-image", "Sidecar")],
    "script with command": [("script-with-command", "script cannot be used with command"),
                            ("script-with-command", "stepTemplate")],
    "onError values": [("invalid-on-error", "continue or stopAndFail"), ("invalid-on-error", "retries")],
    "reserved mount paths and volume names": [("reserved-name", "/tekton/"), ("reserved-name", "tekton-internal-"),
                                              ("reserved-name", "tekton-log-results")],
    "workspace mountPath clashes": [("workspace-mount-clash", "mount path must be unique"),
                                    ("workspace-mount-clash", "volumeMount")],
    "StepAction ref mixed with image/script": [("step-ref-conflict", "cannot be used with Ref")],
    "param and result types and object properties": [
        ("invalid-param-type", "default type"), ("invalid-param-type", "ValidateObjectParamsHaveProperties"),
        ("invalid-result", "TaskResult.Validate (type)"), ("invalid-result", "object without properties"),
        ("invalid-result", "must be of type string")],
    "array params outside isolated args/command": [("forbidden-variable", "validateStepArrayUsage")],
    "unknown object keys": [("invalid-variable", "validateObjectUsage"), ("schema", "unknown field"),
                            ("schema", "strict")],
    "unknown $(context...) and invalid variable prefixes": [
        ("invalid-variable", "validateTaskContextVariables"), ("invalid-variable", "validatePipelineContextVariables"),
        ("invalid-variable", "valid prefixes")],
    "taskRef xor taskSpec": [("ref-or-spec", "validateRefOrSpec"), ("ref-or-spec", "TaskRunSpec")],
    "a param or workspace given twice in one pipeline task": [("duplicate-name", "a param given twice"),
                                                              ("duplicate-name", "a workspace bound twice")],
    "finally-task rules": [("invalid-finally", "runAfter"), ("invalid-finally", "ExecutionStatus"),
                           ("invalid-finally", "InFinally"), ("missing-tasks", "validateTasksAndFinallySection")],
    "when operators": [("invalid-when", "in or notin")],
    "matrix/params overlap": [("invalid-matrix", "validateParameterInOneOfMatrixOrParams")],
    "metadata.name over 63": [("invalid-name", "63")],
    "Triggers validation": [("invalid-trigger", "triggers"), ("undefined-param", "triggers"), ("schema", "triggers")],
    "unknown apiVersion tekton.dev/v2": [("unknown-api", "tekton.dev/v2")],
    "duplicate mapping keys": [("duplicate-key", "twice")],
    "metadata not a mapping": [("schema", "ObjectMeta")],
    "category outside Tekton Hub's list": [("invalid-category", "Hub")],
    "platform not os/arch": [("invalid-platform", "os/arch")],
    "an unchecked kind said not checked": [("not-checked", "CustomRun")],
    "Helm templates": [("template-file", "Helm")],
    "$(params...) in a step script": [("param-in-script", "injection")],
    "images on mutable tags": [("latest-image", "tag"), ("unpinned-image", "latest"), ("image-without-digest", "digest")],
    "a step script without #!": [("missing-shebang", "#!")],
}


@pytest.mark.parametrize("item", sorted(ISSUE_LIST))
def test_issue_list_item_has_its_pairs(item: str) -> None:
    for rule, words in ISSUE_LIST[item]:
        hits = [p for p in PAIRS if p["rule"] == rule and (words in p["tekton"] or words in p["reject"])]
        assert hits, f"{item}: no pair of {rule} about {words!r}"
