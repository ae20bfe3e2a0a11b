"""What users ask for: ``[kind/]name[@range]``, parsed once at the edge; and the key
that names a package everywhere after that, ``(kind, name)``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import ranges
from .errors import InputError
from .model import canonical_kind

#: A package: (kind, name). Kubernetes names are per kind, so a ``git-clone`` Task and
#: a ``git-clone`` StepAction are different packages.
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
