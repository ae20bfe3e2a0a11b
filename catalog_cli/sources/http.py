"""The HTTP client every catalog request goes through (httpx underneath).

- timeouts on connect and read (``Settings.http_timeout`` seconds, default 10);
- bounded retries with exponential backoff (``Settings.http_retries``, default 2)
  on refused connections, connect timeouts, cut-off bodies, 5xx and 429; never on
  other 4xx, nor on a read timeout (a slow server stays slow: waiting three times as
  long helps nobody);
- ETag / If-None-Match, or Last-Modified / If-Modified-Since for plain web servers
  without ETags (``python3 -m http.server``): an unchanged index costs one request
  answered 304;
- bodies read under a cap, with a progress bar when asked;
- credentials as headers, never in a message (URLs in messages lose their
  user:password part and their query), and every request, redirects included, is
  checked: the Authorization header never leaves the repo's origin and never goes
  over plain http to another machine.

The repo's own cache is :mod:`.repo_cache`; opening a repo as a catalog is :mod:`.remote`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import NotFound, Refused, RemoteError
from ..progress import reporter
from ..settings import HTTP_BACKOFF, HTTP_RETRIES, HTTP_TIMEOUT
from ..urls import is_loopback, redact

if TYPE_CHECKING:
    import httpx  # imported where used: only a run that fetches pays for it

#: Bodies over this are refused (the index's own limit is in index.py).
MAX_FILE_BYTES = 64 * 1024 * 1024


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    etag: str | None = None
    #: The Last-Modified header, kept only when it can be trusted for revalidation.
    last_modified: str | None = None


class Http:
    """An httpx client with the timeouts, retries and headers above."""

    def __init__(self, headers: Mapping[str, str] | None = None, *, timeout: float = HTTP_TIMEOUT,
                 retries: int = HTTP_RETRIES, origin: str | None = None) -> None:
        """``headers`` go with every request to ``origin`` (the repo's URL), and only there.
        ``timeout`` and ``retries`` are a ``Settings``' ``http_timeout`` and ``http_retries``."""
        import httpx

        self.timeout = timeout
        self.retries = int(retries)
        self._credentials = any(k.lower() == "authorization" for k in headers or {})
        self._origin = _origin(httpx.URL(origin)) if origin else None
        self._client = httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True,
                                    verify=True, headers=dict(headers or {}),
                                    event_hooks={"request": [self._guard]})

    def _guard(self, request: httpx.Request) -> None:
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

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            limit: int = MAX_FILE_BYTES, label: str | None = None) -> Response:
        """GET ``url``; 304 when ``etag`` still matches or nothing changed since
        ``last_modified``. Errors name the URL, never headers."""
        import httpx

        headers = {"If-None-Match": etag} if etag else {}
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        where = redact(url)
        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(HTTP_BACKOFF * 2 ** (attempt - 1))
            try:
                with self._client.stream("GET", url, headers=headers) as resp:
                    code = resp.status_code
                    if code == 304:
                        return Response(304, b"", resp.headers.get("etag") or etag, last_modified)
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
                    return Response(code, body, resp.headers.get("etag"), _validator(resp.headers))
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


def _validator(headers: httpx.Headers) -> str | None:
    """Last-Modified, when it may be sent back as If-Modified-Since. The header has
    one-second resolution: a file changed in the same second as it was served would look
    unchanged for ever after. So, as HTTP caches do (RFC 9110, 8.8.2.2), a date less than
    two seconds before the response's own Date is too weak to revalidate with."""
    from email.utils import parsedate_to_datetime

    value, date = headers.get("last-modified"), headers.get("date")
    if not value or not date:
        return None
    try:
        gap = (parsedate_to_datetime(date) - parsedate_to_datetime(value)).total_seconds()
    except (TypeError, ValueError):
        return None
    return value if gap >= 2 else None


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _read(resp: httpx.Response, limit: int, where: str, label: str | None) -> bytes:
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

