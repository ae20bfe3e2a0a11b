"""A catalog held in memory: entries, and the bytes of the files they name.

The honest fake of the ``Catalog`` protocol, for tests and for tools that already
hold their entries: it answers every query as an indexed catalog does, and reads
its files through the same digest check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .. import versions
from ..errors import NotFound
from ..model import KIND_ORDER, Entry
from .base import SearchHit, digest_checked, match_rank, matches_words, names_file, search_words
from .single import OneRepo


class MemoryCatalog(OneRepo):
    """``entries`` in any order; ``files`` maps paths relative to the catalog to bytes."""

    def __init__(self, entries: Iterable[Entry], files: Mapping[str, bytes] | None = None,
                 location: str = "memory", name: str | None = None) -> None:
        self.location = location
        self.name = name
        self.warnings: list[str] = []
        self._files = dict(files or {})
        self._by: dict[str, dict[str, list[Entry]]] = {}
        for e in entries:
            self._by.setdefault(e.name, {}).setdefault(e.kind, []).append(e)
        for kinds in self._by.values():
            for items in kinds.values():
                items.sort(key=lambda e: versions.parse(e.version), reverse=True)

    def names(self) -> list[str]:
        return sorted(self._by)

    def kinds(self, name: str) -> list[str]:
        return sorted(self._by.get(self._own(name), {}), key=lambda k: KIND_ORDER.get(k, 9))

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        name = self._own(name)
        kinds = self.kinds(name)
        if not kinds:
            raise NotFound(f"no {name!r} in catalog {self.location}")
        kind = kind or kinds[0]
        if kind not in kinds:
            are = " and a ".join(kinds)
            raise NotFound(f"{name!r} is a {are} in catalog {self.location}, not a {kind}")
        return tuple(self._by[name][kind])

    def search(self, term: str = "", *, category: str | None = None, tag: str | None = None,
               platform: str | None = None, kind: str | None = None) -> list[SearchHit]:
        words = search_words(term)

        def lower(values: tuple[str, ...]) -> list[str]:
            return [v.lower() for v in values]

        hits = []
        for name in self.names():
            for k in self.kinds(name):
                items = self._by[name][k]
                e = items[0]
                hay = " ".join([e.name, e.display_name, e.description, *e.tags, *e.categories]).lower()
                plat = (platform or "").lower()
                if (not matches_words(words, hay)
                        or (category and category.lower() not in lower(e.categories))
                        or (tag and tag.lower() not in lower(e.tags))
                        or (plat and plat not in lower(e.platforms)
                            and not (not e.platforms and plat == "linux/amd64"))
                        or (kind and k.lower() != kind.lower())):
                    continue
                hits.append(SearchHit(name, k, e, tuple(x.version for x in items)))
        return sorted(hits, key=lambda h: (match_rank(term, h.name), h.name, h.kind))

    def origin(self, entry: Entry) -> str:
        return self.name or self.location

    def has_file(self, rel: str, digest: str) -> bool:
        return any(names_file(e, rel, digest)
                   for kinds in self._by.values() for items in kinds.values() for e in items)

    def read_file(self, rel: str, digest: str | None) -> bytes:
        if rel not in self._files:
            raise NotFound("file named by the index is missing", rel)
        return digest_checked(rel, self._files[rel], digest)
