"""``catalog lock`` and ``catalog why``, run as a user runs them (a fresh interpreter)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import BUILTIN, ROOT, Result, assert_one_line_error, run_cli
from .test_provider import _write

# The real entry point (its one error handler included).
_RUN = "from catalog_cli.cli.main import run; run()"


def cli(*args: str, cwd: Path | None = None) -> Result:
    proc = subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=False,
                          cwd=cwd or ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    step = {"steps": [{"name": "s", "image": "alpine", "script": "true"}]}
    _write(root, "Task", "kubectl-deploy", "0.1", step)
    _write(root, "Task", "kubectl-deploy", "0.2", step, min_version="0.56.0")
    _write(root, "Task", "git-clone", "0.9", step)
    _write(root, "Pipeline", "deploy-pipeline", "1.0", {"tasks": [
        {"name": "fetch", "taskRef": {"name": "git-clone"}},
        {"name": "deploy", "taskRef": {"name": "kubectl-deploy"}},
    ]}, deps="kubectl-deploy >=0.1 <1")
    return root


def test_lock_writes_the_lock_and_why_explains(tree: Path, tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    r = cli("lock", "deploy-pipeline@^1.0", "--catalog", str(tree), "--tekton-version", "0.55.0",
            "--file", str(lock))
    assert r.code == 0, r.err
    assert r.out.splitlines()[0].split() == ["KIND", "NAME", "VERSION", "REQUIRED", "BY"]
    assert [line.split()[:3] for line in r.out.splitlines()[1:]] == [
        ["Task", "git-clone", "0.9"], ["Task", "kubectl-deploy", "0.1"], ["Pipeline", "deploy-pipeline", "1.0"]]
    assert f"wrote {lock} (3 entries)" in r.err
    data = yaml.safe_load(lock.read_text())
    assert data["tektonVersion"] == "0.55.0" and data["requirements"] == ["deploy-pipeline@^1.0"]
    assert {d["source"] for d in data["resolved"]} == {str(tree)}

    r = cli("why", "kubectl-deploy", "--file", str(lock))
    assert r.code == 0, r.err
    assert r.out.splitlines() == [
        "kubectl-deploy 0.1: required by deploy-pipeline 1.0 (>=0.1 <1), which you asked for (deploy-pipeline@^1.0)",
        "kubectl-deploy 0.1: the newest version satisfying >=0.1 <1 and Tekton 0.55.0",
        "kubectl-deploy 0.2: ruled out by Tekton 0.55.0 (it needs >=0.56.0)",
    ]
    r = cli("why", "kubectl-deploy", "--file", str(lock), "-o", "json")
    assert r.json()["version"] == "0.1" and r.json()["newest"] == "0.1"


def test_lock_check_passes_then_refuses_changed_content(tree: Path, tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert cli("lock", "deploy-pipeline", "--catalog", str(tree), "--file", str(lock)).code == 0
    before = lock.read_text()
    r = cli("lock", "--check", "--file", str(lock), "-o", "name")
    assert r.code == 0, r.err
    assert r.out.split() == ["git-clone", "kubectl-deploy", "deploy-pipeline"]
    assert "is up to date (3 entries)" in r.err
    task = tree / "task" / "kubectl-deploy" / "0.2" / "kubectl-deploy.yaml"
    task.write_text(task.read_text() + "# edited\n")
    r = cli("lock", "--check", "--file", str(lock))
    assert_one_line_error(r, str(lock), "kubectl-deploy 0.2 changed in catalog", "digest")
    assert r.code == 6
    assert lock.read_text() == before


def test_lock_without_requirements_relocks_keeping_versions(tree: Path, tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert cli("lock", "deploy-pipeline", "--catalog", str(tree), "--tekton-version", "0.55",
               "--file", str(lock)).code == 0
    r = cli("lock", "--file", str(lock), "-o", "json")  # same requirements, same cluster version
    assert r.code == 0, r.err
    assert {(d["name"], d["version"]) for d in r.json()} >= {("kubectl-deploy", "0.1")}
    r = cli("lock", "--file", str(lock), "--tekton-version", "0.60", "--upgrade", "-o", "json")
    assert {(d["name"], d["version"]) for d in r.json()} >= {("kubectl-deploy", "0.2")}


def test_lock_on_builtin_catalog_names_it_builtin(tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    r = cli("lock", "kubectl-deploy", "--file", str(lock))
    assert r.code == 0, r.err
    assert yaml.safe_load(lock.read_text())["resolved"][0]["source"] == "builtin"
    assert cli("lock", "--check", "--file", str(lock)).code == 0


@pytest.mark.parametrize(("args", "code", "needles"), [
    (["kubectl-deploy@banana"], 2, ["kubectl-deploy@banana", "invalid version range 'banana'"]),
    (["no-such-task"], 3, ["no 'no-such-task' in catalog"]),
    (["widget/kubectl-deploy"], 2, ["unknown kind or repo 'widget'"]),
    (["broken"], 3, ["broken 0.1 depends on missing-task, which no catalog has"]),
    (["cycle-a"], 8, ["dependency cycle: cycle-a 1.0 -> cycle-b 1.0 -> cycle-a 1.0"]),
    (["bad-range"], 2, ["bad-range 1.0: dependency on git-clone: invalid version range '>>1'"]),
    (["kubectl-deploy@^0.2", "--tekton-version", "0.50"], 8,
     ["Because you asked for kubectl-deploy ^0.2 which needs Tekton >=0.56.0 while the cluster runs 0.50,"]),
])
def test_bad_input_one_line_and_nothing_written(tree: Path, tmp_path: Path, args: list[str], code: int,
                                                needles: list[str]) -> None:
    step = {"steps": [{"name": "s", "image": "alpine", "script": "true"}]}
    _write(tree, "Pipeline", "broken", "0.1", {"tasks": [{"name": "x", "taskRef": {"name": "missing-task"}}]})
    _write(tree, "Task", "cycle-a", "1.0", step, deps="cycle-b ^1")
    _write(tree, "Task", "cycle-b", "1.0", step, deps="cycle-a")
    _write(tree, "Task", "bad-range", "1.0", step, deps="git-clone >>1")
    lock = tmp_path / "catalog.lock"
    r = cli("lock", *args, "--catalog", str(tree), "--file", str(lock))
    assert_one_line_error(r, *needles)
    assert r.code == code
    assert not lock.exists()


def test_conflict_explanation_on_stderr(tree: Path, tmp_path: Path) -> None:
    _write(tree, "Pipeline", "release", "1.0", {"tasks": []}, deps="kubectl-deploy ^0.2")
    lock = tmp_path / "catalog.lock"
    r = cli("lock", "release", "--catalog", str(tree), "--file", str(lock), "--tekton-version", "0.50.0")
    assert r.code == 8
    assert r.err.splitlines() == [
        ("catalog: error: Because release 1.0 depends on kubectl-deploy ^0.2 which needs Tekton >=0.56.0 "
         "while the cluster runs 0.50.0, release 1.0 cannot be installed."),
        "So, because you asked for release, the requirements cannot be satisfied.",
    ]
    assert not lock.exists()


def test_why_names_the_requirement_that_rules_out_a_newer_version(tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "git-clone@^0.1", "kaniko", "-f", str(lock)).code == 0
    r = run_cli("why", "git-clone", "-f", str(lock))
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1] == "git-clone 0.2: ruled out by your requirement git-clone@^0.1"
    # A newer version nothing rules out: the lock kept its version, and says how to move.
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    shutil.rmtree(root / "task" / "kaniko" / "0.2")
    assert run_cli("index", str(root)).code == 0
    other = tmp_path / "other.lock"
    assert run_cli("lock", "kaniko", "-f", str(other), "--catalog", str(root)).code == 0
    shutil.copytree(BUILTIN / "task" / "kaniko" / "0.2", root / "task" / "kaniko" / "0.2")
    assert run_cli("index", str(root)).code == 0
    r = run_cli("why", "kaniko", "-f", str(other))
    assert r.code == 0, r.err
    assert r.out.splitlines()[-2:] == [
        "kaniko 0.1: not the newest version (0.2 is)",
        "kaniko 0.2: allowed by every requirement; the lock keeps 0.1 (`catalog lock --upgrade` re-resolves "
        "for the newest)"]


def test_why_without_lock_file(tmp_path: Path) -> None:
    r = cli("why", "git-clone", "--file", str(tmp_path / "catalog.lock"))
    assert_one_line_error(r, "no lock file (run `catalog lock` first)")
    assert r.code == 3


def test_why_name_not_locked(tree: Path, tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert cli("lock", "git-clone", "--catalog", str(tree), "--file", str(lock)).code == 0
    assert_one_line_error(cli("why", "kaniko", "--file", str(lock)), "kaniko is not in the lock")


def test_commands_have_help() -> None:
    r = cli("lock", "--help")
    assert r.code == 0 and "--tekton-version" in r.out and "--check" in r.out
    assert "Why a resource is in the lock file" in cli("why", "--help").out


# -- references through resolvers, pinned (a real git repository, a registry that is down) --
def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def acme_git(tmp_path: Path) -> tuple[Path, Path, str]:
    """The acme catalog as a configured repo whose git URL is a real local repository
    (the one its Pipeline's git resolver reads); its registries are down."""
    from .faultserve import closed_port_url
    from .test_resources_resolvers import acme_tree

    down = closed_port_url().removeprefix("http://")
    git_dir = tmp_path / "git"
    root = acme_tree(tmp_path, git_url=f"file://{git_dir}", registry=down, other_registry=down)
    shutil.copytree(root, git_dir)
    _git(git_dir, "init", "-q", "-b", "main")
    _git(git_dir, "add", "-A")
    _git(git_dir, "commit", "-q", "-m", "catalog")
    assert run_cli("repo", "add", "acme", str(root), "--git", f"file://{git_dir}").code == 0
    return root, git_dir, down


FAST = {"CATALOG_HTTP_RETRIES": "0", "CATALOG_HTTP_TIMEOUT": "2"}


def test_lock_pins_references_and_says_what_is_unpinned(acme_git: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, git_dir, down = acme_git
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "ci", "-f", str(lock), env=FAST)
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    assert [d["name"] for d in data["resolved"]] == ["git-clone", "kubectl-deploy", "yq-update", "ci"]
    assert r.out.splitlines()[3].split() == ["Task", "yq-update", "0.2", "ci", "(=0.2.0", "via", "git)"]
    refs = {ref["name"]: ref for ref in data["resolved"][-1]["references"]}
    assert refs["yq-update"]["target"] == "yq-update"
    assert refs["yq-update"]["commit"] == _git(git_dir, "rev-parse", "main")
    assert refs["kaniko"]["external"] == f"{down}/cat is no configured bundle source"
    assert refs["kaniko"]["unpinned"].startswith("cannot reach the registry")
    assert f"note: ci 0.1: bundles {down}/cat/kaniko:0.2 is unpinned: cannot reach the registry" in r.err
    assert "note: ci 0.1: cluster ci-tasks/kubectl-deploy is unpinned: a cluster reference" in r.err

    # Offline, a fresh lock asks nothing and says so; a re-lock keeps the pins it had.
    r = run_cli("lock", "-f", str(lock), env={"CATALOG_OFFLINE": "1"})
    assert r.code == 0, r.err
    again = {ref["name"]: ref for ref in yaml.safe_load(lock.read_text())["resolved"][-1]["references"]}
    assert again["yq-update"] == refs["yq-update"]
    assert again["kaniko"]["unpinned"] == "offline: the registry was not asked"
    offline = tmp_path / "offline.lock"
    r = run_cli("lock", "ci", "-f", str(offline), env={"CATALOG_OFFLINE": "1"})
    assert "git file://" in r.err and "is unpinned: offline: git was not asked" in r.err

    # The branch moves: --check names the reference; --upgrade takes the new commit.
    (git_dir / "README.md").write_text("moved\n")
    _git(git_dir, "add", "-A")
    _git(git_dir, "commit", "-q", "-m", "move main")
    r = run_cli("lock", "--check", "-f", str(lock), env=FAST)
    assert_one_line_error(r, f"ci 0.1: git file://{git_dir}@main:task/yq-update/0.2/yq-update.yaml now names "
                             f"{_git(git_dir, 'rev-parse', 'main')}")
    assert run_cli("lock", "--upgrade", "-f", str(lock), env=FAST).code == 0
    assert _git(git_dir, "rev-parse", "main") in lock.read_text()
    assert run_cli("lock", "--check", "-f", str(lock), env=FAST).code == 0


def test_lock_bundles_makes_a_registry_a_catalog_source(acme_git: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, _, down = acme_git
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "ci", "-f", str(lock), "--bundles", f"{down}/cat", env=FAST)
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    kaniko = next(d for d in data["resolved"] if d["name"] == "kaniko")
    assert kaniko["version"] == "0.2" and kaniko["requiredBy"][0]["via"] == "bundles"
    assert data["bundles"] == [f"{down}/cat"]  # so that resolving again follows the same references
    r = run_cli("lock", "--check", "-f", str(lock), env=FAST)
    assert r.code == 0, r.err
    assert f"warning: ci 0.1: bundles {down}/cat/kaniko:0.2 not checked" not in r.err  # it was never pinned


def test_why_through_a_resolver_and_for_an_external_reference(acme_git: tuple[Path, Path, str],
                                                             tmp_path: Path) -> None:
    _, git_dir, _ = acme_git
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "ci", "-f", str(lock), env=FAST).code == 0
    r = run_cli("why", "yq-update", "-f", str(lock))
    assert r.code == 0, r.err
    commit = _git(git_dir, "rev-parse", "main")
    assert r.out.splitlines() == [
        "yq-update 0.2: required by ci 0.1 (=0.2.0) via git, which you asked for (ci)",
        "yq-update 0.2: the newest version satisfying =0.2.0",
        f"yq-update 0.2: ci 0.1 fetches it through git file://{git_dir}@main:task/yq-update/0.2/yq-update.yaml, "
        f"pinned to {commit}",
    ]
    r = run_cli("why", "golangci-lint", "-f", str(lock), "-o", "json")
    assert r.code == 0, r.err
    got = r.json()
    assert got["external"] is True and got["version"] is None
    assert got["references"][0]["by"] == "Pipeline/ci" and got["references"][0]["resolver"] == "hub"
    assert "not resolved: the hub's default catalog" in got["explanation"][0]
    assert_one_line_error(run_cli("why", "nothing-of-the-sort", "-f", str(lock)), "nothing-of-the-sort is not in the lock")


def test_lock_adds_to_the_lock_files_requirements_and_replace_starts_over(tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    assert run_cli("lock", "git-clone@^0.1", "-f", str(lock)).code == 0
    r = run_cli("lock", "kaniko", "-f", str(lock))
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    assert data["requirements"] == ["git-clone@^0.1", "kaniko"]
    assert {(e["name"], e["version"]) for e in data["resolved"]} >= {("git-clone", "0.1"), ("kaniko", "0.2")}
    # A requirement for a name already there replaces it.
    assert run_cli("lock", "git-clone@^0.2", "-f", str(lock)).code == 0
    assert yaml.safe_load(lock.read_text())["requirements"] == ["kaniko", "git-clone@^0.2"]
    r = run_cli("lock", "yq-update", "--replace", "-f", str(lock))
    assert r.code == 0, r.err
    data = yaml.safe_load(lock.read_text())
    assert data["requirements"] == ["yq-update"]
    assert {e["name"] for e in data["resolved"]} == {"yq-update"}


def test_lock_refuses_templates_with_the_reason(tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "java-maven-jib", "-f", str(lock))
    assert_one_line_error(r, "java-maven-jib 0.4 is a Template: templates are scaffolded")
    assert "`catalog scaffold java-maven-jib`" in r.err
    assert not lock.exists()


def test_lock_with_nothing_to_lock_says_how_to_start(tmp_path: Path) -> None:
    r = run_cli("lock", "-f", str(tmp_path / "catalog.lock"))
    assert_one_line_error(r, "nothing to lock: name what to lock (`catalog lock NAME[@RANGE]...`)")
    assert r.code == 2


def test_a_long_explanation_is_shortened_and_verbose_shows_every_step(tmp_path: Path) -> None:
    """A chain of 30 Tasks whose last needs a newer Tekton: the error tells the chain in
    one line and says how to see it whole; --verbose (before or after the command) does."""
    root = tmp_path / "cat"
    step = {"steps": [{"name": "s", "image": "alpine", "script": "true"}]}
    for i in range(30):
        for v in ("1.0", "1.1"):
            _write(root, "Task", f"t{i:02d}", v, step, deps=f"t{i + 1:02d} ^1" if i < 29 else None,
                   min_version="0.70.0" if i == 29 else "0.50.0")
    args = ("lock", "t00", "--catalog", str(root), "--tekton-version", "0.60.0", "-f", str(tmp_path / "l"))
    short = run_cli(*args)
    assert short.code == 8
    assert "And so on, in " in short.err and "--verbose shows every step" in short.err
    for r in (run_cli("--verbose", *args), run_cli(*args, "--verbose")):
        assert r.code == 8
        assert "And so on" not in r.err and "t27" in r.err and "shortened" not in r.err
        assert len(r.err.splitlines()) > len(short.err.splitlines())
