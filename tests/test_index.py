"""index.yaml: deterministic writing, --check, the real tektoncd/catalog's oddities."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from catalog_cli import index
from catalog_cli.errors import IndexStale, InputError, NotFound

from .conftest import ROOT, TEKTON_CATALOG, assert_one_line_error, run_cli

TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: {name}
  labels:
    app.kubernetes.io/version: "{version}"
  annotations:
    tekton.dev/pipelines.minVersion: "0.50.0"
    tekton.dev/tags: demo
spec:
  description: A demo task.
  steps:
    - name: run
      image: busybox:1.36
      script: echo hi
"""


def make_catalog(root: Path, versions: dict[str, list[str]]) -> Path:
    for name, vs in versions.items():
        for v in vs:
            d = root / "task" / name / v
            d.mkdir(parents=True)
            (d / f"{name}.yaml").write_text(TASK.format(name=name, version=v))
            (d / "README.md").write_text(f"# {name} {v}\n")
    return root


@pytest.fixture(scope="module")
def corpus_index() -> index.Index:
    return index.build(TEKTON_CATALOG)


def test_corpus_counts(corpus_index: index.Index) -> None:
    tasks = [e for e in corpus_index if e.kind == "Task"]
    assert len(tasks) == 300
    assert len({e.name for e in tasks}) == 171


def test_corpus_newest_first_semver(corpus_index: index.Index) -> None:
    git_clone = [e.version for e in corpus_index.versions("git-clone") if e.kind == "Task"]
    assert git_clone[:3] == ["0.10", "0.9", "0.8"]
    assert git_clone[-1] == "0.1"


def test_corpus_oddities_are_warnings_naming_the_file(corpus_index: index.Index) -> None:
    text = [str(w) for w in corpus_index.warnings]
    expected = [
        "task/yq/0.5/yq.yaml: version label '0.4' differs from its folder '0.5'",
        "task/python-boto3-aws/0.1/python-boto3-aws.yaml: metadata.name 'python-boto3' differs",
        "task/python-sdk-azure/0.1/python-sdk-azure.yaml: metadata.name 'python-azure-sdk' differs",
        "task/jumpstarter-run-cmd/0.1/jumpstarter-run-cmd.yaml: metadata.name",
        "task/jumpstarter-get-lease/0.1/jumpstarter-get-lease.yaml: no app.kubernetes.io/version label",
        "pipeline/openwhisk/0.1: version folder has no openwhisk.yaml",
    ]
    for want in expected:
        assert any(t.startswith(want) for t in text), f"missing warning {want!r} in {text}"


def test_corpus_task_and_stepaction_share_a_name(corpus_index: index.Index) -> None:
    kinds = {e.kind for e in corpus_index.versions("git-clone")}
    assert kinds == {"Task", "StepAction"}


def test_pipeline_task_refs_are_dependencies(corpus_index: index.Index) -> None:
    pipeline = corpus_index.versions("build-push-gke-deploy")[0]
    assert pipeline.kind == "Pipeline"
    assert {d.name for d in pipeline.dependencies} >= {"kaniko"}
    assert all(d.range == "*" and d.kind == "Task" for d in pipeline.dependencies)


def test_same_tree_same_bytes(tmp_path: Path) -> None:
    a = make_catalog(tmp_path / "a", {"zeta": ["0.1", "0.10", "0.9"], "alpha": ["1.0"]})
    b = tmp_path / "b"
    shutil.copytree(a, b)
    assert index.render(index.build(a)) == index.render(index.build(b))
    target, idx = index.write(a)
    first = target.read_bytes()
    index.write(a)
    assert target.read_bytes() == first
    assert [e.version for e in idx.versions("zeta")] == ["0.10", "0.9", "0.1"]


def test_every_file_has_a_digest(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    entry = index.build(tmp_path).versions("demo")[0]
    assert entry.digest == index.sha256_file(tmp_path / "task/demo/0.1/demo.yaml")
    assert [f.path for f in entry.files] == ["task/demo/0.1/README.md", "task/demo/0.1/demo.yaml"]
    assert all(f.digest.startswith("sha256:") and len(f.digest) == 71 for f in entry.files)


def test_check_detects_a_stale_index(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    index.write(tmp_path)
    index.check(tmp_path)  # fresh: no error
    (tmp_path / "task/demo/0.1/README.md").write_text("# changed\n")
    with pytest.raises(IndexStale):
        index.check(tmp_path)
    r = run_cli("index", "--check", str(tmp_path))
    assert r.code == 4
    assert "stale" in r.err


def test_check_without_index(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    with pytest.raises(IndexStale, match="no index.yaml"):
        index.check(tmp_path)


def test_builtin_index_is_current() -> None:
    """Both committed indexes: the repository's own (paths catalog/...), which makes a
    checkout served over HTTP a catalog, and catalog/index.yaml, which the wheel ships."""
    for args in ((), ("catalog",)):
        r = run_cli("index", "--check", "--strict", *args)
        assert r.code == 0, r.err
        assert "up to date" in r.err and "warning" not in r.err


def test_the_top_level_index_names_files_under_catalog() -> None:
    top, package = index.load(ROOT / "index.yaml"), index.load(ROOT / "catalog" / "index.yaml")
    assert len(top) == len(package) > 0
    for a, b in zip(top, package, strict=True):
        assert a.path == f"catalog/{b.path}" and a.digest == b.digest
        assert [f.path for f in a.files] == [f"catalog/{f.path}" for f in b.files]
        assert (ROOT / a.path).is_file()


def test_the_repository_served_as_it_is_is_a_catalog(tmp_path: Path) -> None:
    from .httpserve import serve

    shutil.copytree(ROOT / "catalog", tmp_path / "repo" / "catalog")
    shutil.copy(ROOT / "index.yaml", tmp_path / "repo" / "index.yaml")
    with serve(tmp_path / "repo") as url:
        assert run_cli("repo", "add", "acme", url).code == 0
        r = run_cli("info", "acme/kubectl-deploy@0.2", "-o", "json")
        assert r.code == 0, r.err
        assert r.json()["path"] == "catalog/task/kubectl-deploy/0.2/kubectl-deploy.yaml"
        assert r.json()["params"] and r.json()["mismatches"] == []


def test_a_folder_holding_catalog_is_indexed_where_asked(tmp_path: Path) -> None:
    make_catalog(tmp_path / "catalog", {"demo": ["0.1"]})
    target, idx = index.write(tmp_path)
    assert target == tmp_path / "index.yaml"
    assert not (tmp_path / "catalog" / "index.yaml").exists()
    assert idx.versions("demo")[0].path == "catalog/task/demo/0.1/demo.yaml"
    assert index.load(target).versions("demo")[0].files[0].path == "catalog/task/demo/0.1/README.md"


def test_json_format_round_trips(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1", "0.2"]})
    target, built = index.write(tmp_path, "json")
    assert json.loads(target.read_text())["entries"]["demo"][0]["version"] == "0.2"
    assert index.load(target).entries == built.entries
    index.check(tmp_path)  # the format of the committed file is kept


def test_load_rejects_a_bad_digest_field(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    target, _ = index.write(tmp_path)
    target.write_text(target.read_text().replace("digest: sha256:", "digest: md5:", 1))
    with pytest.raises(InputError, match=r"entries\.demo\[0\]\.digest"):
        index.load(target)


def test_not_a_catalog(tmp_path: Path) -> None:
    (tmp_path / "something").mkdir()
    with pytest.raises(NotFound, match="no catalog here"):
        index.build(tmp_path)
    r = run_cli("index", str(tmp_path))
    assert_one_line_error(r, str(tmp_path), "no catalog here")
    assert not (tmp_path / "index.yaml").exists()


def test_wildcard_rbac_is_flagged(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    (tmp_path / "task/demo/0.1/rbac.yaml").write_text(
        "rules:\n- apiGroups: ['']\n  resources: ['secrets']\n  verbs: ['*']\n"
    )
    idx = index.build(tmp_path)
    assert any("grants '*' in verbs" in str(w) for w in idx.warnings)


# -- what the walk passes over is a warning; --strict fails on it ---------------------

def test_skipped_files_are_warnings(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    (tmp_path / "task/stray.yaml").write_text(TASK.format(name="stray", version="0.1"))
    (tmp_path / "task/demo/old.yaml").write_text(TASK.format(name="demo", version="0.0.1"))
    (tmp_path / "task/empty").mkdir()
    (tmp_path / "task/artifacthub-repo.yml").write_text("owners: []\n")  # metadata: no warning
    (tmp_path / "task/demo/OWNERS").write_text("approvers: [someone]\n")
    assert [str(w) for w in index.build(tmp_path).warnings] == [
        "task/stray.yaml: not in a task/<name>/ folder; skipped",
        "task/demo/old.yaml: not in a version folder, and not demo.yaml; skipped",
        "task/empty: neither empty.yaml nor version folders (e.g. 0.1/empty.yaml); skipped",
    ]


def test_strict_writes_nothing_and_fails_on_warnings(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"]})
    (tmp_path / "task/stray.yaml").write_text("kind: Task\n")
    r = run_cli("index", "--strict", str(tmp_path))
    assert r.code == 2
    assert "warning: task/stray.yaml: not in a task/<name>/ folder; skipped" in r.err
    assert r.err.strip().splitlines()[-1] == (
        f"catalog: error: {tmp_path}: 1 warning and --strict: fix them or drop --strict")
    assert not (tmp_path / "index.yaml").exists()
    assert run_cli("index", str(tmp_path)).code == 0  # without --strict: written, warned
    assert run_cli("index", "--check", str(tmp_path)).code == 0
    assert run_cli("index", "--check", "--strict", str(tmp_path)).code == 2


def test_same_version_twice_is_one_entry_and_a_warning(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.3.1", "v0.3.1"]})
    idx = index.build(tmp_path)
    assert [e.version for e in idx.versions("demo")] == ["0.3.1"]
    assert [str(w) for w in idx.warnings] == [
        "task/demo/v0.3.1/demo.yaml: Task demo v0.3.1 is also task/demo/0.3.1/demo.yaml; skipped"]


def test_an_empty_catalog_is_never_silent(tmp_path: Path) -> None:
    (tmp_path / "tasks/demo").mkdir(parents=True)
    (tmp_path / "tasks/demo/demo.yaml").write_text(TASK.format(name="demo", version="latest"))
    idx = index.build(tmp_path)
    assert len(idx) == 0
    assert [str(w) for w in idx.warnings] == [
        "tasks/demo/demo.yaml: version label 'latest' is not a version, and no version folder to take one "
        "from; skipped",
        ".: no resources found: nothing to list",
    ]
    r = run_cli("list", "--catalog", str(tmp_path))
    assert r.code == 0 and "no resources found" in r.err


def test_check_names_what_the_index_lacks(tmp_path: Path) -> None:
    make_catalog(tmp_path, {"demo": ["0.1"], "gone": ["0.1"]})
    index.write(tmp_path)
    shutil.rmtree(tmp_path / "task/gone")
    d = tmp_path / "tasks/demo/0.2"  # a plural folder beside the singular one: the same kind
    d.mkdir(parents=True)
    (d / "demo.yaml").write_text(TASK.format(name="demo", version="0.2"))
    (tmp_path / "task/demo/0.1/README.md").write_text("# changed\n")
    r = run_cli("index", "--check", str(tmp_path))
    assert r.code == 4
    assert r.err.strip() == (
        f"catalog: error: {tmp_path / 'index.yaml'}: index.yaml is stale (lacks Task demo 0.2, which the tree "
        "has; has Task gone 0.1, which the tree has not; differs from the tree on Task demo 0.1): "
        "run `catalog index` and commit it")


def test_builtin_catalog_metadata() -> None:
    """OWNERS for the catalog and for each resource (TEP-0079, in TEP-0003's place), and
    Artifact Hub's repository file where its Tekton tasks repository URL points."""
    import yaml

    builtin = ROOT / "catalog"
    owners = [builtin / "OWNERS"] + [e.parent.parent / "OWNERS" for e in
                                     (builtin / Path(x.path) for x in index.load(builtin))]
    for file in sorted(set(owners)):
        data = yaml.safe_load(file.read_text())
        assert set(data) == {"approvers", "reviewers"}, file
        assert data["approvers"] and all(isinstance(a, str) for a in data["approvers"]), file
    ah = yaml.safe_load((builtin / "task" / "artifacthub-repo.yml").read_text())
    assert set(ah) <= {"repositoryID", "owners", "ignore"}
    assert all(set(o) == {"name", "email"} for o in ah["owners"])
