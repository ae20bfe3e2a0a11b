"""``catalog repo add|list|remove|update``: the repos the default catalog is made of."""

from __future__ import annotations

import shutil
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from .. import repos
from ..errors import CatalogError
from ..progress import reporter
from ..repos import Auth, Repo
from ..settings import Settings
from ..sources import remote, signed
from ..sources.folder import signed_files
from ..sources.open import open_repo
from ..sources.repo_cache import cache_dir, read_cache
from ..urls import redact


def shown_url(repo: Repo) -> str:
    """How messages and listings name a repo's URL: redacted, or the folder as it is."""
    return redact(repo.url) if repo.remote else repo.url


@dataclass(frozen=True)
class Added:
    repo: Repo
    #: Its place in the order of precedence (1: first), of ``total``: the order ``repo list``
    #: shows, the built-in catalog (always last) counted.
    position: int
    total: int
    #: How many resources its index holds; None when it was not fetched.
    resources: int | None
    #: The key whose signature of its index was accepted; None when unsigned or not fetched.
    signed_by: str | None = None


def add(name: str, url: str, settings: Settings, *, auth: Auth = Auth(), priority: int | None = None,
        replace: bool = False, fetch: bool = True, trust_sensitive_rbac: bool = False,
        bundles: str | None = None, git: str | None = None, keys: Sequence[str] = ()) -> Added:
    """Add a repo at position ``priority`` (1-based; default: last). Its index is fetched
    and checked first (unless not ``fetch``), so a bad URL adds nothing. ``bundles`` and
    ``git`` say where else it is published (see ``repos.known``). ``keys`` (PEM public
    keys) make it require a signed index, checked now too: a wrong key adds nothing."""
    repo = repos.make(name, url, auth, trust_sensitive_rbac=trust_sensitive_rbac, bundles=bundles, git=git,
                      keys=tuple(keys))
    count, signer = None, None
    if fetch:
        catalog = open_repo(repo, settings)
        count = len(catalog.names())
        signer = getattr(catalog, "signer", None)
    order = repos.add(repo, settings, priority, replace=replace)
    return Added(repo, order.index(repo) + 1, len(order) + 1, count, signer)  # + the built-in catalog


class RepoRow(TypedDict):
    """A repo as ``repo list`` shows it."""

    priority: int  # 1 is asked first
    name: str
    url: str  # credentials never shown
    auth: str  # where its credentials come from, never a secret
    trust: list[str]  # sensitive-rbac, or nothing
    cached: str  # the age of its cached index; never, or - for a local folder
    signature: SignatureState | None  # None: it requires no signature


class SignatureState(TypedDict):
    """A repo's signed index as ``repo list`` shows it: checked against the copy at hand
    (the cache of an HTTP repo, the folder itself), never fetched for the listing."""

    keys: list[str]  # the ids of the keys it requires one of
    verifiedBy: str | None  # the key whose signature is valid now; None when none is
    serial: int | None
    expires: str | None
    error: str | None  # why the copy held here is refused (or "not fetched yet")
    refused: str | None  # why the last index offered was refused, when none was accepted since


class UpdatedRow(TypedDict):
    """One repo as ``repo update`` did it."""

    name: str
    status: str
    #: How the server said so: not modified (304), same content, new content.
    detail: str
    bytes: int | None  # downloaded: 0 for a 304; None when nothing was asked (failed, or a folder)


def listing(settings: Settings) -> list[RepoRow]:
    """The repos in order of precedence, the built-in catalog last: where each one's
    credentials come from (never a secret) and how old its cached index is."""
    config = repos.config_path(settings)
    rows: list[RepoRow] = []
    for i, r in enumerate(repos.load(settings), 1):
        cached = read_cache(r, settings) if r.remote else None
        rows.append({"priority": i, "name": r.name, "url": shown_url(r),
                     "auth": r.auth.describe(config), "trust": ["sensitive-rbac"] if r.trust_sensitive_rbac else [],
                     "cached": cached.age if cached else ("-" if not r.remote else "never"),
                     "signature": signature_state(r, settings)})
    rows.append({"priority": len(rows) + 1, "name": repos.BUILTIN, "url": "(shipped with catalog)",
                 "auth": "none", "trust": ["sensitive-rbac"], "cached": "-", "signature": None})
    return rows


def signature_state(repo: Repo, settings: Settings) -> SignatureState | None:
    """Whether ``repo``'s index, as held here, is signed as it requires: checked, not
    recorded (listing accepts nothing), and never fetched."""
    trust = signed.trust_of(repo, settings)
    if trust is None:
        return None
    state: SignatureState = {"keys": [k.keyid for k in trust.keys], "verifiedBy": None, "serial": None,
                             "expires": None, "error": None, "refused": signed.last_refusal(repo.name, settings)}
    try:
        if repo.remote:
            cached = read_cache(repo, settings)
            if cached is None:
                state["error"] = "not fetched yet (catalog repo update)"
                return state
            v = signed.check(trust, cached.index, cached.sig, settings, remote.sig_url(repo.url), record=False)
        else:
            body, sig, where = signed_files(Path(repo.url))
            if body is None:
                state["error"] = "the folder has no index.yaml to be signed"
                return state
            v = signed.check(trust, body, sig, settings, where, record=False)
    except CatalogError as exc:
        state["error"] = str(exc)
        return state
    state["verifiedBy"], state["serial"] = v.keyid, v.serial
    state["expires"] = v.expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    return state


def remove(name: str, settings: Settings) -> Repo:
    """Forget a repo and delete its cache."""
    repo = repos.remove(name, settings)
    shutil.rmtree(cache_dir(repo, settings), ignore_errors=True)
    signed.forget(repo.name, settings)
    return repo


@dataclass
class Updated:
    """What ``update`` did: a row per repo, and the errors of those that failed."""

    rows: list[UpdatedRow] = field(default_factory=list)
    failed: list[CatalogError] = field(default_factory=list)
    #: How many repos had an index to fetch (the rest are local folders).
    fetched: int = 0
    #: No repo is configured at all.
    none_configured: bool = False


def update(names: Sequence[str], settings: Settings) -> Updated:
    """Fetch the index of each repo named (default: every one); an unchanged index costs
    one 304. A repo that fails does not stop the others."""
    chosen = [repos.get(n, settings) for n in names] if names else repos.load(settings)
    remote_repos = [r for r in chosen if r.remote]
    out = Updated(fetched=len(remote_repos), none_configured=not chosen)
    overall = reporter().bar("updating repos", len(remote_repos)) if len(remote_repos) > 1 else None
    for r in remote_repos:
        try:
            u = remote.update(r, settings, label=True)
            out.rows.append({"name": r.name, "status": u.status, "detail": u.how, "bytes": u.fetched})
        except CatalogError as exc:
            out.failed.append(exc)
            out.rows.append({"name": r.name, "status": "failed", "detail": str(exc), "bytes": None})
        if overall:
            overall.advance()
    if overall:
        overall.close()
    for r in chosen:
        if not r.remote:
            out.rows.append({"name": r.name, "status": "local", "detail": "a folder: nothing to fetch",
                             "bytes": None})
    return out
