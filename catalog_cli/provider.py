"""A catalog and a cluster's Tekton version, seen by the resolver; and ``resolve()``.

This is the one module that knows both sides: catalog entries, semver ranges and
Tekton's ``pipelines.minVersion`` on one hand, the generic resolver's protocol on the
other. Packages are ``(kind, name)`` pairs (``requirements.Key``): Kubernetes names
are per kind, so a ``git-clone`` Task and a ``git-clone`` StepAction are different
packages. A dependency without a kind means the name's first kind (Task, then
Pipeline, then StepAction), as everywhere else in the tool. What users write is
parsed in :mod:`.requirements`; what ``resolve()`` returns is a
:class:`~.resolution.Resolution`.

A dependency through a resolver (``Dependency.via``) is followed only when it points
into a catalog this tool knows (``known.Known``) *and* the catalog at hand takes that
name from there (:func:`locate`); an external one is left for Tekton to fetch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from . import ranges, versions
from .errors import CatalogError, InputError, NoSolution, NotFound, ResolutionError
from .known import Known
from .model import Dependency, Entry, canonical_kind
from .requirements import Key, Requirement
from .resolution import Link, Resolution, Resolved
from .resolver import MAX_SECONDS, MAX_STEPS, Resolver
from .versions import Version

if TYPE_CHECKING:
    from .lockfile import Lock

Req = Requirement | Dependency


class Resolvable(Protocol):
    """What resolving needs of a catalog: every ``sources.base.Catalog`` is one (see it
    for the contract). Kept to these three, so that code which may not see ``sources``
    (scaffold) can still hand its catalog to :func:`resolve`."""

    @property
    def location(self) -> str: ...

    def kinds(self, name: str) -> list[str]: ...

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]: ...


@dataclass(frozen=True)
class Located:
    """Where a dependency points: resolved from the catalog at hand (``external`` None;
    ``repo`` the known catalog a resolver reference names, if it names one), or
    external, with the reason."""

    dependency: Dependency
    repo: str | None = None
    external: str | None = None


def locate(catalog: Resolvable, dep: Dependency, known: Known | None) -> Located:
    """Whether ``dep`` is resolved from ``catalog`` (a dependency by name always is; one
    through a resolver when it points into a known catalog that ``catalog`` takes the
    name from) or is external, and why."""
    if dep.via is None:
        return Located(dep)
    pointer = (known or Known()).locate(dep.via)
    if pointer.external is not None:
        return Located(dep, external=pointer.external)
    what = f"{dep.kind or 'Task'} {dep.name}"
    try:
        if pointer.repo is None:
            if dep.kind not in catalog.kinds(dep.name):
                return Located(dep, external=f"no catalog here has a {what}")
            return Located(dep)
        there = catalog.versions(f"{pointer.repo}/{dep.name}", dep.kind)
        if tuple(catalog.versions(dep.name, dep.kind)) != tuple(there):
            return Located(dep, pointer.repo, f"another repo's {dep.name} hides {pointer.repo}'s here")
    except CatalogError:
        return Located(dep, pointer.repo, f"the catalog at hand has no {what} from {pointer.repo}")
    return Located(dep, pointer.repo)


def _range_text(req: Req) -> str:
    return "" if req.range.strip() in ("", "*") else req.range.strip()


class CatalogProvider:
    """The resolver's view of a catalog (see ``resolver.Provider`` for the contract)."""

    def __init__(self, catalog: Resolvable, tekton_version: Version | None = None,
                 prefer: Mapping[Key, str] | None = None, known: Known | None = None) -> None:
        self.catalog = catalog
        self.tekton_version = tekton_version
        self.prefer = dict(prefer or {})
        self.known = known
        self._kinds: dict[str, list[str]] = {}
        self._followed: dict[Dependency, bool] = {}
        self._ordered: dict[Key, ranges.Ordered] = {}
        self._candidates: dict[Key, Sequence[Entry]] = {}

    def follows(self, dep: Dependency) -> bool:
        """Whether ``dep`` is resolved (see :func:`locate`); cached, as the solver asks often."""
        if dep not in self._followed:
            self._followed[dep] = locate(self.catalog, dep, self.known).external is None
        return self._followed[dep]

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
        try:
            ranges.parse(requirement.range)  # cached by the range alone: ask again to name where
        except InputError:
            ranges.parse(requirement.range, f"{who}: dependency on {name}" if who else str(requirement))
        return (kind or kinds[0], name)

    def candidates(self, key: Key) -> Sequence[Entry]:
        """Every version of ``key``, newest first; read from the catalog once per run
        (the solver, the masks and the preferred versions each ask)."""
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = tuple(self.catalog.versions(key[1], key[0]))
        return found

    def allows(self, requirement: Req, candidate: Entry) -> bool:
        return ranges.parse(requirement.range).allows(versions.parse(candidate.version))

    def mask(self, requirement: Req, key: Key) -> int:
        """The candidates of ``key`` that ``requirement`` allows, as bits over their list:
        what ``allows`` says of each, found by bisection."""
        ordered = self._ordered.get(key)
        if ordered is None:
            ordered = self._ordered[key] = ranges.Ordered([versions.parse(e.version) for e in self.candidates(key)])
        return ordered.mask(ranges.parse(requirement.range))

    def dependencies(self, candidate: Entry) -> Sequence[Req]:
        return [d for d in candidate.dependencies if d.via is None or self.follows(d)]

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


def resolve(catalog: Resolvable, requirements: Sequence[Requirement],
            tekton_version: Version | None = None, locked: Lock | None = None, *,
            known: Known | None = None,
            max_steps: int = MAX_STEPS, max_seconds: float = MAX_SECONDS) -> Resolution:
    """Choose one entry for every requirement and everything it depends on, transitively.

    ``tekton_version`` (the cluster's, or None to ignore it) rules out entries whose
    ``pipelines.minVersion`` is newer. ``locked`` (a ``lockfile.Lock``) makes its
    versions the first choice, and its bundle bases known. ``known``
    (``repos.known``) says which references through resolvers point into known
    catalogs; without it, only a cluster resolver's reference to a name the catalog
    has is followed. Raises ``ResolutionError`` (with the explanation) when
    nothing fits, ``NotFound``/``InputError`` naming the entry at fault for a
    dependency on an unknown name or an invalid range, ``ResolutionError`` for a cycle.
    """
    prefer: dict[Key, str] = {}
    for item in locked.resolved if locked else ():
        prefer[(item.kind, item.name)] = item.version
    if locked is not None and locked.bundles:
        known = (known or Known()).adding(locked.bundles)
    provider = CatalogProvider(catalog, tekton_version, prefer, known)
    resolver = Resolver(provider, max_steps=max_steps, max_seconds=max_seconds)
    try:
        result = resolver.resolve(list(requirements))
    except NoSolution as failure:
        if tekton_version is None:
            raise
        # Name the cluster's Tekton version only when a newer one would make a
        # solution exist: if the requirements fail even without it, that is the
        # explanation to give.
        try:
            Resolver(CatalogProvider(catalog, None, prefer, known), max_steps=max_steps,
                     max_seconds=max_seconds).resolve(list(requirements))
        except NoSolution as regardless:
            raise regardless from None
        except ResolutionError:
            pass
        raise failure from None
    items: dict[Key, Resolved] = {}
    for key, entry in result.chosen.items():
        links = tuple(
            Link(by, req.range or "*", str(req) if by is None else None,
                 req.via.resolver if isinstance(req, Dependency) and req.via else None)
            for by, req in result.required_by[key]
        )
        best = newest_allowed(provider.candidates(key), [ln.range for ln in links], tekton_version)
        newest = best.version if best else None
        items[key] = Resolved(entry, links, result.dependencies[key], newest)
    return Resolution(items, requirements, tekton_version, catalog.location, result.steps)
