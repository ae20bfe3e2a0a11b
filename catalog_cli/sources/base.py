"""What every catalog offers, whatever it is made of (folder, HTTP repo, OCI bundle,
mirror, several repos layered, memory): the ``Catalog`` protocol and its small types.

The rest of the tool (resolver adapter, actions, CLI) sees catalogs only through this
protocol. Queries on the index are cheap (an SQLite lookup for an indexed catalog);
``read_file``, ``load`` and ``detail`` read files, which may mean a download.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import DigestMismatch
from ..model import Entry, PolicyRule, ResourceDetail


@dataclass(frozen=True)
class SearchHit:
    """A matching resource: its newest entry and every version, newest first."""

    name: str
    kind: str
    latest: Entry
    versions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        e = self.latest
        return {
            "name": self.name,
            "kind": e.kind,
            "latest": e.version,
            "versions": list(self.versions),
            "displayName": e.display_name,
            "description": e.description,
            "categories": list(e.categories),
            "tags": list(e.tags),
            "platforms": list(e.platforms),
            "deprecated": e.deprecated,
        }


@dataclass(frozen=True)
class Verified:
    """One entry as its files say it is, checked against what its index says.

    ``document`` is the first YAML document of the entry's file, whose kind,
    apiVersion and name are the entry's; ``rules`` are those of the rbac.yaml beside
    it (empty when it has none), equal to the index's; the dependencies the document
    implies are the index's. Only a ``Verified`` may be installed or rendered."""

    entry: Entry
    document: dict[str, Any]
    rules: tuple[PolicyRule, ...]


def search_words(term: str) -> list[str]:
    """The words of a search: each must appear somewhere in an entry (name, display name,
    description, tags, categories), in any order, as ``search "build image"`` expects."""
    return term.lower().split()


def match_rank(term: str, name: str) -> tuple[int, int]:
    """How well ``name`` matches a search, smaller first: 0 the name itself (or no term;
    ``git clone`` names git-clone too), 1 a name starting with the first word and holding
    them all, 2 all words inside the name, 3 some of them (more is better), 4 none (found
    by description, tags...). Every catalog orders hits by it, then by name and kind."""
    words = search_words(term)
    if not words or name in (" ".join(words), "-".join(words)):
        return (0, 0)
    inside = sum(1 for w in words if w in name)
    if inside == len(words):
        return (1 if name.startswith(words[0]) else 2, 0)
    return (3, -inside) if inside else (4, 0)


def matches_words(words: list[str], haystack: str) -> bool:
    """Whether every word is in ``haystack`` (already lower-cased)."""
    return all(w in haystack for w in words)


def names_file(entry: Entry, rel: str, digest: str) -> bool:
    """Whether ``entry`` names the file ``rel`` with ``digest`` (its resource or a file beside it)."""
    return (entry.path, entry.digest) == (rel, digest) or any((f.path, f.digest) == (rel, digest)
                                                              for f in entry.files)


def digest_checked(rel: str, data: bytes, digest: str | None) -> bytes:
    """``data`` when its sha256 is ``digest`` (or no digest is named), else DigestMismatch."""
    if digest is not None:
        got = "sha256:" + hashlib.sha256(data).hexdigest()
        if got != digest:
            raise DigestMismatch(f"digest {got} does not match the index ({digest})", rel)
    return data


class FileSource(Protocol):
    """Where the files an index names come from: a folder, a web server, a bundle.

    ``digest`` is the one the index names; a source may use it to serve a verified
    copy from a cache. The caller checks the bytes against it whatever the source."""

    def read(self, rel: str, digest: str | None = None) -> bytes: ...


class Catalog(Protocol):
    """A catalog: an index of entries (name, kind, version) and the files they name.

    Names are per kind, as in Kubernetes: a Task and a StepAction may share one. A
    bare name means its first kind in the order Task, Pipeline, StepAction, Template.
    ``REPO/NAME`` names ``NAME`` in the member repo ``REPO`` where a catalog has
    members (see ``Layered``); a catalog with a ``name`` accepts its own name there.

    Errors are ``CatalogError``s naming what is at fault: ``NotFound`` for an unknown
    name, version or repo; ``DigestMismatch`` for a file whose sha256 is not the
    index's, and its ``EntryMismatch`` for a file that is not what its entry says.
    """

    @property
    def location(self) -> str:
        """Where the catalog was opened from, for messages (a path, a redacted URL,
        ``oci://...``, ``repos:A,B``). May be local to this machine: never record it;
        :meth:`origin` is what records and annotations name."""
        ...

    @property
    def name(self) -> str | None:
        """The repo name it was opened as (``builtin`` for the built-in catalog), or None."""
        ...

    @property
    def warnings(self) -> list[str]:
        """Oddities met while indexing (a file that did not parse...), as text."""
        ...

    def names(self) -> list[str]:
        """Every name, sorted."""
        ...

    def kinds(self, name: str) -> list[str]:
        """The kinds ``name`` has, Task first; empty when it has none."""
        ...

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        """Every version of ``name`` of ``kind`` (default: its first kind), newest first;
        NotFound (with suggestions) when there is none."""
        ...

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry:
        """One version of ``name``: the newest stable one when ``version`` is None."""
        ...

    def search(self, term: str = "", *, category: str | None = None, tag: str | None = None,
               platform: str | None = None, kind: str | None = None) -> list[SearchHit]:
        """Names whose newest version matches ``term`` (in name, display name,
        description, tags, categories) and every filter; best match first."""
        ...

    def pin(self, name: str, repo: str) -> None:
        """Take ``name`` (and only it) from member ``repo`` from now on."""
        ...

    def origin(self, entry: Entry) -> str:
        """A stable name for where ``entry`` comes from, the same on every machine and
        never a local path: the configured repo's name (``builtin`` for the built-in
        catalog), the redacted URL of a catalog given by URL, ``oci://REGISTRY/REPO@sha256:...``
        for a bundle, ``folder:NAME`` (the folder's own name) for a folder given by path;
        in a layered catalog, the origin of the member ``entry`` came from.
        ``sources.open_origin`` reopens exactly that source."""
        ...

    def signed_by(self, entry: Entry) -> str | None:
        """The id of the key whose signature vouched for ``entry`` when the catalog was
        opened (its repo's index.yaml.sig, or a bundle's cosign signature); None when
        nothing signed was verified."""
        ...

    def has_file(self, rel: str, digest: str) -> bool:
        """Whether the index names ``rel`` with ``digest`` (a resource or a file beside it)."""
        ...

    def read_file(self, rel: str, digest: str | None) -> bytes:
        """The bytes of ``rel``, refused (DigestMismatch) unless their sha256 is ``digest``."""
        ...

    def load(self, entry: Entry) -> Verified:
        """``entry``'s document and the rules of its rbac.yaml, each read (digest-checked)
        and checked against the entry (``sources.verify.load_entry``): the one way to
        what gets installed, rendered or exported. Raises EntryMismatch naming the file."""
        ...

    def load_resource(self, entry: Entry) -> dict[str, Any]:
        """``load(entry).document``."""
        ...

    def detail(self, entry: Entry) -> ResourceDetail:
        """The interface of ``entry`` (params, workspaces, results) and the rules of its
        rbac.yaml, for ``info``. The document is checked as by :meth:`load`; rules or
        dependencies that differ from the index are reported in ``mismatches`` rather
        than raised, so that ``info`` can show both sides."""
        ...
