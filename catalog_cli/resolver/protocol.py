"""The contract between the solver and whoever knows the packages: the
:class:`Provider` protocol it asks, and the :class:`Result` it answers with.

Like resolvelib's ``AbstractProvider``: the solver never sees a version string, a
range, an index or a cluster; a provider names packages (any hashable key), lists
their candidates and says what each depends on. ``catalog_cli.provider`` is the one
that reads catalogs; tests use honest in-memory ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
C = TypeVar("C")
R = TypeVar("R", bound=Hashable)


class Provider(Protocol[K, C, R]):
    """What the resolver needs to know about packages. Keys (``K``) and requirements
    (``R``) must be hashable; candidates (``C``) are opaque.

    Every method is called at most once per argument and cached by the resolver,
    except ``allows`` (once per requirement and candidate) and the text methods.
    """

    def identify(self, requirement: R, parent: C | None) -> K:
        """The key of the package ``requirement`` names. ``parent`` is the candidate
        that has the requirement (None for the user's own requirements). Raise a
        CatalogError naming ``parent`` when the requirement is invalid (a range that
        does not parse, a name no catalog has): that is bad input, not a conflict."""
        ...

    def candidates(self, key: K) -> Sequence[C]:
        """Every candidate of a package, newest first. The order is also how sets of
        candidates are described to people (``>=1.2`` is "1.2 and everything newer")."""
        ...

    def allows(self, requirement: R, candidate: C) -> bool:
        """Whether ``candidate`` (of the package ``requirement`` names) satisfies it.
        A provider may also have ``mask(requirement, key) -> int``: the same answer for
        every candidate of ``key`` at once, bit i for ``candidates(key)[i]``; the solver
        then asks that instead (a bisection beats a test per candidate)."""
        ...

    def dependencies(self, candidate: C) -> Sequence[R]:
        """The requirements of a candidate. Called for every candidate of a package
        whose first candidate is tried (equal requirements of sibling versions are
        merged into one fact, "foo >=2.0 depends on bar ^1"), so it must be cheap and
        must not validate: ``identify`` does that, only for candidates really tried."""
        ...

    def unavailable(self, candidate: C) -> str | None:
        """Why a candidate cannot be used at all (e.g. "needs Tekton >=0.60 while the
        cluster runs 0.50"), or None. Candidates with the same reason are grouped."""
        ...

    def preferred(self, key: K) -> C | None:
        """A candidate to try before the newest allowed one (a locked version), or None."""
        ...

    def name(self, key: K) -> str:
        """How people call the package, for messages."""
        ...

    def version(self, candidate: C) -> str:
        """The candidate's version as people write it, for messages."""
        ...

    def describe(self, requirement: R) -> str:
        """The range of a requirement as written (``^1.0``), or "" when it allows any."""
        ...


# -- result --------------------------------------------------------------------------
@dataclass(frozen=True)
class Result(Generic[K, C, R]):
    """A solution: the chosen candidate of each package, dependencies before dependents.

    ``required_by[key]`` lists who asked for it: ``(None, requirement)`` for the user's
    own requirements, ``(parent_key, requirement)`` for dependencies.
    """

    chosen: dict[K, C]
    dependencies: dict[K, tuple[K, ...]]
    required_by: dict[K, tuple[tuple[K | None, R], ...]]
    steps: int
