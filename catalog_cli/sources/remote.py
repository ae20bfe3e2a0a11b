"""Catalogs served over HTTP(S): any static web server holding index.yaml and its files.

A configured repo (or a URL) opened as a catalog: its index revalidated with one
request (or, offline, taken from :mod:`.repo_cache`), its files fetched through
:class:`.http.Http` and kept in the cache once they match their digest.
Credentials come from the repo's configuration and go only over https or to a
loopback address: a repo with credentials and a plain-http URL to another host is
refused before any request (:func:`~catalog_cli.urls.check_transport`). A repo added
with trusted keys has its index.yaml.sig fetched with its index and checked before the
cache takes either, and again every time the cached index is used (:mod:`.signed`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from .. import fsutil, repos
from ..errors import CatalogError, NotFound, Refused, RemoteError
from ..progress import reporter
from ..repos import Repo
from ..settings import Settings
from ..urls import check_transport, redact, refuse_userinfo
from .http import Http
from .repo_cache import INDEX, SIG, cache_dir, load_file, read_cache, store_file, write_meta
from .signed import check, trust_of

#: An index.yaml.sig is a few hundred bytes (signing.index_sig.MAX_SIG_BYTES).
MAX_SIG_BYTES = 64 * 1024

if TYPE_CHECKING:
    from .cache import IndexData
    from .folder import IndexCatalog


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


def _client(repo: Repo, settings: Settings) -> Http:
    if repo.auth.kind:
        check_transport(repo.url)  # again here: the config may have been edited by hand
    return Http(repo.auth.headers(repo.name, settings.env), timeout=settings.http_timeout,
                retries=settings.http_retries, origin=repo.url)


@dataclass(frozen=True)
class Update:
    """What ``repo update`` did for one repo."""

    name: str
    status: str  # updated | unchanged
    #: Bytes downloaded: 0 when the server answered 304 (not modified).
    fetched: int
    #: How the server told: "not modified" (a 304), "same content" (the whole index
    #: downloaded again: a server with neither ETag nor Last-Modified), or "new content".
    how: str


def sig_url(repo_url: str) -> str:
    """The URL of a repo's index signature: ``index.yaml.sig`` beside its index, with the
    same query (a token or a SAS in the URL goes with it)."""
    _, index_url, query = urls(repo_url)
    return f"{index_url[:len(index_url) - len(query)]}.sig{query}"


def _fetch_sig(http: Http, repo: Repo) -> bytes | None:
    """The repo's index.yaml.sig, or None when the server has none (HTTP 404)."""
    try:
        return http.get(sig_url(repo.url), limit=MAX_SIG_BYTES).body
    except NotFound:
        return None


def update(repo: Repo, settings: Settings, http: Http | None = None, *, label: bool = False) -> Update:
    """Fetch ``repo``'s index (one 304 when unchanged); the cache is replaced only by a
    complete index that parses, and never half-written. A repo that requires a signed
    index (``repo add --trust-key``) also fetches index.yaml.sig, and the cache takes
    neither unless the signature is accepted (:func:`.signed.check`)."""
    from .. import index as index_mod

    trust = trust_of(repo, settings)
    own = http is None
    http = http or _client(repo, settings)
    try:
        cached = read_cache(repo, settings)
        _, index_url, _ = urls(repo.url)
        resp = http.get(index_url, etag=cached.etag if cached else None,
                        last_modified=cached.last_modified if cached else None,
                        limit=index_mod.MAX_INDEX_BYTES, label=f"{repo.name}: index" if label else None)
        sig = _fetch_sig(http, repo) if trust is not None else None
    finally:
        if own:
            http.close()
    folder = cache_dir(repo, settings)
    if cached is not None and (resp.status == 304 or resp.body == cached.index):
        if trust is not None:
            check(trust, cached.index, sig, settings, redact(sig_url(repo.url)))
            if sig is not None and sig != cached.sig:
                store_file(folder / SIG, sig, settings)  # signed again: a later expiry
        if resp.status == 304:
            write_meta(repo, cached.index, resp.etag or cached.etag, settings, resp.last_modified)
            return Update(repo.name, "unchanged", 0, "not modified")
        # A server with neither ETag nor a usable Last-Modified sends the same bytes again.
        write_meta(repo, cached.index, resp.etag, settings, resp.last_modified)
        return Update(repo.name, "unchanged", len(resp.body), "same content")
    if trust is not None:  # before the index is even parsed: nothing unsigned is looked at
        check(trust, resp.body, sig, settings, redact(sig_url(repo.url)))
    text = resp.body.decode("utf-8", errors="replace")
    index_mod.parse_text(text, redact(index_url))  # refuse a bad index before it replaces a good one
    store_file(folder / INDEX, resp.body, settings)
    if sig is not None:
        store_file(folder / SIG, sig, settings)
    write_meta(repo, resp.body, resp.etag, settings, resp.last_modified)
    return Update(repo.name, "updated", len(resp.body), "new content")


@dataclass
class HttpFiles:
    """The files of a remote repo, served from the cache when their digest is known."""

    repo: Repo
    base_url: str
    settings: Settings
    http: Http | None = None
    query: str = ""

    def read(self, rel: str, digest: str | None = None) -> bytes:
        # The digest names a file in the cache: only a well-formed one may (no path in it).
        ok = digest is not None and re.fullmatch(r"sha256:[0-9a-f]{64}", digest) is not None
        folder = cache_dir(self.repo, self.settings) / "files"
        stored = folder / digest.replace(":", "-") if ok and digest else None
        cached = load_file(stored, self.settings) if stored is not None else None
        if cached is not None:
            return cached
        if self.settings.offline:
            raise RemoteError(f"offline, and not in the cache of repo {self.repo.name}", rel)
        if self.http is None:
            self.http = _client(self.repo, self.settings)
        data = self.http.get(f"{self.base_url}/{rel}{self.query}", label=rel).body
        if stored is not None and digest == "sha256:" + hashlib.sha256(data).hexdigest():
            with contextlib.suppress(OSError, fsutil.Unwritable):  # costs a download next time
                store_file(stored, data, self.settings)
        return data


def open_remote_repo(repo: Repo, settings: Settings) -> IndexCatalog:
    """A catalog for ``repo``: its index revalidated (or, with ``settings.offline``,
    taken from the cache)."""
    from .. import index as index_mod
    from .cache import open_cache
    from .folder import IndexCatalog

    refuse_userinfo(repo.url)  # also when the config was written by hand
    base, index_url, query = urls(repo.url)
    http = None
    if settings.offline:
        cached = read_cache(repo, settings)
        if cached is None:
            raise RemoteError(f"offline, and no cached index of repo {repo.name}: "
                              "run `catalog repo update` while online", redact(index_url))
        reporter().note(f"using cached index of repo {repo.name} from {cached.age}")
    else:
        http = _client(repo, settings)  # one client (one TLS setup) for the index and the files
        try:
            update(repo, settings, http)
        except OSError as exc:
            raise CatalogError(f"cannot write the cache: {exc.strerror}",
                               str(cache_dir(repo, settings))) from exc
        except RemoteError as exc:
            cached = read_cache(repo, settings)
            if cached is None or isinstance(exc, Refused):
                raise
            reporter().note(f"repo {repo.name}: {exc}; using its cached index from {cached.age}")
        cached = read_cache(repo, settings)
        if cached is None:
            raise CatalogError("the cache of this repo could not be written", str(cache_dir(repo, settings)))
    body = cached.index
    key = "sha256:" + hashlib.sha256(body).hexdigest()
    trust = trust_of(repo, settings)
    # Checked again at every use, the cache too: a signature expires while it sits there.
    signer = check(trust, body, cached.sig, settings, redact(sig_url(repo.url))).keyid if trust else None

    def load() -> IndexData:
        data = index_mod.parse_text(body.decode("utf-8", errors="replace"), redact(index_url))
        return index_mod.from_data(data).entries, []

    db = open_cache(f"repo:{repo.name}:{repo.url}", key, load, settings)
    return IndexCatalog(redact(repo.url), HttpFiles(repo, base, settings, http, query), db, repo.name,
                        signer=signer)


def open_url(url: str, settings: Settings) -> IndexCatalog:
    """A catalog at ``url``: as the configured repo with that URL (its credentials and
    cache), or as an anonymous one cached under a name made from the URL."""
    refuse_userinfo(url)
    want = url.rstrip("/")
    for repo in repos.load(settings):
        # Locks, answers files and messages name a repo by its redacted URL: that matches too.
        if want in (repo.url.rstrip("/"), redact(repo.url).rstrip("/")):
            return open_remote_repo(repo, settings)
    name = "_url-" + hashlib.sha256(want.encode()).hexdigest()[:16]
    catalog = open_remote_repo(Repo(name, want), settings)
    catalog.name = None
    catalog.location = redact(url)
    catalog.origin_name = redact(want).rstrip("/")  # what records name: no credentials, one spelling
    return catalog
