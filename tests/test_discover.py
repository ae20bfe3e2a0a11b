"""list, search, info, versions: on the built-in catalog and on tektoncd/catalog as it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from .conftest import BUILTIN, TEKTON_CATALOG, run_cli

BUILTIN_TASKS = {"git-clone", "maven-jib-build", "kaniko", "kubectl-deploy", "yq-update"}


def test_list_builtin_json() -> None:
    r = run_cli("list", "-o", "json")
    assert r.code == 0, r.err
    names = {item["name"] for item in r.json()}
    assert names >= BUILTIN_TASKS
    for item in r.json():
        assert len(item["versions"]) >= 2, item


def test_search_git_json_lists_git_clone_newest_first() -> None:
    r = run_cli("search", "git", "-o", "json")
    assert r.code == 0, r.err
    hits = {h["name"]: h for h in r.json()}
    versions = hits["git-clone"]["versions"]
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    assert hits["git-clone"]["latest"] == versions[0]


def test_search_table_and_names() -> None:
    r = run_cli("search", "kaniko")
    assert r.code == 0
    assert r.out.splitlines()[0].split()[:3] == ["NAME", "KIND", "LATEST"]
    assert "kaniko" in r.out
    assert run_cli("search", "kaniko", "--kind", "task", "-o", "name").out == "kaniko\n"


def test_search_yaml_output_parses() -> None:
    r = run_cli("search", "deploy", "-o", "yaml")
    assert r.code == 0
    assert "kubectl-deploy" in {h["name"] for h in yaml.safe_load(r.out)}


def test_search_nothing_found_exits_1() -> None:
    r = run_cli("search", "no-such-thing-anywhere", "-o", "json")
    assert r.code == 1
    assert r.json() == []
    assert "no resource matches" in r.err


def test_search_corpus_orders_versions_semantically() -> None:
    r = run_cli("search", "git-clone", "--catalog", str(TEKTON_CATALOG), "--kind", "task", "-o", "json")
    assert r.code == 0, r.err
    hit = next(h for h in r.json() if h["name"] == "git-clone")
    assert hit["versions"][:2] == ["0.10", "0.9"]
    assert hit["versions"][-1] == "0.1"


@pytest.mark.parametrize(
    ("option", "value", "must", "must_not"),
    [
        ("--category", "Git", "git-clone", "kaniko"),
        ("--tag", "yq", "yq", "kaniko"),
        ("--platform", "linux/s390x", "git-clone", "jumpstarter-run-cmd"),
    ],
)
def test_search_filters_on_corpus(option: str, value: str, must: str, must_not: str) -> None:
    r = run_cli("search", "--catalog", str(TEKTON_CATALOG), option, value, "-o", "name")
    assert r.code == 0, r.err
    names = r.out.split()
    assert must in names
    assert must_not not in names


def test_search_ranks_name_first_then_description() -> None:
    r = run_cli("search", "buildah", "--catalog", str(TEKTON_CATALOG), "-o", "name")
    assert r.out.split()[0] == "buildah"
    r = run_cli("search", "dockerfile", "--catalog", str(TEKTON_CATALOG), "-o", "name")
    assert "kaniko" in r.out.split()  # matched by its description, not its name


def test_search_matches_every_word_anywhere_ranked() -> None:
    r = run_cli("search", "build image", "-o", "name")
    assert r.code == 0, r.err
    assert "kaniko" in r.out.split()  # "builds ... into a container image": words apart, in its description
    r = run_cli("search", "image build", "--catalog", str(TEKTON_CATALOG), "-o", "name")
    names = r.out.split()
    assert {"kaniko", "buildah"} <= set(names)
    # Names holding a word come before those found by their description alone.
    ranks = [any(w in n for w in ("image", "build")) for n in names]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] and not ranks[-1]
    r = run_cli("search", "kaniko nosuchword", "-o", "name")
    assert r.code == 1 and r.out.split() == []


def test_list_search_and_info_say_which_repo(tmp_path: Path) -> None:
    team = tmp_path / "team"
    shutil.copytree(BUILTIN, team)
    shutil.rmtree(team / "task" / "kaniko")
    assert run_cli("index", str(team)).code == 0
    assert run_cli("repo", "add", "team", str(team)).code == 0
    r = run_cli("search", "", "-o", "json")
    repo_of = {h["name"]: h["repo"] for h in r.json()}
    assert repo_of["git-clone"] == "team" and repo_of["kaniko"] == "builtin"
    r = run_cli("list")
    header, *rows = r.out.splitlines()
    assert "REPO" in header.split()
    assert any(row.split()[0] == "kaniko" and "builtin" in row.split() for row in rows)
    assert run_cli("info", "git-clone", "-o", "json").json()["repo"] == "team"
    assert "Repo:         builtin" in run_cli("info", "kaniko").out


def test_corpus_warnings_go_to_stderr_and_stdout_stays_json() -> None:
    r = run_cli("list", "--catalog", str(TEKTON_CATALOG), "-o", "json")
    assert r.code == 0
    assert len(r.json()) >= 171
    assert "task/yq/0.5/yq.yaml: version label '0.4' differs" in r.err


def test_info_builtin_kubectl_deploy() -> None:
    r = run_cli("info", "kubectl-deploy", "-o", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["name"] == "kubectl-deploy"
    assert d["version"] == d["versions"][0]
    assert d["params"] and all(p["description"] for p in d["params"])
    assert d["workspaces"] and d["results"]
    assert d["rbac"], "kubectl-deploy talks to the cluster and must carry its RBAC"
    for rule in d["rbac"]:
        assert not any("*" in v for key in ("apiGroups", "resources", "verbs") for v in rule.get(key, []))


def test_info_at_version_and_text_form() -> None:
    r = run_cli("info", "git-clone@0.1")
    assert r.code == 0, r.err
    assert r.out.startswith("git-clone 0.1")
    assert "Params:" in r.out and "Workspaces:" in r.out and "Results:" in r.out
    assert "RBAC: none" in r.out


def test_info_kind_prefix_on_corpus() -> None:
    r = run_cli("info", "stepaction/git-clone", "--catalog", str(TEKTON_CATALOG), "-o", "json")
    assert r.code == 0, r.err
    assert r.json()["kind"] == "StepAction"
    r = run_cli("info", "git-clone", "--catalog", str(TEKTON_CATALOG), "-o", "json")
    assert r.json()["kind"] == "Task"  # a bare name prefers the Task
    assert r.json()["version"] == "0.10"


def test_versions_newest_first() -> None:
    r = run_cli("versions", "git-clone", "--catalog", str(TEKTON_CATALOG), "-o", "name")
    assert r.out.split()[:3] == ["0.10", "0.9", "0.8"]
    r = run_cli("versions", "kaniko", "-o", "json")
    assert [v["version"] for v in r.json()] == ["0.2", "0.1"]


def test_catalog_from_environment(tmp_path) -> None:
    r = run_cli("search", "yq", "-o", "name", env={"CATALOG_SOURCE": str(TEKTON_CATALOG)})
    assert r.out.split()[0] == "yq"


def test_info_template_lists_its_parameters() -> None:
    r = run_cli("info", "java-maven-jib", "-o", "json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["kind"] == "Template"
    params = {p["name"]: p for p in d["params"]}
    assert {"name", "git-url", "image"} <= set(params)
    assert "default" not in params["git-url"]  # required: no default
    assert params["branch"]["default"] == "main"


def test_info_of_a_template_shows_the_rbac_it_generates() -> None:
    r = run_cli("info", "java-maven-jib", "-o", "json")
    assert r.code == 0, r.err
    roles = r.json()["generatedRbac"]
    by = {(x["variant"], x["kind"], x["name"]): x for x in roles}
    pipeline = by[("triggers", "Role", "example-pipeline")]
    assert pipeline["file"] == ".tekton/rbac.yaml" and pipeline["boundTo"] == ["ServiceAccount example-pipeline"]
    # kubectl-deploy's own rbac.yaml, merged into the Role the pipeline runs with
    assert any("deployments" in rule["resources"] for rule in pipeline["rules"])
    assert ("triggers", "ClusterRole", "default:example-listener") in by
    assert ("pipelines-as-code", "Role", "example-pipeline") in by
    for role in roles:
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
    text = run_cli("info", "java-maven-jib").out
    assert "RBAC it generates (for a service named example):" in text
    assert "RBAC: none" not in text
