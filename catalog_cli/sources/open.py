"""Opening a catalog by what the user typed: nothing (every repo, then the built-in
catalog), a repo's name, ``repos:A,B``, a URL, a folder or an index file.

The one module that knows every kind of source: it imports them, none imports it.
"""

from __future__ import annotations

from pathlib import Path

from .. import repos
from ..errors import InputError, NotFound, SignatureError
from ..model import canonical_kind
from ..repos import Repo
from ..settings import Settings
from .base import Catalog
from .folder import builtin_root, open_path

# HTTP repos (remote, with httpx behind it), layered catalogs and signed ones are
# imported when a location needs them: a search of the built-in catalog loads none.


def open_catalog(location: str | None = None, settings: Settings | None = None) -> Catalog:
    """Open a catalog by its location:

    - None: the default catalog, every configured repo in order and then the
      built-in one (just the built-in one when no repo is configured);
    - a configured repo's name (``builtin`` for the built-in catalog), or
      ``repos:A,B`` for several in that order;
    - an http(s) URL of a catalog or its index.yaml (cached; the credentials of a
      configured repo with that URL apply);
    - a folder (with or without index.yaml) or an index file.

    ``settings`` says where the config and the caches are, and whether to stay offline
    (cached indexes and files only); without it, :meth:`Settings.from_env`.
    """
    settings = settings or Settings.from_env()
    if location is None:
        return open_default(settings)
    if location.startswith("repos:"):
        return open_named([n for n in location[len("repos:"):].split(",") if n], settings)
    if location.startswith(("http://", "https://")):
        from .remote import open_url

        return open_url(location, settings)
    if "/" not in location and repos.is_repo_word(location, settings):
        return open_named([location], settings)
    return open_path(Path(location), settings)


def open_origin(origin: str, settings: Settings | None = None) -> Catalog:
    """Reopen exactly the source an entry's ``Catalog.origin`` names: the built-in catalog,
    a configured repo by name (NotFound when it is no longer configured), a URL, a bundle
    pinned by digest. A ``folder:NAME`` origin was a folder given by path, which only
    its user can find again: NotFound, saying to pass it with --catalog. Without
    ``settings``, :meth:`Settings.from_env`."""
    settings = settings or Settings.from_env()
    if origin.startswith("folder:"):
        raise NotFound(f"{origin} is a folder given by path: pass it again with --catalog PATH")
    if origin.startswith(("http://", "https://")):
        from .remote import open_url

        return open_url(origin, settings)
    if origin.startswith("oci://"):
        from .bundle import open_bundle

        bundle: Catalog = open_bundle(origin, settings)[0]
        return bundle
    if origin != repos.BUILTIN:
        repos.check_name(origin)  # an InputError for what names no repo at all
    return open_named([origin], settings)


def open_repo(repo: Repo, settings: Settings) -> Catalog:
    """A configured repo as a catalog; SignatureError when it requires a signed index
    (``repo add --trust-key``) and its index is not one."""
    if repo.remote:
        from .remote import open_remote_repo

        return open_remote_repo(repo, settings)
    from .signed import trust_of

    return open_path(Path(repo.url), settings, name=repo.name, trust=trust_of(repo, settings))


def open_named(names: list[str], settings: Settings) -> Catalog:
    """The catalog of these repos in this order (``builtin`` for the built-in one). A repo
    whose signed index is refused is there as :class:`.signed.Untrusted`: whatever is
    asked of it is that refusal, naming what was asked, the repo and its keys."""
    members: list[Catalog] = []
    for name in names:
        if name == repos.BUILTIN:
            members.append(open_path(builtin_root(), settings, name=repos.BUILTIN))
            continue
        repo = repos.get(name, settings)
        try:
            members.append(open_repo(repo, settings))
        except SignatureError as exc:
            from ..urls import redact
            from .signed import Untrusted

            members.append(Untrusted(repo.name, redact(repo.url) if repo.remote else repo.url, exc))
    if len(members) == 1:
        return members[0]
    from .layered import Layered

    return Layered(members)


def open_default(settings: Settings) -> Catalog:
    """Every configured repo in order, then the built-in catalog."""
    return open_named([r.name for r in repos.load(settings)] + [repos.BUILTIN], settings)


def select(catalog: Catalog, refs: list[str], settings: Settings) -> list[str]:
    """Requirement strings with their ``REPO/`` prefix taken off, each such name pinned
    to its repo in ``catalog`` (``REPO/[KIND/]NAME[@RANGE]``)."""
    out = []
    for ref in refs:
        head = ref.strip().split("@", 1)[0].split(" ", 1)[0]
        first, sep, rest = head.partition("/")
        if not sep or canonical_kind(first) is not None:
            out.append(ref)
            continue
        if not repos.is_repo_word(first, settings):
            raise InputError(f"unknown kind or repo {first!r} (a kind is Task, Pipeline or StepAction; "
                             "repos are listed by `catalog repo list`)", ref)
        catalog.pin(rest.rsplit("/", 1)[-1], first)
        out.append(ref.strip()[len(first) + 1:])
    return out
