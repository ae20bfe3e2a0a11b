"""A local SQLite copy of an index, built once per change, so that search does not
depend on the size of the index (a 15,000-version index is 24 MB of YAML that takes
PyYAML seconds to parse; a query on this cache takes milliseconds).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from ..model import Entry
from ..settings import Settings

#: Bumped whenever what a cache holds may differ: caches written before the entries were
#: checked against their keys are rebuilt, not trusted.
SCHEMA_VERSION = "7"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (
    name TEXT NOT NULL, pos INTEGER NOT NULL, kind TEXT NOT NULL, version TEXT NOT NULL,
    haystack TEXT NOT NULL, tags TEXT NOT NULL, categories TEXT NOT NULL,
    platforms TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (name, kind, pos)
) WITHOUT ROWID;
"""


def _joined(values: tuple[str, ...]) -> str:
    # Delimited on both sides so that ``instr(tags, '|git|')`` is an exact, whole-value match.
    return "|" + "|".join(v.lower() for v in values) + "|"


def _fill(db: sqlite3.Connection, loaded: IndexData, key: str) -> None:
    entries, warnings = loaded
    db.executescript(_SCHEMA)
    rows = []
    for name, items in entries.items():
        seen: dict[str, int] = {}
        for e in items:  # ``pos`` counts versions within one kind: 0 is the newest
            pos = seen[e.kind] = seen.get(e.kind, -1) + 1
            hay = " ".join([e.name, e.display_name, e.description, *e.tags, *e.categories]).lower()
            rows.append((name, pos, e.kind, e.version, hay, _joined(e.tags),
                         _joined(e.categories), _joined(e.platforms), json.dumps(e.to_dict())))
    db.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?)", rows)
    db.executemany("INSERT INTO meta VALUES (?,?)", [
        ("key", key), ("schema", SCHEMA_VERSION), ("warnings", json.dumps(warnings)),
    ])
    db.commit()


#: What a loader returns: entries by name, and warnings (as text) met while loading.
IndexData = tuple[dict[str, tuple[Entry, ...]], list[str]]


def warnings_of(db: sqlite3.Connection) -> list[str]:
    row = db.execute("SELECT value FROM meta WHERE key='warnings'").fetchone()
    return list(json.loads(row[0])) if row else []


def open_cache(location: str, key: str, load: Callable[[], IndexData], settings: Settings, *,
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
    import contextlib
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
    from ..index import check_key  # only to build: opening a built cache needs no index module

    entries = load()
    # Whatever built the entries (an index file, a bundle), none goes in under another name.
    for name, items in entries[0].items():
        for i, e in enumerate(items):
            check_key(name, i, e.name, e.kind, where)
    try:
        with fsutil.replacing(path, private=True, base=home) as tmp:
            db = sqlite3.connect(tmp)
            try:
                db.execute("PRAGMA journal_mode=OFF")  # no -journal file beside it: the file is new
                _fill(db, entries, key)
            finally:
                db.close()
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    except (OSError, fsutil.Unwritable):
        db = sqlite3.connect(":memory:", check_same_thread=False)
        _fill(db, entries, key)
        return db
