"""What each template generates, byte for byte (golden files), and that it lints clean.

Refresh the golden files after a deliberate template change with:

    CATALOG_UPDATE_GOLDEN=1 python -m pytest tests/test_scaffold_golden.py
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from catalog_cli.lint import Severity, lint_paths

from .conftest import run_cli
from .test_scaffold_cases import CASES, GOLDEN, UPDATE_ENV, case_id, scaffold_args, task_dirs


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_matches_golden_files(case: tuple[str, str, str], tmp_path: Path) -> None:
    out = tmp_path / ".tekton"
    r = run_cli(*scaffold_args(*case, out))
    assert r.code == 0, r.err
    got = tree(out)
    golden = GOLDEN / case_id(case)
    if os.environ.get(UPDATE_ENV):
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(out, golden)
    assert golden.is_dir(), f"no golden files: run with {UPDATE_ENV}=1"
    assert got == tree(golden)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_lints_clean_with_its_tasks(case: tuple[str, str, str]) -> None:
    golden = GOLDEN / case_id(case)
    record = yaml.safe_load((golden / ".catalog-answers.yaml").read_text())
    report = lint_paths([golden, *task_dirs(record["dependencies"])], min_severity=Severity.INFO)
    assert [f"{f.file}:{f.line} {f.rule} {f.message}" for f in report.findings] == []


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_digest_flows_from_the_build_into_the_deploy(case: tuple[str, str, str]) -> None:
    """The build's IMAGE_URL@IMAGE_DIGEST is what yq writes, and deploy runs after it."""
    pipeline = yaml.safe_load((GOLDEN / case_id(case) / "pipeline.yaml").read_text())
    tasks = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert [t["taskRef"]["name"] for t in pipeline["spec"]["tasks"]] == [
        "git-clone", "maven-jib-build" if case[0] == "java-maven-jib" else "kaniko", "yq-update", "kubectl-deploy"]
    params = {p["name"]: p["value"] for p in tasks["set-image"]["params"]}
    assert params["value"] == "$(tasks.build-image.results.IMAGE_URL)@$(tasks.build-image.results.IMAGE_DIGEST)"
    assert tasks["deploy"]["runAfter"] == ["set-image"]
    build = {p["name"]: p["value"] for p in tasks["build-image"]["params"]}
    assert build["image"] == "$(params.image):$(tasks.fetch-source.results.commit)"


def test_triggers_check_the_signature_and_the_branch() -> None:
    docs = list(yaml.safe_load_all((GOLDEN / "java-maven-jib@0.2-triggers" / "triggers.yaml").read_text()))
    listener = next(d for d in docs if d["kind"] == "EventListener")
    github, cel = listener["spec"]["triggers"][0]["interceptors"]
    assert github["ref"]["name"] == "github"
    assert {p["name"]: p["value"] for p in github["params"]} == {
        "secretRef": {"secretName": "github-webhook", "secretKey": "token"}, "eventTypes": ["push"]}
    assert cel["ref"]["name"] == "cel"
    assert cel["params"][0]["value"] == "body.ref == 'refs/heads/main' && !body.deleted"
    template = next(d for d in docs if d["kind"] == "TriggerTemplate")
    run = template["spec"]["resourcetemplates"][0]
    assert run["spec"]["params"] == [{"name": "git-revision", "value": "$(tt.params.git-revision)"}]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_rbac_is_least_privilege(case: tuple[str, str, str]) -> None:
    golden = GOLDEN / case_id(case)
    for path in golden.glob("*rbac.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            for rule in doc.get("rules") or ():
                for field in ("apiGroups", "resources", "verbs"):
                    assert "*" not in "".join(rule.get(field, ())), (path.name, rule)
                assert "secrets" not in rule["resources"], (path.name, rule)
    roles = [d for d in yaml.safe_load_all((golden / "rbac.yaml").read_text()) if d["kind"] == "Role"]
    # The run's Role is the union of the tasks' rbac.yaml: here kubectl-deploy's.
    assert roles[0]["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch", "create", "patch"]},
        {"apiGroups": [""], "resources": ["services"], "verbs": ["create", "patch"]},
    ]


def test_pipelines_as_code_variant_has_no_triggers() -> None:
    golden = GOLDEN / "java-maven-jib@0.2-pipelines-as-code"
    assert sorted(p.name for p in golden.iterdir()) == [
        ".catalog-answers.yaml", "kustomization.yaml", "pipeline.yaml", "pipelinerun-push.yaml", "rbac.yaml"]
    run = yaml.safe_load((golden / "pipelinerun-push.yaml").read_text())
    annotations = run["metadata"]["annotations"]
    assert annotations["pipelinesascode.tekton.dev/on-event"] == "[push]"
    assert annotations["pipelinesascode.tekton.dev/on-target-branch"] == "[main]"
    assert {p["name"]: p["value"] for p in run["spec"]["params"]} == {
        "git-url": "{{ repo_url }}", "git-revision": "{{ revision }}"}


def test_kustomization_never_lists_a_pipelinerun() -> None:
    for case in CASES:
        golden = GOLDEN / case_id(case)
        resources = yaml.safe_load((golden / "kustomization.yaml").read_text())["resources"]
        assert all((golden / r).is_file() for r in resources)
        for r in resources:
            kinds = {d["kind"] for d in yaml.safe_load_all((golden / r).read_text())}
            assert "PipelineRun" not in kinds, (case, r)


def test_scaffolded_directory_lints_clean_on_its_own(tmp_path) -> None:
    """`catalog lint .tekton/` with nothing else: the Tasks it uses come from the catalog."""
    from .conftest import run_cli

    r = run_cli("scaffold", "java-maven-jib", "--name", "orders", "--git-url", "https://example.com/o.git",
                "--image", "registry.example.com/orders", "-n", "team-a", "--dir", str(tmp_path / ".tekton"))
    assert r.code == 0, r.err
    r = run_cli("lint", str(tmp_path / ".tekton"), "--severity", "info")
    assert r.code == 0, r.out
    assert r.out == "" and "0 errors, 0 warnings" in r.err
