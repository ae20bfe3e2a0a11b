"""``catalog lint`` end to end: the command, the tektoncd/catalog corpus, the schemas."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.lint import lint_paths

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "lint"
CORPUS = (ROOT / ".." / "shared" / "corpus" / "tektoncd-catalog").resolve()
CORPUS_TASKS = sorted(CORPUS.glob("task/*/*/*.yaml"))


def catalog(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point, as the `catalog` script does."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CATALOG_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-c", "from catalog_cli.cli.main import run; run()", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def _one_clear_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr
    return lines[0]


# --- the command ---------------------------------------------------------------------


def test_clean_file_exits_0_with_summary_on_stderr() -> None:
    res = catalog("lint", "tests/data/lint/catalog/task/hello/0.1/hello.yaml")
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    assert res.stderr.strip() == "1 file, 0 errors, 0 warnings"


def test_errors_exit_1_and_table_is_file_line_severity_rule_message() -> None:
    res = catalog("lint", "tests/data/lint/params.yaml")
    assert res.returncode == 1
    first = res.stdout.splitlines()[0]
    location, severity, rule, message = first.split(None, 3)
    assert location.startswith("tests/data/lint/params.yaml:")
    assert severity in ("error", "warning", "info") and rule and message
    assert "tests/data/lint/params.yaml:39  error    undefined-param  " in res.stdout
    assert res.stderr.strip().startswith("1 file, 4 errors, 5 warnings")


def test_warnings_fail_only_with_strict() -> None:
    path = "tests/data/lint/catalog/task/hello/0.1/hello.yaml"
    assert catalog("lint", path, "--strict").returncode == 0
    res = catalog("lint", "tests/data/lint/params.yaml", "--severity", "warning")
    assert "info" not in {line.split()[1] for line in res.stdout.splitlines()}
    only_warnings = catalog("lint", "tests/data/lint/workspaces.yaml", "--severity", "warning", "--strict")
    assert only_warnings.returncode == 1


def test_json_output_shape() -> None:
    res = catalog("lint", "-o", "json", "tests/data/lint/images.yaml")
    assert res.returncode == 1
    data = json.loads(res.stdout)
    assert set(data) == {"summary", "findings"}
    assert data["summary"] == {"files": 1, "errors": 2, "warnings": 12, "infos": 1, "not_checked": 0}
    for f in data["findings"]:
        assert set(f) == {"file", "line", "rule", "severity", "message"}
        assert isinstance(f["line"], int)
    assert data["findings"] == sorted(data["findings"], key=lambda f: (f["file"], f["line"], f["rule"]))
    again = catalog("lint", "-o", "json", "tests/data/lint/images.yaml")
    assert again.stdout == res.stdout


def test_missing_path_is_one_line_exit_3() -> None:
    res = catalog("lint", "no/such/file.yaml")
    assert res.returncode == 3
    assert res.stdout == ""
    assert res.stderr.strip() == "catalog: error: no/such/file.yaml: no such file or directory"


def test_directory_without_yaml_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("nothing here\n")
    res = catalog("lint", str(tmp_path))
    assert res.returncode == 2
    assert _one_clear_line(res.stderr) == f"catalog: error: {tmp_path}: no YAML files (*.yaml, *.yml) in this directory"


@pytest.mark.parametrize(
    ("name", "rule", "text"),
    [
        ("not-tekton.yaml", "not-tekton", "not a Tekton resource: found v1/ConfigMap"),
        ("empty.yaml", "not-tekton", "file is empty"),
        ("malformed.yaml", "yaml-syntax", "invalid YAML"),
        ("alias-bomb.yaml", "yaml-syntax", "alias bomb"),
        ("recursive-alias.yaml", "yaml-syntax", "recursive alias"),
        ("placeholder.yaml", "template-file", "looks like a template"),
    ],
)
def test_bad_files_are_one_clear_finding(name: str, rule: str, text: str) -> None:
    res = catalog("lint", f"tests/data/lint/{name}")
    assert res.returncode == (0 if rule == "template-file" else 1)
    assert "Traceback" not in res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"tests/data/lint/{name}:")
    assert f"  {rule}  " in lines[0] and text in lines[0]


def test_directories_skip_other_kinds_but_report_broken_files(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "run.yaml").write_text(
        "apiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: r}\nspec: {taskRef: {name: x}}\n"
    )
    (tmp_path / "rbac.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n")
    (tmp_path / "kustomization.yml").write_text("resources: [a.yaml]\n")
    (tmp_path / "empty.yaml").write_text("")
    assert catalog("lint", str(tmp_path)).returncode == 0
    (tmp_path / "broken.yaml").write_text("a: [\n")
    res = catalog("lint", str(tmp_path))
    assert res.returncode == 1
    assert f"{tmp_path / 'broken.yaml'}:2  error    yaml-syntax" in res.stdout
    assert res.stderr.strip() == "5 files, 1 error, 0 warnings"


def test_helper_resources_in_samples_skip_catalog_metadata_rules(tmp_path: Path) -> None:
    (tmp_path / "samples").mkdir()
    task = (DATA / "duplicates.yaml").read_text()
    (tmp_path / "samples" / "helper.yaml").write_text(task)
    rules = {f.rule for f in lint_paths([tmp_path]).findings}
    assert "duplicate-env" in rules
    assert not rules & {"missing-version-label", "missing-min-version", "missing-annotation"}


# --- the tektoncd/catalog corpus -----------------------------------------------------

def test_corpus_is_there() -> None:
    """The corpus tests below need ../shared/corpus; without it they fail rather than skip."""
    assert len(CORPUS_TASKS) >= 300, f"tektoncd-catalog corpus missing at {CORPUS}"


def test_corpus_lints_without_crashing_and_finds_what_tekton_lint_finds() -> None:
    report = lint_paths(CORPUS_TASKS)
    assert report.files == len(CORPUS_TASKS) >= 300
    assert not [f for f in report.findings if f.rule == "lint-crash"]
    expected: list[dict[str, Any]] = yaml.safe_load((DATA / "corpus-expected.yaml").read_text())
    assert len(expected) >= 13
    for want in expected:
        path = str(CORPUS / want["file"])
        hits = [
            f for f in report.findings
            if f.file == path and f.rule == want["rule"] and want["name"] in f.message
            and f.line == want.get("line", f.line)
        ]
        assert hits, f"missed {want}"


def _compare_script() -> Any:
    spec = importlib.util.spec_from_file_location("compare_tekton_lint", ROOT / "scripts" / "compare_tekton_lint.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_spot_check_is_the_documented_draw_and_still_holds() -> None:
    """The hand-checked findings are exactly what the documented procedure draws from lint's
    findings on the corpus today (one of each pattern, the rest at random), each one a
    finding Tekton refuses; and lint still reports them, with the same messages. When lint
    changes what it finds there, this fails until the new draw is checked by hand."""
    compare = _compare_script()
    checked: list[dict[str, Any]] = yaml.safe_load((DATA / "corpus-spotcheck.yaml").read_text())
    assert len(checked) == 30 and {c["verdict"] for c in checked} == {"rejects"}
    assert all(c["tekton"].strip() and c["tekton"] != "TODO" for c in checked)
    population = compare.spot_check_population(CORPUS)
    drawn = compare.draw_spot_check(population)
    key = ("file", "line", "rule", "message")
    assert [tuple(c[k] for k in key) for c in checked] == [tuple(d[k] for k in key) for d in drawn]
    patterns = {compare.pattern(f) for f in population}
    assert patterns == {compare.pattern(c) for c in checked}  # every kind of finding read at least once


def test_whole_corpus_directory_templates_are_said_not_broken() -> None:
    report = lint_paths([CORPUS])
    assert not [f for f in report.findings if f.rule == "lint-crash"]
    # The 9 sample files with {{PLACEHOLDER}} values are templates, said as such (info);
    # no file is broken YAML.
    assert not [f for f in report.findings if f.rule == "yaml-syntax"]
    templates = {f.file for f in report.findings if f.rule == "template-file"}
    assert len(templates) == 9
    assert all("/samples/" in t for t in templates)


PIPELINE_OF_CATALOG_TASKS = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: ship
spec:
  tasks:
    - name: clone
      taskRef:
        name: git-clone
    - name: other
      taskRef:
        name: no-such-task
"""


def _missing_refs(findings: Any) -> list[str]:
    return sorted(f.message.split("Task '")[1].split("'")[0] for f in findings if f.rule == "missing-task-ref")


def test_pipelines_may_name_the_catalogs_tasks(tmp_path: Path) -> None:
    """The command knows the default catalog's Tasks (here the built-in one's); the
    library knows what its caller hands in, and asks only when it needs to."""
    from .conftest import run_cli

    path = tmp_path / "ship.yaml"
    path.write_text(PIPELINE_OF_CATALOG_TASKS)
    res = run_cli("lint", "-o", "json", str(path))
    found = [f for f in res.json()["findings"] if f["rule"] == "missing-task-ref"]
    assert [f["message"] for f in found] == [
        "pipeline task 'other' refers to Task 'no-such-task', which is not among the linted files"]
    assert _missing_refs(lint_paths([path]).findings) == ["git-clone", "no-such-task"]
    asked: list[int] = []

    def names() -> list[str]:
        asked.append(1)
        return ["git-clone"]

    assert _missing_refs(lint_paths([path], catalog_tasks=names).findings) == ["no-such-task"]
    assert asked == [1]
    lint_paths([DATA / "catalog/task/hello/0.1/hello.yaml"], catalog_tasks=names)
    assert asked == [1]  # no Pipeline: the catalog was never opened


# --- schemas and the built-in catalog ------------------------------------------------


def test_committed_schemas_equal_a_fresh_generation() -> None:
    spec = importlib.util.spec_from_file_location("gen_schemas", ROOT / "scripts" / "gen_schemas.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    fresh = gen.generate()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "catalog_cli" / "schemas").glob("*.json")}
    assert set(fresh) == set(committed)
    for name, text in fresh.items():
        assert committed[name] == text, f"{name} is stale: run scripts/gen_schemas.py"


@pytest.mark.skipif(not (ROOT / "catalog").is_dir(), reason="built-in catalog not written yet")
def test_builtin_catalog_is_clean() -> None:
    res = catalog("lint", "--severity", "warning", "catalog")
    assert res.returncode == 0 and res.stdout == "", res.stdout


def _schema_documents() -> list[tuple[str, str, Any]]:
    from catalog_cli.lint.schema import SCHEMAS

    docs = []
    files = sorted(DATA.rglob("*.yaml")) + (sorted(CORPUS.rglob("*.yaml")) if CORPUS_TASKS else [])
    for path in files:
        try:
            loaded = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
        except (yaml.YAMLError, ValueError):
            continue
        for doc in loaded:
            if isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str):
                version = doc["apiVersion"].rpartition("/")[2]
                if (doc.get("kind"), version) in SCHEMAS and doc["apiVersion"].startswith("tekton.dev/"):
                    docs.append((doc["kind"], version, doc))
    return docs


def test_fast_validator_agrees_with_jsonschema() -> None:
    import copy

    from catalog_cli.lint.schema import fast_validator, validator

    docs = _schema_documents()
    assert len(docs) > 20
    mutated = []
    for kind, version, doc in docs[:50]:
        bad = copy.deepcopy(doc)
        bad.setdefault("spec", {})["unknownField"] = 1
        mutated.append((kind, version, bad))
        wrong = copy.deepcopy(doc)
        wrong["metadata"] = {"name": 5}
        mutated.append((kind, version, wrong))
    for kind, version, doc in docs + mutated:
        assert fast_validator(kind, version)(doc) == validator(kind, version).is_valid(doc)
    assert not any(fast_validator(k, v)(d) for k, v, d in mutated)
