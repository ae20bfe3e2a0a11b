"""Where a repo is published (repo add --bundles/--git) and what `catalog info` shows of
dependencies through resolvers: via which, and whether into a known catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalog_cli import repos
from catalog_cli.errors import InputError
from catalog_cli.known import KnownCatalog

from .conftest import assert_one_line_error, run_cli
from .test_resources_resolvers import acme_tree

GIT = "https://git.example.com/acme/catalog.git"


def test_a_repo_says_where_else_it_is_published(tmp_path: Path, settings: object) -> None:
    root = acme_tree(tmp_path)
    r = run_cli("repo", "add", "acme", str(root), "--git", GIT, "--bundles", "registry.example.com/acme")
    assert r.code == 0, r.err
    data = yaml.safe_load(repos.config_path(settings).read_text())  # type: ignore[arg-type]
    assert data["repos"][0] == {"name": "acme", "url": str(root), "git": GIT,
                                     "bundles": "registry.example.com/acme"}
    known = repos.known(settings, ("run.example/cat",))  # type: ignore[arg-type]
    assert known.catalogs == (KnownCatalog("acme", (str(root), GIT), ("registry.example.com/acme",)),
                              KnownCatalog("builtin"))
    assert known.bundles == ("run.example/cat",)


@pytest.mark.parametrize(("args", "needle"), [
    (["--bundles", "registry.example.com/acme:0.1"], "--bundles takes REGISTRY/REPOSITORY, without a tag"),
    (["--bundles", "no-registry"], "expected REGISTRY/REPOSITORY"),
    (["--git", "git.example.com/acme"], "--git takes the URL the git resolver clones"),
    (["--git", "https://user:secret@git.example.com/acme"], "may not carry a user name or password"),
])
def test_bad_publication_places_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    r = run_cli("repo", "add", "acme", str(acme_tree(tmp_path)), *args)
    assert_one_line_error(r, needle)
    assert "secret" not in r.err


def test_a_config_written_by_hand_is_checked(tmp_path: Path, settings: object) -> None:
    path = repos.config_path(settings)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True)
    path.write_text("repos:\n- {name: acme, url: /x, git: [a]}\n")
    with pytest.raises(InputError, match=r"repos\[0\]: git must be a string"):
        repos.load(settings)  # type: ignore[arg-type]


def test_info_says_via_which_resolver_and_what_is_external(tmp_path: Path) -> None:
    root = acme_tree(tmp_path)
    assert run_cli("repo", "add", "acme", str(root), "--git", GIT).code == 0
    r = run_cli("info", "ci")
    assert r.code == 0, r.err
    deps = r.out.split("Dependencies:\n", 1)[1].splitlines()
    assert deps == [
        "  Task/git-clone =0.1.0  via hub builtin/git-clone 0.1",
        "  Task/golangci-lint =0.2.0  via hub (default catalog)/golangci-lint 0.2; external: the hub's default "
        "catalog: no configured repo (name one in the catalog param)",
        "  Task/kaniko =0.2.0  via bundles registry.example.com/cat/kaniko:0.2; external: "
        "registry.example.com/cat is no configured bundle source",
        "  Task/kubectl-deploy *  via cluster ci-tasks/kubectl-deploy",
        "  Task/trivy-scanner =0.2.0  via bundles gcr.io/tekton-releases/catalog/upstream/trivy-scanner:0.2 "
        "(taskRef.bundle); external: gcr.io/tekton-releases/catalog/upstream is no configured bundle source",
        f"  Task/yq-update =0.2.0  via git {GIT}@main:task/yq-update/0.2/yq-update.yaml",
    ]
    data = run_cli("info", "ci", "-o", "json").json()["dependencies"]
    assert data[0] == {"name": "git-clone", "range": "=0.1.0", "kind": "Task", "via": {
        "resolver": "hub", "params": {"catalog": "builtin", "name": "git-clone", "version": "0.1"}},
        "reference": "hub builtin/git-clone 0.1", "external": None, "repo": "builtin"}
    assert data[5]["repo"] == "acme" and data[5]["external"] is None
    assert data[3]["external"] is None and "repo" not in data[3]  # cluster: whichever repo has it

