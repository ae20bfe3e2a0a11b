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

DATA = Path(__file__).resolve().parent / "data" / "lint"
PAIRS: list[dict[str, Any]] = yaml.safe_load((DATA / "tekton-rules.yaml").read_text(encoding="utf-8"))
IDS = [f"{p['rule']}-{i}" for i, p in enumerate(PAIRS)]
#: Rules that say what Tekton or the API server refuses.
REJECTING = {rid for rid, info in RULES.items() if info.origin in ("tekton", "kubernetes") and info.severity is Severity.ERROR}
#: Rules a pair here cannot show: the file-level ones have fixtures of their own (cases.yaml).
ELSEWHERE = {"yaml-syntax", "lint-crash", "removed-api", "undefined-volume", "missing-task-param",
             "missing-task-workspace"}


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
