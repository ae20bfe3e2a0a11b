"""A catalog and a cluster's Tekton version, seen by the resolver; and ``resolve()``.

This is the one module that knows both sides: catalog entries, semver ranges and
Tekton's ``pipelines.minVersion`` on one hand, the generic resolver's protocol on the
other. Packages are ``(kind, name)`` pairs: Kubernetes names are per kind, so a
``git-clone`` Task and a ``git-clone`` StepAction are different packages. A
dependency without a kind means the name's first kind (Task, then Pipeline, then
StepAction), as everywhere else in the tool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import ranges, versions
from .errors import InputError, NotFound
from .model import KIND_ORDER, Dependency, Entry, canonical_kind
from .resolver import MAX_SECONDS, MAX_STEPS, Resolver
from .sources.base import Catalog
from .versions import Version

if TYPE_CHECKING:
    from .lockfile import Lock

#: A package: (kind, name).
Key = tuple[str, str]

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    """What a user asks for: ``[kind/]name[@range]``; the range defaults to any."""

    name: str
    range: str = "*"
    kind: str | None = None

    def __str__(self) -> str:
        head = f"{self.kind}/{self.name}" if self.kind else self.name
        return head if self.range in ("*", "") else f"{head}@{self.range}"


def parse_requirement(text: str) -> Requirement:
    """``kubectl-deploy@^0.2``, ``task/git-clone``, ``git-clone@>=0.1 <1`` (also
    ``git-clone >=0.1 <1``); an InputError naming the text when it is none of these."""
    raw = text.strip()
    head, at, rng = raw.partition("@")
    if not at and " " in raw:
        head, _, rng = raw.partition(" ")
    head, rng = head.strip(), rng.strip() or "*"
    kind = None
    if "/" in head:
        kind_text, _, head = head.partition("/")
        kind = canonical_kind(kind_text)
        if kind is None:
            raise InputError(f"unknown kind {kind_text!r} (Task, Pipeline or StepAction)", text)
    if not _NAME.match(head):
        raise InputError(f"{head!r} is not a resource name (lower case, digits and '-')", text)
    ranges.parse(rng, text)
    return Requirement(head, rng, kind)


Req = Requirement | Dependency


def _range_text(req: Req) -> str:
    return "" if req.range.strip() in ("", "*") else req.range.strip()


class CatalogProvider:
    """The resolver's view of a catalog (see ``resolver.Provider`` for the contract)."""

    def __init__(self, catalog: Catalog, tekton_version: Version | None = None,
                 prefer: Mapping[Key, str] | None = None) -> None:
        self.catalog = catalog
        self.tekton_version = tekton_version
        self.prefer = dict(prefer or {})
        self._kinds: dict[str, list[str]] = {}

    def _kinds_of(self, name: str) -> list[str]:
        if name not in self._kinds:
            self._kinds[name] = list(self.catalog.kinds(name))
        return self._kinds[name]

    def identify(self, requirement: Req, parent: Entry | None) -> Key:
        name = requirement.name
        who = f"{parent.name} {parent.version}" if parent else None
        kind = canonical_kind(requirement.kind) if requirement.kind else None
        if requirement.kind and kind is None:
            raise InputError(f"unknown kind {requirement.kind!r} in the dependency on {name}", who)
        kinds = self._kinds_of(name)
        if not kinds or (kind and kind not in kinds):
            if parent is None:
                self.catalog.versions(name, kind)  # raises NotFound, with suggestions
            what = f"{kind}/{name}" if kind and kind != "Task" else name
            also = f" ({name} is a {' and a '.join(kinds)})" if kinds else ""
            raise NotFound(f"{who} depends on {what}, which no catalog has{also}")
        where = f"{who}: dependency on {name}" if who else str(requirement)
        ranges.parse(requirement.range, where)
        return (kind or kinds[0], name)

    def candidates(self, key: Key) -> Sequence[Entry]:
        return self.catalog.versions(key[1], key[0])

    def allows(self, requirement: Req, candidate: Entry) -> bool:
        return ranges.parse(requirement.range).allows(versions.parse(candidate.version))

    def dependencies(self, candidate: Entry) -> Sequence[Req]:
        return candidate.dependencies

    def unavailable(self, candidate: Entry) -> str | None:
        return tekton_reason(candidate, self.tekton_version)

    def preferred(self, key: Key) -> Entry | None:
        version = self.prefer.get(key)
        if version is None:
            return None
        want = versions.parse(version)
        return next((e for e in self.candidates(key) if versions.parse(e.version) == want), None)

    def name(self, key: Key) -> str:
        kinds = self._kinds_of(key[1])
        return key[1] if not kinds or kinds[0] == key[0] else f"{key[0]}/{key[1]}"

    def version(self, candidate: Entry) -> str:
        return candidate.version

    def describe(self, requirement: Req) -> str:
        return _range_text(requirement)


# -- the result install uses ---------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """One reason an entry is needed: who asked (None: the user) and with what range."""

    by: Key | None
    range: str  # as written; "*" for any
    requirement: str | None = None  # the user's text, when ``by`` is None


@dataclass(frozen=True)
class Resolved:
    entry: Entry
    required_by: tuple[Link, ...]
    dependencies: tuple[Key, ...]
    newest: str | None = None  # the newest version every requirer and the cluster allow


class Resolution(Mapping[Key, Entry]):
    """The chosen entry of each (kind, name), dependencies before dependents."""

    def __init__(self, items: Mapping[Key, Resolved], requirements: Sequence[Requirement],
                 tekton_version: Version | None, source: str, steps: int = 0) -> None:
        self.resolved = dict(items)
        self.requirements = tuple(requirements)
        self.tekton_version = tekton_version
        self.source = source
        self.steps = steps

    def __getitem__(self, key: Key) -> Entry:
        return self.resolved[key].entry

    def __iter__(self) -> Iterator[Key]:
        return iter(self.resolved)

    def __len__(self) -> int:
        return len(self.resolved)

    @property
    def entries(self) -> list[Entry]:
        """In install order."""
        return [r.entry for r in self.resolved.values()]

    def find(self, name: str, kind: str | None = None) -> Key:
        return find_key(self.resolved, name, kind)

    def why(self, name: str, kind: str | None = None) -> list[str]:
        """Each chain of requirers from the user's requirements to ``name``, and why
        this version: one line each."""
        key = self.find(name, kind)
        item = self.resolved[key]
        chosen = Chosen(item.entry.version, item.required_by,
                        {k: (v.entry.version, v.required_by) for k, v in self.resolved.items()})
        return explain_choice(key, chosen, self.tekton_version, item.newest)


@dataclass(frozen=True)
class Chosen:
    """What ``why`` needs of a resolution (from memory or from a lock file)."""

    version: str
    required_by: tuple[Link, ...]
    graph: Mapping[Key, tuple[str, tuple[Link, ...]]]


def find_key(items: Mapping[Key, object], name: str, kind: str | None = None) -> Key:
    matches = [k for k in items if k[1] == name and (kind is None or k[0] == kind)]
    if not matches:
        raise NotFound(f"{name} is not part of the resolution")
    return min(matches, key=lambda k: KIND_ORDER.get(k[0], 9))


def chains(key: Key, graph: Mapping[Key, tuple[str, tuple[Link, ...]]]) -> list[list[Link]]:
    """Every path of requirers from a user requirement down to ``key`` (user first)."""
    out: list[list[Link]] = []

    def walk(k: Key, below: list[Link], seen: frozenset[Key]) -> None:
        for link in graph[k][1]:
            if link.by is None:
                out.append([link, *below])
            elif link.by not in seen and len(out) < 50:
                walk(link.by, [link, *below], seen | {link.by})

    walk(key, [], frozenset({key}))
    return out


def explain_choice(key: Key, chosen: Chosen, tekton: Version | str | None,
                   newest: str | None) -> list[str]:
    """``why`` in words: one line per chain of requirers, then one on the version."""

    def label(k: Key) -> str:
        # The kind only when a name has two kinds here (a git-clone Task and StepAction).
        shadowed = any(o[1] == k[1] and KIND_ORDER.get(o[0], 9) < KIND_ORDER.get(k[0], 9)
                       for o in chosen.graph)
        return f"{k[0] + '/' if shadowed else ''}{k[1]} {chosen.graph[k][0]}"

    def by(link: Link) -> str:
        assert link.by is not None
        return label(link.by) + ("" if link.range in ("", "*") else f" ({link.range})")

    lines = []
    for path in chains(key, chosen.graph):
        user, links = path[0], path[:0:-1]  # links: the nearest requirer first
        if not links:
            lines.append(f"{label(key)}: you asked for {user.requirement}")
            continue
        text = f"required by {by(links[0])}"
        text += "".join(f", which is required by {by(link)}" for link in links[1:])
        lines.append(f"{label(key)}: {text}, which you asked for ({user.requirement})")
    rngs = sorted({ln.range for ln in chosen.required_by if ln.range not in ("", "*")})
    limits = " and ".join(rngs + ([f"Tekton {tekton}"] if tekton else []))
    under = f" satisfying {limits}" if limits else ""
    if newest is None:  # not known (a lock file read without its catalog)
        lines.append(f"{label(key)}: the locked version{under}")
    elif newest == chosen.version:
        lines.append(f"{label(key)}: the newest version{under}")
    else:
        lines.append(f"{label(key)}: not the newest version{under} ({newest} is): "
                     "it was locked, or the other requirements rule the newer ones out")
    return lines


def tekton_reason(entry: Entry, tekton: Version | None) -> str | None:
    """Why the cluster cannot run ``entry``, or None when it can (or when unknown)."""
    need = entry.min_pipelines_version
    if tekton is None or not need or not versions.is_version(need):
        return None  # an unreadable minVersion is lint's business, not a reason to refuse
    if versions.parse(need) > tekton:
        return f"needs Tekton >={need} while the cluster runs {tekton}"
    return None


def newest_allowed(candidates: Sequence[Entry], ranges_: Iterable[str],
                   tekton: Version | None) -> Entry | None:
    """The newest candidate every range and the cluster allow."""
    parsed = [ranges.parse(r) for r in ranges_]
    for e in candidates:
        v = versions.parse(e.version)
        if all(r.allows(v) for r in parsed) and tekton_reason(e, tekton) is None:
            return e
    return None


def resolve(catalog: Catalog, requirements: Sequence[Requirement],
            tekton_version: Version | None = None, locked: Lock | None = None, *,
            max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS) -> Resolution:
    """Choose one entry for every requirement and everything it depends on, transitively.

    ``tekton_version`` (the cluster's, or None to ignore it) rules out entries whose
    ``pipelines.minVersion`` is newer. ``locked`` (a ``lockfile.Lock``) makes its
    versions the first choice. Raises ``ResolutionError`` (with the explanation) when
    nothing fits, ``NotFound``/``InputError`` naming the entry at fault for a
    dependency on an unknown name or an invalid range, ``ResolutionError`` for a cycle.
    """
    prefer: dict[Key, str] = {}
    for item in locked.resolved if locked else ():
        prefer[(item.kind, item.name)] = item.version
    provider = CatalogProvider(catalog, tekton_version, prefer)
    resolver = Resolver(provider, max_steps=max_steps, max_seconds=max_seconds)
    result = resolver.resolve(list(requirements))
    items: dict[Key, Resolved] = {}
    for key, entry in result.chosen.items():
        links = tuple(
            Link(by, req.range or "*", str(req) if by is None else None)
            for by, req in result.required_by[key]
        )
        best = newest_allowed(provider.candidates(key), [ln.range for ln in links], tekton_version)
        newest = best.version if best else None
        items[key] = Resolved(entry, links, result.dependencies[key], newest)
    return Resolution(items, requirements, tekton_version, catalog.location, result.steps)
