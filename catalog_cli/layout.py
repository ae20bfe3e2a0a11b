"""Where a catalog keeps its resources: the folder layouts that real catalogs use.

- tektoncd/catalog (TEP-0003): ``<kind>/<name>/<version>/<name>.yaml``, the version
  in the folder name (``0.10``, or ``v0.3.1`` as openshift-pipelines writes some);
- the same with plural kind folders (``tasks/``, ``pipelines/``, ``stepactions/``), as
  openshift-pipelines' catalog of ~800 Tasks has them;
- TEP-0115: ``<kind>/<name>/<name>.yaml``, no version folders; the version is the
  resource's ``app.kubernetes.io/version`` label, and releases of the whole
  repository are git tags (``sources/gitrepo.py`` reads those).

The walk reads a :class:`Tree`, so that one walk serves a folder on disk and a git
tag. What it passes over that could have been a resource (a YAML file outside any
``<name>/`` folder, a name folder holding no resource) becomes a warning, so that no
layout is ever listed as empty without a word.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import fsutil, versions

#: Kind folder -> Tekton kind: the singular of tektoncd/catalog and TEP-0115, and the
#: plural of openshift-pipelines' catalog.
KIND_FOLDERS = {
    "task": "Task", "tasks": "Task",
    "pipeline": "Pipeline", "pipelines": "Pipeline",
    "stepaction": "StepAction", "stepactions": "StepAction",
    "template": "Template", "templates": "Template",
}
#: Files a kind or name folder may hold that are not resources: ownership (TEP-0079's
#: OWNERS, read by Prow), Artifact Hub's repository metadata, documentation.
METADATA_FILES = frozenset({
    "OWNERS", "OWNERS_ALIASES", "README.md", "LICENSE",
    "artifacthub-repo.yml", "artifacthub-repo.yaml",
})
_YAML = (".yaml", ".yml")


class Tree(Protocol):
    """A read-only tree of files, named by ``/``-separated paths relative to its top
    (``""`` is the top). Hidden names (``.git``) are never listed."""

    def dirs(self, rel: str) -> list[str]:
        """Names of the folders directly in ``rel``, sorted; none when it is no folder."""
        ...

    def files(self, rel: str) -> list[str]:
        """Names of the files directly in ``rel``, sorted."""
        ...

    def walk(self, rel: str) -> list[str]:
        """Paths (from the top) of every file under ``rel``, sorted."""
        ...

    def read(self, rel: str) -> bytes: ...

    def digest(self, rel: str) -> str:
        """``sha256:<hex>`` of the file."""
        ...


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


@dataclass(frozen=True)
class DiskTree:
    """A folder on disk as a :class:`Tree`. Files are read only from inside ``top``: a
    link to a file elsewhere is refused (an index must publish nothing from outside)."""

    top: Path
    _root: Path = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_root", self.top.resolve())

    def _dir(self, rel: str) -> Path:
        return self.top / rel if rel else self.top

    def _children(self, rel: str) -> list[Path]:
        folder = self._dir(rel)
        if not folder.is_dir():
            return []
        return sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: p.name)

    def dirs(self, rel: str) -> list[str]:
        return [p.name for p in self._children(rel) if p.is_dir()]

    def files(self, rel: str) -> list[str]:
        return [p.name for p in self._children(rel) if p.is_file()]

    def walk(self, rel: str) -> list[str]:
        folder = self._dir(rel)
        out = []
        for p in folder.rglob("*"):
            parts = p.relative_to(folder).parts
            if p.is_file() and not any(part.startswith(".") for part in parts):
                out.append(join(rel, *parts))
        return sorted(out)

    def _open(self, rel: str) -> int:
        return fsutil.open_inside(self._root, str(self._dir(rel)), str(self._dir(rel)))

    def read(self, rel: str) -> bytes:
        fd = self._open(rel)
        try:
            return fsutil.read_fd(fd)
        finally:
            os.close(fd)

    def digest(self, rel: str) -> str:
        h = hashlib.sha256()
        with os.fdopen(self._open(rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return f"sha256:{h.hexdigest()}"


@dataclass(frozen=True)
class Found:
    """A resource file the walk found, before it is read.

    ``version`` is the version folder's name, or None in the TEP-0115 layout, where
    the version is the resource's label (or the git tag it was read from)."""

    kind: str
    name: str
    file: str
    version: str | None
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        return self.file.rsplit("/", 1)[0]


@dataclass(frozen=True)
class Skipped:
    """A file or folder the walk passed over, and why: a warning for the index."""

    where: str
    message: str


def kind_folders(tree: Tree, root: str = "") -> list[tuple[str, str]]:
    """``(folder path, kind)`` of the kind folders directly in ``root``, in name order."""
    return [(join(root, d), KIND_FOLDERS[d]) for d in tree.dirs(root) if d in KIND_FOLDERS]


def find_root(tree: Tree) -> str | None:
    """Where the kind folders are: the top (``""``), ``catalog``, or None."""
    for root in ("", "catalog"):
        if kind_folders(tree, root):
            return root
    return None


def walk(tree: Tree, root: str, *, flat_only: bool = False) -> Iterator[Found | Skipped]:
    """Every resource file under the kind folders of ``root``, and what was passed over.

    ``flat_only`` keeps only TEP-0115 resources (``<kind>/<name>/<name>.yaml``): a git
    tag gives those; version folders are read from the working tree alone."""
    for base, kind in kind_folders(tree, root):
        for f in tree.files(base):
            if f.endswith(_YAML) and f not in METADATA_FILES and not flat_only:
                yield Skipped(join(base, f), f"not in a {base.rsplit('/', 1)[-1]}/<name>/ folder; skipped")
        for name in tree.dirs(base):
            yield from _name_folder(tree, kind, join(base, name), name, flat_only)


def _name_folder(tree: Tree, kind: str, folder: str, name: str, flat_only: bool) -> Iterator[Found | Skipped]:
    subdirs = tree.dirs(folder)
    version_dirs = [d for d in subdirs if versions.is_version(d)]
    flat = f"{name}.yaml" in tree.files(folder)
    if flat:
        # TEP-0115: the folder is the resource; samples/ and tests/ are its files.
        inside = tuple(f for f in tree.walk(folder)
                       if f.split("/")[folder.count("/") + 1] not in version_dirs)
        yield Found(kind, name, join(folder, f"{name}.yaml"), None, inside)
    if flat_only:
        return
    if not flat and not version_dirs:
        yield Skipped(folder, f"neither {name}.yaml nor version folders (e.g. 0.1/{name}.yaml); skipped")
        return
    if not flat:
        for d in subdirs:
            if d not in version_dirs:
                yield Skipped(join(folder, d), f"folder name {d!r} is not a version; skipped")
        for f in tree.files(folder):
            if f.endswith(_YAML) and f not in METADATA_FILES:
                yield Skipped(join(folder, f), f"not in a version folder, and not {name}.yaml; skipped")
    for d in version_dirs:
        vdir = join(folder, d)
        file = join(vdir, f"{name}.yaml")
        if f"{name}.yaml" not in tree.files(vdir):
            yield Skipped(vdir, f"version folder has no {name}.yaml; skipped")
            continue
        yield Found(kind, name, file, d, tuple(tree.walk(vdir)))
