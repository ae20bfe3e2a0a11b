"""Every public catalog layout lists, searches, shows info and locks.

The fixtures under tests/data/layouts hold the same three resources in each shape;
tests/data/layouts/expected.yaml says what each must give. The TEP-0115 git layout is
that fixture made a git checkout here, released as two tags.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, run_cli

LAYOUTS = ROOT / "tests" / "data" / "layouts"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((LAYOUTS / "expected.yaml").read_text())
# git as the tests drive it: no user or system configuration (signing, hooks, templates).
GIT_ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "tests", "GIT_AUTHOR_EMAIL": "tests@example.invalid",
           "GIT_COMMITTER_NAME": "tests", "GIT_COMMITTER_EMAIL": "tests@example.invalid"}
EXTRA_PARAM = "    - name: greeting\n      type: string\n      default: hello\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=GIT_ENV, timeout=60)


def released_checkout(dest: Path) -> Path:
    """The tep0115 fixture as a git checkout with two releases: lightweight tag v0.1.0,
    where every label says 0.1.0 and greet has one param more, then annotated tag 0.2.0,
    the fixture as it is (the working tree); and a tag ``nightly``, which is no version."""
    shutil.copytree(LAYOUTS / "tep0115", dest)
    git(dest, "init", "-q")
    originals = {p: p.read_text() for p in dest.rglob("*.yaml")}
    for p, text in originals.items():
        p.write_text(text.replace('"0.2.0"', '"0.1.0"'))
    greet = dest / "task/greet/greet.yaml"
    greet.write_text(greet.read_text().replace("  steps:\n", EXTRA_PARAM + "  steps:\n", 1))
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "first release")
    git(dest, "tag", "v0.1.0")
    for p, text in originals.items():
        p.write_text(text)
    git(dest, "commit", "-q", "-a", "-m", "second release")
    git(dest, "tag", "-a", "-m", "0.2.0", "0.2.0")
    git(dest, "tag", "nightly")
    return dest


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_checkout(tmp_path_factory.mktemp("git") / "greetings")


def where(layout: str, checkout: Path) -> Path:
    return checkout if layout == "tep0115-git" else LAYOUTS / layout


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_list(layout: str, checkout: Path) -> None:
    r = run_cli("list", "--catalog", str(where(layout, checkout)), "-o", "json")
    assert r.code == 0, r.err
    assert {row["name"]: row["versions"] for row in r.json()} == EXPECTED[layout]["versions"]
    assert "warning" not in r.err


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_search(layout: str, checkout: Path) -> None:
    cat = str(where(layout, checkout))
    r = run_cli("search", "greet", "--catalog", cat, "-o", "json")
    assert r.code == 0, r.err
    assert [(h["name"], h["kind"]) for h in r.json()] == [("greet", "Task"), ("greeting", "Pipeline")]
    r = run_cli("search", "--tag", "echo", "--catalog", cat, "-o", "json")
    assert [(h["name"], h["kind"], h["versions"]) for h in r.json()] == [
        ("say", "StepAction", EXPECTED[layout]["versions"]["say"])]


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_info(layout: str, checkout: Path) -> None:
    r = run_cli("info", "greet", "--catalog", str(where(layout, checkout)), "-o", "json")
    assert r.code == 0, r.err
    info = r.json()
    assert info["version"] == EXPECTED[layout]["versions"]["greet"][0]
    assert info["path"] == EXPECTED[layout]["path"]
    assert [p["name"] for p in info["params"]] == ["who"]
    assert info["dependencies"] == [{"name": "say", "range": "*", "kind": "StepAction"}]
    assert info["mismatches"] == []


@pytest.mark.parametrize("layout", list(EXPECTED))
def test_lock(layout: str, checkout: Path, tmp_path: Path) -> None:
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "greeting", "--catalog", str(where(layout, checkout)), "--file", str(lock))
    assert r.code == 0, r.err
    resolved = yaml.safe_load(lock.read_text())["resolved"]
    assert {e["name"]: e["version"] for e in resolved} == EXPECTED[layout]["lock"]
    assert all(e["digest"].startswith("sha256:") for e in resolved)
    r = run_cli("lock", "--check", "--file", str(lock))
    assert r.code == 0, r.err


@pytest.mark.parametrize("layout", ["singular", "plural", "tep0115"])
def test_index_reads_each_layout_without_a_warning(layout: str, tmp_path: Path) -> None:
    shutil.copytree(LAYOUTS / layout, tmp_path / layout)
    r = run_cli("index", "--strict", str(tmp_path / layout))
    assert r.code == 0, r.err
    r = run_cli("list", "--catalog", str(tmp_path / layout / "index.yaml"), "-o", "json")
    assert {row["name"]: row["versions"] for row in r.json()} == EXPECTED[layout]["versions"]


# -- TEP-0115 in git: each release tag is a version, read from that tag ---------------

def test_an_older_release_is_read_from_its_tag(checkout: Path) -> None:
    r = run_cli("info", "greet@0.1.0", "--catalog", str(checkout), "-o", "json")
    assert r.code == 0, r.err
    info = r.json()
    assert info["path"] == "@v0.1.0/task/greet/greet.yaml"
    # The param only v0.1.0 has: the file came from the tag, not the working tree.
    assert [p["name"] for p in info["params"]] == ["who", "greeting"]
    from catalog_cli.sources import open_catalog
    from catalog_cli.settings import Settings

    entry = open_catalog(str(checkout), Settings.from_env()).get("greet", "0.1.0")
    assert [f.path for f in entry.files] == [
        "@v0.1.0/task/greet/OWNERS", "@v0.1.0/task/greet/README.md", "@v0.1.0/task/greet/greet.yaml",
        "@v0.1.0/task/greet/samples/run.yaml", "@v0.1.0/task/greet/tests/run.yaml"]


def test_an_unreleased_label_version_comes_from_the_working_tree(checkout: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(checkout, work)
    greet = work / "task/greet/greet.yaml"
    greet.write_text(greet.read_text().replace('"0.2.0"', '"0.3.0"', 1))
    r = run_cli("versions", "greet", "--catalog", str(work), "-o", "json")
    assert r.code == 0, r.err
    assert [v["version"] for v in r.json()] == ["0.3.0", "0.2.0", "0.1.0"]
    assert "task/greet/greet.yaml: version 0.3.0 has no release tag: read from the working tree" in r.err


def test_a_released_version_edited_in_the_working_tree_is_read_from_its_tag(checkout: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(checkout, work)
    greet = work / "task/greet/greet.yaml"
    greet.write_text(greet.read_text().replace("  steps:\n", EXTRA_PARAM + "  steps:\n", 1))
    r = run_cli("info", "greet", "--catalog", str(work), "-o", "json")
    assert r.code == 0, r.err
    assert r.json()["path"] == "@0.2.0/task/greet/greet.yaml"
    assert [p["name"] for p in r.json()["params"]] == ["who"]
    assert "task/greet/greet.yaml: differs from release 0.2.0, which is the one listed" in r.err


def test_a_checkout_without_release_tags_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "untagged"
    shutil.copytree(LAYOUTS / "tep0115", repo)
    git(repo, "init", "-q")
    r = run_cli("list", "--catalog", str(repo), "-o", "json")
    assert r.code == 0, r.err
    assert {row["name"]: row["versions"] for row in r.json()} == EXPECTED["tep0115"]["versions"]
    assert "no release tags (vX.Y.Z): only the working tree's label versions are listed" in r.err


def test_a_folder_inside_another_repository_is_a_plain_folder() -> None:
    # tests/data/layouts/tep0115 lies inside this project's checkout, whose tags are not
    # its releases: only the label versions (the "tep0115" row of expected.yaml).
    from catalog_cli.sources.gitrepo import is_checkout

    assert not is_checkout(LAYOUTS / "tep0115")


# -- v-prefixed versions: index and lint read them alike ------------------------------

@pytest.mark.parametrize(("folder", "label", "agree"), [
    ("0.2.0", "v0.2.0", True),
    ("v0.2.0", "0.2.0", True),
    ("v0.2.0", "v0.2", True),    # 0.2 is 0.2.0
    ("0.2", "0.2.0", True),
    ("v0.2.0", "0.3.0", False),
    ("0.2", "v0.2.1", False),
    ("0.2", "latest", False),
])
def test_index_and_lint_agree_on_version_labels(tmp_path: Path, folder: str, label: str, agree: bool) -> None:
    from catalog_cli import index

    text = (LAYOUTS / "plural/tasks/greet/0.1.0/greet.yaml").read_text().replace('"0.1.0"', f'"{label}"')
    for kind_dir in ("task", "tasks"):
        file = tmp_path / kind_dir / "greet" / folder / "greet.yaml"
        file.parent.mkdir(parents=True)
        file.write_text(text)
        warned = [str(w) for w in index.build(tmp_path).warnings if "version label" in str(w)]
        r = run_cli("lint", "--severity", "info", "-o", "json", str(file))
        flagged = [f for f in r.json()["findings"] if f["rule"] == "path-mismatch"]
        assert (not warned, not flagged) == (agree, agree), (kind_dir, warned, flagged)
        shutil.rmtree(tmp_path / kind_dir)
