"""Writing .tekton/ files back (tekton_refs/edit.py): whatever the file's style, update
changes the lines it must and no other; hostile input is refused by yamlio before the
round-trip parser sees it."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from catalog_cli.tekton_refs.edit import Editor, detect_indent
from catalog_cli.tekton_refs.scan import scan_text

from .conftest import assert_one_line_error, run_cli

OFFLINE = {"CATALOG_OFFLINE": "1"}

REF = """\
resolver: hub
params:
- name: catalog
  value: builtin
- name: name
  value: yq-update
- name: version
  value: VERSION
"""

STYLES = {
    # four spaces, dashes flush with their key, a comment block and a trailing comment
    "four-flush": """\
# deploy
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
    name: p   # the pipeline
spec:
    tasks:
    - name: set
      taskRef:
          resolver: hub
          params:
          - name: catalog
            value: builtin
          - name: name
            value: yq-update
          - name: version
            value: '0.1.0'      # old
      params:
      - {name: files,   value: a.yaml}
""",
    # two spaces, indented dashes, flow mappings with odd spacing, a long line, a block scalar
    "two-indented": """\
---
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: { name: p , labels: {a: b} }
spec:
  description: >-
    A description long enough that a dumper with a default width of eighty columns would fold it somewhere.
  tasks:
    - name: set
      taskRef: {resolver: hub, params: [{name: catalog, value: builtin}, {name: name, value: yq-update}, {name: version, value: "0.1.0"}]}
    - name: script
      taskSpec:
        steps:
          - name: s
            image: docker.io/library/alpine:3.19
            script: |
              #!/bin/sh
                echo   "spacing kept"
---
# a second document, untouched
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data:
  key:    "value"
""",
    # anchors, an alias and a merge key
    "anchors": """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata:
  name: p
spec:
  tasks:
    - name: set
      taskRef: &yq
        resolver: hub
        params:
          - name: catalog
            value: builtin
          - name: name
            value: yq-update
          - name: version
            value: "0.1.0"
      params: &common
        - name: files
          value: a.yaml
    - name: set-again
      taskRef: *yq
      params: *common
""",
}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_only_the_version_line_changes(style: str, tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    before = STYLES[style]
    (tekton / "p.yaml").write_text(before)
    r = run_cli("update", cwd=tmp_path, env=OFFLINE)
    assert r.code == 0, r.err
    after = (tekton / "p.yaml").read_text()
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]
    old = next(line for line in before.splitlines() if "0.1.0" in line)
    assert changed == [f"- {old}", f"+ {old.replace('0.1.0', '0.2.0')}"], "\n".join(changed)


@pytest.mark.parametrize(("text", "indent"), [
    ("a:\n  b:\n    - c: 1\n      d: 2\n", (2, 4, 2)),
    ("a:\n    b:\n    - c: 1\n", (4, 2, 0)),
    ("a: 1\n", (2, 4, 2)),
])
def test_indentation_is_read_from_the_file(text: str, indent: tuple[int, int, int]) -> None:
    assert detect_indent(text) == indent


@pytest.mark.parametrize(("text", "words"), [
    ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                                                   for p, c in zip("abcdefg", "bcdefgh", strict=True)), "alias bomb"),
    ("a: " + "[" * 150 + "]" * 150 + "\n", "nested deeper"),
    ("a: &x [*x]\n", "recursive alias"),
    ("a: [\n", "invalid YAML"),
])
def test_hostile_files_are_refused_before_the_round_trip_parser(text: str, words: str, tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    (tekton / "bad.yaml").write_text(text)
    for command in ("refs", "update"):
        r = run_cli(command, cwd=tmp_path, env=OFFLINE)
        assert_one_line_error(r, "bad.yaml", words)
    assert (tekton / "bad.yaml").read_text() == text


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    tekton = tmp_path / ".tekton"
    tekton.mkdir()
    (tekton / "big.yaml").write_text("a: " + "x" * (5 * 1024 * 1024) + "\n")
    assert_one_line_error(run_cli("update", cwd=tmp_path, env=OFFLINE), "big.yaml", "over the limit")


def _editor(text: str) -> Editor:
    scanned = scan_text(text, "p.yaml")
    return Editor(text, "p.yaml", scanned.docs, scanned.nodes)


PIPELINE = """\
spec:
  tasks:
    - name: t   # the task
      taskRef:
        resolver: hub
        params:
          - {name: name, value: x}
          - name: version
            value: '0.1'   # old
      params:
        - name: a
          value: "1"
    - name: u
      taskRef: {name: y}
"""


def test_common_edits_are_patches_on_the_text() -> None:
    ed = _editor(PIPELINE)
    assert ed.set(0, ("spec", "tasks", 0, "taskRef", "params", 1, "value"), "0.2")
    ed.append(0, ("spec", "tasks", 0, "taskRef", "params"), {"name": "kind", "value": "task"})
    ed.append(0, ("spec", "tasks", 0, "params"), {"name": "b", "value": "false"})
    ed.append(0, ("spec", "tasks", 1, "workspaces"), {"name": "w", "workspace": "shared"})
    assert not ed.set(0, ("spec", "tasks", 0, "name"), "t")  # the same value: no edit
    assert ed.text() == """\
spec:
  tasks:
    - name: t   # the task
      taskRef:
        resolver: hub
        params:
          - {name: name, value: x}
          - name: version
            value: '0.2'   # old
          - {name: kind, value: task}
      params:
        - name: a
          value: "1"
        - name: b
          value: "false"
    - name: u
      taskRef: {name: y}
      workspaces:
        - name: w
          workspace: shared
"""
    assert not ed.round_trip


def test_what_patches_cannot_do_is_done_round_trip_with_the_edits_so_far() -> None:
    ed = _editor(PIPELINE)
    ed.set(0, ("spec", "tasks", 0, "taskRef", "params", 1, "value"), "0.2")
    ed.append(0, ("spec", "tasks", 1, "taskRef", "params"), {"name": "kind", "value": "task"})  # a flow mapping
    assert ed.round_trip
    del ed.get(0, ("spec", "tasks", 0, "params"))[0]
    ed.changed = True
    after = ed.text()
    assert "value: '0.2'   # old" in after and "- name: t   # the task" in after
    assert yaml.safe_load(after)["spec"]["tasks"][1]["taskRef"] == {"name": "y", "params": [{"name": "kind",
                                                                                            "value": "task"}]}
    assert "- name: a" not in after
