"""Version ranges with npm's semantics (node-semver), plus Masterminds' comma for AND.

Grammar, as npm documents it: alternatives joined by ``||``; each alternative is a
hyphen range (``1.2 - 2.3.4``) or comparators joined by spaces (or commas) that must
all hold. A comparator is a partial version (``1``, ``1.2``, ``1.2.x``, ``*``,
``v1.2.3``) with an optional operator: ``=`` ``<`` ``<=`` ``>`` ``>=`` ``~`` ``~>``
``^``. Each desugars into plain comparators exactly as npm does, e.g. ``^0.2`` is
``>=0.2.0 <0.3.0-0`` and ``~1.2`` is ``>=1.2.0 <1.3.0-0`` (the ``-0`` keeps the next
version's pre-releases out).

Pre-releases follow npm's rule: ``1.3.0-rc.1`` satisfies an alternative only if the
comparisons hold *and* one of its comparators names a pre-release of 1.3.0 itself.
So ``*`` and ``^1.0`` never pick a pre-release, ``>=1.3.0-rc.0`` does.

Two deliberate departures from npm: an empty alternative (``1.2 ||``) is an error,
where npm reads it as "any version" (a typo should not allow everything); and npm's
loose mode (``1.2.3beta``) is not supported.
"""

from __future__ import annotations

import bisect

import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import semver

from .errors import InputError
from .versions import Version

_XR = r"(?:x|X|\*|0|[1-9]\d*)"
_IDENT = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_PARTIAL = (
    rf"v?(?P<major>{_XR})(?:\.(?P<minor>{_XR})(?:\.(?P<patch>{_XR}))?)?"
    rf"(?:-(?P<pre>{_IDENT}))?(?:\+{_IDENT})?"
)
_SIMPLE = re.compile(rf"^(?P<op><=|>=|<|>|=|~>|~|\^)?{_PARTIAL}$")
_HYPHEN = re.compile(r"^(?P<low>\S+)\s+-\s+(?P<high>\S+)$")
# "> 1.2" and "~ 1.2" are one comparator: glue an operator to what follows it.
_OP_SPACE = re.compile(r"(<=|>=|<|>|=|~>|~|\^)\s+")

_OPS = ("<", "<=", ">", ">=", "=")


#: Sorts as semver precedence does: (major, minor, patch, 1 for a release and 0 for a
#: pre-release, the pre-release's identifiers).
OrderKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def order_key(v: semver.Version) -> OrderKey:
    """A tuple that sorts as semver precedence does (build metadata ignored): a
    pre-release sorts before its release; numeric identifiers before alphanumeric ones."""
    if v.prerelease is None:
        return (v.major, v.minor, v.patch, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in v.prerelease.split("."))
    return (v.major, v.minor, v.patch, 0, ids)


_KEYS: dict[str, OrderKey] = {}  # version text -> order_key: catalogs reuse few versions

_TESTS: dict[str, Callable[[OrderKey, OrderKey], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq,
}


@dataclass(frozen=True)
class Comparator:
    """One plain comparison against a full version, e.g. ``<2.0.0-0``."""

    op: str
    version: semver.Version
    _key: OrderKey = field(init=False, repr=False, compare=False)
    _test: Callable[[OrderKey, OrderKey], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Comparing tuples is ten times faster than semver's compare().
        object.__setattr__(self, "_key", order_key(self.version))
        object.__setattr__(self, "_test", _TESTS[self.op])

    def test(self, v: semver.Version, key: OrderKey | None = None) -> bool:
        return bool(self._test(order_key(v) if key is None else key, self._key))

    def __str__(self) -> str:
        return f"{'' if self.op == '=' else self.op}{self.version}"


#: An alternative that nothing satisfies (``>*``, ``<x``), as npm writes it.
_NOTHING = (Comparator("<", semver.Version(0, 0, 0, "0")),)


@dataclass(frozen=True)
class Range:
    """A parsed range: ``text`` as written, ``alternatives`` an OR of AND-sets.

    An empty AND-set means any (non-pre-release) version.
    """

    text: str
    alternatives: tuple[tuple[Comparator, ...], ...]

    def allows(self, version: Version) -> bool:
        v = version.sem
        key = _KEYS.get(version.text)
        if key is None:
            key = _KEYS[version.text] = order_key(v)
        return any(_test_set(alt, v, key) for alt in self.alternatives)

    @property
    def is_any(self) -> bool:
        return any(not alt for alt in self.alternatives)

    def canonical(self) -> str:
        """The desugared form, in node-semver's notation (``>=1.2.0 <1.3.0-0||>=3.0.0``)."""
        if self.is_any:
            return "*"
        return "||".join(" ".join(str(c) for c in alt) for alt in self.alternatives)

    def __str__(self) -> str:
        return self.text


def _test_set(comparators: tuple[Comparator, ...], v: semver.Version,
              key: OrderKey) -> bool:
    if not all(c.test(v, key) for c in comparators):
        return False
    if v.prerelease is None:
        return True
    # npm: a pre-release only when some comparator names a pre-release of the same x.y.z.
    return any(
        c.version.prerelease is not None
        and (c.version.major, c.version.minor, c.version.patch) == (v.major, v.minor, v.patch)
        for c in comparators
    )


ANY = Range("*", ((),))


class Ordered:
    """Versions (in any order) ready for :meth:`mask`: which of them a range allows, as
    a bit mask over their positions, found by bisection on their sorted order keys
    rather than by testing each one (a resolver asks this for every requirement)."""

    def __init__(self, items: Sequence[Version]) -> None:
        keys = [_key_of(v) for v in items]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        self._asc = [keys[i] for i in order]
        self._sems = [items[i].sem for i in order]
        self._bit = [1 << i for i in order]
        # _releases[j]: the bits of the releases among the j lowest versions.
        self._releases = [0]
        for j, i in enumerate(order):
            self._releases.append(self._releases[-1] | (0 if self._sems[j].prerelease else 1 << i))
        self._pre = [j for j, v in enumerate(self._sems) if v.prerelease is not None]

    def mask(self, rng: Range) -> int:
        found = 0
        n = len(self._asc)
        for alt in rng.alternatives:
            lo, hi = 0, n
            for c in alt:
                if c.op in (">=", "="):
                    lo = max(lo, bisect.bisect_left(self._asc, c._key))
                elif c.op == ">":
                    lo = max(lo, bisect.bisect_right(self._asc, c._key))
                if c.op in ("<=", "="):
                    hi = min(hi, bisect.bisect_right(self._asc, c._key))
                elif c.op == "<":
                    hi = min(hi, bisect.bisect_left(self._asc, c._key))
            if lo >= hi:
                continue
            found |= self._releases[hi] ^ self._releases[lo]
            for j in self._pre:  # few: the pre-release rule needs each one tested
                if lo <= j < hi and _test_set(alt, self._sems[j], self._asc[j]):
                    found |= self._bit[j]
        return found


def _key_of(version: Version) -> OrderKey:
    key = _KEYS.get(version.text)
    if key is None:
        key = _KEYS[version.text] = order_key(version.sem)
    return key


@functools.lru_cache(maxsize=8192)
def parse(text: str, where: str | None = None) -> Range:
    """Parse a range; anything that is not one is an :class:`InputError` naming it."""
    raw = str(text)
    stripped = raw.strip()
    if stripped in ("", "*"):
        return Range(stripped or "*", ((),))
    alternatives = []
    for part in stripped.split("||"):
        part = part.strip()
        if not part:
            raise _invalid(raw, "an alternative between '||' is empty", where)
        alt = _alternative(part, raw, where)
        if alt not in alternatives:
            alternatives.append(alt)
    return Range(stripped, tuple(alternatives))


def is_range(text: str) -> bool:
    try:
        parse(text)
    except InputError:
        return False
    return True


def _invalid(text: str, detail: str, where: str | None) -> InputError:
    return InputError(f"invalid version range {text!r}: {detail}", where)


def _alternative(part: str, raw: str, where: str | None) -> tuple[Comparator, ...]:
    m = _HYPHEN.match(part)
    if m:
        return _hyphen(_partial(m["low"], raw, where), _partial(m["high"], raw, where))
    out: list[Comparator] = []
    tokens = _OP_SPACE.sub(r"\1", part.replace(",", " ")).split()
    for token in tokens:
        sm = _SIMPLE.match(token)
        if not sm:
            if token == "-" or token.endswith("-"):
                raise _invalid(raw, "a hyphen range needs a version on each side of ' - '", where)
            raise _invalid(raw, f"{token!r} is not a version or a comparison", where)
        out.extend(_desugar(sm["op"] or "", _parts(sm)))
    if any(c in _NOTHING for c in out):
        return _NOTHING
    return tuple(dict.fromkeys(out))  # npm drops repeated comparators, keeping the first


#: (major, minor, patch, prerelease); None where the partial has an x or stops short.
_Parts = tuple[int | None, int | None, int | None, str | None]


def _parts(m: re.Match[str]) -> _Parts:
    nums: list[int | None] = []
    for key in ("major", "minor", "patch"):
        value = m[key]
        # npm: once a part is a wildcard, everything after it is too (1.x.3 is 1.x).
        if value is None or value in ("x", "X", "*") or (nums and nums[-1] is None):
            nums.append(None)
        else:
            nums.append(int(value))
    pre = m["pre"]
    if pre is not None and nums[0] is not None:
        # A pre-release names one exact version: 1.0-rc.1 is 1.0.0-rc.1, as folder names are.
        nums = [n or 0 for n in nums]
    elif pre is not None:
        pre = None
    return nums[0], nums[1], nums[2], pre


def _partial(token: str, raw: str, where: str | None) -> _Parts:
    m = _SIMPLE.match(token)
    if not m or m["op"]:
        raise _invalid(raw, f"{token!r} is not a version", where)
    return _parts(m)


def _v(major: int, minor: int = 0, patch: int = 0, pre: str | None = None) -> semver.Version:
    return semver.Version(major, minor, patch, pre)


def _ge(v: semver.Version) -> list[Comparator]:
    # npm drops a lower bound of 0.0.0: every release satisfies it anyway.
    return [] if v == _v(0) and v.prerelease is None else [Comparator(">=", v)]


def _desugar(op: str, p: _Parts) -> list[Comparator]:
    major, minor, patch, pre = p
    if major is None:  # *, x: any version, or nothing for > and <
        return list(_NOTHING) if op in (">", "<") else []
    full = minor is not None and patch is not None
    if op in ("", "="):
        if full:
            return [Comparator("=", _v(major, minor or 0, patch or 0, pre))]
        return _desugar(">=", p) + _desugar("<=", p)
    if op == ">":
        if full:
            return [Comparator(">", _v(major, minor or 0, patch or 0, pre))]
        return [Comparator(">=", _v(major + 1) if minor is None else _v(major, minor + 1))]
    if op == ">=":
        return _ge(_v(major, minor or 0, patch or 0, pre))
    if op == "<":
        if full:
            return [Comparator("<", _v(major, minor or 0, patch or 0, pre))]
        return [Comparator("<", _v(major, minor or 0, 0, "0"))]
    if op == "<=":
        if full:
            return [Comparator("<=", _v(major, minor or 0, patch or 0, pre))]
        upper = _v(major + 1, 0, 0, "0") if minor is None else _v(major, minor + 1, 0, "0")
        return [Comparator("<", upper)]
    low = _ge(_v(major, minor or 0, patch or 0, pre))
    if op in ("~", "~>"):
        upper = _v(major + 1, 0, 0, "0") if minor is None else _v(major, minor + 1, 0, "0")
        return low + [Comparator("<", upper)]
    # ^: the leftmost non-zero part may not change.
    if minor is None or major > 0:
        upper = _v(major + 1, 0, 0, "0")
    elif patch is None or minor > 0:
        upper = _v(0, minor + 1, 0, "0")
    else:
        upper = _v(0, 0, patch + 1, "0")
    return low + [Comparator("<", upper)]


def _hyphen(low: _Parts, high: _Parts) -> tuple[Comparator, ...]:
    out = _desugar(">=", low) if low[0] is not None else []
    if high[0] is not None:
        out += _desugar("<=", high)
    return tuple(out)
