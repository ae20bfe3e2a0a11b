"""Catalogs served over HTTP(S): any static web server holding index.yaml and its files."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from .errors import NotFound, RemoteError

TIMEOUT = 10.0
RETRIES = 2


def _client() -> Any:
    import httpx

    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, verify=True)


def fetch(client: Any, url: str) -> bytes:
    """GET ``url`` with bounded retries and backoff; httpx errors become RemoteError."""
    import httpx

    for attempt in range(RETRIES + 1):
        try:
            resp = client.get(url)
        except httpx.HTTPError as exc:
            if attempt == RETRIES:
                raise RemoteError(f"cannot fetch: {exc.__class__.__name__}: {exc}", url) from exc
        else:
            if resp.status_code == 404:
                raise NotFound("not found (HTTP 404)", url)
            if resp.status_code < 500 or attempt == RETRIES:
                if resp.status_code >= 400:
                    raise RemoteError(f"HTTP {resp.status_code}", url)
                return bytes(resp.content)
        time.sleep(0.2 * 2**attempt)
    raise AssertionError("unreachable")


@dataclass
class HttpFiles:
    base_url: str
    client: Any

    def read(self, rel: str) -> bytes:
        return fetch(self.client, f"{self.base_url}/{rel}")


def open_remote(url: str) -> Any:
    from . import index as index_mod
    from .cache import open_cache
    from .catalogs import Catalog

    base = url[: -len(index_mod.INDEX_NAME)].rstrip("/") if url.endswith(".yaml") else url.rstrip("/")
    client = _client()
    body = fetch(client, f"{base}/{index_mod.INDEX_NAME}")
    key = "sha256:" + hashlib.sha256(body).hexdigest()

    def load() -> Any:
        text = body.decode("utf-8", errors="replace")
        return index_mod.from_data(index_mod.parse_text(text, f"{base}/{index_mod.INDEX_NAME}")).entries, []

    return Catalog(url, HttpFiles(base, client), open_cache(f"url:{base}", key, load))
