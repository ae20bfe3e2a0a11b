"""What each template generates, byte for byte (golden files), and that it lints clean.

Refresh the golden files after a deliberate template change with:

    CATALOG_UPDATE_GOLDEN=1 python -m pytest tests/test_scaffold_golden.py
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.lint import Severity, lint_paths

from . import pacsim
from .conftest import run_cli
from .test_scaffold_cases import CASES, GOLDEN, REPOSITORY_LAYOUT, UPDATE_ENV, case_id, find, scaffold_args, task_dirs


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_matches_golden_files(case: tuple[str, str, str], tmp_path: Path) -> None:
    out = tmp_path / "svc"  # the .tekton folder of earlier versions, the repository of later ones
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
    pipeline = yaml.safe_load(find(GOLDEN / case_id(case), "pipeline.yaml").read_text())
    tasks = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert [task_name(t["taskRef"]) for t in pipeline["spec"]["tasks"]] == [
        "git-clone", "maven-jib-build" if case[0] == "java-maven-jib" else "kaniko", "yq-update", "kubectl-deploy"]
    params = {p["name"]: p["value"] for p in tasks["set-image"]["params"]}
    assert params["value"] == "$(tasks.build-image.results.IMAGE_URL)@$(tasks.build-image.results.IMAGE_DIGEST)"
    assert tasks["deploy"]["runAfter"] == ["set-image"]
    build = {p["name"]: p["value"] for p in tasks["build-image"]["params"]}
    assert build["image"] == "$(params.image):$(tasks.fetch-source.results.commit)"


def task_name(ref: dict[str, Any]) -> str:
    """The Task a taskRef names: by name, or through the cluster resolver's params."""
    if "resolver" not in ref:
        return str(ref["name"])
    params = {p["name"]: p["value"] for p in ref["params"]}
    assert ref["resolver"] == "cluster" and params["kind"] == "task", ref
    assert params["namespace"] == "$(context.pipelineRun.namespace)", ref
    return str(params["name"])


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
    for path in golden.rglob("*rbac.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            for rule in doc.get("rules") or ():
                for field in ("apiGroups", "resources", "verbs"):
                    assert "*" not in "".join(rule.get(field, ())), (path.name, rule)
                assert "secrets" not in rule["resources"], (path.name, rule)
    roles = [d for d in yaml.safe_load_all(find(golden, "rbac.yaml").read_text()) if d["kind"] == "Role"]
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
        assert resources
        assert all((golden / r).is_file() for r in resources)
        for r in resources:
            kinds = {d["kind"] for d in yaml.safe_load_all((golden / r).read_text())}
            assert "PipelineRun" not in kinds, (case, r)


@pytest.mark.parametrize("variant", ["triggers", "pipelines-as-code"])
@pytest.mark.parametrize("folder", [".tekton", "."])
def test_scaffolded_directory_lints_clean_on_its_own(variant: str, folder: str, tmp_path: Path) -> None:
    """`catalog lint .tekton/` (and the whole scaffold) with nothing else: the Tasks it
    uses come from the catalog."""
    args = ["--pipelines-as-code"] if variant == "pipelines-as-code" else []
    r = run_cli("scaffold", "java-maven-jib", "--name", "orders", "--git-url", "https://example.com/o.git",
                "--image", "registry.example.com/orders", "-n", "team-a", "--dir", str(tmp_path), *args)
    assert r.code == 0, r.err
    r = run_cli("lint", str(tmp_path / folder), "--severity", "info")
    assert r.code == 0, r.out
    assert r.out == "" and "0 errors, 0 warnings" in r.err


NEW = [c for c in CASES if c[1] in REPOSITORY_LAYOUT]
#: The kinds whose objects are cluster-scoped (they name the namespace in their names).
CLUSTER_KINDS = {"ClusterRole", "ClusterRoleBinding"}
#: What pipelines-as-code expands in .tekton/ (pkg/customparams/standard.go, and
#: git_auth_secret in pkg/pipelineascode/match.go), as {{ NAME }} (keys.ParamsRe).
PAC_VARIABLES = {"revision", "repo_url", "repo_owner", "repo_name", "target_branch", "source_branch",
                 "git_tag", "source_url", "sender", "target_namespace", "event_type", "trigger_comment",
                 "pull_request_labels", "pull_request_number", "git_auth_secret"}
PAC_PLACEHOLDER = pacsim.PARAMS_RE
#: pkg/matcher/annotation_matcher.go: an annotation value is [a, b] or one word.
PAC_ANNOTATION_VALUE = pacsim.ANNOTATION_VALUE


def documents(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(p.relative_to(folder).as_posix(), d) for p in sorted(folder.rglob("*.yaml"))
            for d in yaml.safe_load_all(p.read_text()) if isinstance(d, dict)]


@pytest.mark.parametrize("case", NEW, ids=case_id)
def test_no_object_names_a_namespace(case: tuple[str, str, str]) -> None:
    """kubectl apply -n (or a kustomization) puts them where they go; only the Triggers
    listener's cluster-scoped objects, outside .tekton/, are named after the namespace."""
    golden = GOLDEN / case_id(case)
    for path, doc in documents(golden):
        if doc["kind"] in ("Kustomization", "ScaffoldAnswers"):
            continue
        if doc["kind"] in CLUSTER_KINDS:
            assert path == "tekton-setup/cluster-rbac.yaml" and doc["metadata"]["name"].startswith("team-a:")
            continue
        assert "namespace" not in doc["metadata"], path
        for subject in doc.get("subjects") or ():
            assert "namespace" not in subject, path  # a RoleBinding's own namespace is its subjects'


@pytest.mark.parametrize("case", NEW, ids=case_id)
def test_tekton_folder_holds_only_objects_applied_as_they_are(case: tuple[str, str, str]) -> None:
    """kubectl apply -f .tekton/ refuses a kustomization, an answers file and a
    generateName; Pipelines-as-Code reports whatever it cannot decode as a Tekton object."""
    folder = GOLDEN / case_id(case) / ".tekton"
    assert all(p.suffix == ".yaml" for p in folder.rglob("*") if p.is_file())
    kinds = set()
    for path, doc in documents(folder):
        kinds.add(doc["kind"])
        assert doc["metadata"].get("name"), path
    if case[2] == "pipelines-as-code":
        assert kinds == {"Pipeline", "PipelineRun"}
    else:
        assert "PipelineRun" not in kinds and not kinds & CLUSTER_KINDS
    root = yaml.safe_load((GOLDEN / case_id(case) / "kustomization.yaml").read_text())["resources"]
    assert all((GOLDEN / case_id(case) / r).is_file() for r in root)


@pytest.mark.parametrize("case", [c for c in NEW if c[2] == "pipelines-as-code"], ids=case_id)
def test_pipelines_as_code_runs_it_with_its_default_settings(case: tuple[str, str, str]) -> None:
    """What pipelines-as-code's resolve and matcher packages do with .tekton/: the run's
    pipelineRef (no resolver) is looked up among the Pipelines in .tekton/ and inlined; a
    taskRef without a resolver would be inlined too, and fail unless the Task were in
    .tekton/ or an annotation; {{ }} names only its variables; the clone credentials
    are the Secret it makes for each run."""
    folder = GOLDEN / case_id(case) / ".tekton"
    docs = documents(folder)
    pipelines = {d["metadata"]["name"]: d for _, d in docs if d["kind"] == "Pipeline"}
    (run,) = [d for _, d in docs if d["kind"] == "PipelineRun"]
    assert "resolver" not in run["spec"]["pipelineRef"]
    pipeline = pipelines[run["spec"]["pipelineRef"]["name"]]
    for task in pipeline["spec"]["tasks"] + pipeline["spec"].get("finally", []):
        assert task["taskRef"].get("resolver"), task["name"]
    for key, value in run["metadata"]["annotations"].items():
        if key.startswith("pipelinesascode.tekton.dev/on-"):
            assert PAC_ANNOTATION_VALUE.match(value), (key, value)
    assert run["metadata"]["annotations"]["pipelinesascode.tekton.dev/on-event"] == "[push]"
    text = "".join(p.read_text() for p in folder.rglob("*.yaml"))
    assert {m.strip() for m in PAC_PLACEHOLDER.findall(text)} <= PAC_VARIABLES
    workspaces = {w["name"]: w for w in run["spec"]["workspaces"]}
    assert workspaces["git-auth"]["secret"]["secretName"] == "{{ git_auth_secret }}"
    fetch = next(t for t in pipeline["spec"]["tasks"] if task_name(t["taskRef"]) == "git-clone")
    assert {"name": "basic-auth", "workspace": "git-auth"} in fetch["workspaces"]
    assert {p["name"]: p["value"] for p in run["spec"]["params"]} == {
        "git-url": "{{ repo_url }}", "git-revision": "{{ revision }}"}


PAC_NEW = [c for c in NEW if c[2] == "pipelines-as-code"]
#: The standard params of a push to main of github.com/example-org/orders.
PUSH = {"revision": "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "repo_url": "https://github.com/example-org/orders",
        "repo_owner": "example-org", "repo_name": "orders", "target_branch": "main", "source_branch": "main",
        "git_tag": "", "source_url": "https://github.com/example-org/orders", "sender": "dev",
        "target_namespace": "team-a", "event_type": "push", "trigger_comment": "", "pull_request_labels": ""}
SECRET = "pac-gitauth-qwertyu"


@pytest.mark.parametrize("case", PAC_NEW, ids=case_id)
def test_pipelines_as_code_makes_one_complete_run_per_push_to_the_branch(case: tuple[str, str, str]) -> None:
    """The run Pipelines-as-Code creates from .tekton/ (tests/pacsim.py): the Pipeline
    inlined, every Task left to the cluster resolver, nothing left to template, the
    clone Secret bound, every param and required workspace given."""
    folder = GOLDEN / case_id(case) / ".tekton"
    (run,) = pacsim.runs_for_push(folder, branch="main", params=PUSH, secret=SECRET)
    assert pacsim.runs_for_push(folder, branch="refs/heads/main", params=PUSH, secret=SECRET) == [run]
    assert pacsim.runs_for_push(folder, branch="release", params=PUSH, secret=SECRET) == []
    assert "{{" not in json.dumps(run)
    assert run["metadata"]["generateName"] == "orders-on-push-" and "name" not in run["metadata"]
    spec = run["spec"]
    assert "pipelineRef" not in spec
    pipeline = spec["pipelineSpec"]
    assert [t["taskRef"]["resolver"] for t in pipeline["tasks"]] == ["cluster"] * len(pipeline["tasks"])
    assert {p["name"]: p["value"] for p in spec["params"]} == {"git-url": PUSH["repo_url"],
                                                               "git-revision": PUSH["revision"]}
    assert {p["name"] for p in pipeline["params"] if "default" not in p} <= {p["name"] for p in spec["params"]}
    bound = {w["name"]: w for w in spec["workspaces"]}
    assert {w["name"] for w in pipeline["workspaces"] if not w.get("optional")} <= set(bound)
    assert set(bound) <= {w["name"] for w in pipeline["workspaces"]}
    assert bound["git-auth"]["secret"] == {"secretName": SECRET}


def test_the_pipelines_as_code_check_is_not_vacuous(tmp_path: Path) -> None:
    """What Pipelines-as-Code refuses, the simulation refuses too: 0.3's .tekton/
    (a kustomization beside the runs, Tasks by name), a Task without a resolver, a
    pipelineRef to no Pipeline there, an annotation in the wrong format."""
    with pytest.raises(pacsim.PacError, match="error decoding yaml document"):
        pacsim.runs_for_push(GOLDEN / "java-maven-jib@0.3-pipelines-as-code", branch="main", params=PUSH,
                             secret=SECRET)
    for doc in yaml.safe_load_all((GOLDEN / "java-maven-jib@0.3-pipelines-as-code" / "pipeline.yaml").read_text()):
        assert "resolver" not in doc["spec"]["tasks"][0]["taskRef"]  # what 0.3 left PaC to inline

    def edited(name: str, change: Any) -> Path:
        folder = tmp_path / name / ".tekton"
        shutil.copytree(GOLDEN / "java-maven-jib@0.4-pipelines-as-code" / ".tekton", folder)
        for path in folder.glob("*.yaml"):
            doc = yaml.safe_load(path.read_text())
            change(doc)
            path.write_text(yaml.safe_dump(doc))
        return folder

    def by_name(doc: dict[str, Any]) -> None:
        if doc["kind"] == "Pipeline":
            doc["spec"]["tasks"][0]["taskRef"] = {"name": "git-clone"}

    def renamed(doc: dict[str, Any]) -> None:
        if doc["kind"] == "Pipeline":
            doc["metadata"]["name"] = "other"

    def bad_annotation(doc: dict[str, Any]) -> None:
        if doc["kind"] == "PipelineRun":
            doc["metadata"]["annotations"][pacsim.ON_TARGET_BRANCH] = "main, release"

    for name, change, needle in [("by-name", by_name, "cannot find referenced task git-clone"),
                                 ("renamed", renamed, "cannot find referenced pipeline orders"),
                                 ("annotation", bad_annotation, "in wrong format")]:
        with pytest.raises(pacsim.PacError, match=needle):
            pacsim.runs_for_push(edited(name, change), branch="main", params=PUSH, secret=SECRET)
