"""Configured repositories: ``repos.yaml`` under ``Settings.config_home``
(``$XDG_CONFIG_HOME/catalog``), and their precedence.

A repo is a name for a catalog: a URL (any static web server holding index.yaml and
the files it names) or a local folder (a catalog tree, with or without index.yaml).

Precedence, written once here and in the README:

- The order of ``repos.yaml`` is the order of precedence: ``repo add`` appends, and
  ``--priority N`` puts the repo at position N (1 is first).
- With no ``--catalog``, the catalog is every configured repo in that order, then
  the built-in catalog last. A name belongs to the first repo that has it, with all
  its versions (versions of one name are never mixed from two repos), so a repo can
  replace a built-in task and nobody else can slip a newer version in beside it.
- ``REPO/NAME`` picks a repo for one name; ``KIND/NAME`` picks a kind;
  ``REPO/KIND/NAME`` both. A repo may not be named like a kind (task, pipeline,
  stepaction) nor ``builtin``, which names the built-in catalog, so the first part
  of a reference is never ambiguous.
- ``--catalog NAME`` uses only that repo; a folder of the same name is ``./NAME``.

A repo may also say where else it is published, so that a Pipeline's references
through resolvers are recognised as pointing into it (:func:`known`): ``bundles``,
the ``REGISTRY/REPO`` its entries are pushed under (``catalog publish --oci``), and
``git``, the URL the git resolver clones it from.

A repo may require signatures (``keys``: the PEM public keys added with
``repo add --trust-key``; public, so no secret is involved): its index is then read
only with a valid, unexpired ``index.yaml.sig`` by one of them, never older than the
last one accepted (``sources.signed``), and the bundles under its ``bundles`` base
install only with a cosign signature by one of them (:func:`bundle_trust`).

Credentials are references to environment variables (``token_env``,
``username_env``/``password_env``), read from ``Settings.env``; a literal token is stored only when the user
asks (``repo add --token-stdin``), and the file is always written with mode 0600
in a 0700 folder, never through a link (a linked repos.yaml or config folder is
refused: it could put a token where others read it). Neither the values nor the
headers built from them are ever part of a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import PREFIX
from .errors import InputError, NotFound, UnsafePath
from .model import canonical_kind
from .settings import Settings

if TYPE_CHECKING:
    from .known import Known

# yamlio, fsutil, urls and known are imported where they are used: every command reads
# this module (to list the repos), and without a repos.yaml none of them is needed.

BUILTIN = "builtin"
CONFIG_NAME = "repos.yaml"
API_VERSION = f"{PREFIX}/v1"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$")
PUBLIC_PEM = "-----BEGIN PUBLIC KEY-----"


def config_path(settings: Settings) -> Path:
    return settings.config_home / CONFIG_NAME


@dataclass(frozen=True)
class Auth:
    """How to authenticate to a repo: names of environment variables, or a stored token."""

    token_env: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    token: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str | None:
        if self.token_env or self.token:
            return "bearer"
        if self.username_env or self.password_env:
            return "basic"
        return None

    def describe(self, config: Path) -> str:
        """What ``repo list`` shows: where a secret comes from (``config``: the repos.yaml
        it was read from), never the secret."""
        if self.token_env:
            return f"bearer (from ${self.token_env})"
        if self.token:
            return f"bearer (stored in {config})"
        if self.kind == "basic":
            return f"basic (from ${self.username_env} and ${self.password_env})"
        return "none"

    def headers(self, repo: str, env: Mapping[str, str]) -> dict[str, str]:
        """The Authorization header, from the variables of ``env`` (``Settings.env``) it
        names; an InputError naming the variable when it is unset."""
        if self.kind is None:
            return {}
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.token_env:
            return {"Authorization": f"Bearer {_env(env, self.token_env, repo)}"}
        user = _env(env, self.username_env or "", repo)
        password = _env(env, self.password_env or "", repo)
        import base64

        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}

    def to_dict(self) -> dict[str, str]:
        d = {"token_env": self.token_env, "username_env": self.username_env,
             "password_env": self.password_env, "token": self.token}
        return {k: v for k, v in d.items() if v}


def _env(env: Mapping[str, str], name: str, repo: str) -> str:
    value = env.get(name) if name else None
    if not value:
        raise InputError(f"environment variable {name or '(none)'} is not set (credentials of repo {repo})")
    return value


@dataclass(frozen=True)
class Repo:
    """A configured repo: its name, where it is, and what it is trusted with."""

    name: str
    url: str  # an http(s) URL, or an absolute folder or index.yaml path
    auth: Auth = Auth()
    #: Its rbac.yaml files may grant rights that amount to escalation without
    #: --allow-sensitive-rbac (as the built-in catalog's may): the team that writes it is trusted.
    trust_sensitive_rbac: bool = False
    #: ``REGISTRY/REPO`` where its entries are published as Tekton bundles ``NAME:VERSION``.
    bundles: str | None = None
    #: The git URL it is cloned from (the git resolver's ``url``), when not ``url`` itself.
    git: str | None = None
    #: PEM public keys (``-----BEGIN PUBLIC KEY-----``) one of which must have signed its
    #: index (and its bundles); none: signatures are not required.
    keys: tuple[str, ...] = ()

    @property
    def remote(self) -> bool:
        return self.url.startswith(("http://", "https://"))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "url": self.url}
        if self.auth.kind:
            d["auth"] = self.auth.to_dict()
        if self.trust_sensitive_rbac:
            d["trust"] = ["sensitive-rbac"]
        for key, value in (("bundles", self.bundles), ("git", self.git)):
            if value:
                d[key] = value
        if self.keys:
            d["keys"] = list(self.keys)
        return d


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InputError("a repo name is lower case letters, digits, '-', '_' and '.'", name)
    if name == BUILTIN or canonical_kind(name) is not None:
        raise InputError("reserved: it would be read as a kind or as the built-in catalog "
                         "in REPO/NAME references; choose another name", name)


def _parse_auth(data: object, where: str) -> Auth:
    if data is None:
        return Auth()
    if not isinstance(data, dict):
        raise InputError("auth must be a mapping", where)
    known = {"token_env", "username_env", "password_env", "token"}
    extra = set(data) - known
    if extra:
        raise InputError(f"unknown auth field {sorted(extra)[0]!r} (expected {', '.join(sorted(known))})", where)
    if any(not isinstance(v, str) for v in data.values()):
        raise InputError("auth values must be strings", where)
    auth = Auth(data.get("token_env"), data.get("username_env"), data.get("password_env"), data.get("token"))
    if auth.kind == "basic" and not (auth.username_env and auth.password_env):
        raise InputError("basic auth needs both username_env and password_env", where)
    return auth


def _parse_keys(data: object, where: str) -> tuple[str, ...]:
    """The PEM public keys of a repo, checked for their shape only: they are parsed when a
    signature is verified (``sources.signed``), so that commands that verify nothing do
    not load the cryptography library."""
    if data is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(k, str) and k.lstrip().startswith(PUBLIC_PEM)
                                             for k in data):
        raise InputError(f"keys must be a list of PEM public keys ({PUBLIC_PEM}...)", where)
    return tuple(data)


def load(settings: Settings) -> list[Repo]:
    """The configured repos, in order of precedence; none when there is no config."""
    path = config_path(settings)
    for p in (path.parent, path):
        if p.is_symlink():
            raise UnsafePath("is a symbolic link: catalog keeps its config (which may hold a token) "
                             "only in a real file and folder of yours", str(p))
    if not path.is_file():
        return []
    from . import yamlio

    data = yamlio.load_one(path)
    if not isinstance(data, dict) or not isinstance(data.get("repos", []), list):
        raise InputError("expected a mapping with a 'repos' list", str(path))
    out: list[Repo] = []
    for i, item in enumerate(data.get("repos") or []):
        where = f"{path}: repos[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("url"), str):
            raise InputError("each repo needs a name and a url", where)
        if not _NAME.match(item["name"]):  # it names a cache folder that `repo remove` deletes
            raise InputError("a repo name is lower case letters, digits, '-', '_' and '.'", where)
        trust = item.get("trust") or []
        if not isinstance(trust, list) or any(t != "sensitive-rbac" for t in trust):
            raise InputError("trust is a list that may hold 'sensitive-rbac'", where)
        for key in ("bundles", "git"):
            if not isinstance(item.get(key) or "", str):
                raise InputError(f"{key} must be a string", where)
        out.append(Repo(item["name"], item["url"], _parse_auth(item.get("auth"), where), "sensitive-rbac" in trust,
                        item.get("bundles") or None, item.get("git") or None, _parse_keys(item.get("keys"), where)))
    return out


def save(repos: list[Repo], settings: Settings) -> Path:
    """Write the config atomically, readable by its owner only (it may hold a token)."""
    from . import fsutil, yamlio

    path = config_path(settings)
    text = yamlio.dump({"apiVersion": API_VERSION, "kind": "RepoConfig",
                        "repos": [r.to_dict() for r in repos]}, literal_blocks=True)  # PEM keys as blocks
    fsutil.atomic_write(path, text, private=True, base=settings.config_home)
    return path


def find(name: str, settings: Settings) -> Repo | None:
    return next((r for r in load(settings) if r.name == name), None)


def get(name: str, settings: Settings) -> Repo:
    repo = find(name, settings)
    if repo is None:
        have = ", ".join(r.name for r in load(settings)) or "none configured"
        raise NotFound(f"no repo named {name!r} (repos: {have})")
    return repo


def normalise_url(url: str) -> str:
    """URLs as given (without a trailing slash); folders made absolute and checked (a
    ``~`` in them is the shell's, or the CLI's, to expand)."""
    from .urls import refuse_userinfo

    if url.startswith(("http://", "https://")):
        refuse_userinfo(url)
        return url.rstrip("/")
    if "://" in url:
        raise InputError("a repo is an http(s) URL or a local folder", url)
    path = Path(url)
    if not path.exists():
        raise NotFound("no such file or directory", url)
    return str(path.resolve())


def trusted_for_sensitive_rbac(settings: Settings) -> frozenset[str]:
    """The sources whose rbac.yaml may grant escalating rules without asking: the
    built-in catalog and every repo added with --trust-sensitive-rbac."""
    return frozenset({BUILTIN, *(r.name for r in load(settings) if r.trust_sensitive_rbac)})


def make(name: str, url: str, auth: Auth = Auth(), *, trust_sensitive_rbac: bool = False,
         bundles: str | None = None, git: str | None = None, keys: tuple[str, ...] = ()) -> Repo:
    """A repo as ``repo add`` makes it; ``keys`` are PEM public keys (see :attr:`Repo.keys`)."""
    from .urls import check_transport, refuse_userinfo

    check_name(name)
    if any(not k.lstrip().startswith(PUBLIC_PEM) for k in keys):
        raise InputError("a trusted key is a PEM public key", name)
    if auth.kind and not url.startswith(("http://", "https://")):
        raise InputError("credentials only make sense for an http(s) repo", name)
    if auth.kind:
        check_transport(url)
    if bundles is not None:
        from .oci.registry import parse_ref

        image = parse_ref(bundles, need_tag=False)
        if image.tag or image.digest:
            raise InputError("--bundles takes REGISTRY/REPOSITORY, without a tag (tags are the versions)", bundles)
        bundles = f"{image.registry}/{image.repository}"
    if git is not None:
        if "://" not in git:
            raise InputError("--git takes the URL the git resolver clones, e.g. https://host/org/repo.git", git)
        refuse_userinfo(git)
    return Repo(name, normalise_url(url), auth, trust_sensitive_rbac, bundles, git, tuple(dict.fromkeys(keys)))


def add(repo: Repo, settings: Settings, priority: int | None = None, *, replace: bool = False) -> list[Repo]:
    """Add ``repo`` at position ``priority`` (1-based; default: last). Returns the new list."""
    repos = load(settings)
    if any(r.name == repo.name for r in repos):
        if not replace:
            raise InputError("a repo of that name exists (repo remove it first, or --force)", repo.name)
        at = next(i for i, r in enumerate(repos) if r.name == repo.name)
        repos.pop(at)
        if priority is None:
            priority = at + 1
    if priority is not None and priority < 1:
        raise InputError("--priority counts from 1 (first)", str(priority))
    at = len(repos) if priority is None else min(priority - 1, len(repos))
    repos.insert(at, repo)
    save(repos, settings)
    return repos


def remove(name: str, settings: Settings) -> Repo:
    """Take a repo out of the config (its cache is the sources' to delete)."""
    repos = load(settings)
    repo = get(name, settings)
    save([r for r in repos if r.name != name], settings)
    return repo


def bundle_trust(registry: str, repository: str, settings: Settings) -> Repo | None:
    """The repo whose signatures a bundle at ``REGISTRY/REPOSITORY`` must carry: the one with
    keys whose ``bundles`` base is that repository or holds it (``catalog publish --oci
    BASE`` pushes ``BASE/NAME:VERSION``); the longest base wins when several do."""
    where = f"{registry}/{repository}"
    found = [r for r in load(settings) if r.keys and r.bundles and (where == r.bundles
                                                                     or where.startswith(r.bundles + "/"))]
    return max(found, key=lambda r: len(r.bundles or ""), default=None)


# -- names -----------------------------------------------------------------------------
def is_repo_word(word: str, settings: Settings) -> bool:
    """Whether ``word`` names a repo (configured, or the built-in catalog)."""
    return word == BUILTIN or (bool(_NAME.match(word)) and find(word, settings) is not None)


def known(settings: Settings, bundles: tuple[str, ...] = ()) -> Known:
    """The catalogs resolver references may point into: every configured repo (its URL,
    git URL and bundle source) and the built-in catalog; ``bundles`` adds bundle bases
    for one run (``--bundles``), whatever repo has the name."""
    from .known import Known, KnownCatalog

    cats = [KnownCatalog(r.name, tuple(u for u in (r.url, r.git) if u), (r.bundles,) if r.bundles else ())
            for r in load(settings)]
    return Known((*cats, KnownCatalog(BUILTIN)), bundles)
