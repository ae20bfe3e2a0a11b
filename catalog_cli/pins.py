"""Pinning resolver references to content: a bundle's tag to its manifest digest (asked
of the registry), a git branch or tag to its commit (``git ls-remote``).

The two questions go through the :class:`Pinner` protocol: :class:`RemotePinner` asks
the registry and git for real, :class:`FixedPins` answers from a table (tests, and a
lock's pins offline). :func:`pin` says, for any reference, what it is pinned to or why
it is not: some references name no content at all (hub, cluster), and nothing is
asked when offline.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from .errors import CatalogError, InputError, NotFound, RemoteError
from .refs import ResolverRef
from .settings import Settings
from .urls import redact

#: Transports ``git ls-remote`` may use for a URL read from a document: never ``ext::``
#: (it runs commands) nor a bare path.
GIT_SCHEMES = ("https", "http", "ssh", "git", "file")


class Pinner(Protocol):
    """Where pins come from. Both raise a CatalogError naming what could not be pinned."""

    def bundle_digest(self, image: str) -> str:
        """The manifest digest ``REGISTRY/REPO:TAG`` names now (``sha256:...``)."""
        ...

    def git_commit(self, url: str, revision: str) -> str:
        """The commit a branch or tag of the repository at ``url`` names now."""
        ...


@dataclass
class FixedPins:
    """An honest fake: pins from tables; NotFound for anything else. ``asked`` records
    every question, so tests can see what would have gone over the network."""

    digests: Mapping[str, str] = field(default_factory=dict)
    commits: Mapping[tuple[str, str], str] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def bundle_digest(self, image: str) -> str:
        self.asked.append(image)
        if image not in self.digests:
            raise NotFound("no such tag in the registry", image)
        return self.digests[image]

    def git_commit(self, url: str, revision: str) -> str:
        self.asked.append(f"{url}@{revision}")
        if (url, revision) not in self.commits:
            raise NotFound(f"no branch or tag {revision!r}", url)
        return self.commits[(url, revision)]


class RemotePinner:
    """Asks the registry (through ``oci.registry``) and git, with the patience of ``settings``."""

    def __init__(self, settings: Settings, *, insecure: bool = False) -> None:
        self.settings = settings
        self.insecure = insecure
        #: Registries that could not be reached, and why: not asked again in this run.
        self._down: dict[str, RemoteError] = {}

    def bundle_digest(self, image: str) -> str:
        from .oci.registry import client, fetch_manifest, parse_ref

        ref = parse_ref(image)
        if ref.registry in self._down:
            raise self._down[ref.registry]
        try:
            return fetch_manifest(client(ref, self.insecure, self.settings), ref)[1]
        except RemoteError as exc:
            if exc.message.startswith("cannot reach"):
                self._down[ref.registry] = exc
            raise

    def git_commit(self, url: str, revision: str) -> str:
        return ls_remote(url, revision, self.settings)


def ls_remote(url: str, revision: str, settings: Settings) -> str:
    """The commit ``revision`` (a tag, peeled when annotated, or a branch, or a full
    ref name) names at ``url``, by ``git ls-remote``, never prompting for credentials."""
    if not revision or revision.startswith("-"):
        raise InputError(f"{revision!r} is not a revision", redact(url))
    refs = _ls_remote(url, [revision, f"{revision}^{{}}"], settings)
    for name in (f"refs/tags/{revision}^{{}}", f"refs/tags/{revision}", f"refs/heads/{revision}",
                 f"{revision}^{{}}", revision):
        if name in refs:
            return refs[name]
    raise NotFound(f"no branch or tag {revision!r}", redact(url))


def ls_remote_tags(url: str, settings: Settings) -> dict[str, str]:
    """Every tag of the repository at ``url`` and the commit it names (annotated tags
    peeled), by ``git ls-remote --tags``, never prompting for credentials."""
    refs = _ls_remote(url, ["--tags"], settings)
    out: dict[str, str] = {}
    for name, sha in refs.items():
        tag = name.removeprefix("refs/tags/")
        if tag.endswith("^{}"):
            out[tag[:-3]] = sha  # the peeled commit wins over the tag object
        else:
            out.setdefault(tag, sha)
    return out


def _ls_remote(url: str, patterns: list[str], settings: Settings) -> dict[str, str]:
    """``git ls-remote`` of ``url``: ref name -> object id."""
    scheme = urlsplit(url).scheme
    if scheme not in GIT_SCHEMES:
        raise InputError(f"git URL scheme {scheme or '(none)'!r} is not one catalog asks "
                         f"({', '.join(GIT_SCHEMES)})", redact(url))
    env = dict(settings.env, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", SSH_ASKPASS="true",
               GIT_SSH_COMMAND="ssh -oBatchMode=yes")
    options = [p for p in patterns if p.startswith("--")]
    names = [p for p in patterns if not p.startswith("--")]
    cmd = ["git", "-c", "protocol.ext.allow=never", "ls-remote", *options, "--", url, *names]
    timeout = settings.http_timeout * (settings.http_retries + 1)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    except FileNotFoundError:
        raise RemoteError("git is not installed: cannot ask for the commit", redact(url)) from None
    except subprocess.TimeoutExpired:
        raise RemoteError(f"git ls-remote gave no answer within {timeout:g} s", redact(url)) from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise RemoteError(f"git ls-remote: {redact(last) if '://' in last else last}", redact(url))
    refs = {}
    for line in done.stdout.splitlines():
        sha, _, name = line.partition("\t")
        refs[name] = sha
    return refs


#: Why a reference of each resolver has no pin of its own.
_NO_CONTENT = {
    "hub": "a hub reference names a version, not content (the hubs give no digest)",
    "cluster": "a cluster reference fetches whatever the namespace holds",
    "http": "no digest param: the URL's content may change",
}


def pin(ref: ResolverRef, pinner: Pinner | None) -> tuple[str | None, str | None]:
    """``(pin, None)``, or ``(None, why it is unpinned)``. A reference that pins itself
    (a bundle by digest, a git commit, an http digest) asks nothing; ``pinner`` None
    means offline."""
    if ref.pin is not None:
        return ref.pin, None
    if ref.parameterised:
        return None, "a $(...) param: known only when the run starts"
    if ref.resolver in _NO_CONTENT:
        return None, _NO_CONTENT[ref.resolver]
    if ref.resolver not in ("bundles", "git"):
        return None, f"resolver {ref.resolver!r}: catalog cannot pin it"
    if ref.resolver == "git" and not ref.url:
        return None, "git through the SCM API (org/repo): no URL to ask"
    if ref.resolver == "git" and not ref.revision:
        return None, "no revision: the cluster's default-revision decides"
    if ref.resolver == "bundles" and ref.image is None:
        return None, "the bundle is not REGISTRY/REPOSITORY[:TAG]"
    if ref.resolver == "bundles" and ref.image is not None and ref.image.digest:
        # Tekton fetches by that digest: asking for the tag would pin something else.
        return None, f"the bundle's digest {ref.image.digest!r} is not sha256: and 64 hex digits"
    if pinner is None:
        return None, "offline: " + ("the registry" if ref.resolver == "bundles" else "git") + " was not asked"
    try:
        if ref.resolver == "bundles":
            return pinner.bundle_digest(str(ref.image)), None
        return pinner.git_commit(ref.url or "", ref.revision or ""), None
    except CatalogError as exc:
        return None, exc.message
