"""Catalogs served over HTTP(S): any static web server holding index.yaml and its files.

The one module that speaks HTTP for catalogs:

- timeouts on connect and read (``$CATALOG_HTTP_TIMEOUT`` seconds, default 10);
- bounded retries with exponential backoff (``$CATALOG_HTTP_RETRIES``, default 2)
  on refused connections, connect timeouts, cut-off bodies, 5xx and 429; never on
  other 4xx, nor on a read timeout (a slow server stays slow: waiting three times as
  long helps nobody);
- ETag / If-None-Match: an unchanged index costs one request answered 304;
- credentials as headers built from the repo's configuration, never in a message
  (URLs in messages lose their user:password part and their query), and only over
  https or to a loopback address: a repo with credentials and a plain-http URL to
  another host is refused before any request (:func:`check_transport`), and every
  request, redirects included, is checked again: the Authorization header never
  leaves the repo's origin and never goes over plain http to another machine;
- a cache per repo under ``$XDG_CACHE_HOME/catalog/repos/<name>/``: index.yaml,
  meta.json (URL, ETag, fetch time, sha256 of the index) and ``files/``, each file
  stored under its sha256 only after it matched the index. Every write goes through
  :func:`fsutil.atomic_write` (0600 files in 0700 folders, a temporary file renamed
  into place, no link followed), so a failure never leaves half an index; every
  read refuses a link, so a planted one reads as a cache miss and is replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .. import fsutil
from ..errors import CatalogError, NotFound, Refused, RemoteError
from ..progress import reporter
from ..urls import check_transport, is_loopback, redact, refuse_userinfo, url_key

if TYPE_CHECKING:
    from .folder import IndexCatalog

TIMEOUT_ENV = "CATALOG_HTTP_TIMEOUT"
RETRIES_ENV = "CATALOG_HTTP_RETRIES"
OFFLINE_ENV = "CATALOG_OFFLINE"
TIMEOUT = 10.0
RETRIES = 2
BACKOFF = 0.2  # seconds before the first retry; doubled each time
INDEX = "index.yaml"
#: Bodies over this are refused (the index's own limit is in index.py).
MAX_FILE_BYTES = 64 * 1024 * 1024


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, "") or default)
    except ValueError:
        return default


def offline_default() -> bool:
    return os.environ.get(OFFLINE_ENV, "").lower() not in ("", "0", "false", "no")


def _origin(url: Any) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    etag: str | None = None


class Http:
    """An httpx client with the timeouts, retries and headers above."""

    def __init__(self, headers: Mapping[str, str] | None = None, *, timeout: float | None = None,
                 retries: int | None = None, origin: str | None = None) -> None:
        """``headers`` go with every request to ``origin`` (the repo's URL), and only there."""
        import httpx

        self.timeout = timeout if timeout is not None else _env_number(TIMEOUT_ENV, TIMEOUT)
        self.retries = int(retries if retries is not None else _env_number(RETRIES_ENV, RETRIES))
        self._credentials = any(k.lower() == "authorization" for k in headers or {})
        self._origin = _origin(httpx.URL(origin)) if origin else None
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True,
                                    verify=True, headers=dict(headers or {}),
                                    event_hooks={"request": [self._guard]})

    def _guard(self, request: Any) -> None:
        """Run by httpx before every request it sends, redirects included. httpx itself
        drops Authorization on a cross-origin redirect (tested); this does not rely on
        it, and also refuses to follow a repo with credentials to plain http elsewhere."""
        if not self._credentials:
            return
        url = request.url
        if url.scheme != "https" and not is_loopback(url.host):
            raise RemoteError("refusing to follow a repo with credentials to plain http on another "
                              "machine (a redirect?)", redact(str(url)))
        if self._origin is not None and _origin(url) != self._origin:
            request.headers.pop("Authorization", None)

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, *, etag: str | None = None, limit: int = MAX_FILE_BYTES,
            label: str | None = None) -> Response:
        """GET ``url``; 304 when ``etag`` still matches. Errors name the URL, never headers."""
        import httpx

        headers = {"If-None-Match": etag} if etag else {}
        where = redact(url)
        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(BACKOFF * 2 ** (attempt - 1))
            try:
                with self._client.stream("GET", url, headers=headers) as resp:
                    code = resp.status_code
                    if code == 304:
                        return Response(304, b"", resp.headers.get("etag") or etag)
                    if code == 429 or code >= 500:
                        reason = f"HTTP {code}"
                        continue
                    if code == 404:
                        raise NotFound("not found (HTTP 404)", where)
                    if code in (401, 403):
                        raise Refused(f"HTTP {code}: not allowed (check the repo's credentials)", where)
                    if code >= 400:
                        raise RemoteError(f"HTTP {code}", where)
                    body = _read(resp, limit, where, label)
                    return Response(code, body, resp.headers.get("etag"))
            except httpx.ReadTimeout:
                raise RemoteError(f"cannot fetch: no answer within {self.timeout:g} s", where) from None
            except httpx.TimeoutException:
                reason = f"timed out after {self.timeout:g} s"
            except httpx.RemoteProtocolError as exc:
                reason = f"incomplete response ({_first_line(exc)})"
            except httpx.HTTPError as exc:
                reason = _first_line(exc) or type(exc).__name__
        tries = self.retries + 1
        raise RemoteError(f"cannot fetch: {reason} ({tries} attempt{'s' if tries > 1 else ''})", where)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _read(resp: Any, limit: int, where: str, label: str | None) -> bytes:
    import httpx

    length = resp.headers.get("content-length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > limit:
        raise RemoteError(f"response is {total:,} bytes, over the limit of {limit:,}", where)
    bar = reporter().bar(label, total, unit="bytes") if label else None
    chunks, got = [], 0
    try:
        for chunk in resp.iter_bytes():
            got += len(chunk)
            if got > limit:
                raise RemoteError(f"response is over the limit of {limit:,} bytes", where)
            chunks.append(chunk)
            if bar:
                bar.advance(len(chunk))
    finally:
        if bar:
            bar.close()
    body = b"".join(chunks)
    # h11 already refuses a body shorter than its Content-Length; this covers the rest.
    if total is not None and not resp.headers.get("content-encoding") and len(body) != total:
        raise httpx.RemoteProtocolError(f"received {len(body)} of {total} bytes")
    return body


# -- the cache ---------------------------------------------------------------------------
def cache_root() -> Path:
    from .cache import cache_home

    return cache_home() / "repos"


def cache_dir(repo: Any) -> Path:
    return cache_root() / str(repo.name)


def _store(path: Path, data: bytes) -> None:
    """Write a file of the cache: private, whole, never through a link on the way."""
    from .cache import cache_home

    fsutil.atomic_write(path, data, private=True, base=cache_home())


def _load(path: Path) -> bytes | None:
    """A file of the cache, or None when it is missing, unreadable or a link. Its folders
    are checked first (a linked folder is refused, not read)."""
    from .cache import cache_home

    fsutil.private_dir(path.parent, base=cache_home())
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

    @property
    def age(self) -> str:
        return age_text(time.time() - self.fetched_at)


def age_text(seconds: float) -> str:
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            return f"{s // size} {unit} ago"
    return f"{s} s ago"


def read_cache(repo: Any) -> Cached | None:
    """The cached index of ``repo``, or None when absent, damaged or for another URL."""
    folder = cache_dir(repo)
    raw, body = _load(folder / "meta.json"), _load(folder / INDEX)
    if raw is None or body is None:
        return None
    try:
        meta = json.loads(raw)
    except ValueError:
        return None
    if meta.get("url_key") != url_key(repo.url) or meta.get("sha256") != hashlib.sha256(body).hexdigest():
        return None  # another URL's index, or replaced without its meta: fetch it afresh
    return Cached(body, redact(repo.url), meta.get("etag"), float(meta.get("fetched_at", 0)))


def _write_meta(repo: Any, body: bytes, etag: str | None) -> None:
    # The URL is kept redacted, for people reading the file, and compared by its hash.
    meta = {"url": redact(repo.url), "url_key": url_key(repo.url), "etag": etag,
            "fetched_at": time.time(), "sha256": hashlib.sha256(body).hexdigest()}
    _store(cache_dir(repo) / "meta.json", json.dumps(meta, indent=1).encode())


def urls(repo_url: str) -> tuple[str, str, str]:
    """(base URL of the files, URL of the index, query) of a repo URL. A query (a token
    or an Azure SAS in the URL) goes with every request, index and files alike."""
    parts = urlsplit(repo_url)
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = f"?{parts.query}" if parts.query else ""
    if bare.endswith((".yaml", ".yml", ".json")):
        return bare.rsplit("/", 1)[0], bare + query, query
    base = bare.rstrip("/")
    return base, f"{base}/{INDEX}{query}", query


def _client(repo: Any) -> Http:
    if repo.auth.kind:
        check_transport(repo.url)  # again here: the config may have been edited by hand
    return Http(repo.auth.headers(repo.name), origin=repo.url)


@dataclass(frozen=True)
class Update:
    """What ``repo update`` did for one repo."""

    name: str
    status: str  # updated | unchanged
    size: int


def update(repo: Any, http: Http | None = None, *, label: bool = False) -> Update:
    """Fetch ``repo``'s index (one 304 when unchanged); the cache is replaced only by a
    complete index that parses, and never half-written."""
    from .. import index as index_mod

    own = http is None
    http = http or _client(repo)
    try:
        cached = read_cache(repo)
        _, index_url, _ = urls(repo.url)
        resp = http.get(index_url, etag=cached.etag if cached else None,
                        limit=index_mod.MAX_INDEX_BYTES, label=f"{repo.name}: index" if label else None)
    finally:
        if own:
            http.close()
    if cached is not None and (resp.status == 304 or resp.body == cached.index):
        # A server without ETags answers 200 with the same bytes: still unchanged.
        _write_meta(repo, cached.index, resp.etag or cached.etag)
        return Update(repo.name, "unchanged", len(cached.index))
    text = resp.body.decode("utf-8", errors="replace")
    index_mod.parse_text(text, redact(index_url))  # refuse a bad index before it replaces a good one
    _store(cache_dir(repo) / INDEX, resp.body)
    _write_meta(repo, resp.body, resp.etag)
    return Update(repo.name, "updated", len(resp.body))


@dataclass
class HttpFiles:
    """The files of a remote repo, served from the cache when their digest is known."""

    repo: Any
    base_url: str
    offline: bool
    http: Http | None = None
    query: str = ""

    def read(self, rel: str, digest: str | None = None) -> bytes:
        # The digest names a file in the cache: only a well-formed one may (no path in it).
        ok = digest is not None and re.fullmatch(r"sha256:[0-9a-f]{64}", digest) is not None
        stored = cache_dir(self.repo) / "files" / digest.replace(":", "-") if ok and digest else None
        cached = _load(stored) if stored is not None else None
        if cached is not None:
            return cached
        if self.offline:
            raise RemoteError(f"offline, and not in the cache of repo {self.repo.name}", rel)
        if self.http is None:
            self.http = _client(self.repo)
        data = self.http.get(f"{self.base_url}/{rel}{self.query}", label=rel).body
        if stored is not None and digest == "sha256:" + hashlib.sha256(data).hexdigest():
            with contextlib.suppress(OSError, fsutil.Unwritable):  # costs a download next time
                _store(stored, data)
        return data


def open_remote_repo(repo: Any, offline: bool | None = None) -> IndexCatalog:
    """A catalog for ``repo``: its index revalidated (or, offline, taken from the cache)."""
    from .. import index as index_mod
    from .cache import open_cache
    from .folder import IndexCatalog

    refuse_userinfo(repo.url)  # also when the config was written by hand
    offline = offline_default() if offline is None else offline
    base, index_url, query = urls(repo.url)
    http = None
    if offline:
        cached = read_cache(repo)
        if cached is None:
            raise RemoteError(f"offline, and no cached index of repo {repo.name}: "
                              "run `catalog repo update` while online", redact(index_url))
        reporter().note(f"using cached index of repo {repo.name} from {cached.age}")
    else:
        http = _client(repo)  # one client (one TLS setup) for the index and the files
        try:
            update(repo, http)
        except OSError as exc:
            raise CatalogError(f"cannot write the cache: {exc.strerror}", str(cache_dir(repo))) from exc
        except RemoteError as exc:
            cached = read_cache(repo)
            if cached is None or isinstance(exc, Refused):
                raise
            reporter().note(f"repo {repo.name}: {exc}; using its cached index from {cached.age}")
        cached = read_cache(repo)
        if cached is None:
            raise CatalogError("the cache of this repo could not be written", str(cache_dir(repo)))
    body = cached.index
    key = "sha256:" + hashlib.sha256(body).hexdigest()

    def load() -> Any:
        data = index_mod.parse_text(body.decode("utf-8", errors="replace"), redact(index_url))
        return index_mod.from_data(data).entries, []

    db = open_cache(f"repo:{repo.name}:{repo.url}", key, load)
    return IndexCatalog(redact(repo.url), HttpFiles(repo, base, offline, http, query), db, repo.name)


def open_url(url: str, offline: bool | None = None) -> IndexCatalog:
    """A catalog at ``url``: as the configured repo with that URL (its credentials and
    cache), or as an anonymous one cached under a name made from the URL."""
    from ..repos import Repo, load

    refuse_userinfo(url)
    want = url.rstrip("/")
    for repo in load():
        # Locks, answers files and messages name a repo by its redacted URL: that matches too.
        if want in (repo.url.rstrip("/"), redact(repo.url).rstrip("/")):
            return open_remote_repo(repo, offline)
    name = "_url-" + hashlib.sha256(want.encode()).hexdigest()[:16]
    catalog = open_remote_repo(Repo(name, want), offline)
    catalog.name = None
    catalog.location = redact(url)
    catalog.origin_name = redact(want).rstrip("/")  # what records name: no credentials, one spelling
    return catalog
