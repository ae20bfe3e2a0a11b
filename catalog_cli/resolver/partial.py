"""PubGrub's partial solution: the decisions and derived terms made so far, in order,
and how to undo them back to a decision level (see pub's solver.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Hashable

from .terms import Incompatibility, Term, disjoint, intersect, satisfies


@dataclass(slots=True)
class Assignment:
    """One term the solver holds, at a decision level; ``index`` is its position in
    the solution (later assignments have larger ones)."""

    term: Term
    level: int
    index: int
    cause: Incompatibility | None  # None: a decision


@dataclass
class PartialSolution:
    """The assignments so far, with each package's terms intersected into one
    (``positive`` once a package is known to be selected, else ``negative``)."""

    assignments: list[Assignment] = field(default_factory=list)
    by_key: dict[Hashable, list[Assignment]] = field(default_factory=dict)
    decisions: dict[Hashable, int] = field(default_factory=dict)  # key -> candidate index
    positive: dict[Hashable, Term] = field(default_factory=dict)
    negative: dict[Hashable, Term] = field(default_factory=dict)

    @property
    def level(self) -> int:
        return len(self.decisions)

    def decide(self, key: Hashable, index: int) -> None:
        self.decisions[key] = index
        term = Term(key, 1 << index, True)
        self._assign(Assignment(term, self.level, len(self.assignments), None))

    def derive(self, term: Term, cause: Incompatibility) -> None:
        self._assign(Assignment(term, self.level, len(self.assignments), cause))

    def _assign(self, a: Assignment) -> None:
        self.assignments.append(a)
        self.by_key.setdefault(a.term.key, []).append(a)
        self._register(a.term)

    def _register(self, term: Term) -> None:
        key = term.key
        if key in self.positive:
            self.positive[key] = intersect(self.positive[key], term)
            return
        old = self.negative.get(key)
        merged = term if old is None else intersect(term, old)
        if merged.positive:
            self.negative.pop(key, None)
            self.positive[key] = merged
        else:
            self.negative[key] = merged

    def backtrack(self, level: int) -> None:
        """Undo every assignment made above decision ``level``."""
        touched = set()
        while self.assignments and self.assignments[-1].level > level:
            a = self.assignments.pop()
            touched.add(a.term.key)
            self.by_key[a.term.key].pop()
            if a.cause is None:
                del self.decisions[a.term.key]
        for key in touched:
            self.positive.pop(key, None)
            self.negative.pop(key, None)
            for a in self.by_key[key]:
                self._register(a.term)

    def relation(self, term: Term) -> int:
        """1 satisfied, -1 contradicted, 0 inconclusive."""
        have = self.positive.get(term.key) or self.negative.get(term.key)
        if have is None:
            return 0
        if satisfies(have, term):
            return 1
        return -1 if disjoint(have, term) else 0

    def satisfier(self, term: Term) -> Assignment:
        """The earliest assignment after which the solution satisfies ``term``."""
        acc: Term | None = None
        for a in self.by_key[term.key]:
            acc = a.term if acc is None else intersect(acc, a.term)
            if satisfies(acc, term):
                return a
        raise AssertionError(f"{term} is not satisfied")  # pragma: no cover
