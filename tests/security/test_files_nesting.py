"""One nesting limit for every YAML document the tool reads (yamlio.MAX_DEPTH).

A Task nested a few hundred levels deep used to pass ``catalog index`` and then
crash ``info`` and ``render`` with a RecursionError traceback (PyYAML's C parser
accepts up to 1,000 levels; the code walking the result recursed). Now every
load refuses a document deeper than the limit lint uses, with one line naming
the file.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from catalog_cli import yamlio
from catalog_cli.errors import InputError
from catalog_cli.lint import loader

from ..conftest import assert_one_line_error, run_cli

SHALLOW_TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: deep
  labels:
    app.kubernetes.io/version: "0.1"
  annotations:
    tekton.dev/pipelines.minVersion: "0.50.0"
spec:
  description: A task whose spec hides a deeply nested value.
  steps:
    - name: run
      image: alpine@sha256:0000000000000000000000000000000000000000000000000000000000000000
      script: "true"
"""


def nested(levels: int, style: str = "flow") -> str:
    """A value ``levels`` containers deep, in flow (``[[[...]]]``) or block style."""
    if style == "flow":
        return "[" * levels + "]" * levels
    # Block mappings, one key per level, each indented two more spaces than its parent.
    return "\n" + "".join("  " * (i + 2) + "k:\n" for i in range(levels)) + "  " * (levels + 2) + "v"


def deep_task(level: int, style: str = "flow") -> str:
    """The Task with a container at ``level`` (the document is level 0, ``spec`` level 1)."""
    return SHALLOW_TASK + f"  x-deep: {nested(level - 1, style)}\n"


def make_catalog(root: Path, text: str) -> Path:
    """A catalog whose index.yaml names task deep 0.1 with ``text``'s digest (the index is
    written for a shallow file first, as a server would serve it after a swap)."""
    folder = root / "task" / "deep" / "0.1"
    folder.mkdir(parents=True)
    file = folder / "deep.yaml"
    file.write_text(SHALLOW_TASK)
    r = run_cli("index", str(root))
    assert r.code == 0, r.err
    index = root / "index.yaml"
    shallow = "sha256:" + hashlib.sha256(SHALLOW_TASK.encode()).hexdigest()
    file.write_text(text)
    deep = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    index.write_text(index.read_text().replace(shallow, deep))
    return root


def test_the_limit_is_defined_once() -> None:
    assert loader.MAX_DEPTH is yamlio.MAX_DEPTH


@pytest.mark.parametrize("style", ["flow", "block"])
def test_info_and_render_of_a_deep_task_are_one_line(tmp_path: Path, style: str) -> None:
    root = make_catalog(tmp_path / "cat", deep_task(400, style))
    for args in (["info", "deep", "-o", "json"], ["render", "deep", "-n", "team"]):
        r = run_cli(*args, "--catalog", str(root))
        assert_one_line_error(r, "deep.yaml", f"nested deeper than {yamlio.MAX_DEPTH} levels")
        assert r.out == ""


def test_index_refuses_what_lint_refuses(tmp_path: Path) -> None:
    just_over = deep_task(yamlio.MAX_DEPTH + 1)
    root = tmp_path / "cat"
    folder = root / "task" / "deep" / "0.1"
    folder.mkdir(parents=True)
    (folder / "deep.yaml").write_text(just_over)
    lint = run_cli("lint", str(folder / "deep.yaml"))
    assert lint.code != 0 and f"nested deeper than {yamlio.MAX_DEPTH} levels" in lint.out + lint.err
    r = run_cli("index", str(root))
    assert "task/deep/0.1/deep.yaml" in r.err and f"nested deeper than {yamlio.MAX_DEPTH} levels" in r.err
    assert "deep" not in yamlio.load_one(root / "index.yaml").get("entries", {})
    # One level less is accepted by both.
    shutil.rmtree(root)
    folder.mkdir(parents=True)
    (folder / "deep.yaml").write_text(deep_task(yamlio.MAX_DEPTH))  # at the limit
    assert run_cli("index", str(root)).code == 0
    assert "deep" in yamlio.load_one(root / "index.yaml")["entries"]
    assert "nested deeper" not in run_cli("lint", str(folder / "deep.yaml")).out


@pytest.mark.parametrize("text", [
    pytest.param("a: " + nested(yamlio.MAX_DEPTH + 1) + "\n", id="plain"),
    # With an anchor the checked composer path runs instead of the fast one.
    pytest.param("a: &x " + nested(yamlio.MAX_DEPTH + 1) + "\nb: *x\n", id="anchored"),
    # Each half is shallow; the alias puts one inside the other.
    pytest.param("a: &x " + nested(60) + "\nb: " + "[" * 60 + "*x" + "]" * 60 + "\n", id="through-alias"),
    pytest.param("a: " + nested(900) + "\n", id="libyaml-accepts-900"),
])
def test_every_load_refuses_the_same_depth(text: str) -> None:
    with pytest.raises(InputError, match=f"nested deeper than {yamlio.MAX_DEPTH} levels"):
        yamlio.loads_all(text, "doc.yaml")
    with pytest.raises(InputError, match=f"nested deeper than {yamlio.MAX_DEPTH} levels"):
        yamlio.compose_all(text, "doc.yaml")
