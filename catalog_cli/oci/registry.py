"""The OCI registry edge, through oras-py (the ORAS project's Python client).

Everything that speaks to a registry is here, and nothing of Tekton is: image
references, when plain HTTP is allowed, a client with this tool's timeouts and
bounded retries, manifests and blobs fetched and checked, and pushes.

Manifests and blobs are read as streams and never past a cap: a manifest past
MAX_MANIFEST_BYTES, a blob past the size its manifest declares (checked against
Content-Length first, then as the bytes arrive), so a registry that lies about a
size costs at most one byte more than the truth.

Plain HTTP is used only for loopback registries (127.0.0.1, localhost, ::1) or with
``insecure=True``; TLS is verified otherwise. oras-py's own retries (up to two
minutes of sleeping) and log lines are replaced by this module's bounded retries
and errors: the library never prints.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import DigestMismatch, InputError, NotFound, RemoteError
from ..settings import HTTP_BACKOFF, HTTP_RETRIES, HTTP_TIMEOUT, Settings

if TYPE_CHECKING:
    from requests import Response  # imported where used: oras-py brings it

#: What registries themselves accept (distribution refuses larger manifests).
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
CHUNK = 64 * 1024
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class ImageRef:
    """``REGISTRY/REPOSITORY[:TAG|@DIGEST]``."""

    registry: str  # host[:port]
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def host(self) -> str:
        return self.registry.rsplit(":", 1)[0] if self.registry.count(":") == 1 else self.registry

    def __str__(self) -> str:
        tail = f"@{self.digest}" if self.digest else f":{self.tag or 'latest'}"
        return f"{self.registry}/{self.repository}{tail}"

    def with_digest(self, digest: str) -> ImageRef:
        return ImageRef(self.registry, self.repository, None, digest)


def parse_ref(text: str, *, need_tag: bool = True) -> ImageRef:
    """``[oci://]REGISTRY/REPO[:TAG|@sha256:...]``; the registry part is required."""
    raw = text[len("oci://"):] if text.startswith("oci://") else text
    registry, sep, rest = raw.partition("/")
    if not sep or not rest or not ("." in registry or ":" in registry or registry == "localhost"):
        raise InputError("expected REGISTRY/REPOSITORY[:TAG|@DIGEST], e.g. 127.0.0.1:5000/tasks/git-clone:0.2", text)
    digest = None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not digest.startswith("sha256:") or len(digest) != 71:
            raise InputError("a digest is sha256: and 64 hex digits", text)
    tag = None
    if ":" in rest.rsplit("/", 1)[-1]:
        rest, _, tag = rest.rpartition(":")
    if not rest or rest != rest.lower() or " " in rest:
        raise InputError("a repository is lower case, without spaces", text)
    if need_tag and tag is None and digest is None:
        tag = "latest"
    return ImageRef(registry, rest, tag, digest)


class Container(Protocol):
    """What this module uses of an oras-py container (oras-py has no type information)."""

    def manifest_url(self) -> str: ...

    def get_blob_url(self, digest: str) -> str: ...

    def upload_blob_url(self) -> str: ...


class Registry(Protocol):
    """What this module uses of the oras-py Registry :func:`client` returns."""

    prefix: str

    def get_container(self, name: str) -> Container: ...

    def do_request(self, url: str, method: str = "GET", data: Any = None,
                   headers: Mapping[str, str] | None = None, json: Any = None,
                   stream: bool = False) -> Response: ...

    def push(self, target: str, **options: Any) -> Response: ...


def plain_http(registry: str, insecure: bool = False) -> bool:
    """Whether to speak plain HTTP to ``registry``: loopback, or when asked."""
    host = registry.rsplit(":", 1)[0] if registry.count(":") == 1 else registry
    return insecure or host in LOOPBACK


def client(ref: ImageRef, insecure: bool, settings: Settings | None = None) -> Registry:
    """An oras-py Registry with the timeouts and bounded retries of ``settings`` (without
    one, their defaults), and silent."""
    import oras.logger
    import oras.provider
    import requests
    from requests import PreparedRequest
    from requests.adapters import HTTPAdapter

    oras.logger.logger.log_handler = []  # oras-py logs to stderr by default
    timeout = settings.http_timeout if settings else HTTP_TIMEOUT
    retries = settings.http_retries if settings else HTTP_RETRIES
    # Without oras-py's own retry decorator (five tries, sleeping up to 83 s each).
    raw = getattr(oras.provider.Registry.do_request, "__wrapped__", oras.provider.Registry.do_request)

    class _Adapter(HTTPAdapter):
        # requests declares send's parameters one by one; they are passed on as they come.
        def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
            kwargs["timeout"] = kwargs.get("timeout") or timeout
            return super().send(request, **kwargs)

    class _Registry(oras.provider.Registry):  # type: ignore[misc]  # oras-py has no types: Any
        def do_request(self, url: str, method: str = "GET", data: Any = None,
                       headers: Mapping[str, str] | None = None, json: Any = None,
                       stream: bool = False) -> Response:
            reason = ""
            for attempt in range(retries + 1):
                if attempt:
                    time.sleep(HTTP_BACKOFF * 2 ** (attempt - 1))
                try:
                    resp: Response = raw(self, url, method, data, dict(headers or {}), json, stream)
                except requests.exceptions.ReadTimeout:
                    raise RemoteError(f"no answer within {timeout:g} s", str(ref)) from None
                except requests.exceptions.RequestException as exc:
                    reason = type(exc).__name__
                    continue
                except ValueError as exc:  # oras-py: "Cannot respond to request for authentication."
                    raise RemoteError(f"registry refused the credentials: {exc}", str(ref)) from None
                if resp.status_code == 429 or resp.status_code >= 500:
                    reason = f"HTTP {resp.status_code}"
                    continue
                return resp
            raise RemoteError(f"cannot reach the registry: {reason} ({retries + 1} attempts)", str(ref))

    reg = _Registry(hostname=ref.registry, insecure=plain_http(ref.registry, insecure))
    adapter = _Adapter(max_retries=0)
    reg.session.mount("http://", adapter)
    reg.session.mount("https://", adapter)
    return reg


def check(resp: Response, what: str, ref: ImageRef) -> Response:
    if resp.status_code == 404:
        raise NotFound(f"{what}: not found in the registry", str(ref))
    if resp.status_code not in (200, 201, 202):
        raise RemoteError(f"{what}: registry answered HTTP {resp.status_code}", str(ref))
    return resp


def _read_capped(resp: Response, limit: int, over: str, where: str) -> bytes:
    """The body of a streamed response, never read past ``limit`` (+1 byte, to see that
    it is over: then ``over`` is the error). Raw bytes: no transfer decoding, so what is
    hashed is what was sent, and no decompression happens here."""
    try:
        length = resp.headers.get("Content-Length") or ""
        if length.isdigit() and int(length) > limit:
            raise InputError(over, where)
        body = bytearray()
        while True:
            chunk = resp.raw.read(min(CHUNK, limit + 1 - len(body)), decode_content=False)
            if not chunk:
                return bytes(body)
            body += chunk
            if len(body) > limit:
                raise InputError(over, where)
    finally:
        resp.close()


def fetch_manifest(reg: Registry, ref: ImageRef) -> tuple[bytes, str]:
    """The manifest's bytes and their digest, which must be the one ``ref`` pins."""
    container = reg.get_container(str(ref))
    url = f"{reg.prefix}://{container.manifest_url()}"
    accept = {"Accept": f"{MANIFEST_MEDIA_TYPE}, {DOCKER_MANIFEST_MEDIA_TYPE}", "Accept-Encoding": "identity"}
    resp = check(reg.do_request(url, "GET", headers=accept, stream=True), "manifest", ref)
    body = _read_capped(resp, MAX_MANIFEST_BYTES, f"manifest is over {MAX_MANIFEST_BYTES:,} bytes: refused",
                        str(ref))
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if ref.digest and ref.digest != digest:
        raise DigestMismatch(f"manifest digest {digest} is not the one asked for", str(ref))
    return body, digest


def fetch_blob(reg: Registry, ref: ImageRef, digest: str, size: int, where: str) -> bytes:
    """The blob ``digest`` of ``ref``'s repository, ``size`` bytes as its manifest says,
    checked against that digest."""
    container = reg.get_container(str(ref))
    url = f"{reg.prefix}://{container.get_blob_url(digest)}"
    resp = check(reg.do_request(url, "GET", headers={"Accept-Encoding": "identity"}, stream=True), where, ref)
    blob = _read_capped(resp, size, f"blob is larger than the manifest says ({size:,} bytes): refused", where)
    got = "sha256:" + hashlib.sha256(blob).hexdigest()
    if got != digest:
        raise DigestMismatch(f"blob digest {got} does not match the manifest ({digest})", where)
    return blob


def push(reg: Registry, ref: ImageRef, files: list[str], config: str, annotation_file: str) -> str:
    """Push an image made of ``files`` (``PATH:MEDIATYPE``); returns its manifest digest."""
    try:
        resp = reg.push(str(ref), files=files, manifest_config=config,
                        annotation_file=annotation_file, disable_path_validation=True, quiet=True)
    except ValueError as exc:  # oras-py reports refused uploads so
        raise RemoteError(f"push refused: {exc}", str(ref)) from None
    digest = resp.headers.get("Docker-Content-Digest")
    return str(digest) if digest else ""


def push_manifest(reg: Registry, ref: ImageRef, manifest: bytes, media_type: str,
                  blobs: Mapping[str, bytes]) -> str:
    """Push ``blobs`` (by their digests, each checked; those the registry has already are
    not sent again), then ``manifest``'s very bytes under ``ref``'s tag, for an image made
    elsewhere (a cosign signature). Returns the manifest's digest."""
    container = reg.get_container(str(ref))
    for digest, data in blobs.items():
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise ValueError(f"blob is not {digest}")
        if reg.do_request(f"{reg.prefix}://{container.get_blob_url(digest)}", "HEAD").status_code == 200:
            continue
        start = check(reg.do_request(f"{reg.prefix}://{container.upload_blob_url()}", "POST",
                                     headers={"Content-Length": "0"}), "blob upload", ref)
        location = start.headers.get("Location") or ""
        if not location:
            raise RemoteError("blob upload: the registry gave no upload location", str(ref))
        if not location.startswith(("http://", "https://")):
            location = f"{reg.prefix}://{ref.registry}{location}"
        check(reg.do_request(f"{location}{'&' if '?' in location else '?'}digest={digest}", "PUT", data=data,
                             headers={"Content-Type": "application/octet-stream"}), "blob upload", ref)
    check(reg.do_request(f"{reg.prefix}://{container.manifest_url()}", "PUT", data=manifest,
                         headers={"Content-Type": media_type}), "manifest upload", ref)
    return "sha256:" + hashlib.sha256(manifest).hexdigest()
