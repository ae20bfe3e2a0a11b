"""The cache of each HTTP repo on disk: ``$XDG_CACHE_HOME/catalog/repos/<name>/``.

index.yaml, index.yaml.sig when the repo requires a signed index (stored only once it
verified), meta.json (URL, ETag, fetch time, sha256 of the index) and ``files/``,
each file stored under its sha256 only after it matched the index. Every write goes
through :func:`fsutil.atomic_write` (0600 files in 0700 folders, a temporary file
renamed into place, no link followed), so a failure never leaves half an index;
every read refuses a link, so a planted one reads as a cache miss and is replaced.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import fsutil
from ..settings import Settings
from ..urls import redact, url_key

if TYPE_CHECKING:
    from ..repos import Repo

INDEX = "index.yaml"
SIG = "index.yaml.sig"


def cache_root(settings: Settings) -> Path:
    return settings.cache_home / "repos"


def cache_dir(repo: Repo, settings: Settings) -> Path:
    return cache_root(settings) / str(repo.name)


def store_file(path: Path, data: bytes, settings: Settings) -> None:
    """Write a file of the cache: private, whole, never through a link on the way."""
    fsutil.atomic_write(path, data, private=True, base=settings.cache_home)


def load_file(path: Path, settings: Settings) -> bytes | None:
    """A file of the cache, or None when it is missing, unreadable or a link. Its folders
    are checked first (a linked folder is refused, not read)."""
    fsutil.private_dir(path.parent, base=settings.cache_home)
    try:
        return fsutil.read_private(path)
    except OSError:
        return None


@dataclass(frozen=True)
class Cached:
    """What the cache holds for one repo."""

    index: bytes
    url: str
    etag: str | None
    fetched_at: float
    last_modified: str | None = None
    #: The index's signature as last fetched (repos that require one); None when absent.
    sig: bytes | None = None

    @property
    def age(self) -> str:
        return age_text(time.time() - self.fetched_at)


def age_text(seconds: float) -> str:
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s // size} {unit} ago"
    return f"{s} s ago"


def read_cache(repo: Repo, settings: Settings) -> Cached | None:
    """The cached index of ``repo``, or None when absent, damaged or for another URL."""
    folder = cache_dir(repo, settings)
    raw, body = load_file(folder / "meta.json", settings), load_file(folder / INDEX, settings)
    if raw is None or body is None:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    if meta.get("url_key") != url_key(repo.url) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
        return None  # another URL's index, or replaced without its meta: fetch it afresh
    lm = meta.get("last_modified")
    return Cached(body, redact(repo.url), meta.get("etag"), float(meta.get("fetched_at", 0)),
                  lm if isinstance(lm, str) else None, load_file(folder / SIG, settings))


def write_meta(repo: Repo, body: bytes, etag: str | None, settings: Settings,
               last_modified: str | None = None) -> None:
    # The URL is kept redacted, for people reading the file, and compared by its hash.
    meta = {"url": redact(repo.url), "url_key": url_key(repo.url), "etag": etag,
            "last_modified": last_modified,
            "fetched_at": time.time(), "sha256": hashlib.sha256(body).hexdigest()}
    store_file(cache_dir(repo, settings) / "meta.json", json.dumps(meta, indent=1).encode(), settings)

