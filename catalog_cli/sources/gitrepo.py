"""A catalog in a git checkout, TEP-0115 style: every release tag is a version.

TEP-0115 catalogs keep one copy of each resource (``task/<name>/<name>.yaml``) and
release the whole repository with tags ``vX.Y.Z`` (or ``X.Y.Z``): version X.Y.Z of a
resource is its file at that tag, as Artifact Hub reads them. Entries read from a tag
name their files ``@vX.Y.Z/<path>``, which :class:`GitFiles` reads back from git;
entries of the working tree keep their plain paths. A released version is read from
its tag, even when the working tree holds the same version (with a warning if it
differs); a version the working tree has and no tag has is read from the working tree.

Only the top of a work tree counts as a checkout: a catalog folder deep inside some
other repository (a test fixture, a vendored copy) is a plain folder, whose tags are
not its releases.

git runs as a subprocess (``git`` on PATH), with the repository's own configuration;
nothing is written to the repository.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from .. import index as index_mod
from .. import layout, versions
from ..errors import InputError, NotFound
from ..model import Entry
from .base import FileSource

#: The first character of a path read from a release tag: ``@v1.2.0/task/x/x.yaml``.
TAG_MARK = "@"
_TIMEOUT = 120


def _git(top: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(top), *args], capture_output=True, timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed: it is needed to read release tags", str(top)) from None
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took over {_TIMEOUT} s", str(top)) from None
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[0]
        raise InputError(f"git {args[0]}: {first}", str(top))
    return done.stdout


def is_checkout(path: Path) -> bool:
    """Whether ``path`` is the top of a git work tree (git installed, repository readable)."""
    try:
        done = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-prefix"],
                              capture_output=True, timeout=_TIMEOUT, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == b"" and (path / ".git").exists()


def release_tags(top: Path) -> list[tuple[str, str, str]]:
    """``(tag, version, object id)`` of each tag that is a version, newest version first."""
    out = _git(top, "for-each-ref", "--format=%(refname:strip=2)%00%(objectname)", "refs/tags")
    tags = []
    for line in out.decode("utf-8", "replace").splitlines():
        tag, _, oid = line.partition("\0")
        version = index_mod.label_version(tag)
        if version is not None:
            tags.append((tag, version, oid))
    return sorted(tags, key=lambda t: (versions.parse(t[1]), t[0]), reverse=True)


def state(top: Path) -> str:
    """What the entries from tags depend on: the tags and what they point at."""
    return hashlib.sha256(repr(release_tags(top)).encode()).hexdigest()


class Blobs:
    """One ``git cat-file --batch`` process reading objects by id; digests kept per id."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self._proc: subprocess.Popen[bytes] | None = None
        self._digests: dict[str, str] = {}

    def __enter__(self) -> Blobs:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=_TIMEOUT)
            self._proc = None

    def read(self, oid: str) -> bytes:
        if self._proc is None:
            self._proc = subprocess.Popen(["git", "-C", str(self.top), "cat-file", "--batch"],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(oid.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise InputError(f"git cat-file: no blob {oid}", str(self.top))
        data = self._proc.stdout.read(int(header[2]))
        self._proc.stdout.read(1)  # the newline after each object
        return data

    def digest(self, oid: str) -> str:
        if oid not in self._digests:
            self._digests[oid] = "sha256:" + hashlib.sha256(self.read(oid)).hexdigest()
        return self._digests[oid]


@dataclass
class GitTree:
    """The files of one tag as a :class:`catalog_cli.layout.Tree` (regular files only:
    links and submodules are not catalog files)."""

    blobs: Blobs
    paths: dict[str, str]  # path -> blob id
    _dirs: dict[str, set[str]] = field(default_factory=dict)
    _files: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def at(cls, blobs: Blobs, tag: str) -> GitTree:
        specs = [layout.join(r, d) for r in ("", "catalog") for d in layout.KIND_FOLDERS]
        out = _git(blobs.top, "ls-tree", "-r", "-z", "--full-tree", f"refs/tags/{tag}", "--", *specs)
        paths = {}
        for record in out.split(b"\0"):
            meta, _, name = record.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[0] in (b"100644", b"100755") and parts[1] == b"blob":
                path = name.decode("utf-8", "replace")
                if not any(p.startswith(".") for p in path.split("/")):
                    paths[path] = parts[2].decode()
        tree = cls(blobs, paths)
        for path in sorted(paths):
            parent, _, base = path.rpartition("/")
            tree._files.setdefault(parent, []).append(base)
            while parent:
                up, _, child = parent.rpartition("/")
                tree._dirs.setdefault(up, set()).add(child)
                parent = up
        return tree

    def dirs(self, rel: str) -> list[str]:
        return sorted(self._dirs.get(rel, ()))

    def files(self, rel: str) -> list[str]:
        return self._files.get(rel, [])

    def walk(self, rel: str) -> list[str]:
        return sorted(p for p in self.paths if p.startswith(rel + "/"))

    def read(self, rel: str) -> bytes:
        return self.blobs.read(self.paths[rel])

    def digest(self, rel: str) -> str:
        return self.blobs.digest(self.paths[rel])


def build(top: Path) -> index_mod.Index:
    """The index of the checkout at ``top``: every TEP-0115 resource at every release
    tag, and what the working tree has (its version folders, and its label versions
    that no tag has)."""
    disk = layout.DiskTree(top)
    disk_root = layout.find_root(disk)
    if disk_root is None:
        index_mod.catalog_root(top)  # raises NotFound, saying what a catalog holds
    working, warn = index_mod.scan(disk, disk_root or "")
    tags = release_tags(top)
    from_tags: list[Entry] = []
    with Blobs(top) as blobs:
        for tag, version, _ in tags:
            tree = GitTree.at(blobs, tag)
            root = layout.find_root(tree)
            if root is not None:
                got, w = index_mod.scan(tree, root, prefix=f"{TAG_MARK}{tag}/", release=version, flat_only=True)
                from_tags.extend(got)
                warn.extend(w)
    released = {(e.kind, e.name, versions.parse(e.version)): e for e in reversed(from_tags)}
    local: list[Entry] = []
    flat = {e.path for e in working if _flat(e)}
    for e in working:
        tagged = released.get((e.kind, e.name, versions.parse(e.version)))
        if tagged is None:
            local.append(e)
            if e.path in flat and tags:
                warn.append(index_mod.Warning(e.path, f"version {e.version} has no release tag: "
                                                      "read from the working tree"))
        elif tagged.digest != e.digest or _plain(tagged) != _plain(e):
            warn.append(index_mod.Warning(e.path, f"differs from release {tagged.path.split('/', 1)[0][1:]}, "
                                                  "which is the one listed"))
    if flat and not tags:
        warn.append(index_mod.Warning(".", "a git checkout with no release tags (vX.Y.Z): "
                                           "only the working tree's label versions are listed"))
    return index_mod.collect([*from_tags, *local], warn, ".")


def _flat(e: Entry) -> bool:
    """Whether an entry is TEP-0115's ``<kind>/<name>/<name>.yaml`` (no version folder)."""
    return e.path.rsplit("/", 2)[-2] == e.name


def _plain(e: Entry) -> tuple[tuple[str, str], ...]:
    """An entry's files without the tag mark: to compare a tag with the working tree."""
    return tuple((f.path.split("/", 1)[1] if f.path.startswith(TAG_MARK) else f.path, f.digest) for f in e.files)


@dataclass(frozen=True)
class GitFiles:
    """The files of a checkout's catalog: ``@TAG/path`` from that release tag, anything
    else from the working tree (through ``local``)."""

    top: Path
    local: FileSource  # the working tree

    def read(self, rel: str, digest: str | None = None) -> bytes:
        if not rel.startswith(TAG_MARK):
            return self.local.read(rel, digest)
        tag, _, inner = rel[1:].partition("/")
        parts = inner.split("/")
        if index_mod.label_version(tag) is None or not inner or any(p in ("", ".", "..") for p in parts):
            raise InputError("not a path of a release tag", rel)
        try:
            return _git(self.top, "cat-file", "blob", f"refs/tags/{tag}:{inner}")
        except InputError:
            raise NotFound(f"no such file at release tag {tag}", rel) from None
