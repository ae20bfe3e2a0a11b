"""Which resolver references point into a catalog this tool knows, and which are external.

A reference (``refs.ResolverRef``) points into a known catalog when:

- hub: its ``catalog`` param is the name of a configured repo (or ``builtin``);
- bundles: its image is ``BASE/NAME[:TAG]`` where BASE is a configured repo's bundle
  source (where ``catalog publish --oci BASE`` puts it), or one given for the run;
- git: its ``url`` (or ``org``/``repo``) is a configured repo's URL or git URL;
- http: its ``url`` lies under a configured http(s) repo's URL;
- cluster: always: a Task by name in a namespace is the catalog's Task of that name,
  when the catalog has one (the caller asks the catalog).

A git or http reference points into a catalog only through a path that catalog layouts
give (``[...]/<kind folder>/<name>/[<version>/]<name>.yaml``, ``layout``): the file
Tekton fetches is then the one the catalog indexes under that name. A name that is no
resource name (``acme/x`` would read as a repo's) points nowhere.

Everything else is external: shown, with the reason, and never resolved. Nothing here
reads the configuration (``repos.known`` builds a :class:`Known` from it).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from . import versions
from .layout import KIND_FOLDERS
from .refs import KINDS, NAME, ResolverRef

#: ``[user@]host:path``, git's scp-like address.
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>.*)$")


def normal_url(url: str) -> str:
    """A location as compared: ``host/path`` in lower-case host, without scheme, user,
    query, trailing ``/`` or ``.git``; a folder (or ``file://`` URL) as ``file:PATH``."""
    from urllib.parse import urlsplit

    text = url.strip()
    if text.startswith("/") or text.startswith("file://"):
        return "file:" + posixpath.normpath(text.removeprefix("file://")).removesuffix(".git")
    scp = _SCP.match(text) if "://" not in text else None
    if scp:
        text = f"ssh://{scp['host']}/{scp['path'].lstrip('/')}"
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is no number, an unclosed IPv6 bracket: compared as written
        return text
    path = parts.path.rstrip("/").removesuffix(".git").rstrip("/")
    return f"{(parts.hostname or '').lower()}{port}{path}"


def layout_mismatch(ref: ResolverRef, path: str, what: str) -> str | None:
    """Why ``path`` (``what``: a git ``pathInRepo``, an http URL's path) is not where a
    catalog layout keeps ``ref``'s resource; None when it is."""
    parts = path.strip("/").split("/")
    at = len(parts) - 2  # the name folder: the file's parent, or its grandparent over a version
    if at >= 1 and versions.is_version(parts[at]):
        at -= 1
    if any(p in ("", ".", "..") for p in parts) or at < 1 or parts[at] != ref.name:
        return f"{what} {path} is not where a catalog keeps {ref.name}"
    kind = KIND_FOLDERS.get(parts[at - 1])
    if kind != ref.kind:
        return f"{what} {path} is " + (f"in a {kind} folder, not a {ref.kind} one" if kind
                                       else f"not where a catalog keeps {ref.name}")
    return None


@dataclass(frozen=True)
class KnownCatalog:
    """A catalog references may point into: ``name`` (a configured repo's, or
    ``builtin``), the ``urls`` it is read or cloned from (http(s), git, a folder), and
    the ``bundles`` bases (``REGISTRY/REPO``) its entries are published under as
    ``BASE/NAME:VERSION`` (``catalog publish --oci BASE``)."""

    name: str
    urls: tuple[str, ...] = ()
    bundles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pointer:
    """Where a resolver reference points: into the known catalog ``repo`` (None: the
    catalog at hand, whichever repo of it has the name), or, when ``external`` says
    why, nowhere this tool knows."""

    repo: str | None = None
    external: str | None = None


@dataclass(frozen=True)
class Known:
    """The catalogs this tool knows, and the bundle bases given for one run (``--bundles``),
    whose entries are the catalog's own whatever repo has them."""

    catalogs: tuple[KnownCatalog, ...] = ()
    bundles: tuple[str, ...] = ()

    def adding(self, bundles: tuple[str, ...]) -> Known:
        """The same with more bundle bases for the run."""
        more = tuple(b for b in bundles if b not in self.bundles)
        return Known(self.catalogs, self.bundles + more) if more else self

    def locate(self, ref: ResolverRef) -> Pointer:
        """Which known catalog ``ref`` points into, or why it is external. Only the
        reference is read; whether that catalog has the name is the caller's to ask."""
        if ref.parameterised:
            return Pointer(external="a $(...) param: known only when the run starts")
        if not ref.name:
            return Pointer(external="names no resource")
        if not NAME.match(ref.name):
            return Pointer(external=f"{ref.name!r} is no resource name")
        if ref.kind not in KINDS.values():
            return Pointer(external=f"kind {ref.kind!r} is none a catalog holds")
        if ref.range is None:
            return Pointer(external=f"version constraint {ref.param('version')!r} has no equal among ranges")
        if ref.resolver == "cluster":  # a Task by name in a namespace: the catalog's, when it has one
            return Pointer()
        how = {"hub": self._hub, "bundles": self._bundles, "git": self._git, "http": self._http}.get(ref.resolver)
        if how is None:
            return Pointer(external=f"resolver {ref.resolver!r} is none catalog reads")
        return how(ref)

    def _hub(self, ref: ResolverRef) -> Pointer:
        if ref.catalog and any(c.name == ref.catalog for c in self.catalogs):
            return Pointer(ref.catalog)
        if ref.catalog:
            return Pointer(external=f"hub catalog {ref.catalog!r} is no configured repo")
        return Pointer(external="the hub's default catalog: no configured repo (name one in the catalog param)")

    def _bundles(self, ref: ResolverRef) -> Pointer:
        image = ref.image
        if image is None:
            return Pointer(external="the bundle is not REGISTRY/REPOSITORY[:TAG]")
        folder, leaf = posixpath.split(image.base)
        for c in self.catalogs:
            if any(folder == b.rstrip("/") for b in c.bundles):
                return Pointer(c.name) if leaf == ref.name else Pointer(
                    external=f"{image.base} is {c.name}'s bundle of {leaf}, not of {ref.name}")
        if any(folder == b.rstrip("/") for b in self.bundles):
            return Pointer() if leaf == ref.name else Pointer(external=f"{image.base} holds {leaf}, not {ref.name}")
        return Pointer(external=f"{folder} is no configured bundle source")

    def _git(self, ref: ResolverRef) -> Pointer:
        url, org, repo = ref.param("url"), ref.param("org"), ref.param("repo")
        for c in self.catalogs:
            known = [normal_url(u) for u in c.urls]
            if (url and normal_url(url) in known) or (
                    not url and org and repo and any(k.endswith(f"/{org}/{repo}") for k in known)):
                wrong = layout_mismatch(ref, ref.path_in_repo or "", "pathInRepo")
                return Pointer(external=wrong) if wrong else Pointer(c.name)
        if url:
            return Pointer(external="this git URL is no configured repo's")
        return Pointer(external=f"git repo {org or '(default org)'}/{repo} is no configured repo's")

    def _http(self, ref: ResolverRef) -> Pointer:
        url = normal_url(ref.url or "")
        for c in self.catalogs:
            if any(url.startswith(normal_url(u) + "/") for u in c.urls if not u.startswith(("/", "file:"))):
                wrong = layout_mismatch(ref, url.partition("/")[2], "the URL's path")
                return Pointer(external=wrong) if wrong else Pointer(c.name)
        return Pointer(external="this URL is in no configured repo")
