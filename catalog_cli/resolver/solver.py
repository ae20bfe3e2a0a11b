"""Dependency resolution: PubGrub (Dart's pub, uv) over a small provider protocol.

The algorithm never sees a version string, a range, an index or a cluster: it asks
a :class:`~.protocol.Provider` and works on bit masks over each package's candidate
list (:mod:`.terms`). PubGrub learns from each conflict: it derives a new
*incompatibility* (a set of terms that cannot all hold) and jumps back to the
decision that caused it, so a conflict is never rediscovered; the chain of
derivations is what :mod:`.report` turns into an explanation when no solution
exists. See https://github.com/dart-lang/pub/blob/master/doc/solver.md for the
algorithm.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic

from ..errors import CatalogError, NoSolution, ResolutionError
from .partial import Assignment, PartialSolution
from .protocol import C, K, Provider, R, Result
from .report import Explanation
from .terms import (
    ROOT,
    ConflictCause,
    CycleCause,
    DependencyCause,
    Incompatibility,
    NoVersionsCause,
    RootCause,
    Term,
    UnavailableCause,
    intersect,
)

#: Defaults for the budget: far above what any real catalog needs (a 100-package
#: closure takes a few hundred steps), low enough that a pathological one stops.
MAX_STEPS = 100_000
MAX_SECONDS = 20.0


@dataclass
class _Package:
    candidates: Sequence[Any]
    full: int
    deps: dict[int, Sequence[Any]] = field(default_factory=dict)  # by candidate index
    reasons: list[str | None] | None = None
    preferred: Any = None


class Resolver(Generic[K, C, R]):
    """Resolve requirements with a provider: ``Resolver(provider).resolve(requirements)``.

    Deterministic: packages are decided fewest-candidates-first (then by name), each
    at its preferred, else newest, allowed candidate. The budget (``max_steps``
    decisions and conflict steps, ``max_seconds``) turns a pathological search into a
    ResolutionError instead of a hang.
    """

    def __init__(self, provider: Provider[K, C, R], *, max_steps: int = MAX_STEPS,
                 max_seconds: float = MAX_SECONDS) -> None:
        self.provider = provider
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self._reset()

    def _reset(self) -> None:
        self._packages: dict[Any, _Package] = {}
        self._keys: dict[R, Any] = {}
        self._masks: dict[tuple[Any, R], int] = {}
        self._incompatibilities: dict[Any, list[Incompatibility]] = {}
        self._dep_incompat: dict[tuple[Any, R], Incompatibility] = {}
        self._order: dict[Any, int] = {}
        self._conflicts: dict[Any, int] = {}
        self._requirements: Sequence[R] = ()
        self._solution = PartialSolution()
        self.steps = 0
        self._deadline = 0.0

    # -- public ------------------------------------------------------------------------
    def resolve(self, requirements: Sequence[R]) -> Result[K, C, R]:
        """The newest candidates that satisfy ``requirements`` and all they depend on.

        Raises NoSolution (explained) when there are none, ResolutionError for a
        dependency cycle or an exhausted budget, and whatever the provider raises."""
        self._reset()
        self._requirements = tuple(requirements)
        self._deadline = time.monotonic() + self.max_seconds
        self._packages[ROOT] = _Package((None,), 1)
        self._add(Incompatibility.of([Term(ROOT, 1, False)], RootCause()))
        key: Any = ROOT
        while True:
            while key is not None:
                try:
                    self._propagate(key)
                except NoSolution as failure:
                    raise self._cycle_failure(failure) from None
                key = self._decide()
            deps = self._dependencies()
            order = self._install_order(deps)
            if isinstance(order, list):
                return self._result(deps, order)
            # A cycle among the chosen versions: learn that these versions cannot go
            # together and search on; older versions may avoid it.
            self._add(self._cycle_incompatibility(order))
            key = order.cycle[0]

    # -- packages ----------------------------------------------------------------------
    def _package(self, key: Any) -> _Package:
        pkg = self._packages.get(key)
        if pkg is None:
            cands = tuple(self.provider.candidates(key))
            pkg = self._packages[key] = _Package(cands, (1 << len(cands)) - 1)
            self._order.setdefault(key, len(self._order))
        return pkg

    def _deps(self, key: Any, index: int) -> Sequence[R]:
        if key is ROOT:
            return self._requirements
        pkg = self._package(key)
        deps = pkg.deps.get(index)
        if deps is None:
            deps = pkg.deps[index] = tuple(self.provider.dependencies(pkg.candidates[index]))
        return deps

    def _identify(self, req: R, key: Any, index: int) -> Any:
        found = self._keys.get(req, ROOT)
        if found is ROOT:
            parent = None if key is ROOT else self._package(key).candidates[index]
            found = self._keys[req] = self.provider.identify(req, parent)
        return found

    def _mask(self, req: R, key: Any) -> int:
        mask = self._masks.get((key, req))
        if mask is None:
            fast = getattr(self.provider, "mask", None)  # optional: see Provider.allows
            if fast is not None and key is not ROOT:
                mask = int(fast(req, key))
            else:
                allows = self.provider.allows
                mask = 0
                for i, cand in enumerate(self._package(key).candidates):
                    if allows(req, cand):
                        mask |= 1 << i
            self._masks[(key, req)] = mask
        return mask

    def _versions_within(self, key: Any, index: int, req: R, dep: Any) -> int:
        """The candidates of ``key`` whose own requirement on ``dep`` allows nothing
        ``req`` (of candidate ``index``) does not: each of them needs ``dep`` within
        ``req``, so one incompatibility states it for all ("foo <=2.0 depends on bar
        <=2.0"), also when every version writes its own range (``bar <=1.0``, ``bar
        <=1.1``...: nothing to merge by text). A sibling whose requirement is invalid is
        left out here: that is reported only if the sibling itself is tried."""
        if key is ROOT:
            return 1
        pkg = self._package(key)
        want = self._mask(req, dep)
        found = 1 << index
        for i in range(len(pkg.candidates)):
            if i == index:
                continue
            for r in self._deps(key, i):
                try:
                    if self._identify(r, key, i) == dep and not self._mask(r, dep) & ~want:
                        found |= 1 << i
                        break
                except CatalogError:
                    break
        return found

    def _unavailable(self, key: Any, index: int) -> tuple[str, int] | None:
        if key is ROOT:
            return None
        pkg = self._package(key)
        if pkg.reasons is None:
            pkg.reasons = [self.provider.unavailable(c) for c in pkg.candidates]
        reason = pkg.reasons[index]
        if reason is None:
            return None
        group = sum(1 << i for i, r in enumerate(pkg.reasons) if r == reason)
        return reason, group

    # -- the algorithm -----------------------------------------------------------------
    def _add(self, inc: Incompatibility) -> None:
        for t in inc.terms:
            self._incompatibilities.setdefault(t.key, []).append(inc)

    def _step(self) -> None:
        self.steps += 1
        late = self.steps % 64 == 0 and time.monotonic() > self._deadline
        if self.steps > self.max_steps or late:
            hot = sorted(self._conflicts, key=lambda k: (-self._conflicts[k], self._name(k)))[:3]
            names = ", ".join(self._name(k) for k in hot if k is not ROOT)
            why = (f"{self.steps - 1:,} steps" if self.steps > self.max_steps
                   else f"{self.max_seconds:g} s ({self.steps:,} steps)")
            hint = f"; most conflicts involve {names} (narrower ranges would help)" if names else ""
            raise ResolutionError(
                f"gave up after {why} without finding a solution or proving there is none{hint}")

    def _propagate(self, key: Any) -> None:
        changed = {key: None}
        while changed:
            package = next(iter(changed))
            del changed[package]
            # Newest first: conflict resolution makes later incompatibilities more general.
            for inc in reversed(self._incompatibilities.get(package, ())):
                result = self._propagate_one(inc)
                if result is _CONFLICT:
                    root_cause = self._resolve_conflict(inc)
                    changed.clear()
                    again = self._propagate_one(root_cause)
                    assert again is not _CONFLICT and again is not None
                    changed[again] = None
                    break
                if result is not None:
                    changed[result] = None

    def _propagate_one(self, inc: Incompatibility) -> Any:
        unsatisfied: Term | None = None
        relation = self._solution.relation
        for t in inc.terms:
            rel = relation(t)
            if rel < 0:
                return None
            if rel == 0:
                if unsatisfied is not None:
                    return None
                unsatisfied = t
        if unsatisfied is None:
            return _CONFLICT
        self._solution.derive(unsatisfied.negate(), inc)
        return unsatisfied.key

    def _resolve_conflict(self, inc: Incompatibility) -> Incompatibility:
        new = False
        sol = self._solution
        while not inc.is_failure:
            self._step()
            recent_term: Term | None = None
            recent: Assignment | None = None
            difference: Term | None = None
            previous_level = 1
            for t in inc.terms:
                sat = sol.satisfier(t)
                if recent is None or recent.index < sat.index:
                    if recent is not None:
                        previous_level = max(previous_level, recent.level)
                    recent_term, recent, difference = t, sat, None
                else:
                    previous_level = max(previous_level, sat.level)
                if recent_term is t:
                    diff = intersect(recent.term, t.negate())
                    difference = None if diff.positive and not diff.mask else diff
                    if difference is not None:
                        earlier = sol.satisfier(difference.negate())
                        previous_level = max(previous_level, earlier.level)
            assert recent is not None and recent_term is not None
            self._conflicts[recent_term.key] = self._conflicts.get(recent_term.key, 0) + 1
            if previous_level < recent.level or recent.cause is None:
                sol.backtrack(previous_level)
                if new:
                    self._add(inc)
                return inc
            terms = [t for t in inc.terms if t is not recent_term]
            terms += [t for t in recent.cause.terms if t.key != recent.term.key]
            if difference is not None:
                terms.append(difference.negate())
            inc = Incompatibility.of(terms, ConflictCause(inc, recent.cause))
            new = True
        raise self._failure(inc)

    def _decide(self) -> Any:
        sol = self._solution
        undecided = [k for k in sol.positive if k not in sol.decisions]
        if not undecided:
            return None
        self._step()
        key = min(undecided, key=lambda k: (
            k is not ROOT, sol.positive[k].mask.bit_count(), self._name(k), self._order.get(k, 0)))
        term = sol.positive[key]
        pkg = self._package(key)
        allowed = term.mask & pkg.full
        if not allowed:
            self._add(Incompatibility.of([term], NoVersionsCause()))
            return key
        index = self._pick(key, allowed)
        unavailable = self._unavailable(key, index)
        if unavailable is not None:
            reason, group = unavailable
            self._add(Incompatibility.of([Term(key, group, True)], UnavailableCause(reason)))
            return key
        conflict = False
        for req in self._deps(key, index):
            dep = self._identify(req, key, index)
            if dep == key:
                continue  # a self-dependency: reported as a cycle once resolved
            inc = self._dep_incompat.get((key, req))
            if inc is None:
                self._package(dep)
                label = self.provider.describe(req)
                inc = Incompatibility.of([
                    Term(key, self._versions_within(key, index, req, dep), True),
                    Term(dep, self._mask(req, dep), False, label),
                ], DependencyCause())
                if not inc.terms[1].mask:
                    # A range nothing matches: "P depends on Q ^9, which matches no version",
                    # so P cannot be installed (a "not Q in nothing" term would always hold).
                    none = Incompatibility.of([inc.terms[1].negate()], NoVersionsCause())
                    inc = Incompatibility.of([inc.terms[0]], ConflictCause(inc, none))
                self._dep_incompat[(key, req)] = inc
                self._add(inc)
            if all(t.key == key or sol.relation(t) > 0 for t in inc.terms):
                conflict = True
                for t in inc.terms:
                    self._conflicts[t.key] = self._conflicts.get(t.key, 0) + 1
        if not conflict:
            sol.decide(key, index)
        return key

    def _pick(self, key: Any, allowed: int) -> int:
        pkg = self._package(key)
        if pkg.preferred is None:
            wanted = None if key is ROOT else self.provider.preferred(key)
            pkg.preferred = next((i for i, c in enumerate(pkg.candidates)
                                  if wanted is not None and (c is wanted or c == wanted)), -1)
        if pkg.preferred >= 0 and allowed >> pkg.preferred & 1:
            return int(pkg.preferred)
        return (allowed & -allowed).bit_length() - 1  # the lowest bit: the newest

    # -- results -----------------------------------------------------------------------
    def _name(self, key: Any) -> str:
        return "you" if key is ROOT else self.provider.name(key)

    def _failure(self, inc: Incompatibility) -> NoSolution:
        explanation = Explanation(_Names(self))
        message = explanation.render(inc)
        if explanation.full is not None:
            message += "\n(shortened: --verbose shows every step)"
        return NoSolution(message, inc, explanation.full)

    def _dependencies(self) -> dict[Any, list[Any]]:
        """What each decided package depends on, in the order asked."""
        sol = self._solution
        deps: dict[Any, list[Any]] = {}
        for key, index in sol.decisions.items():
            deps[key] = []
            for req in self._deps(key, index):
                dep = self._identify(req, key, index)
                if dep not in deps[key]:
                    deps[key].append(dep)
        return deps

    def _result(self, deps: dict[Any, list[Any]], order: list[Any]) -> Result[K, C, R]:
        sol = self._solution
        required_by: dict[Any, list[tuple[Any, R]]] = {}
        for key, index in sol.decisions.items():
            for req in self._deps(key, index):
                dep = self._identify(req, key, index)
                required_by.setdefault(dep, []).append((None if key is ROOT else key, req))
        return Result(
            chosen={k: self._package(k).candidates[sol.decisions[k]] for k in order},
            dependencies={k: tuple(deps[k]) for k in order},
            required_by={k: tuple(required_by.get(k, ())) for k in order},
            steps=self.steps,
        )

    def _install_order(self, deps: dict[Any, list[Any]]) -> list[Any] | _Cycle:
        """Dependencies before dependents, each in the order it was asked for, or the
        first cycle met. Depth-first, without recursion (chains may be long)."""
        order: list[Any] = []
        done: set[Any] = set()
        path: list[Any] = [ROOT]
        todo: list[Iterator[Any]] = [iter(deps[ROOT])]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                todo.pop()
                key = path.pop()
                done.add(key)
                if key is not ROOT:
                    order.append(key)
            elif dep in path:
                return _Cycle(path[path.index(dep):] + [dep])
            elif dep not in done:
                path.append(dep)
                todo.append(iter(deps[dep]))
        return order

    def _cycle_incompatibility(self, found: _Cycle) -> Incompatibility:
        sol = self._solution
        version = self.provider.version
        path = " -> ".join(f"{self._name(k)} {version(self._package(k).candidates[sol.decisions[k]])}"
                           for k in found.cycle)
        terms = [Term(k, 1 << sol.decisions[k], True) for k in dict.fromkeys(found.cycle)]
        return Incompatibility.of(terms, CycleCause(path))

    def _cycle_failure(self, failure: NoSolution) -> ResolutionError:
        """A failure that comes down to one dependency cycle and dependencies says just
        that (a catalog mistake, not a matter of ranges); any other keeps its full
        explanation, the cycles in it named as facts."""
        assert isinstance(failure.incompatibility, Incompatibility)
        leaves = Explanation.leaves(failure.incompatibility)
        cycles = {i.cause.path for i in leaves if isinstance(i.cause, CycleCause)}
        rest = [i for i in leaves if not isinstance(i.cause, (CycleCause, DependencyCause, RootCause))]
        if len(cycles) == 1 and not rest:
            # Tekton resources refer to each other by name at run time; a Task cannot
            # contain the Pipeline that runs it, so a cycle is always a catalog mistake.
            return ResolutionError(f"dependency cycle: {cycles.pop()} (Tekton resources cannot depend "
                                   "on themselves, even through others)")
        return failure


@dataclass(frozen=True)
class _Cycle:
    cycle: list[Any]


_CONFLICT: Any = object()


class _Names:
    """The report's view of the packages: the provider's words for keys and versions."""

    def __init__(self, resolver: Resolver[Any, Any, Any]) -> None:
        self.resolver = resolver

    def name(self, key: Hashable) -> str:
        return self.resolver._name(key)

    def versions(self, key: Hashable) -> Sequence[str]:
        if key is ROOT:
            return ()
        version = self.resolver.provider.version
        return [version(c) for c in self.resolver._package(key).candidates]
