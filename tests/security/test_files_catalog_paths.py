"""A folder catalog reads nothing outside its folder, whatever its index names.

An index (or whoever can write the folder) names the paths read: ``..`` and absolute
paths, a symlink to a file outside, a symlinked folder leading out, and a name that
is a folder are refused with one line; a symlink to a file inside the catalog is read
as before. ``LocalFiles`` checks each folder once and opens each file without
following a link, so these are proven for the first read of a folder and the next.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog_cli.errors import CatalogError, InputError, NotFound
from catalog_cli.sources.folder import LocalFiles


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A catalog folder with a Task, and a secret beside (outside) it."""
    root = tmp_path / "catalog"
    (root / "task" / "t" / "0.1").mkdir(parents=True)
    (root / "task" / "t" / "0.1" / "t.yaml").write_text("kind: Task\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("password\n")
    return root, secret


@pytest.mark.parametrize("rel", ["../secret.txt", "task/../../secret.txt", "task/t/0.1/../../../../secret.txt"])
def test_dot_dot_out_of_the_catalog_is_refused(tree: tuple[Path, Path], rel: str) -> None:
    root, _ = tree
    files = LocalFiles(root)
    assert files.read("task/t/0.1/t.yaml") == b"kind: Task\n"  # the folder checked once already
    with pytest.raises(InputError, match="path leaves the catalog"):
        files.read(rel)


def test_an_absolute_path_is_refused(tree: tuple[Path, Path]) -> None:
    root, secret = tree
    with pytest.raises(InputError, match="path leaves the catalog"):
        LocalFiles(root).read(str(secret))


def test_a_symlink_to_a_file_outside_is_refused(tree: tuple[Path, Path]) -> None:
    root, secret = tree
    (root / "task" / "t" / "0.1" / "README.md").symlink_to(secret)
    files = LocalFiles(root)
    files.read("task/t/0.1/t.yaml")
    with pytest.raises(InputError, match="path leaves the catalog"):
        files.read("task/t/0.1/README.md")


def test_a_symlinked_folder_leading_out_is_refused(tree: tuple[Path, Path]) -> None:
    root, secret = tree
    (root / "task" / "t" / "0.1" / "samples").symlink_to(secret.parent)
    files = LocalFiles(root)
    files.read("task/t/0.1/t.yaml")
    with pytest.raises(InputError, match="path leaves the catalog"):
        files.read("task/t/0.1/samples/secret.txt")


def test_a_folder_swapped_for_a_link_out_after_a_read_is_refused_by_the_next(tree: tuple[Path, Path]) -> None:
    """The folder's check is remembered, the file is opened without following a link:
    a file replaced by a symlink out after its folder was checked is still refused."""
    root, secret = tree
    files = LocalFiles(root)
    files.read("task/t/0.1/t.yaml")
    (root / "task" / "t" / "0.1" / "t.yaml").unlink()
    (root / "task" / "t" / "0.1" / "t.yaml").symlink_to(secret)
    with pytest.raises(InputError, match="path leaves the catalog"):
        files.read("task/t/0.1/t.yaml")


def test_a_symlink_to_a_file_inside_is_read(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    (root / "task" / "t" / "0.1" / "README.md").symlink_to(root / "task" / "t" / "0.1" / "t.yaml")
    (root / "task" / "t" / "0.2").symlink_to("0.1")
    files = LocalFiles(root)
    assert files.read("task/t/0.1/README.md") == b"kind: Task\n"
    assert files.read("task/t/0.2/t.yaml") == b"kind: Task\n"


@pytest.mark.parametrize("rel", ["task/t/0.1", "task/t/0.1/.", "task/t/0.1/..", "..", ".", ""])
def test_a_folder_is_not_a_file(tree: tuple[Path, Path], rel: str) -> None:
    root, _ = tree
    with pytest.raises(CatalogError) as err:
        LocalFiles(root).read(rel)
    assert "\n" not in str(err.value)


def test_a_missing_file_is_not_found(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    with pytest.raises(NotFound, match="missing"):
        LocalFiles(root).read("task/t/0.1/nope.yaml")
    with pytest.raises(NotFound, match="missing"):
        LocalFiles(root).read("task/u/0.1/u.yaml")


def test_a_fifo_is_not_read(tree: tuple[Path, Path]) -> None:
    """A named pipe would block the reader for ever."""
    root, _ = tree
    os.mkfifo(root / "task" / "t" / "0.1" / "pipe.yaml")
    with pytest.raises(CatalogError, match="not a regular file"):
        LocalFiles(root).read("task/t/0.1/pipe.yaml")


# -- `catalog index` reads the same way: what it publishes comes from inside the folder --
TASK = """apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: t
  labels: {app.kubernetes.io/version: "0.1"}
spec:
  description: %s
  steps: [{name: s, image: busybox:1.36, script: "true"}]
"""


@pytest.mark.parametrize("linked", ["t.yaml", "README.md"])
def test_index_publishes_nothing_from_outside_the_catalog(tmp_path: Path, linked: str) -> None:
    """A contributor commits a link to a file outside the catalog (the platform team's
    home, a CI secret): `catalog index` would copy its description into the published
    index, and its digest. A resource file that is such a link is skipped with a warning
    naming it (as any unreadable one); any other file stops the index with one line."""
    from catalog_cli import index

    root = tmp_path / "catalog"
    folder = root / "task" / "t" / "0.1"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(TASK % "a task")
    outside = tmp_path / "home"
    outside.mkdir()
    (outside / linked).write_text(TASK % "SECRET from outside" if linked == "t.yaml" else "SECRET\n")
    (folder / linked).unlink(missing_ok=True)
    (folder / linked).symlink_to(outside / linked)
    if linked == "t.yaml":
        _, built = index.write(root)
        assert built.entries == {}
        assert any("leaves the catalog" in str(w) and linked in str(w) for w in built.warnings)
        assert "SECRET" not in (root / "index.yaml").read_text()
        return
    with pytest.raises(CatalogError) as err:
        index.write(root)
    assert "leaves the catalog" in str(err.value) and linked in str(err.value)
    assert "\n" not in str(err.value)
    assert not (root / "index.yaml").exists()


def test_index_reads_a_link_inside_the_catalog(tmp_path: Path) -> None:
    from catalog_cli import index

    root = tmp_path / "catalog"
    folder = root / "task" / "t" / "0.1"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(TASK % "a task")
    (root / "shared.md").write_text("shared readme\n")
    (folder / "README.md").symlink_to(root / "shared.md")
    _, built = index.write(root)
    assert [e.description for e in built.entries["t"]] == ["a task"]


def test_index_does_not_block_on_a_fifo(tmp_path: Path) -> None:
    """A named pipe is not a file: left out (reading it would wait for ever)."""
    from catalog_cli import index

    root = tmp_path / "catalog"
    folder = root / "task" / "t" / "0.1"
    folder.mkdir(parents=True)
    (folder / "t.yaml").write_text(TASK % "a task")
    os.mkfifo(folder / "README.md")
    _, built = index.write(root)
    assert [f.path for e in built.entries["t"] for f in e.files] == ["task/t/0.1/t.yaml"]
