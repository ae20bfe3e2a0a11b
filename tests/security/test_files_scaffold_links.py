"""``scaffold --update`` (and ``scaffold``) never read, write or delete through a link.

A service's ``.tekton/`` folder is committed to git, so anyone who can push to the
repository controls what is in it: symlinks and the answers file included. Before,
``--update`` followed a committed link: it read the file outside into its merge
(and printed it in the diff), wrote the merge back, and deleted files outside the
folder that the answers file listed. Each attack below is refused with one line,
and neither the folder nor anything outside it changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import yaml

from ..conftest import assert_one_line_error, run_cli
from ..test_scaffold_cases import scaffold_args

SECRET = "outside-7f3e2a: a file the service repository must not reach\n"


def generated(tmp_path: Path) -> Path:
    folder = tmp_path / "svc" / ".tekton"
    r = run_cli(*scaffold_args("java-maven-jib", "0.1", "triggers", folder))
    assert r.code == 0, r.err
    return folder


def outside(tmp_path: Path) -> Path:
    path = tmp_path / "home" / "precious" / "victim.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(SECRET)
    return path


def state(*roots: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under ``roots`` as (link target or file bytes), links not followed."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                if p.is_symlink():
                    out[str(p)] = ("link", os.readlink(p))
                elif p.is_file():
                    out[str(p)] = ("file", p.read_bytes())
    return out


def refused(tmp_path: Path, folder: Path, *args: str) -> None:
    before = state(tmp_path)
    for dry in ([], ["--dry-run"]):
        r = run_cli("scaffold", "--update", "--dir", str(folder), *args, *dry)
        assert_one_line_error(r, "is a symbolic link")
        assert SECRET.strip() not in r.out + r.err
    assert state(tmp_path) == before


def test_a_committed_link_to_a_file_outside_is_not_read_or_written(tmp_path: Path) -> None:
    folder = generated(tmp_path)
    victim = outside(tmp_path)
    (folder / "pipeline.yaml").unlink()
    (folder / "pipeline.yaml").symlink_to(os.path.relpath(victim, folder))
    refused(tmp_path, folder)
    assert victim.read_text() == SECRET


def test_a_committed_link_to_a_folder_outside_is_not_deleted_through(tmp_path: Path) -> None:
    """The answers file lists ``more/victim.yaml`` with the hash of the file outside, so
    the update thinks it generated that file, untouched, and no longer generates it."""
    folder = generated(tmp_path)
    victim = outside(tmp_path)
    (folder / "more").symlink_to(victim.parent)
    answers = folder / ".catalog-answers.yaml"
    data = yaml.safe_load(answers.read_text())
    data["files"]["more/victim.yaml"] = "sha256:" + hashlib.sha256(SECRET.encode()).hexdigest()
    answers.write_text(yaml.safe_dump(data, sort_keys=False))
    refused(tmp_path, folder)
    assert victim.read_text() == SECRET


def test_a_linked_folder_is_refused(tmp_path: Path) -> None:
    real = generated(tmp_path)
    link = tmp_path / "svc" / "linked"
    link.symlink_to(real)
    refused(tmp_path, link)


def test_a_linked_answers_file_is_refused(tmp_path: Path) -> None:
    folder = generated(tmp_path)
    elsewhere = tmp_path / "home" / "answers.yaml"
    elsewhere.parent.mkdir(parents=True)
    (folder / ".catalog-answers.yaml").rename(elsewhere)
    (folder / ".catalog-answers.yaml").symlink_to(elsewhere)
    refused(tmp_path, folder)


def test_a_new_scaffold_does_not_write_through_a_link(tmp_path: Path) -> None:
    folder = tmp_path / "new" / ".tekton"
    folder.mkdir(parents=True)
    victim = outside(tmp_path)
    (folder / "pipeline.yaml").symlink_to(victim)
    before = state(tmp_path)
    r = run_cli(*scaffold_args("java-maven-jib", "0.2", "triggers", folder), "--force")
    assert_one_line_error(r, "pipeline.yaml", "is a symbolic link")
    assert state(tmp_path) == before and victim.read_text() == SECRET
