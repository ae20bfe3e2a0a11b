"""Tekton's own reading of ``$(...)`` variables, for the rules that mirror its webhook.

:mod:`.refs` reads references generously, to find uses; the webhook reads them
with a few regular expressions of its own (``pkg/substitution``), and what it
rejects depends on exactly how: ``$(params.a.b.c)`` is refused for its three
parts, ``$(params.list)`` in a script is refused when ``list`` is an array, and
a pipeline task's param value ``$(date)`` is refused for its prefix. The
functions here answer those questions the way Tekton does, so that a rule
reports what the webhook would and nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache

#: What the webhook calls a variable in a pipeline task's param value or ``when``.
SUBSTITUTION = re.compile(r"\$\([_a-zA-Z0-9.-]+(\.[_a-zA-Z0-9.-]+)*(\[([0-9]+|\*)\])?\)")
_INDEX = re.compile(r"\[([0-9])*\*?\]")
#: A step result used where only env, command and args may use one.
STEP_RESULT = re.compile(r"\$\(steps\..*?\.results\..*?\)")
#: Artifacts (internal/artifactref): alpha, refused unless enable-artifacts is on.
_STEP_ARTIFACT = re.compile(r"\$\(steps\.([^.]+)\.(?:inputs|outputs)\.([^.)]+)\)")
TASK_ARTIFACT = re.compile(r"\$\(tasks\.([^.]+)\.(?:inputs|outputs)\.([^.)]+)\)")


@cache
def _pattern(prefix: str) -> re.Pattern[str]:
    """``$(prefix.name)``, ``$(prefix["name"])`` or ``$(prefix['name'])``; ``prefix`` is a regex."""
    lazy = r".*?(\[\*\])?"
    return re.compile(
        rf"""\$\({prefix}(\.(?P<v1>{lazy})|\["(?P<v2>{lazy})"\]|\['(?P<v3>{lazy})'\])\)"""
    )


@dataclass(frozen=True)
class Found:
    """The variables one string uses under a prefix, as Tekton extracts them."""

    names: tuple[str, ...]  # the first part of each, with any [*] kept
    whole: tuple[str, ...]  # each as written after the prefix (``obj.key``, ``list[*]``)
    too_deep: bool  # ``$(params.a.b.c)``: more than two dot-separated parts
    first: str  # the first match, as written


def extract(value: str, prefix: str) -> Found | None:
    """The variables of ``prefix`` in ``value``, or None when there are none."""
    if "$(" not in value:
        return None
    matches = list(_pattern(prefix).finditer(value))
    if not matches:
        return None
    names: list[str] = []
    whole: list[str] = []
    for m in matches:
        dotted = m.group("v1")
        if dotted is not None:
            whole.append(dotted)
            if "." in dotted:
                if len(dotted.split(".")) > 2:
                    return Found(tuple(names), tuple(whole), True, matches[0].group(0))
                names.append(dotted.split(".", 1)[0])
                continue
            names.append(dotted)
        else:
            quoted = m.group("v2") if m.group("v2") is not None else m.group("v3") or ""
            whole.append(quoted)
            names.append(quoted)
    return Found(tuple(names), tuple(whole), False, matches[0].group(0))


def unknown(value: str, prefix: str, known: Collection[str]) -> str | None:
    """The first variable of ``prefix`` that ``known`` lacks (``ValidateNoReferencesToUnknownVariables``).

    Returns the name, ``""`` for a reference of more than two dotted parts, or None.
    """
    found = extract(value, prefix)
    if found is None:
        return None
    if found.too_deep:
        return ""
    for name in found.names:
        name = _INDEX.sub("", name)
        if name not in known:
            return name
    return None


def uses_any(value: str, prefix: str, names: Collection[str]) -> str | None:
    """The first of ``names`` that ``value`` refers to at all (array params where none may be)."""
    found = extract(value, prefix)
    if found is None or found.too_deep:
        return None
    for name in found.names:
        if name.removesuffix("[*]") in names:
            return name.removesuffix("[*]")
    return None


def not_isolated(value: str, prefix: str, names: Collection[str]) -> str | None:
    """An array param of ``names`` that ``value`` uses without being wholly that reference."""
    found = extract(value, prefix)
    if found is None or found.too_deep:
        return None
    for name in found.names:
        if name.removesuffix("[*]") in names and len(value) != len(found.first):
            return name.removesuffix("[*]")
    return None


def uses_whole(value: str, prefix: str, names: Collection[str]) -> str | None:
    """An object param of ``names`` that ``value`` uses as a whole (``$(params.obj)``, not a key)."""
    found = extract(value, prefix)
    if found is None:
        return None
    for name in found.whole:
        if name.removesuffix("[*]") in names:
            return name.removesuffix("[*]")
    return None


def expressions(value: str) -> Iterator[str]:
    """The inside of every ``$( )`` the webhook sees in a param value or ``when``."""
    for m in SUBSTITUTION.finditer(value):
        yield m.group(0)[2:-1]


def looks_like_result_ref(expression: str) -> bool:
    parts = expression.split(".")
    return len(parts) >= 4 and parts[0] in ("tasks", "finally") and parts[2] == "results"


def uses_artifacts(value: str) -> bool:
    """Whether a step string refers to artifacts (``stepArtifactReferenceExists`` and
    ``taskArtifactReferenceExists`` of container_validation.go)."""
    return bool(_STEP_ARTIFACT.search(value) or TASK_ARTIFACT.search(value)
                or "$(step.artifacts.path)" in value or "$(artifacts.path)" in value)
