"""catalog bump: the next version folder, in the folder's own style, label rewritten in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from catalog_cli.bump import next_version
from catalog_cli.errors import InputError

from .conftest import BUILTIN, assert_one_line_error, run_cli


@pytest.mark.parametrize("old, part, new", [
    ("0.2", "minor", "0.3"), ("0.9", "minor", "0.10"), ("0.2", "major", "1.0"), ("0.2", "patch", "0.2.1"),
    ("1.2.3", "patch", "1.2.4"), ("1.2.3", "minor", "1.3.0"), ("1.2.3", "major", "2.0.0"),
    ("1", "minor", "1.1"), ("1.0.0-rc.1", "patch", "1.0.0"), ("1.2.0-rc.1", "minor", "1.2.0"),
    ("1.2.1-rc.1", "minor", "1.3.0"),
])
def test_next_version_keeps_the_style(old: str, part: str, new: str) -> None:
    assert next_version(old, part) == new


def test_next_version_needs_a_part() -> None:
    with pytest.raises(InputError):
        next_version("0.1", "micro")


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    return tmp_path / "cat"


def test_bump_copies_the_newest_and_rewrites_only_the_label(cat: Path) -> None:
    old = cat / "task/kaniko/0.2/kaniko.yaml"
    r = run_cli("bump", "kaniko", str(cat), "--minor")
    assert r.code == 0, r.err
    assert "catalog index" in r.err
    new = cat / "task/kaniko/0.3/kaniko.yaml"
    a, b = old.read_text().splitlines(), new.read_text().splitlines()
    changed = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert len(a) == len(b) and changed == [('    app.kubernetes.io/version: "0.2"',
                                             '    app.kubernetes.io/version: "0.3"')]
    assert sorted(p.name for p in new.parent.rglob("*")) == sorted(p.name for p in old.parent.rglob("*"))
    r = run_cli("index", str(cat))
    assert r.code == 0 and "differs from its folder" not in r.err
    r = run_cli("versions", "kaniko", "--catalog", str(cat), "-o", "name")
    assert r.out.split() == ["0.3", "0.2", "0.1"]


def test_bump_patch_of_a_two_part_folder_and_unquoted_labels(cat: Path) -> None:
    task = cat / "task/yq-update"
    newest = max((p for p in task.iterdir() if p.is_dir()), key=lambda p: [int(x) for x in p.name.split(".")])
    f = newest / "yq-update.yaml"
    f.write_text(f.read_text().replace(f'version: "{newest.name}"', f"version: {newest.name}"))
    r = run_cli("bump", "task/yq-update", str(cat), "--patch", "-o", "json")
    assert r.code == 0, r.err
    want = f"{newest.name}.1"
    assert r.json()["to"] == want
    doc = yaml.safe_load((task / want / "yq-update.yaml").read_text())
    assert doc["metadata"]["labels"]["app.kubernetes.io/version"] == want  # a string, quoted


def test_bump_refuses_what_it_cannot_do(cat: Path) -> None:
    assert run_cli("bump", "kaniko", str(cat), "--minor").code == 0
    r = run_cli("bump", "kaniko", str(cat), "--minor")  # 0.3 now newest -> 0.4: fine
    assert r.code == 0
    (cat / "task/kaniko/0.5").mkdir()
    (cat / "task/kaniko/0.5/kaniko.yaml").write_text((cat / "task/kaniko/0.2/kaniko.yaml").read_text())
    (cat / "task/kaniko/1.0").mkdir()
    r = run_cli("bump", "kaniko", str(cat), "--major")  # 1.0 is newest; 2.0 is free
    assert r.code == 0
    assert_one_line_error(run_cli("bump", "kaniko", str(cat)), "one of --major, --minor, --patch")
    assert_one_line_error(run_cli("bump", "nosuch", str(cat), "--patch"), "no 'nosuch'")
    assert_one_line_error(run_cli("bump", "widget/kaniko", str(cat), "--patch"), "unknown kind 'widget'")


def test_a_missing_label_is_said(cat: Path) -> None:
    f = cat / "task/kaniko/0.2/kaniko.yaml"
    f.write_text(f.read_text().replace('    app.kubernetes.io/version: "0.2"\n', ""))
    r = run_cli("bump", "kaniko", str(cat), "--patch")
    assert r.code == 0
    assert "no app.kubernetes.io/version label" in r.err
