"""Where each reference points, what it pins now, and the newest versions it may take.

A reference into a known catalog (``known.Known``: a configured repo's URL, git URL or
bundle base, a hub catalog named like a repo, the cluster resolver) is looked up in the
catalog at hand; the rest is *external* and only shown, with the reason. The version a
reference pins is the one it names (``ResolverRef.version``: a hub version, a bundle
tag, a version folder in a git path or URL, a version tag as git revision) or, for a
git commit, the release tag that names that commit (asked of the repository).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .. import ranges, versions
from ..errors import CatalogError
from ..known import Known
from ..model import Entry
from ..pins import Pinner
from ..refs import LocalRef, ResolverRef
from ..sources.base import Catalog
from .config import Config
from .scan import Reference


class Remote(Pinner, Protocol):
    """A :class:`pins.Pinner` that also lists a git repository's tags."""

    def git_tags(self, url: str) -> Mapping[str, str]:
        """Every tag of the repository at ``url`` -> the commit it names."""
        ...


@dataclass(frozen=True)
class Status:
    """One reference looked up. ``repo`` is the known catalog it points into (None when
    external, local, or the catalog at hand as a whole); ``version`` the version it pins
    now (None: unknown); ``pin`` the digest or commit written in it; ``range`` the
    versions update may move it to; ``allowed`` the newest of them, ``newest`` the
    newest of all; ``entries`` every version, newest first."""

    ref: Reference
    known: bool = False
    repo: str | None = None
    external: str | None = None
    version: str | None = None
    pin: str | None = None
    range: str | None = None
    allowed: Entry | None = None
    newest: Entry | None = None
    note: str | None = None
    entries: tuple[Entry, ...] = ()

    @property
    def current(self) -> Entry | None:
        """The catalog's entry of the version it pins now."""
        if self.version is None:
            return None
        want = versions.parse(self.version)
        return next((e for e in self.entries if versions.is_version(e.version) and versions.parse(e.version) == want),
                    None)

    @property
    def outdated(self) -> bool:
        """Whether a newer version is allowed than the one it pins."""
        if self.allowed is None or self.version is None:
            return False
        return versions.parse(self.allowed.version) > versions.parse(self.version)

    def to_dict(self) -> dict[str, Any]:
        r = self.ref
        return {
            "file": r.file, "line": r.line, "resource": r.resource, "where": r.where, "task": r.task,
            "kind": r.kind, "name": r.name,
            "resolver": r.ref.resolver if isinstance(r.ref, ResolverRef) else None,
            "pointsTo": r.describe(),
            "params": dict(r.ref.identity().params) if isinstance(r.ref, ResolverRef) else {},
            "version": self.version, "pinned": self.pin is not None, "pin": self.pin,
            "known": self.known, "repo": self.repo, "external": self.external, "range": self.range,
            "newestAllowed": self.allowed.version if self.allowed else None,
            "newest": self.newest.version if self.newest else None,
            "outdated": self.outdated, "note": self.note,
        }


def same_major(version: str) -> str:
    """The default range: the versions of ``version``'s major from it on."""
    v = versions.parse(version).sem
    return f">={v.major}.{v.minor}.{v.patch} <{v.major + 1}.0.0"


def newest_in(entries: tuple[Entry, ...], range_text: str) -> Entry | None:
    rng = ranges.parse(range_text)
    for e in entries:  # newest first
        if versions.is_version(e.version) and rng.allows(versions.parse(e.version)):
            return e
    return None


class Lookup:
    """Looks references up in ``catalog`` through ``known``, with the ranges of ``config``;
    ``remote`` (None: offline) lists git tags, to find the version of a pinned commit."""

    def __init__(self, catalog: Catalog, known: Known, config: Config, remote: Remote | None) -> None:
        self.catalog = catalog
        self.known = known
        self.config = config
        self.remote = remote
        self._tags: dict[str, Mapping[str, str] | str] = {}
        self._entries: dict[tuple[str, str], tuple[Entry, ...] | str] = {}

    def tags(self, url: str) -> Mapping[str, str] | str:
        """The tags of ``url``, or why they are not known."""
        if url not in self._tags:
            if self.remote is None:
                self._tags[url] = "offline: git was not asked for the tag of this commit"
            else:
                try:
                    self._tags[url] = self.remote.git_tags(url)
                except CatalogError as exc:
                    self._tags[url] = exc.message
        return self._tags[url]

    def entries(self, name: str, kind: str) -> tuple[Entry, ...] | str:
        """Every version of ``name`` (``REPO/NAME`` for one repo's), or why there is none."""
        if (name, kind) not in self._entries:
            try:
                self._entries[(name, kind)] = tuple(self.catalog.versions(name, kind))
            except CatalogError as exc:
                self._entries[(name, kind)] = f"the catalog at hand has no {kind} {name}: {exc.message}"
        return self._entries[(name, kind)]

    def version_of(self, ref: ResolverRef) -> tuple[str | None, str | None]:
        """The version ``ref`` pins, or None and why it is not known."""
        if ref.version is not None:
            return ref.version, None
        if ref.resolver == "git" and ref.pin is not None and ref.url:
            tags = self.tags(ref.url)
            if isinstance(tags, str):
                return None, tags
            named = sorted((t for t, sha in tags.items() if sha == ref.pin and versions.is_version(t)),
                           key=versions.parse, reverse=True)
            if named:
                return named[0], None
            return None, "no release tag names this commit"
        if ref.resolver == "hub" and ref.param("version"):
            return None, f"a version constraint ({ref.param('version')}): update leaves it as written"
        return None, "it names no version"

    def status(self, found: Reference) -> Status:
        ref = found.ref
        if isinstance(ref, LocalRef):
            note = ("a ClusterTask: removed from Tekton; update rewrites it to the cluster resolver"
                    if ref.kind == "ClusterTask" else None)
            return Status(found, external="by name: whatever the namespace holds", note=note)
        if ref.resolver == "file":
            return Status(found, external="a file of the repository")
        pointer = self.known.locate(ref)
        if pointer.external is not None:
            return Status(found, external=pointer.external, pin=ref.pin, version=ref.version)
        key = ref.name if pointer.repo is None else f"{pointer.repo}/{ref.name}"
        entries = self.entries(key, ref.kind)
        if isinstance(entries, str):
            return Status(found, repo=pointer.repo, external=entries, pin=ref.pin)
        version, why = self.version_of(ref)
        if ref.resolver == "cluster":
            why = "the cluster resolver names no version"
        written = self.config.ranges.get(ref.name)
        if ref.resolver == "hub" and version is None and ref.param("version"):
            range_text = ref.range  # a constraint: shown, never rewritten
        else:
            range_text = written or (same_major(version) if version else "*")
        stable = tuple(e for e in entries if versions.is_version(e.version) and not versions.parse(e.version).is_prerelease)
        allowed = newest_in(entries, range_text) if range_text else None
        status = Status(found, True, pointer.repo, None, version, ref.pin, range_text, allowed,
                        stable[0] if stable else None, why, entries)
        current = status.current
        if version is not None and current is None:
            return Status(**{**status.__dict__, "note": f"the catalog has no version {version} of {ref.name}"})
        if current is not None and current.deprecated:
            return Status(**{**status.__dict__, "note": f"{ref.name} {version} is deprecated"})
        return status
