"""Why no solution exists: the derivation graph of the failure PubGrub proved (see
:mod:`.terms`), turned into sentences a person can follow.

It follows pub's (Dart) error reporting: each derived fact is one "Because ..., ..."
line; a fact used twice is numbered and referred to by its number. Packages and
versions are named through :class:`Names`, so this module, like the solver, knows
nothing of catalogs or version strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Protocol

from .terms import (
    ROOT,
    ConflictCause,
    CycleCause,
    DependencyCause,
    Incompatibility,
    NoVersionsCause,
    Term,
    UnavailableCause,
    satisfies,
)

FAILED = "the requirements cannot be satisfied"
#: Past this many lines an explanation shows its first and last lines and a summary.
MAX_LINES = 15


class Names(Protocol):
    """How the report names packages and their versions."""

    def name(self, key: Hashable) -> str: ...

    def versions(self, key: Hashable) -> Sequence[str]:
        """Version texts of a package's candidates, newest first (the masks' bit order)."""
        ...


class Explanation:
    """Render the derivation of a failure, one reason a line:
    ``Explanation(names).render(incompatibility)``."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.lines: list[tuple[str, int | None]] = []
        self.numbers: dict[int, int] = {}  # id(incompatibility) -> line number
        self.derivations: dict[int, int] = {}
        #: Lines that only carry a requirement one dependency further, by line index:
        #: (who requires, the package reached). Runs of them are told in one line.
        self.steps: dict[int, tuple[object, str]] = {}
        #: The whole derivation, when :meth:`render` shortened it.
        self.full: str | None = None

    # -- words for sets and terms ----------------------------------------------------
    def set_text(self, term: Term) -> str:
        """The set of a term in range words; "" for every version."""
        if term.label is not None:
            return term.label
        versions = self.names.versions(term.key)
        n = len(versions)
        full = (1 << n) - 1
        if term.mask & full == full:
            return versions[0] if n == 1 else ""  # "app 1.0" says more than "app"
        if not term.mask & full:
            return "(no version)"
        runs: list[str] = []
        i = 0
        while i < n:
            if not term.mask >> i & 1:
                i += 1
                continue
            j = i
            while j + 1 < n and term.mask >> (j + 1) & 1:
                j += 1
            # i is the newest of the run, j the oldest (candidates are newest first)
            if i == j:
                runs.append(versions[i])
            elif i == 0:
                runs.append(f">={versions[j]}")
            elif j == n - 1:
                runs.append(f"<={versions[i]}")
            else:
                runs.append(f">={versions[j]} <={versions[i]}")
            i = j + 1
        return " || ".join(runs)

    def terse(self, term: Term, every: bool = False) -> str:
        if term.key is ROOT:
            return "you"
        name = self.names.name(term.key)
        text = self.set_text(term)
        if not text:
            return f"every version of {name}" if every else name
        return f"{name} {text}"

    def _asks(self, inc: Incompatibility, positive: Term) -> str:
        """The subject and verb of a requirement: "foo 1.0 depends on", "you asked for"."""
        if positive.key is ROOT:
            return "you asked for"
        verb = "depends on" if isinstance(inc.cause, DependencyCause) else "requires"
        return f"{self.terse(positive, every=True)} {verb}"

    def text(self, inc: Incompatibility) -> str:
        """One incompatibility as a clause."""
        cause = inc.cause
        if isinstance(cause, DependencyCause) and len(inc.terms) == 2:
            return f"{self._asks(inc, inc.terms[0])} {self.terse(inc.terms[1])}"
        if isinstance(cause, NoVersionsCause):
            return self._no_versions(inc.terms[0])
        if isinstance(cause, UnavailableCause):
            return f"{self.terse(inc.terms[0], every=True)} {cause.reason}"
        if isinstance(cause, CycleCause):
            return f"{cause.path} is a dependency cycle"
        if inc.is_failure:
            return FAILED
        terms = inc.terms
        if len(terms) == 1:
            t = terms[0]
            if t.positive:
                name, text = self.names.name(t.key), self.set_text(t)
                if not text:
                    return f"no version of {name} can be installed"
                return f"{name} {text} cannot be installed"
            return f"{self.terse(t)} is required"
        positive = [t for t in terms if t.positive]
        negative = [self.terse(t) for t in terms if not t.positive]
        if len(terms) == 2 and len(positive) == 2:
            return f"{self.terse(terms[0])} is incompatible with {self.terse(terms[1])}"
        if len(terms) == 2 and not positive:
            return f"either {negative[0]} or {negative[1]} is required"
        if positive and negative:
            return f"{self._head(inc)} {' or '.join(negative)}"
        if positive:
            together = " and ".join(self.terse(t) for t in positive)
            return f"{together} cannot all be installed together"
        return f"one of {' or '.join(negative)} is required"

    def _no_versions(self, term: Term) -> str:
        wanted, name = self.set_text(term), self.names.name(term.key)
        if not wanted:  # e.g. "*", which never matches a pre-release
            return f"no version of {name} is allowed{self._have(term.key)}"
        return f"no version of {name} matches {wanted}{self._have(term.key)}"

    def _have(self, key: Hashable) -> str:
        have = list(self.names.versions(key))
        shown = ", ".join(have[:5]) + (", ..." if len(have) > 5 else "")
        return f" ({self.names.name(key)} has {shown})" if have else ""

    @staticmethod
    def _line(n: int | None) -> str:
        return f" ({n})" if n is not None else ""

    def both(self, a: Incompatibility, b: Incompatibility,
             a_line: int | None = None, b_line: int | None = None) -> str:
        """Two incompatibilities joined into one clause, as simply as they allow."""
        for attempt in (self._requires_both, self._requires_through, self._requires_forbidden):
            text = attempt(a, b, a_line, b_line)
            if text is not None:
                return text
        return f"{self.text(a)}{self._line(a_line)} and {self.text(b)}{self._line(b_line)}"

    @staticmethod
    def _single(inc: Incompatibility, positive: bool) -> Term | None:
        found = [t for t in inc.terms if t.positive == positive]
        return found[0] if len(found) == 1 else None

    def _head(self, inc: Incompatibility) -> str:
        """What requires, and how: "foo 1.0 depends on", "if a or b then"."""
        positives = [t for t in inc.terms if t.positive]
        if len(positives) == 1:
            return self._asks(inc, positives[0])
        return f"if {' and '.join(self.terse(t) for t in positives)} then"

    def _negatives(self, inc: Incompatibility) -> str:
        return " or ".join(self.terse(t) for t in inc.terms if not t.positive)

    def _requires_both(self, a: Incompatibility, b: Incompatibility,
                       a_line: int | None, b_line: int | None) -> str | None:
        # "foo 1.0 depends on both bar ^1 and baz ^2"
        pa, pb = self._single(a, True), self._single(b, True)
        if (len(a.terms) == 1 or len(b.terms) == 1 or pa is None or pb is None
                or (pa.key, pa.mask) != (pb.key, pb.mask)):
            return None
        head = self._asks(a if isinstance(b.cause, DependencyCause) else b, pa)
        return (f"{head} both {self._negatives(a)}{self._line(a_line)} "
                f"and {self._negatives(b)}{self._line(b_line)}")

    def _requires_through(self, a: Incompatibility, b: Incompatibility,
                          a_line: int | None, b_line: int | None) -> str | None:
        # "foo 1.0 depends on bar ^1 which depends on baz ^2"
        if len(a.terms) == 1 or len(b.terms) == 1:
            return None
        for prior, latter, p_line, l_line in ((a, b, a_line, b_line), (b, a, b_line, a_line)):
            neg, pos = self._single(prior, False), self._single(latter, True)
            if neg and pos and neg.key == pos.key and satisfies(neg.negate(), pos):
                verb = "depends on" if isinstance(latter.cause, DependencyCause) else "requires"
                return (f"{self._head(prior)} {self.terse(neg)}{self._line(p_line)} which {verb} "
                        f"{self._negatives(latter)}{self._line(l_line)}")
        return None

    def _requires_forbidden(self, a: Incompatibility, b: Incompatibility,
                            a_line: int | None, b_line: int | None) -> str | None:
        # "foo 1.0 depends on bar ^1 which needs Tekton >=0.60 while the cluster runs 0.50"
        if len(a.terms) != 1 and len(b.terms) != 1:
            return None
        prior, latter, p_line, l_line = (
            (b, a, b_line, a_line) if len(a.terms) == 1 else (a, b, a_line, b_line))
        neg, forbidden = self._single(prior, False), latter.terms[0]
        if (neg is None or not forbidden.positive or neg.key != forbidden.key
                or not any(t.positive for t in prior.terms)
                or not satisfies(neg.negate(), forbidden)):
            return None
        cause = latter.cause
        if isinstance(cause, UnavailableCause):
            tail = cause.reason
        elif isinstance(cause, NoVersionsCause):
            tail = "matches no version" + self._have(forbidden.key)
        else:
            tail = "cannot be installed"
        return (f"{self._head(prior)} {self.terse(neg)}{self._line(p_line)} "
                f"which {tail}{self._line(l_line)}")

    # -- the derivation walk (pub's SolveFailure._visit) -----------------------------
    def render(self, failure: Incompatibility) -> str:
        """The explanation a person reads in one go: chains of the same step told in one
        line, at most MAX_LINES lines and a summary; ``self.full`` keeps every line when
        that shortened it."""
        if not isinstance(failure.cause, ConflictCause):
            return f"Because {self.text(failure)}, {FAILED}."
        self._count(failure)
        self._visit(failure, failure)
        every = [f"({number}) {message}" if number is not None else message
                 for message, number in self.lines]
        lines = self._collapse(every)
        if len(lines) < len(every):
            self.full = "\n".join(every)
        if len(lines) <= MAX_LINES:
            return "\n".join(lines)
        self.full = "\n".join(every)
        # A proof this long hides its point: show both ends, then the facts it rests on
        # other than dependencies (what someone could change: a range, a cluster).
        head, tail = lines[:MAX_LINES // 2], lines[-(MAX_LINES // 4):]
        facts = list(dict.fromkeys(self.text(i) for i in self.leaves(failure)
                                   if not isinstance(i.cause, DependencyCause)))
        return "\n".join([
            *head, f"... ({len(lines) - len(head) - len(tail)} more lines) ...", *tail,
            ("The conflict comes down to dependencies and: " + "; ".join(facts) + "." if facts
             else "The conflict comes down to dependencies alone: the ranges above cannot all hold."),
        ])

    def _collapse(self, lines: list[str]) -> list[str]:
        """Runs of five lines or more that each carry the same requirement further along
        dependencies keep their first and last line; the ones between become one "and so
        on" line naming the packages they reach (as uv and pub shorten such chains)."""
        out: list[str] = []
        i = 0
        while i < len(lines):
            j = i
            while j + 1 < len(lines) and i in self.steps and j + 1 in self.steps \
                    and self.steps[j + 1][0] == self.steps[i][0]:
                j += 1
            if j - i + 1 >= 5:
                middle = [self.steps[k][1] for k in range(i + 1, j)]
                shown = ", ".join(middle if len(middle) <= 6 else [*middle[:3], "...", *middle[-2:]])
                out += [lines[i], f"And so on, in {len(middle)} more steps of the same kind, through {shown}.",
                        lines[j]]
                i = j + 1
            else:
                out.append(lines[i])
                i += 1
        return out

    @staticmethod
    def leaves(inc: Incompatibility) -> list[Incompatibility]:
        """The external facts (dependencies, unavailable versions, cycles...) a derivation rests on."""
        out: list[Incompatibility] = []
        seen: set[int] = set()
        stack = [inc]
        while stack:
            i = stack.pop()
            if id(i) in seen:
                continue
            seen.add(id(i))
            if isinstance(i.cause, ConflictCause):
                stack += [i.cause.other, i.cause.conflict]
            else:
                out.append(i)
        return out

    def _count(self, inc: Incompatibility) -> None:
        key = id(inc)
        if key in self.derivations:
            self.derivations[key] += 1
            return
        self.derivations[key] = 1
        if isinstance(inc.cause, ConflictCause):
            self._count(inc.cause.conflict)
            self._count(inc.cause.other)

    def _mark_step(self, inc: Incompatibility, numbered: bool, *facts: Incompatibility) -> None:
        """Note that the line about to be written only follows dependencies (``facts``)."""
        positive = tuple((t.key, t.mask) for t in inc.terms if t.positive)
        reached = [t for t in inc.terms if not t.positive]
        if not numbered and len(reached) == 1 and all(isinstance(f.cause, DependencyCause) for f in facts):
            self.steps[len(self.lines)] = (positive, self.names.name(reached[0].key))

    def _write(self, inc: Incompatibility, message: str, numbered: bool) -> None:
        if numbered:
            number = len(self.numbers) + 1
            self.numbers[id(inc)] = number
            self.lines.append((message, number))
        else:
            self.lines.append((message, None))

    @staticmethod
    def _derived(inc: Incompatibility) -> bool:
        return isinstance(inc.cause, ConflictCause)

    def _single_line(self, inc: Incompatibility) -> bool:
        """Whether ``inc`` derives from two external facts (one line explains it)."""
        cause = inc.cause
        assert isinstance(cause, ConflictCause)
        return not self._derived(cause.conflict) and not self._derived(cause.other)

    def _collapsible(self, inc: Incompatibility) -> bool:
        if self.derivations[id(inc)] > 1:
            return False
        cause = inc.cause
        assert isinstance(cause, ConflictCause)
        d1, d2 = self._derived(cause.conflict), self._derived(cause.other)
        if d1 == d2:
            return False
        complex_ = cause.conflict if d1 else cause.other
        return id(complex_) not in self.numbers

    def _visit(self, inc: Incompatibility, root: Incompatibility, conclusion: bool = False) -> None:
        """Write the lines that derive ``inc``: its causes first, then ``inc`` itself."""
        numbered = conclusion or self.derivations[id(inc)] > 1
        then = "So," if conclusion or inc is root else "And"
        cause = inc.cause
        assert isinstance(cause, ConflictCause)
        c, o = cause.conflict, cause.other
        if self._derived(c) and self._derived(o):
            c_line, o_line = self.numbers.get(id(c)), self.numbers.get(id(o))
            if c_line is not None and o_line is not None:
                reason, then = self.both(c, o, c_line, o_line), "Because"
            elif c_line is not None or o_line is not None:
                known, other = (c, o) if c_line is not None else (o, c)
                self._visit(other, root)
                reason = f"{self.text(known)} ({self.numbers[id(known)]})"
            elif self._single_line(c) or self._single_line(o):
                first, second = (c, o) if self._single_line(o) else (o, c)
                self._visit(first, root)
                self._visit(second, root)
                self._write(inc, f"Thus, {self.text(inc)}.", numbered)
                return
            else:
                self._visit(c, root, conclusion=True)
                self.lines.append(("", None))
                self._visit(o, root)
                reason = f"{self.text(c)} ({self.numbers[id(c)]})"
        elif self._derived(c) or self._derived(o):
            derived, ext = (c, o) if self._derived(c) else (o, c)
            d_line = self.numbers.get(id(derived))
            if d_line is not None:
                reason, then = self.both(ext, derived, None, d_line), "Because"
            elif self._collapsible(derived):
                dc = derived.cause
                assert isinstance(dc, ConflictCause)
                inner, inner_ext = dc.conflict, dc.other
                if not self._derived(inner):
                    inner, inner_ext = inner_ext, inner
                self._visit(inner, root)
                reason = self.both(inner_ext, ext)
                self._mark_step(inc, numbered, inner_ext, ext)
            else:
                self._visit(derived, root)
                reason = self.text(ext)
        else:
            reason, then = self.both(c, o), "Because"
        lead = "Because" if then == "Because" else f"{then} because"
        self._write(inc, f"{lead} {reason}, {self.text(inc)}.", numbered)
