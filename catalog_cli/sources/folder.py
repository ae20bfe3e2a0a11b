"""An indexed catalog: one index, its SQLite cache and the files it names.

``IndexCatalog`` is every catalog read from an index: a folder (with or without
index.yaml), an HTTP repo and an OCI bundle are IndexCatalogs with different
``FileSource``s. ``open_path`` opens the folder kind; ``sources.open`` picks the kind.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import fsutil
from ..errors import InputError, NotFound, SignatureError
from ..model import KIND_ORDER, Entry
from ..settings import Settings
from .base import FileSource, SearchHit, digest_checked, match_rank, names_file, search_words
from .cache import IndexData, IndexFile, open_cache, warnings_of
from .single import OneRepo

if TYPE_CHECKING:
    from .signed import Trust

#: ``index.INDEX_NAME``, here so that opening a cached catalog does not import the index
#: module (YAML, resources, layout: most of a search's start-up); tests/test_sources.py
#: holds the two equal.
INDEX_NAME = "index.yaml"


def builtin_root() -> Path:
    """The built-in catalog: shipped in the wheel as ``catalog_cli/builtin``, or the
    repository's ``catalog/`` folder when running from a source checkout."""
    import importlib.util

    spec = importlib.util.find_spec("catalog_cli.builtin")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            if (Path(loc) / INDEX_NAME).is_file():
                return Path(loc)
    return Path(__file__).resolve().parents[2] / "catalog"


@dataclass(frozen=True)
class LocalFiles:
    """The files of a catalog on disk; nothing outside ``base`` is read."""

    base: Path
    _root: Path = field(init=False, repr=False, compare=False)
    #: Folders already checked (relative path -> resolved path): a site reads tens of
    #: thousands of files from a few per folder, and resolving every path was most of
    #: the cost of reading them.
    _folders: dict[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_root", self.base.resolve())

    def _folder(self, folder: str, rel: str) -> str:
        """``folder`` resolved, refused unless it is inside the catalog: from its parent's
        resolved path and one ``lstat`` of its own name when that is a plain folder."""
        known = self._folders.get(folder)
        if known is not None:
            return known
        parent, _, name = folder.rpartition("/")
        path = None
        if folder and name not in ("", ".", ".."):
            under = self._folder(parent, rel) if parent else str(self._root)
            try:
                if stat.S_ISDIR(os.lstat(os.path.join(under, name)).st_mode):  # not a link
                    path = os.path.join(under, name)
            except OSError:
                pass  # missing: resolved below, and then not found
        if path is None:
            resolved = (self._root / folder).resolve()
            if resolved != self._root and self._root not in resolved.parents:
                raise InputError("path leaves the catalog", rel)
            path = str(resolved)
        self._folders[folder] = path
        return path

    def read(self, rel: str, digest: str | None = None) -> bytes:
        folder, _, name = rel.rpartition("/")
        if name in ("", ".", ".."):
            self._folder(rel, rel)  # refused first when it leaves the catalog
            raise InputError("is a folder, not a file", rel)
        path = os.path.join(self._folder(folder, rel), name)
        try:
            # A symlink is not followed blindly (a folder checked before may have gained
            # one): it is resolved and checked as a folder is.
            fd = fsutil.open_inside(self._root, path, rel)
        except FileNotFoundError:
            raise NotFound("file named by the index is missing", path) from None
        try:
            return fsutil.read_fd(fd)
        finally:
            os.close(fd)


@dataclass
class IndexCatalog(OneRepo):
    """An opened catalog: a queryable copy of its index, and the files it names."""

    location: str
    files: FileSource
    db: sqlite3.Connection
    #: The repo name this catalog was opened as (``builtin`` for the built-in one), which
    #: ``NAME/...`` references may name.
    name: str | None = None
    #: Its :meth:`origin` when it has no repo name (``folder:NAME`` for a folder given by path).
    origin_name: str | None = None
    #: The id of the key whose signature of the index was verified on opening (see ``signed``).
    signer: str | None = None

    @property
    def warnings(self) -> list[str]:
        return warnings_of(self.db)

    # -- queries -------------------------------------------------------------------
    def _entries(self, sql: str, args: tuple[str, ...] = ()) -> list[Entry]:
        return [Entry.from_dict(json.loads(row[0])) for row in self.db.execute(sql, args)]

    def names(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT name FROM entries ORDER BY name")]

    def kinds(self, name: str) -> list[str]:
        name = self._own(name)
        rows = self.db.execute("SELECT DISTINCT kind FROM entries WHERE name=?", (name,))
        return sorted((r[0] for r in rows), key=lambda k: KIND_ORDER.get(k, 9))

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        """Every version of ``name`` newest first; of ``kind``, or of the first kind
        that has the name (Task, then Pipeline, then StepAction)."""
        name = self._own(name)
        kinds = self.kinds(name)
        if not kinds:
            raise NotFound(f"no {name!r} in catalog {self.location}{self._suggest(name)}")
        if kind is None:
            kind = kinds[0]
        elif kind not in kinds:
            raise NotFound(f"{name!r} is a {' and a '.join(kinds)} in catalog {self.location}, not a {kind}")
        sql = "SELECT data FROM entries WHERE name=? AND kind=? ORDER BY pos"
        return tuple(self._entries(sql, (name, kind)))

    def _suggest(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, self.names(), n=3)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def search(
        self,
        term: str = "",
        *,
        category: str | None = None,
        tag: str | None = None,
        platform: str | None = None,
        kind: str | None = None,
    ) -> list[SearchHit]:
        """Names whose newest version matches, best match first, with all their versions."""
        words = search_words(term)
        args: dict[str, str] = {
            "category": f"|{category.lower()}|" if category else "",
            "tag": f"|{tag.lower()}|" if tag else "",
            "platform": (platform or "").lower(),
            "kind": (kind or "").lower(),
        }
        args.update({f"w{i}": w for i, w in enumerate(words)})
        every_word = "".join(f" AND instr(haystack, :w{i}) > 0" for i in range(len(words)))
        sql = f"""
            SELECT name, kind, data, versions FROM entries
            WHERE pos = 0{every_word}
              AND (:category = '' OR instr(categories, :category) > 0)
              AND (:tag = '' OR instr(tags, :tag) > 0)
              AND (:platform = '' OR instr(platforms, '|' || :platform || '|') > 0
                   OR (platforms = '||' AND :platform = 'linux/amd64'))
              AND (:kind = '' OR lower(kind) = :kind)
        """
        found = list(self.db.execute(sql, args))
        found.sort(key=lambda row: (match_rank(term, row[0]), row[0], row[1]))
        return [SearchHit(n, k, Entry.from_dict(json.loads(d)), tuple(json.loads(v))) for n, k, d, v in found]

    def origin(self, entry: Entry) -> str:
        """Its repo name; else the name it was given; else its location when that is a
        (redacted) URL or a bundle reference, which are the same on every machine."""
        if self.name:
            return self.name
        if self.origin_name:
            return self.origin_name
        if self.location.startswith(("http://", "https://", "oci://")):
            return self.location
        return f"folder:{Path(self.location).resolve().name}"  # never a path: it differs per machine

    # -- files ---------------------------------------------------------------------
    def has_file(self, rel: str, digest: str) -> bool:
        """Whether the index names ``rel`` with ``digest`` (as a resource or a file beside it)."""
        # instr() narrows to the few rows naming both strings; the pair is checked on the entry.
        rows = self.db.execute("SELECT data FROM entries WHERE instr(data, ?) > 0 AND instr(data, ?) > 0",
                               (json.dumps(rel), json.dumps(digest)))
        return any(names_file(Entry.from_dict(json.loads(row[0])), rel, digest) for row in rows)

    def read_file(self, rel: str, digest: str | None) -> bytes:
        """A file of the catalog, refused unless its sha256 is the one the index names."""
        return digest_checked(rel, self.files.read(rel, digest), digest)


def _tree_key(root: Path) -> str:
    """Changes whenever a file under ``root`` does (hidden folders such as .git aside)."""
    import os

    h = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            st = os.stat(os.path.join(folder, f), follow_symlinks=False)
            h.update(f"{folder}/{f}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


#: How much of an index.yaml.sig is read: its limit (signing.index_sig.MAX_SIG_BYTES) and a byte.
_SIG_READ = 64 * 1024 + 1


def _read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` (None when it does not exist), refusing one over ``limit``."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"file is {size:,} bytes, over the limit of {limit:,}", str(path))
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from None


def signed_files(path: Path) -> tuple[bytes | None, bytes | None, str]:
    """The bytes of a folder's index (None when it has none: a bare tree) and of its
    index.yaml.sig (None when absent), and where the signature is, for messages."""
    from .. import index as index_mod

    index_file = path / INDEX_NAME if path.is_dir() else path
    body = _read_bounded(index_file, index_mod.MAX_INDEX_BYTES) if index_file.is_file() else None
    sig_file = index_file.with_name(index_file.name + ".sig")
    try:
        with sig_file.open("rb") as f:
            sig: bytes | None = f.read(_SIG_READ)  # one byte over is enough for the verifier to refuse it
    except FileNotFoundError:
        sig = None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(sig_file)) from None
    return body, sig, str(sig_file)


def _open_signed(path: Path, settings: Settings, name: str | None, origin: str, trust: Trust) -> IndexCatalog:
    """A folder whose repo requires a signed index: the bytes read once, verified, and
    the catalog built from those very bytes (never from a second read of the file)."""
    from .. import index as index_mod
    from .signed import check

    body, sig, where = signed_files(path)
    if body is None:
        raise trust.refusal(SignatureError(f"no {INDEX_NAME}: a tree indexed on the fly is not signed "
                                           "(catalog index --sign KEY writes both)", str(path), reason="unsigned"))
    verified = check(trust, body, sig, settings, where)
    index_file = path / INDEX_NAME if path.is_dir() else path

    def load() -> IndexFile:
        return IndexFile(index_mod.parse_text(body.decode("utf-8", errors="replace"), str(index_file)))

    db = open_cache(str(index_file.resolve()), f"signed:sha256:{verified.sha256}", load, settings,
                    where=str(index_file))
    return IndexCatalog(str(path), LocalFiles(index_file.parent), db, name, origin, verified.keyid)


def open_path(path: Path, settings: Settings, name: str | None = None, trust: Trust | None = None) -> IndexCatalog:
    """A catalog on disk: a folder holding index.yaml, an index file, or a bare tree
    indexed as it is, with every release tag when it is a git checkout (see
    :mod:`.gitrepo`). Its SQLite copy lives under ``settings.cache_home``. With
    ``trust`` (a repo added with trusted keys), only an index.yaml with a valid
    signature by one of them is read (:mod:`.signed`)."""
    if name is None and path.resolve() == builtin_root().resolve():
        name = "builtin"
    if not path.exists():
        raise NotFound("no such file or directory", str(path))
    # Where its entries come from, the same on every machine: the folder's own name.
    origin = f"folder:{(path if path.is_dir() else path.parent).resolve().name}"
    index_file = path / INDEX_NAME if path.is_dir() else path
    if trust is not None:
        return _open_signed(path, settings, name, origin, trust)
    if index_file.is_file():
        st = index_file.stat()
        key = f"file:{st.st_size}:{st.st_mtime_ns}"

        def load() -> IndexFile:
            from .. import index as index_mod

            return IndexFile(index_mod.read(index_file))

        db = open_cache(str(index_file.resolve()), key, load, settings, where=str(index_file))
        return IndexCatalog(str(path), LocalFiles(index_file.parent), db, name, origin)
    # A tree with no index.yaml (tektoncd/catalog as it is): index it, paths relative to ``path``.
    from .. import index as index_mod

    root = index_mod.catalog_root(path)
    from . import gitrepo

    if gitrepo.is_checkout(path):
        def from_git() -> IndexData:
            idx = gitrepo.build(path)
            return idx.entries, [str(w) for w in idx.warnings]

        key = f"git:{gitrepo.state(path)}:{_tree_key(root)}"
        db = open_cache(f"git:{path.resolve()}", key, from_git, settings, where=str(path))
        return IndexCatalog(str(path), gitrepo.GitFiles(path, LocalFiles(path)), db, name, origin)

    def build() -> IndexData:
        idx = index_mod.build(path)
        return idx.entries, [str(w) for w in idx.warnings]

    db = open_cache(f"tree:{path.resolve()}", f"tree:{_tree_key(root)}", build, settings, where=str(path))
    return IndexCatalog(str(path), LocalFiles(path), db, name, origin)
