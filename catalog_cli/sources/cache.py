"""A local SQLite copy of an index, built once per change, so that search does not
depend on the size of the index (a 15,000-version index is 24 MB of YAML that takes
PyYAML seconds to parse; a query on this cache takes milliseconds).
"""

from __future__ import annotations

import contextlib
import gc
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..model import Dependency, Entry
from ..settings import Settings

#: Bumped whenever what a cache holds may differ: caches written before the entries were
#: checked against their keys are rebuilt, not trusted.
SCHEMA_VERSION = "9"

# A table with rowids: rows of a kilobyte make a table WITHOUT ROWID three times larger
# and slower to fill (measured on 15,000 entries: 67 MiB and 0.23 s, against 20 MiB
# and 0.07 s with the key as an index).
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (
    name TEXT NOT NULL, pos INTEGER NOT NULL, kind TEXT NOT NULL, version TEXT NOT NULL,
    haystack TEXT NOT NULL, tags TEXT NOT NULL, categories TEXT NOT NULL,
    platforms TEXT NOT NULL, data TEXT NOT NULL, versions TEXT NOT NULL, PRIMARY KEY (name, kind, pos)
);
"""

#: Entries as the ``data`` column keeps them (read back with json.loads).
_encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


def _joined(values: tuple[str, ...]) -> str:
    # Delimited on both sides so that ``instr(tags, '|git|')`` is an exact, whole-value match.
    return "|" + "|".join(map(str.lower, values)) + "|"


def _rows(named: Iterable[tuple[str, Iterable[dict[str, Any]]]]) -> Iterator[tuple[Any, ...]]:
    """Rows of the entries table, from each name's entries (``Entry.to_dict()`` each),
    newest first within each kind. The newest of each kind (``pos`` 0) also holds every
    version of its kind, newest first (``versions``, a JSON list; empty on the others):
    a search reads its hits there, rather than every row of each (on the 15,000-version
    index, reading them took twice as long as the search)."""
    for name, items in named:
        items = items if isinstance(items, list) else list(items)
        versions: dict[str, list[Any]] = {}
        for d in items:
            versions.setdefault(d["kind"], []).append(d["version"])
        seen: dict[str, int] = {}
        for d in items:  # ``pos`` counts versions within one kind: 0 is the newest
            kind, tags, categories = d["kind"], d["tags"], d["categories"]
            pos = seen[kind] = seen.get(kind, -1) + 1
            hay = " ".join([d["name"], d["displayName"], d["description"], *tags, *categories]).lower()
            yield (name, pos, kind, d["version"], hay, _joined(tags), _joined(categories),
                   _joined(d["platforms"]), _encode(d), _encode(versions[kind]) if pos == 0 else "")


def _fill(db: sqlite3.Connection, named: Iterable[tuple[str, Iterable[dict[str, Any]]]],
          warnings: list[str], key: str) -> None:
    # Pages of 16 KiB hold a dozen rows: a third less time to fill than 4 KiB pages.
    db.execute("PRAGMA page_size=16384")
    db.executescript(_SCHEMA)
    db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", _rows(named))
    db.executemany("INSERT INTO meta VALUES (?,?)", [
        ("key", key), ("schema", SCHEMA_VERSION), ("warnings", json.dumps(warnings)),
    ])
    db.commit()


def _entry_dicts(data: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Each name of validated index data with its entries as ``Entry.to_dict()`` gives
    them, or as the index gives them when that is the same to ``Entry.from_dict``, in
    the order of :func:`index.order`. No Entry is made when the index has them in that
    order already (as ``catalog index`` writes them): that took two fifths of the time
    of copying a large index into the cache."""
    from ..index import in_order, order  # building only (see open_cache)

    for name, items in data["entries"].items():
        if in_order((d["kind"], d["version"]) for d in items):
            yield name, [d if _as_written(d) else _entry_dict(d) for d in items]
        else:
            yield name, [e.to_dict() for e in order(Entry.from_dict(d) for d in items)]


_FIELDS = frozenset(Entry("n", "Task", "1", "p", "d").to_dict())
# A dependency's "via" (a resolver reference) is read into a ResolverRef: not as written.
_NESTED = {"dependencies": frozenset({"name", "range", "kind"}), "files": frozenset({"path", "digest"}),
           "rbac": frozenset({"apiGroups", "resources", "verbs", "resourceNames"})}


def _as_written(d: dict[str, Any]) -> bool:
    """Whether a validated entry can be kept as it is, because Entry.from_dict reads it
    as it reads its ``to_dict()``: every field there, and nothing else anywhere (the
    schema lets unknown fields through, of any YAML type, which the cache must not
    keep, nor fail to encode)."""
    if d.keys() != _FIELDS:
        return False
    for field, allowed in _NESTED.items():
        for item in d[field]:
            if not item.keys() <= allowed:
                return False
    # Entry.to_dict drops a dependency's empty kind, which reads back as None, not "".
    return all(x.get("kind", True) for x in d["dependencies"])


def _entry_dict(d: dict[str, Any]) -> dict[str, Any]:
    """``Entry.from_dict(d).to_dict()``, without the Entry (tests/test_cache.py checks
    that the two agree)."""
    return {
        "name": d["name"],
        "kind": d["kind"],
        "version": str(d["version"]),
        "path": d["path"],
        "digest": d["digest"],
        "description": d.get("description") or "",
        "displayName": d.get("displayName") or "",
        "categories": list(d.get("categories") or ()),
        "tags": list(d.get("tags") or ()),
        "platforms": list(d.get("platforms") or ()),
        "minPipelinesVersion": d.get("minPipelinesVersion"),
        "deprecated": bool(d.get("deprecated", False)),
        "dependencies": [_dependency(x) for x in d.get("dependencies") or ()],
        "rbac": [_rule(x) for x in d.get("rbac") or ()],
        "files": [{"path": f["path"], "digest": f["digest"]} for f in d.get("files") or ()],
    }


def _dependency(x: dict[str, Any]) -> dict[str, Any]:
    return Dependency.from_dict(x).to_dict()  # few, and with a resolver reference to read


def _rule(x: dict[str, Any]) -> dict[str, Any]:
    out = {"apiGroups": list(x.get("apiGroups") or ()), "resources": list(x.get("resources") or ()),
           "verbs": list(x.get("verbs") or ())}
    if x.get("resourceNames"):
        out["resourceNames"] = list(x["resourceNames"])
    return out


@dataclass(frozen=True)
class IndexFile:
    """The data of an index file as :func:`catalog_cli.index.read` gives it: validated,
    every entry named as its key (so no Entry need be made of it)."""

    data: dict[str, Any]


#: What a loader returns: entries by name, and warnings (as text) met while loading;
#: or an index file's validated data, copied as it is.
IndexData = tuple[dict[str, tuple[Entry, ...]], list[str]]
Loaded = IndexData | IndexFile


def warnings_of(db: sqlite3.Connection) -> list[str]:
    row = db.execute("SELECT value FROM meta WHERE key='warnings'").fetchone()
    return list(json.loads(row[0])) if row else []


def open_cache(location: str, key: str, load: Callable[[], Loaded], settings: Settings, *,
               where: str = "index") -> sqlite3.Connection:
    """A connection to the cache of ``location`` (under ``settings.cache_home``), rebuilt
    with ``load()`` when ``key`` changed.

    Every entry ``load()`` gives must be named as its key and of a known kind
    (``index.check_key``; ``where`` names the index in the error), whoever built it.

    Warnings met while loading are kept with the cache, so they are shown every time,
    not only on the run that built it.

    The file is built under a random name beside its final one (0600, in a 0700 folder,
    see :mod:`catalog_cli.fsutil`) and renamed into place, so a crash never leaves a
    half-built cache and a planted link is replaced, never written through; an
    unwritable cache directory falls back to memory.
    """
    import hashlib

    from .. import fsutil

    home = settings.cache_home
    folder = home / "index"
    path = folder / (hashlib.sha256(location.encode()).hexdigest()[:32] + ".sqlite")
    with contextlib.suppress(fsutil.Unwritable):  # then memory, below; a linked folder is refused
        fsutil.private_dir(folder, base=home)
    if path.is_file() and not path.is_symlink():
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if meta.get("key") == key and meta.get("schema") == SCHEMA_VERSION:
                return db
            db.close()
        except sqlite3.DatabaseError:
            pass  # a damaged cache is rebuilt below
    # The index module only to build: opening a built cache (every search) needs none of it.
    from ..index import check_key

    with paused_gc():
        loaded = load()
        if isinstance(loaded, IndexFile):  # index.read checked every entry's key
            data = loaded.data

            def named() -> Iterable[tuple[str, Iterable[dict[str, Any]]]]:
                return _entry_dicts(data)

            warnings: list[str] = []
        else:
            # Whatever built the entries (a tree, a bundle), none goes in under another name.
            entries, warnings = loaded
            for name, items in entries.items():
                for i, e in enumerate(items):
                    check_key(name, i, e.name, e.kind, where)

            def named() -> Iterable[tuple[str, Iterable[dict[str, Any]]]]:
                return ((name, [e.to_dict() for e in items]) for name, items in entries.items())
        try:
            with fsutil.replacing(path, private=True, base=home) as tmp:
                db = sqlite3.connect(tmp)
                try:
                    db.execute("PRAGMA journal_mode=OFF")  # no -journal file beside it: the file is new
                    _fill(db, named(), warnings, key)
                finally:
                    db.close()
            return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        except (OSError, fsutil.Unwritable):
            db = sqlite3.connect(":memory:", check_same_thread=False)
            _fill(db, named(), warnings, key)
            return db


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while an index is read and copied: it holds a million
    objects and no cycle, and collecting as they are made took a third of the time
    (measured on the 15,000-version index: json.loads 0.19 s, 0.10 s without)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
