"""The vocabulary of PubGrub: terms, incompatibilities, and the causes that say how
each incompatibility is known.

A term says that a package is (positive) or is not (negative) in a set of its
candidates; sets are bit masks over the package's candidate list, newest first, so
every set operation is an integer operation. An incompatibility is a set of terms
that cannot all hold ("deploy-pipeline >=2.0 and not kubectl-deploy ^1.0").
External ones come from the provider (a dependency, an unavailable version, a range
no version matches); derived ones come from two others during conflict resolution,
and that derivation graph is what :mod:`.report` puts into words.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass


class _RootKey:
    def __repr__(self) -> str:
        return "<root>"


#: The package standing for the user's requirements.
ROOT: Hashable = _RootKey()


@dataclass(frozen=True, slots=True)
class Term:
    """``key`` in ``mask`` (positive), or not in it (negative: absent also satisfies).

    ``label`` says the set in the requirement's own words (``^1.0``); it is kept only
    while the set is unchanged.
    """

    key: Hashable
    mask: int
    positive: bool
    label: str | None = None

    def negate(self) -> Term:
        return Term(self.key, self.mask, not self.positive, self.label)


def intersect(a: Term, b: Term) -> Term:
    """The term that holds exactly when both hold (same package); keeps a label only
    while its set is unchanged."""
    if a.positive and b.positive:
        mask, positive = a.mask & b.mask, True
    elif a.positive:
        mask, positive = a.mask & ~b.mask, True
    elif b.positive:
        mask, positive = b.mask & ~a.mask, True
    else:
        mask, positive = a.mask | b.mask, False
    label = a.label if (a.mask, a.positive) == (mask, positive) else (
        b.label if (b.mask, b.positive) == (mask, positive) else None)
    return Term(a.key, mask, positive, label)


def satisfies(a: Term, b: Term) -> bool:
    """Whether every way of satisfying ``a`` satisfies ``b`` (a is a subset of b)."""
    if b.positive:
        return a.positive and not a.mask & ~b.mask
    if a.positive:
        return not a.mask & b.mask
    return not b.mask & ~a.mask


def disjoint(a: Term, b: Term) -> bool:
    """Whether no way of satisfying ``a`` satisfies ``b``."""
    if a.positive and b.positive:
        return not a.mask & b.mask
    if a.positive:
        return not a.mask & ~b.mask
    if b.positive:
        return not b.mask & ~a.mask
    return False  # both are satisfied by the package being absent


# -- incompatibilities ---------------------------------------------------------------
@dataclass(frozen=True)
class RootCause:
    """``not root``: the user's requirements must hold."""


@dataclass(frozen=True)
class DependencyCause:
    """``{P in S, not Q in R}``: every version of P in S depends on Q in R."""


@dataclass(frozen=True)
class NoVersionsCause:
    """``{P in S}``: no candidate of P is in S."""


@dataclass(frozen=True)
class UnavailableCause:
    """``{P in S}``: the candidates in S cannot be used, for ``reason``."""

    reason: str


@dataclass(frozen=True)
class CycleCause:
    """``{P1 = v1, P2 = v2, ...}``: these versions depend on each other in a circle
    (``path`` names them, ``a 2.0 -> b 1.0 -> a 2.0``), so a solution with them all has
    no install order. Learnt like any conflict, so an older version that avoids the
    cycle is still found."""

    path: str


@dataclass(frozen=True)
class ConflictCause:
    """Derived from two incompatibilities during conflict resolution."""

    conflict: Incompatibility
    other: Incompatibility


Cause = RootCause | DependencyCause | NoVersionsCause | UnavailableCause | CycleCause | ConflictCause


@dataclass(eq=False)
class Incompatibility:
    """Terms that cannot all be true at once, and how we know."""

    terms: tuple[Term, ...]
    cause: Cause

    @classmethod
    def of(cls, terms: Sequence[Term], cause: Cause) -> Incompatibility:
        if isinstance(cause, ConflictCause) and len(terms) > 1:
            # The root is always selected: "root and X" says no more than "X".
            rest = [t for t in terms if not (t.positive and t.key is ROOT)]
            terms = rest or list(terms)
        merged: dict[Hashable, Term] = {}
        for t in terms:
            merged[t.key] = intersect(merged[t.key], t) if t.key in merged else t
        return cls(tuple(merged.values()), cause)

    @property
    def is_failure(self) -> bool:
        return not self.terms or (
            len(self.terms) == 1 and self.terms[0].positive and self.terms[0].key is ROOT)

    def term(self, key: Hashable) -> Term | None:
        return next((t for t in self.terms if t.key == key), None)
