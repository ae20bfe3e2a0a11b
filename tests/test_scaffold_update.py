"""``catalog scaffold --update``: a folder generated from java-maven-jib 0.1, brought to 0.2,
with no edits, with edits the merge keeps, with a real conflict, and as a dry run; and from
0.2 to the newest version, which renames only the cluster-scoped objects."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.sources import open_catalog
from catalog_cli.lint import Severity, lint_paths
from catalog_cli.scaffold import ANSWERS_FILE, create, update
from catalog_cli.scaffold.answers import read_record
from catalog_cli.scaffold.merge import three_way

from .conftest import assert_one_line_error, run_cli
from .test_scaffold_cases import scaffold_args, task_dirs


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog(None)


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """A service's .tekton/ as java-maven-jib 0.1 generated it."""
    out = tmp_path / "svc" / ".tekton"
    r = run_cli(*scaffold_args("java-maven-jib", "0.1", "triggers", out))
    assert r.code == 0, r.err
    return out


def fresh(tmp_path: Path, version: str, *extra: str) -> Path:
    out = tmp_path / f"fresh-{version}"
    r = run_cli(*scaffold_args("java-maven-jib", version, "triggers", out), *extra)
    assert r.code == 0, r.err
    return out


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_untouched_folder_becomes_exactly_the_new_version(old: Path, tmp_path: Path) -> None:
    r = run_cli("scaffold", "java-maven-jib@0.2", "--update", "--dir", str(old))
    assert r.code == 0, r.err
    assert "java-maven-jib 0.1 -> 0.2" in r.err
    want = fresh(tmp_path, "0.2")
    assert {p.name: p.read_text() for p in old.iterdir()} == {p.name: p.read_text() for p in want.iterdir()}
    assert read_record(old).version == "0.2"
    assert read_record(old).dependencies == {
        "task/git-clone": "0.2", "task/kubectl-deploy": "0.2", "task/maven-jib-build": "0.2",
        "task/yq-update": "0.2"}


def test_local_edits_are_kept(old: Path, builtin: Any) -> None:
    edit(old / "pipeline.yaml", "      value: $(params.git-revision)\n",
         "      value: $(params.git-revision)\n    - name: depth\n      value: '0'\n")
    edit(old / "pipelinerun.yaml", "storage: 1Gi", "storage: 5Gi")
    edit(old / "triggers.yaml", "    value: $(body.after)", "    value: $(body.head_commit.id)")
    outcome = update(builtin, old, version="0.2")
    actions = {c.path: c.action for c in outcome.changes}
    assert actions["pipeline.yaml"] == "merge"
    assert actions["pipelinerun.yaml"] == "unchanged"  # 0.2 did not change it: the edit stays
    assert not outcome.conflicts
    pipeline = yaml.safe_load((old / "pipeline.yaml").read_text())
    tasks = {t["name"]: t for t in pipeline["spec"]["tasks"]}
    assert {"name": "depth", "value": "0"} in tasks["fetch-source"]["params"]  # the edit
    assert {"name": "timeout", "value": "$(params.rollout-timeout)"} in tasks["deploy"]["params"]  # 0.2
    assert "5Gi" in (old / "pipelinerun.yaml").read_text()
    assert "$(body.head_commit.id)" in (old / "triggers.yaml").read_text()
    # The merged pipeline is still right against the 0.2 tasks it now uses.
    report = lint_paths([old, *task_dirs(read_record(old).dependencies)], min_severity=Severity.WARNING)
    assert report.findings == ()


def test_a_conflict_is_reported_with_both_sides(old: Path) -> None:
    edit(old / "pipeline.yaml", "    app.kubernetes.io/version: '0.1'", "    app.kubernetes.io/version: 0.1-orders")
    r = run_cli("scaffold", "java-maven-jib@0.2", "--update", "--dir", str(old))
    assert r.code == 1, r
    assert "conflict in pipeline.yaml at line" in r.err
    assert "app.kubernetes.io/version: 0.1-orders" in r.err  # yours
    assert "app.kubernetes.io/version: '0.2'" in r.err  # the template's
    text = (old / "pipeline.yaml").read_text()
    assert "<<<<<<< local\n    app.kubernetes.io/version: 0.1-orders\n=======\n" in text
    assert ">>>>>>> template java-maven-jib 0.2\n" in text
    assert "- name: rollout-timeout" in text  # the rest of 0.2 merged in around it
    assert read_record(old).version == "0.2"


def test_update_refuses_while_conflict_markers_remain(old: Path) -> None:
    edit(old / "pipeline.yaml", "    app.kubernetes.io/version: '0.1'", "    app.kubernetes.io/version: 0.1-orders")
    assert run_cli("scaffold", "java-maven-jib@0.2", "--update", "--dir", str(old)).code == 1
    before = snapshot(old)
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(old))
    assert_one_line_error(r, "pipeline.yaml", "still has a conflict marker from the last update")
    assert r.code == 2 and snapshot(old) == before
    # Resolved by hand: the update goes on.
    text = (old / "pipeline.yaml").read_text()
    start, end = text.index("<<<<<<< local\n"), text.index(">>>>>>> template java-maven-jib 0.2\n")
    mine = text[start:end].split("=======\n")[0].removeprefix("<<<<<<< local\n")
    (old / "pipeline.yaml").write_text(text[:start] + mine + text[end + len(">>>>>>> template java-maven-jib 0.2\n"):])
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(old))
    assert "still has a conflict marker" not in r.err


def test_a_conflict_is_not_installed(old: Path) -> None:
    edit(old / "pipeline.yaml", "    app.kubernetes.io/version: '0.1'", "    app.kubernetes.io/version: mine")
    r = run_cli("scaffold", "--update", "--dir", str(old), "--install", "-n", "team-a",
                "--kubeconfig", "/nonexistent/kubeconfig")
    assert r.code == 1
    assert "not installed: resolve the conflicts first" in r.err


def test_dry_run_shows_the_diff_and_writes_nothing(old: Path) -> None:
    edit(old / "pipeline.yaml", "    app.kubernetes.io/version: '0.1'", "    app.kubernetes.io/version: mine")
    before = snapshot(old)
    r = run_cli("scaffold", "java-maven-jib@0.2", "--update", "--dry-run", "--dir", str(old))
    assert r.code == 1  # the conflict it would leave
    assert snapshot(old) == before
    assert "--- a/pipeline.yaml\n+++ b/pipeline.yaml\n" in r.out
    assert "+  - name: rollout-timeout\n" in r.out
    assert "+<<<<<<< local\n" in r.out
    assert "-version: '0.1'\n+version: '0.2'\n" in r.out  # the answers file's diff
    assert "dry run, nothing written" in r.err


def test_dry_run_without_conflicts_exits_zero(old: Path) -> None:
    before = snapshot(old)
    r = run_cli("scaffold", "--update", "--dry-run", "--dir", str(old))
    assert r.code == 0, r.err
    assert snapshot(old) == before
    assert "+    - name: timeout\n" in r.out or "+    - name: timeout" in r.out


def test_update_again_changes_nothing(old: Path) -> None:
    assert run_cli("scaffold", "--update", "--dir", str(old)).code == 0
    before = snapshot(old)
    r = run_cli("scaffold", "--update", "--dir", str(old))
    assert r.code == 0, r.err
    assert "0 files changed" in r.err
    assert snapshot(old) == before


def test_a_deleted_file_stays_deleted(old: Path, builtin: Any) -> None:
    (old / "pipelinerun.yaml").unlink()
    outcome = update(builtin, old, version="0.3")
    assert {c.path: (c.action, c.note) for c in outcome.changes}["pipelinerun.yaml"] == (
        "keep", "deleted locally; not recreated")
    assert not (old / "pipelinerun.yaml").exists()


def test_update_takes_new_answers_and_keeps_the_old(old: Path) -> None:
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(old), "--set", "maven-args=-Pprod",
                "--set", "rollout-timeout=10m")
    assert r.code == 0, r.err
    record = read_record(old)
    assert record.answers["maven-args"] == ["-Pprod"]
    assert record.answers["rollout-timeout"] == "10m"
    assert record.answers["git-url"] == "https://github.com/example-org/orders.git"


def test_update_to_a_named_version(old: Path, builtin: Any) -> None:
    outcome = update(builtin, old, version="0.1")
    assert outcome.version == "0.1"
    assert all(c.action == "unchanged" for c in outcome.changes)


def test_update_of_a_folder_never_scaffolded(tmp_path: Path) -> None:
    r = run_cli("scaffold", "--update", "--dir", str(tmp_path))
    assert r.code == 3
    assert_one_line_error(r, ANSWERS_FILE, "scaffold this folder first")


def test_scaffold_refuses_a_scaffolded_folder(old: Path) -> None:
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", old))
    assert_one_line_error(r, "already scaffolded from java-maven-jib 0.1", "--update")


def test_scaffold_refuses_to_overwrite_other_files(tmp_path: Path, builtin: Any) -> None:
    out = tmp_path / ".tekton"
    out.mkdir()
    (out / "pipeline.yaml").write_text("# mine\n")
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", out))
    assert_one_line_error(r, "would overwrite pipeline.yaml", "--force")
    assert sorted(p.name for p in out.iterdir()) == ["pipeline.yaml"]
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", out), "--force")
    assert r.code == 0, r.err
    assert (out / ANSWERS_FILE).is_file()


def test_scaffold_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / ".tekton"
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", out), "--dry-run")
    assert r.code == 0, r.err
    assert not out.exists()
    assert "--- /dev/null\n+++ b/pipeline.yaml\n" in r.out


def test_json_output_names_every_file(old: Path) -> None:
    r = run_cli("scaffold", "java-maven-jib@0.2", "--update", "--dir", str(old), "-o", "json")
    assert r.code == 0, r.err
    data = r.json()
    assert (data["template"], data["fromVersion"], data["version"]) == ("java-maven-jib", "0.1", "0.2")
    assert {f["path"]: f["action"] for f in data["files"]}["pipeline.yaml"] == "update"


def test_edited_files_merge_when_the_base_cannot_be_rebuilt(old: Path, builtin: Any) -> None:
    """A hand-edited answers file (a wrong hash) makes the file a whole conflict, never a silent loss."""
    edit(old / "pipeline.yaml", "      value: $(params.manifests)", "      value: deploy/production")
    record = (old / ANSWERS_FILE).read_text()
    (old / ANSWERS_FILE).write_text(record.replace("pipeline.yaml: sha256:", "pipeline.yaml: sha256:0"))
    outcome = update(builtin, old, version="0.3", dry_run=True)
    assert {c.path: c.action for c in outcome.changes}["pipeline.yaml"] == "conflict"
    assert any("could not be regenerated exactly" in n for n in outcome.notes)


@pytest.mark.parametrize(("base", "local", "new", "want", "conflicts"), [
    ("a\nb\nc\n", "a\nb\nc\n", "a\nB\nc\n", "a\nB\nc\n", 0),          # untouched: take new
    ("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n", "A\nb\nC\n", 0),          # both, apart: merge
    ("a\nb\nc\n", "a\nX\nc\n", "a\nY\nc\n", None, 1),                 # both, same line: conflict
    ("a\nb\nc\n", "a\nY\nc\n", "a\nY\nc\n", "a\nY\nc\n", 0),          # same change on both sides
])
def test_three_way(base: str, local: str, new: str, want: str | None, conflicts: int) -> None:
    merged = three_way("f.yaml", base, local, new, "t 1")
    assert len(merged.conflicts) == conflicts
    if want is not None:
        assert merged.text == want
    else:
        assert merged.text == "a\n<<<<<<< local\nX\n=======\nY\n>>>>>>> template t 1\nc\n"
        assert merged.conflicts[0].local == ("X\n",) and merged.conflicts[0].template == ("Y\n",)


def test_create_then_update_through_the_library(tmp_path: Path, builtin: Any) -> None:
    out = tmp_path / ".tekton"
    create(builtin, "java-maven-jib", version="0.1", folder=out,
           given={"name": "orders", "git-url": "https://x.example/o.git", "image": "r.example/o"})
    outcome = update(builtin, out, version="0.2", dry_run=True)
    assert outcome.from_version == "0.1" and outcome.version == "0.2"
    assert "+  - name: maven-args\n" in outcome.diff


@pytest.mark.parametrize("variant", ["triggers", "pipelines-as-code"])
def test_kaniko_template_updates_too(variant: str, tmp_path: Path) -> None:
    out = tmp_path / "svc"
    assert run_cli(*scaffold_args("dockerfile-kaniko", "0.1", variant, out)).code == 0
    r = run_cli("scaffold", "dockerfile-kaniko@0.2", "--update", "--dir", str(out), "--set", "build-target=runtime")
    assert r.code == 0, r.err
    want = tmp_path / "want"
    assert run_cli(*scaffold_args("dockerfile-kaniko", "0.2", variant, want), "--set", "build-target=runtime").code == 0
    assert {p.name: p.read_text() for p in out.iterdir()} == {p.name: p.read_text() for p in want.iterdir()}
    assert read_record(out).variant == variant


def test_update_when_the_old_version_left_the_catalog(tmp_path: Path) -> None:
    """A private catalog that dropped 0.1: untouched files still update (their hash says
    so); an edited one becomes a whole-file conflict rather than losing the edit."""
    from .conftest import BUILTIN

    cat = tmp_path / "cat"
    shutil.copytree(BUILTIN, cat)
    out = tmp_path / "svc"
    assert run_cli(*scaffold_args("java-maven-jib", "0.1", "triggers", out), "--catalog", str(cat)).code == 0
    edit(out / "pipelinerun.yaml", "storage: 1Gi", "storage: 5Gi")
    shutil.rmtree(cat / "template" / "java-maven-jib" / "0.1")
    assert run_cli("index", str(cat)).code == 0
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(out), "-o", "json")  # the recorded catalog
    assert r.code == 1, r.err
    data = r.json()
    assert any("cannot rebuild what java-maven-jib 0.1 generated" in n for n in data["notes"])
    actions = {f["path"]: f["action"] for f in data["files"]}
    assert actions["pipeline.yaml"] == "update" and actions["pipelinerun.yaml"] == "conflict"
    assert "storage: 5Gi" in (out / "pipelinerun.yaml").read_text()


@pytest.mark.parametrize("template", ["java-maven-jib", "dockerfile-kaniko"])
def test_0_3_renames_only_the_cluster_scoped_objects(template: str, tmp_path: Path) -> None:
    """0.3 names the listener's ClusterRole and ClusterRoleBinding NAMESPACE:NAME-listener
    (two services can no longer share one); nothing else changes."""
    out = tmp_path / ".tekton"
    assert run_cli(*scaffold_args(template, "0.2", "triggers", out)).code == 0
    r = run_cli("scaffold", f"{template}@0.3", "--update", "--dir", str(out), "-o", "json")
    assert r.code == 0, r.err
    data = r.json()
    assert (data["fromVersion"], data["version"]) == ("0.2", "0.3")
    changed = {f["path"] for f in data["files"] if f["action"] != "unchanged"}
    assert changed == {"triggers-rbac.yaml", "pipeline.yaml", ANSWERS_FILE}  # the Pipeline: its version label
    docs = {d["kind"]: d for d in yaml.safe_load_all((out / "triggers-rbac.yaml").read_text())}
    assert docs["ClusterRole"]["metadata"]["name"] == "team-a:orders-listener"
    assert docs["ClusterRoleBinding"]["metadata"]["name"] == "team-a:orders-listener"
    assert docs["ClusterRoleBinding"]["roleRef"]["name"] == "team-a:orders-listener"


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("variant", ["triggers", "pipelines-as-code"])
def test_0_4_moves_an_untouched_scaffold_out_of_the_tekton_folder(variant: str, tmp_path: Path) -> None:
    """0.3 wrote everything into .tekton/; 0.4 writes the repository around it: updated
    without edits, the folder becomes exactly what 0.4 makes, nothing left behind."""
    out = tmp_path / "svc" / ".tekton"
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", variant, out)).code == 0
    r = run_cli("scaffold", "--update", "--dir", str(out))
    assert r.code == 0, r.err
    assert f"moved from {out} to {out.parent}" in r.err
    want = tmp_path / "want"
    assert run_cli(*scaffold_args("java-maven-jib", "0.4", variant, want)).code == 0
    assert tree(out.parent) == tree(want)
    r = run_cli("scaffold", "--update", "--dir", str(out))  # found in the repository now
    assert r.code == 0 and "0 files changed" in r.err, r.err


def test_0_4_merges_edits_into_the_files_that_move(tmp_path: Path, builtin: Any) -> None:
    repo = tmp_path / "svc"
    out = repo / ".tekton"
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", "pipelines-as-code", out)).code == 0
    edit(out / "pipelinerun-push.yaml", "max-keep-runs: '5'", "max-keep-runs: '9'")
    edit(out / "kustomization.yaml", "kind: Kustomization\n", "kind: Kustomization\nnamePrefix: x-\n")
    before = tree(repo)
    preview = update(builtin, out, dry_run=True)
    assert tree(repo) == before  # a dry run writes nothing
    outcome = update(builtin, out)
    assert preview.changes == outcome.changes and not outcome.conflicts
    actions = {c.path: (c.action, c.note) for c in outcome.changes}
    assert actions[".tekton/pipelinerun-push.yaml"] == ("merge", "your edits kept")
    assert actions["kustomization.yaml"] == ("merge", "moved from .tekton/kustomization.yaml; your edits kept")
    assert actions[".tekton/kustomization.yaml"] == ("delete", "moved to kustomization.yaml")
    assert actions["tekton-setup/rbac.yaml"] == ("update", "moved from .tekton/rbac.yaml")
    assert actions[".tekton/.catalog-answers.yaml"] == ("delete", f"moved to {ANSWERS_FILE}")
    assert sorted(p.name for p in out.iterdir()) == ["pipeline.yaml", "pipelinerun-push.yaml"]
    run = yaml.safe_load((out / "pipelinerun-push.yaml").read_text())
    assert run["metadata"]["annotations"]["pipelinesascode.tekton.dev/max-keep-runs"] == "9"
    assert run["spec"]["workspaces"][-1] == {"name": "git-auth", "secret": {"secretName": "{{ git_auth_secret }}"}}
    assert yaml.safe_load((repo / "kustomization.yaml").read_text()) == {
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namePrefix": "x-",
        "resources": ["tekton-setup/rbac.yaml"]}
    assert read_record(repo).version == "0.4"


def test_0_4_keeps_a_moved_file_you_deleted_deleted(tmp_path: Path, builtin: Any) -> None:
    out = tmp_path / "svc" / ".tekton"
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", "triggers", out)).code == 0
    (out / "pipelinerun.yaml").unlink()
    outcome = update(builtin, out)
    assert {c.path: (c.action, c.note) for c in outcome.changes}["tekton-setup/pipelinerun.yaml"] == (
        "keep", "deleted locally; not recreated")
    assert not (out.parent / "tekton-setup" / "pipelinerun.yaml").exists()


def test_0_4_needs_the_scaffold_in_a_tekton_folder(tmp_path: Path) -> None:
    out = tmp_path / "svc"
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", "triggers", out)).code == 0
    before = tree(tmp_path)
    r = run_cli("scaffold", "--update", "--dir", str(out))
    assert_one_line_error(r, str(out), "not in a folder named .tekton")
    assert tree(tmp_path) == before
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(tmp_path / "svc"))
    assert r.code == 0, r.err


def test_going_back_from_0_4_to_one_folder_is_refused(tmp_path: Path) -> None:
    assert run_cli(*scaffold_args("java-maven-jib", "0.4", "triggers", tmp_path)).code == 0
    r = run_cli("scaffold", "java-maven-jib@0.3", "--update", "--dir", str(tmp_path))
    assert_one_line_error(r, "writes one folder", "cannot go back")


def test_a_tekton_folder_given_to_0_4_means_the_repository_around_it(tmp_path: Path) -> None:
    r = run_cli(*scaffold_args("java-maven-jib", "0.4", "pipelines-as-code", tmp_path / ".tekton"))
    assert r.code == 0, r.err
    assert "writing into" in r.err
    assert (tmp_path / ANSWERS_FILE).is_file() and (tmp_path / "kustomization.yaml").is_file()
    assert sorted(p.name for p in (tmp_path / ".tekton").iterdir()) == ["pipeline.yaml", "pipelinerun-push.yaml"]
    r = run_cli(*scaffold_args("java-maven-jib", "0.4", "pipelines-as-code", tmp_path))
    assert_one_line_error(r, "already scaffolded from java-maven-jib 0.4", "--update")


def test_an_earlier_scaffold_in_the_tekton_folder_is_not_scaffolded_over(tmp_path: Path) -> None:
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", "triggers", tmp_path / ".tekton")).code == 0
    r = run_cli(*scaffold_args("java-maven-jib", "0.4", "triggers", tmp_path))
    assert_one_line_error(r, "already scaffolded from java-maven-jib 0.3", "--update")


def test_update_finds_the_scaffold_here_or_in_tekton(tmp_path: Path) -> None:
    from catalog_cli.scaffold import layout

    assert layout.locate(tmp_path) == tmp_path
    assert run_cli(*scaffold_args("java-maven-jib", "0.3", "triggers", tmp_path / ".tekton")).code == 0
    assert layout.locate(tmp_path / ".tekton") == tmp_path / ".tekton"
    r = run_cli("scaffold", "--update", "--dir", str(tmp_path / ".tekton"))
    assert r.code == 0, r.err
    assert layout.locate(tmp_path / ".tekton") == tmp_path
