"""Pure helpers on URLs: what a message may show of one, and where credentials may go.

Below ``sources/``, ``repos`` and ``scaffold/`` alike, because all three name URLs in
messages or files; nothing here opens a connection.
"""

from __future__ import annotations

import hashlib
import ipaddress
from urllib.parse import urlsplit, urlunsplit

from .errors import InputError


def redact(url: str) -> str:
    """``url`` fit for a message or a file: no user:password, no query (signed URLs carry
    secrets), no fragment. The full URL lives only in the 0600 repos.yaml."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def url_key(url: str) -> str:
    """How a cache remembers the full URL it was filled from without storing it."""
    return "sha256:" + hashlib.sha256(url.encode()).hexdigest()


def refuse_userinfo(url: str) -> None:
    """A URL with ``user:password@`` puts a secret where every message and log shows it."""
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise InputError("a repo URL may not carry a user name or password: give them as "
                         "--username-env and --password-env, or a token as --token-env", redact(url))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 with or without brackets) is this machine."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(url: str) -> None:
    """Refuse to use credentials with ``url`` unless it is https or loopback: over plain
    http to another machine anyone on the path reads them."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return
    raise InputError("credentials go only over https or to a loopback address, not over plain "
                     f"{parts.scheme or 'text'}: use an https URL (or drop the credentials)", redact(url))
