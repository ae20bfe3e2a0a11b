"""What a site shows, read from a catalog: every resource with its versions and who
needs whom (the plan, read once), and the bytes of the files its pages show (each
digest-checked by the catalog as it is read, a batch of pages at a time). Pages are
made from these alone, in any process."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from .. import ranges, versions
from ..errors import CatalogError
from ..model import KIND_ORDER, Dependency, Entry
from ..sources.verify import rbac_path

if TYPE_CHECKING:
    from ..sources.base import Catalog

Key = tuple[str, str]  # (kind, name)
#: What a page shows of the files beside a resource: its README and up to this many samples.
MAX_SAMPLES = 10
MAX_SAMPLE_BYTES = 64 * 1024
_SAFE = re.compile(r"^[a-z0-9][-a-z0-9.+_]*$")


def slug(text: str) -> str:
    """A file name for a name or version: itself when plainly safe (index names and
    versions always are), else a digest of it (a catalog read without its schema)."""
    return text if _SAFE.match(text) and ".." not in text else "x-" + hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1 << 16)
def page_path(kind: str, name: str, version: str) -> str:
    """Where a version's page lives, relative to the site's root (remembered: every page
    links its resource's other versions)."""
    return f"r/{slug(kind.lower())}/{slug(name)}/{slug(version)}.html"


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    versions: tuple[Entry, ...]  # newest first

    @property
    def key(self) -> Key:
        return (self.kind, self.name)

    @cached_property
    def latest(self) -> Entry:
        """The newest stable version, as ``install NAME`` chooses (else the newest)."""
        return next((e for e in self.versions if not versions.parse(e.version).is_prerelease), self.versions[0])


@dataclass(frozen=True)
class Target:
    """Where a dependency leads: the resource and version it would install, or why none."""

    dependency: Dependency
    key: Key | None
    version: str | None
    note: str = ""


@dataclass
class Plan:
    """Every resource of a catalog, who needs whom, and where each dependency leads:
    what every page shares. The files a page shows are read apart (:func:`read_shown`),
    a batch of pages at a time, so that worker processes receive only their own."""

    resources: list[Resource]
    by_key: dict[Key, Resource]
    needed_by: dict[Key, list[Key]]
    warnings: list[str] = field(default_factory=list)
    _targets: dict[Dependency, Target] = field(default_factory=dict, repr=False)

    def kind_of(self, dep: Dependency) -> str | None:
        if dep.kind:
            return dep.kind
        kinds = [k for k in KIND_ORDER if (k, dep.name) in self.by_key]
        return kinds[0] if kinds else None

    def target(self, dep: Dependency) -> Target:
        """Where ``dep`` leads (remembered: pages ask for the same ones again and again)."""
        known = self._targets.get(dep)
        if known is None:
            known = self._targets[dep] = self._target(dep)
        return known

    def _target(self, dep: Dependency) -> Target:
        kind = self.kind_of(dep)
        res = self.by_key.get((kind, dep.name)) if kind else None
        if res is None:
            why = f"through {dep.via.describe()}" if dep.via else "not in this catalog"
            return Target(dep, None, None, why)
        try:
            wanted = ranges.parse(dep.range)
        except CatalogError:
            return Target(dep, res.key, None, f"range {dep.range!r} is not valid")
        fits = [e for e in res.versions if wanted.allows(versions.parse(e.version))]
        if not fits:
            return Target(dep, res.key, None, f"no version in {dep.range}")
        stable = next((e for e in fits if not versions.parse(e.version).is_prerelease), fits[0])
        return Target(dep, res.key, stable.version)


@dataclass
class Shown:
    """The bytes of the files some pages show, each digest-checked as it was read (the
    files their READMEs link whole in ``linked``), and for each entry whose files could
    not all be read, why (the first reason)."""

    files: dict[str, bytes] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # entry path -> why
    linked: dict[str, bytes] = field(default_factory=dict)


def shown_files(entry: Entry) -> list[str]:
    """The files of ``entry`` its page shows: the resource, its rbac.yaml, README, samples."""
    folder = entry.path.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""
    named = {f.path for f in entry.files}
    out = [entry.path]
    out += [p for p in (rbac_path(entry), f"{prefix}README.md") if p in named]
    out += sorted(p for p in named if p.startswith(f"{prefix}samples/"))[:MAX_SAMPLES]
    return out


def make_plan(catalog: Catalog) -> Plan:
    """Every resource of ``catalog`` and who needs whom."""
    resources = [Resource(kind, name, catalog.versions(name, kind))
                 for name in catalog.names() for kind in catalog.kinds(name)]
    by_key = {r.key: r for r in resources}
    plan = Plan(resources, by_key, {}, warnings=list(catalog.warnings))
    for r in resources:
        for dep in r.latest.dependencies:
            kind = plan.kind_of(dep)
            if kind and (kind, dep.name) in by_key and (kind, dep.name) != r.key:
                plan.needed_by.setdefault((kind, dep.name), []).append(r.key)
    return plan


def read_shown(catalog: Catalog, entries: Iterable[Entry]) -> Shown:
    """The files the pages of ``entries`` show, read from ``catalog`` (which checks each
    against its digest). A file that cannot be read (missing, digest mismatch) is a
    problem of its page, said there and returned in ``problems``; the site is still made."""
    entries = list(entries)
    shown = Shown()
    # Every file of the versions at hand, for the READMEs' links (a resource's versions
    # are read together: a README may link another version's files).
    named = {f.path: f.digest for e in entries for f in e.files} | {e.path: e.digest for e in entries}
    for entry in entries:
        for rel in shown_files(entry):
            try:
                data = catalog.read_file(rel, named[rel])
            except CatalogError as exc:
                shown.problems.setdefault(entry.path, str(exc))
                continue
            if rel.endswith("/README.md") or rel == "README.md":
                _read_linked(catalog, entry, data, named, shown)
            shown.files[rel] = data if rel == entry.path or len(data) <= MAX_SAMPLE_BYTES \
                else data[:MAX_SAMPLE_BYTES]
    return shown


def _read_linked(catalog: Catalog, entry: Entry, readme: bytes, named: dict[str, str], shown: Shown) -> None:
    """The files ``readme`` may link or show from its resource's folder, when the index names them."""
    from .readme_files import candidates

    for rel in candidates(readme.decode("utf-8", errors="replace"), entry):
        if rel in shown.linked or rel not in named:
            continue
        try:
            shown.linked[rel] = catalog.read_file(rel, named[rel])
        except CatalogError as exc:
            shown.problems.setdefault(entry.path, str(exc))
