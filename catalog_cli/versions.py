"""Versions: semantic versions as Tekton catalogs write them (``0.10`` is 0.10.0, newer than 0.9)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    import semver

_LOOSE = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    """A version as written (``text``) with its semantic value (``sem``) for ordering."""

    text: str
    sem: semver.Version = field(compare=False, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.sem == other.sem

    def __hash__(self) -> int:
        return hash(self.sem)

    def __lt__(self, other: Version) -> bool:
        return self.sem < other.sem

    def __str__(self) -> str:
        return self.text

    @property
    def is_prerelease(self) -> bool:
        return self.sem.prerelease is not None


@functools.lru_cache(maxsize=65536)
def parse(text: str, where: str | None = None) -> Version:
    """Parse ``1``, ``0.10``, ``v1.2.3`` or ``1.2.3-rc.1``; anything else is an InputError."""
    m = _LOOSE.match(str(text).strip())
    if not m:
        raise InputError(f"{text!r} is not a version (expected e.g. 0.3 or 1.2.0)", where)
    import semver  # on first use: it costs start-up (argparse with it), and search needs none

    sem = semver.Version(
        int(m["major"]), int(m["minor"] or 0), int(m["patch"] or 0), m["pre"], m["build"]
    )
    return Version(str(text).strip(), sem)


def is_version(text: str) -> bool:
    return bool(_LOOSE.match(str(text).strip()))


def newest_first(texts: list[str]) -> list[str]:
    """Version strings sorted newest first (invalid ones last, in text order)."""
    good = sorted((parse(t) for t in texts if is_version(t)), reverse=True)
    return [v.text for v in good] + sorted(t for t in texts if not is_version(t))
