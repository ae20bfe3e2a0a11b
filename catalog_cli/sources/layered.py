"""Several catalogs seen as one, in order of precedence (see ``repos`` for the rules).

A name belongs to the first member that has it, with all its versions; ``REPO/NAME``
(or :meth:`Combined.pin`) sends one name to one member. Everything else (queries,
file reads with their digest checks) is the owning member's.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, NotFound
from ..model import Entry, ResourceDetail


def split_repo(name: str) -> tuple[str | None, str]:
    """``team/git-clone`` -> ("team", "git-clone"); a bare name -> (None, name)."""
    repo, sep, rest = name.partition("/")
    return (repo, rest) if sep else (None, name)


class Combined:
    """The catalog of several repos; ``members`` are opened catalogs with a ``name``."""

    def __init__(self, members: list[Any]) -> None:
        self.members = list(members)
        self.location = "repos:" + ",".join(m.name for m in self.members)
        self._pins: dict[str, Any] = {}
        #: Which member each entry handed out came from: ``builtin/kaniko`` may be read
        #: while another repo owns ``kaniko``.
        self._origin: dict[Entry, Any] = {}

    @property
    def name(self) -> str:
        return self.location

    @property
    def warnings(self) -> list[str]:
        return [f"{m.name}: {w}" for m in self.members for w in m.warnings]

    def member(self, repo: str) -> Any:
        for m in self.members:
            if m.name == repo:
                return m
        have = ", ".join(m.name for m in self.members)
        raise NotFound(f"repo {repo!r} is not part of this catalog (repos: {have})")

    def pin(self, name: str, repo: str) -> None:
        """Take ``name`` (and only it) from ``repo``."""
        self._pins[name] = self.member(repo)

    def owner(self, name: str) -> tuple[Any, str]:
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

    # -- the catalog protocol ------------------------------------------------------------
    def names(self) -> list[str]:
        return sorted({n for m in self.members for n in m.names()})

    def kinds(self, name: str) -> list[str]:
        m, bare = self.owner(name)
        return list(m.kinds(bare))

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        m, bare = self.owner(name)
        if not m.kinds(bare) and split_repo(name)[0] is None:
            close = self._suggest(bare)
            raise NotFound(f"no {bare!r} in any repo ({', '.join(x.name for x in self.members)}){close}")
        items = tuple(m.versions(bare, kind))
        for e in items:
            self._origin.setdefault(e, m)
        return items

    def _from(self, entry: Entry) -> Any:
        return self._origin.get(entry) or self.owner(entry.name)[0]

    def _suggest(self, name: str) -> str:
        import difflib

        close = difflib.get_close_matches(name, self.names(), n=3)
        return f" (did you mean {', '.join(close)}?)" if close else ""

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry:
        self.versions(name, kind)  # the combined NotFound message
        m, bare = self.owner(name)
        entry: Entry = m.get(bare, version, kind)
        self._origin.setdefault(entry, m)
        return entry

    def search(self, term: str = "", **filters: Any) -> list[Any]:
        """Hits of every member; a name shadowed by an earlier member is left out."""
        t = term.lower().strip()
        hits = [h for m in self.members for h in m.search(term, **filters) if self.owner(h.name)[0] is m]

        def rank(h: Any) -> tuple[int, str, str]:
            if not t or h.name == t:
                r = 0
            elif h.name.startswith(t):
                r = 1
            elif t in h.name:
                r = 2
            else:
                r = 3
            return r, h.name, h.kind

        return sorted(hits, key=rank)

    def source_of(self, entry: Entry) -> str:
        return str(self._from(entry).location)

    def read_file(self, rel: str, digest: str | None) -> bytes:
        """A file of the member whose index names ``rel`` with ``digest``."""
        for m in self.members:
            if digest is not None and m.has_file(rel, digest):
                return bytes(m.read_file(rel, digest))
        raise InputError("no repo's index names this file", rel)

    def load_resource(self, entry: Entry) -> dict[str, Any]:
        return dict(self._from(entry).load_resource(entry))

    def detail(self, entry: Entry) -> ResourceDetail:
        return self._from(entry).detail(entry)  # type: ignore[no-any-return]
