"""Several catalogs seen as one, in order of precedence (see ``repos`` for the rules).

A name belongs to the first member that has it, with all its versions; ``REPO/NAME``
(or :meth:`Layered.pin`) sends one name to one member. Everything else (queries,
file reads with their digest checks) is the owning member's.
"""

from __future__ import annotations

import difflib
from typing import Any

from ..errors import DigestMismatch, NotFound
from ..model import Entry, ResourceDetail
from .base import Catalog, SearchHit, Verified, match_rank


def split_repo(name: str) -> tuple[str | None, str]:
    """``team/git-clone`` -> ("team", "git-clone"); a bare name -> (None, name)."""
    repo, sep, rest = name.partition("/")
    return (repo, rest) if sep else (None, name)


class Layered:
    """The catalog of several repos; ``members`` are opened catalogs with a ``name``."""

    def __init__(self, members: list[Catalog]) -> None:
        self.members = list(members)
        self.location = "repos:" + ",".join(str(m.name) for m in self.members)
        self._pins: dict[str, Catalog] = {}
        #: Which member each entry handed out came from: ``builtin/kaniko`` may be read
        #: while another repo owns ``kaniko``.
        self._from_member: dict[Entry, Catalog] = {}

    @property
    def name(self) -> str:
        return self.location

    @property
    def warnings(self) -> list[str]:
        return [f"{m.name}: {w}" for m in self.members for w in m.warnings]

    def member(self, repo: str) -> Catalog:
        for m in self.members:
            if m.name == repo:
                return m
        have = ", ".join(str(m.name) for m in self.members)
        raise NotFound(f"repo {repo!r} is not part of this catalog (repos: {have})")

    def pin(self, name: str, repo: str) -> None:
        """Take ``name`` (and only it) from ``repo``."""
        self._pins[name] = self.member(repo)

    def owner(self, name: str) -> tuple[Catalog, str]:
        """The member that ``name`` (maybe ``REPO/NAME``) comes from, and the bare name."""
        repo, bare = split_repo(name)
        if repo is not None:
            return self.member(repo), bare
        if bare in self._pins:
            return self._pins[bare], bare
        for m in self.members:
            if m.kinds(bare):
                return m, bare
        return self.members[0], bare

    # -- the Catalog protocol ------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted({n for m in self.members for n in m.names()})

    def kinds(self, name: str) -> list[str]:
        m, bare = self.owner(name)
        return list(m.kinds(bare))

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        m, bare = self.owner(name)
        if not m.kinds(bare) and split_repo(name)[0] is None:
            close = self._suggest(bare)
            raise NotFound(f"no {bare!r} in any repo ({', '.join(str(x.name) for x in self.members)}){close}")
        items = tuple(m.versions(bare, kind))
        for e in items:
            self._from_member.setdefault(e, m)
        return items

    def _from(self, entry: Entry) -> Catalog:
        return self._from_member.get(entry) or self.owner(entry.name)[0]

    def _suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=3)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry:
        self.versions(name, kind)  # the combined NotFound message
        m, bare = self.owner(name)
        entry = m.get(bare, version, kind)
        self._from_member.setdefault(entry, m)
        return entry

    def search(self, term: str = "", *, category: str | None = None, tag: str | None = None,
               platform: str | None = None, kind: str | None = None) -> list[SearchHit]:
        """Hits of every member; a name shadowed by an earlier member is left out."""
        hits = [h for m in self.members
                for h in m.search(term, category=category, tag=tag, platform=platform, kind=kind)
                if self.owner(h.name)[0] is m]
        return sorted(hits, key=lambda h: (match_rank(term, h.name), h.name, h.kind))

    def origin(self, entry: Entry) -> str:
        """The origin of the member ``entry`` came from."""
        return self._from(entry).origin(entry)

    def signed_by(self, entry: Entry) -> str | None:
        return self._from(entry).signed_by(entry)

    def has_file(self, rel: str, digest: str) -> bool:
        return any(m.has_file(rel, digest) for m in self.members)

    def read_file(self, rel: str, digest: str | None) -> bytes:
        """A file of the member whose index names ``rel`` with ``digest``."""
        for m in self.members:
            if digest is not None and m.has_file(rel, digest):
                return m.read_file(rel, digest)
        raise DigestMismatch(f"no repo's index names this file with digest {digest}", rel)

    def load(self, entry: Entry) -> Verified:
        return self._from(entry).load(entry)

    def load_resource(self, entry: Entry) -> dict[str, Any]:
        return self._from(entry).load_resource(entry)

    def detail(self, entry: Entry) -> ResourceDetail:
        return self._from(entry).detail(entry)
