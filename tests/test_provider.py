"""The catalog provider and resolve(): requirements as users write them, a catalog tree
in the tektoncd layout (dependencies from the annotation and from references), the
cluster's Tekton version, and the real tektoncd/catalog corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from catalog_cli import versions
from catalog_cli.sources import open_catalog
from catalog_cli.errors import InputError, NotFound, ResolutionError
from catalog_cli.model import DEPENDENCIES_ANNOTATION, Dependency, Entry
from catalog_cli.provider import CatalogProvider, resolve
from catalog_cli.requirements import Requirement, parse_requirement
from catalog_cli.resolver import Resolver
from catalog_cli.sources.memory import MemoryCatalog

from .conftest import TEKTON_CATALOG


@pytest.mark.parametrize(("text", "want"), [
    ("kubectl-deploy@^0.2", Requirement("kubectl-deploy", "^0.2")),
    ("git-clone@>=0.1 <1", Requirement("git-clone", ">=0.1 <1")),
    ("git-clone >=0.1 <1", Requirement("git-clone", ">=0.1 <1")),
    ("task/git-clone", Requirement("git-clone", "*", "Task")),
    ("stepaction/git-clone@0.2", Requirement("git-clone", "0.2", "StepAction")),
    ("Pipeline/build-push-gke-deploy@~0.1", Requirement("build-push-gke-deploy", "~0.1", "Pipeline")),
    ("kaniko@", Requirement("kaniko")),
])
def test_parse_requirement(text: str, want: Requirement) -> None:
    assert parse_requirement(text) == want


def test_requirement_prints_as_written_canonically() -> None:
    assert str(parse_requirement("task/git-clone@ ^0.2")) == "Task/git-clone@^0.2"
    assert str(parse_requirement("kaniko")) == "kaniko"


@pytest.mark.parametrize(("text", "message"), [
    ("Git_Clone", "Git_Clone: 'Git_Clone' is not a resource name (lower case, digits and '-')"),
    ("widget/x", "widget/x: unknown kind 'widget' (Task, Pipeline or StepAction)"),
    ("kaniko@banana", "kaniko@banana: invalid version range 'banana': 'banana' is not a version or a comparison"),
    ("@1.0", "@1.0: '' is not a resource name (lower case, digits and '-')"),
])
def test_bad_requirement_is_one_line_naming_it(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_requirement(text)
    assert str(info.value) == message


# -- a catalog tree in the tektoncd layout ---------------------------------------------
def _write(root: Path, kind: str, name: str, version: str, spec: dict, *, deps: str | None = None,
           min_version: str = "0.50.0") -> None:
    annotations = {"tekton.dev/pipelines.minVersion": min_version}
    if deps:
        annotations[DEPENDENCIES_ANNOTATION] = deps
    doc = {
        "apiVersion": "tekton.dev/v1" if kind != "StepAction" else "tekton.dev/v1beta1",
        "kind": kind,
        "metadata": {"name": name, "labels": {"app.kubernetes.io/version": version},
                     "annotations": annotations},
        "spec": spec,
    }
    folder = root / kind.lower() / name / version
    folder.mkdir(parents=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(doc))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    step = {"image": "alpine", "script": "true"}
    _write(root, "StepAction", "git-clone", "0.1", step)
    _write(root, "StepAction", "git-clone", "0.2", step, min_version="0.60.0")
    _write(root, "Task", "git-clone", "0.9", {"steps": [{"name": "clone", "ref": {"name": "git-clone"}}]})
    _write(root, "Task", "git-clone", "0.10", {"steps": [{"name": "clone", "ref": {"name": "git-clone"}}]},
           deps="stepaction/git-clone ^0.2")
    _write(root, "Task", "kubectl-deploy", "0.1", {"steps": [{"name": "s", **step}]})
    _write(root, "Task", "kubectl-deploy", "0.2", {"steps": [{"name": "s", **step}]}, min_version="0.56.0")
    _write(root, "Pipeline", "deploy-pipeline", "1.0", {"tasks": [
        {"name": "fetch", "taskRef": {"name": "git-clone"}},
        {"name": "deploy", "taskRef": {"name": "kubectl-deploy"}},
        {"name": "remote", "taskRef": {"resolver": "hub", "params": []}},  # not from the catalog
    ]}, deps="kubectl-deploy >=0.1 <1")
    return root


def _refs(res: object) -> list[str]:
    return [f"{e.kind}/{e.name} {e.version}" for e in res.entries]  # type: ignore[attr-defined]


def test_tree_pipeline_pulls_tasks_and_step_actions(tree: Path) -> None:
    res = resolve(open_catalog(str(tree)), [parse_requirement("deploy-pipeline")])
    assert _refs(res) == [
        "StepAction/git-clone 0.2", "Task/git-clone 0.10", "Task/kubectl-deploy 0.2",
        "Pipeline/deploy-pipeline 1.0",
    ]
    assert res[("Task", "git-clone")].version == "0.10"
    assert res.why("git-clone", "StepAction")[0] == (
        "StepAction/git-clone 0.2: required by git-clone 0.10 (^0.2), which is required by "
        "deploy-pipeline 1.0, which you asked for (deploy-pipeline)")


def test_tree_cluster_version_chooses_older_versions(tree: Path) -> None:
    res = resolve(open_catalog(str(tree)), [parse_requirement("deploy-pipeline")], versions.parse("0.55.0"))
    # git-clone 0.10 needs StepAction git-clone ^0.2, which needs Tekton 0.60: 0.9 takes any.
    assert _refs(res) == [
        "StepAction/git-clone 0.1", "Task/git-clone 0.9", "Task/kubectl-deploy 0.1",
        "Pipeline/deploy-pipeline 1.0",
    ]
    assert res.why("kubectl-deploy")[-1] == (
        "kubectl-deploy 0.1: the newest version satisfying >=0.1 <1 and Tekton 0.55.0")


def test_tree_cluster_too_old_is_explained(tree: Path) -> None:
    with pytest.raises(ResolutionError) as info:
        resolve(open_catalog(str(tree)), [parse_requirement("task/git-clone@0.10")], versions.parse("0.55.0"))
    assert str(info.value) == (
        "Because git-clone 0.10 depends on StepAction/git-clone ^0.2 which needs Tekton >=0.60.0 "
        "while the cluster runs 0.55.0, git-clone 0.10 cannot be installed.\n"
        "So, because you asked for git-clone 0.10, the requirements cannot be satisfied.")


def test_tree_reference_to_a_missing_task_names_the_pipeline(tree: Path) -> None:
    _write(tree, "Pipeline", "broken", "0.1", {"tasks": [{"name": "x", "taskRef": {"name": "no-such-task"}}]})
    with pytest.raises(NotFound) as info:
        resolve(open_catalog(str(tree)), [parse_requirement("broken")])
    assert str(info.value) == "broken 0.1 depends on no-such-task, which no catalog has"


def test_unknown_requirement_suggests_close_names(tree: Path) -> None:
    with pytest.raises(NotFound) as info:
        resolve(open_catalog(str(tree)), [parse_requirement("kubectl-deplo")])
    assert "no 'kubectl-deplo' in catalog" in str(info.value)
    assert "did you mean kubectl-deploy" in str(info.value)


def test_wrong_kind_is_named(tree: Path) -> None:
    with pytest.raises(NotFound) as info:
        resolve(open_catalog(str(tree)), [parse_requirement("stepaction/kubectl-deploy")])
    assert "'kubectl-deploy' is a Task" in str(info.value)


def test_dependency_with_unknown_kind_names_the_entry() -> None:
    cat = MemoryCatalog([Entry("a", "Task", "1.0", "a.yaml", "sha256:0",
                               dependencies=(Dependency("b", "*", "widget"),))])
    with pytest.raises(InputError) as info:
        resolve(cat, [Requirement("a")])
    assert str(info.value) == "a 1.0: unknown kind 'widget' in the dependency on b"


def test_each_name_is_read_from_the_catalog_once() -> None:
    """The solver, the masks and the preferred versions all ask for a name's versions;
    the catalog is read once per name (a folder catalog makes Entry objects each time)."""
    asked: list[str] = []

    class Counting(MemoryCatalog):
        def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
            asked.append(name)
            return super().versions(name, kind)

    entries = [Entry("a", "Task", v, "a.yaml", "sha256:0", dependencies=(Dependency("b", ">=1.0"),))
               for v in ("1.0", "2.0")]
    entries += [Entry("b", "Task", v, "b.yaml", "sha256:1") for v in ("1.0", "1.1", "2.0")]
    cat = Counting(entries)
    provider = CatalogProvider(cat, prefer={("Task", "b"): "1.1"})
    result = Resolver(provider).resolve([Requirement("a")])
    assert [(k[1], e.version) for k, e in result.chosen.items()] == [("b", "1.1"), ("a", "2.0")]
    assert sorted(asked) == ["a", "b"]

def test_invalid_min_version_does_not_block() -> None:
    cat = MemoryCatalog([Entry("a", "Task", "1.0", "a.yaml", "sha256:0", min_pipelines_version="soon")])
    assert resolve(cat, [Requirement("a")], versions.parse("0.50")).entries[0].version == "1.0"


def test_provider_satisfies_the_generic_protocol(tree: Path) -> None:
    # The resolver itself, straight over the provider: keys are (kind, name).
    provider = CatalogProvider(open_catalog(str(tree)), versions.parse("0.59.0"))
    result = Resolver(provider).resolve([Requirement("kubectl-deploy")])
    assert [(k, e.version) for k, e in result.chosen.items()] == [(("Task", "kubectl-deploy"), "0.2")]
    assert provider.name(("StepAction", "git-clone")) == "StepAction/git-clone"
    assert provider.name(("Task", "git-clone")) == "git-clone"


# -- the real tektoncd/catalog ---------------------------------------------------------
@pytest.fixture(scope="module")
def corpus() -> object:
    if not TEKTON_CATALOG.is_dir():
        pytest.skip("corpus not available")
    return open_catalog(str(TEKTON_CATALOG))


def test_corpus_pipeline_pulls_its_tasks(corpus: object) -> None:
    res = resolve(corpus, [parse_requirement("build-push-gke-deploy")])  # type: ignore[arg-type]
    assert _refs(res) == ["Task/gke-deploy 0.1", "Task/kaniko 0.7", "Pipeline/build-push-gke-deploy 0.1"]


@pytest.mark.parametrize(("tekton", "kaniko"), [("0.12.1", "0.2"), ("0.17.0", "0.6"), ("0.43.0", "0.7")])
def test_corpus_tekton_version_limits_kaniko(corpus: object, tekton: str, kaniko: str) -> None:
    res = resolve(corpus, [parse_requirement("build-push-gke-deploy")], versions.parse(tekton))  # type: ignore[arg-type]
    assert res[("Task", "kaniko")].version == kaniko


def test_corpus_cluster_older_than_everything(corpus: object) -> None:
    with pytest.raises(ResolutionError) as info:
        resolve(corpus, [parse_requirement("build-push-gke-deploy")], versions.parse("0.11.0"))  # type: ignore[arg-type]
    assert str(info.value) == (
        "Because you asked for build-push-gke-deploy which needs Tekton >=0.12.1 while the cluster "
        "runs 0.11.0, the requirements cannot be satisfied.")


def test_corpus_git_clone_versions_order_semantically(corpus: object) -> None:
    res = resolve(corpus, [parse_requirement("task/git-clone@>=0.9")])  # type: ignore[arg-type]
    assert res[("Task", "git-clone")].version == "0.10"
