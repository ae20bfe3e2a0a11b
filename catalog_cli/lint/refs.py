"""Tekton variable references: ``$(params.x)`` and every other form Tekton substitutes.

Understood forms (each gives a :class:`Ref` with a root and the parts after it):

- ``$(params.NAME)``, ``$(params.NAME[*])``, ``$(params.NAME[0])``,
  ``$(params.NAME.KEY)`` (a key of an object param), ``$(params["NAME"])``,
  ``$(params['NAME'])`` (names with dots), and the v1alpha1 spelling
  ``$(inputs.params.NAME)``;
- ``$(workspaces.NAME.path|bound|claim|volume)``, ``$(results.NAME.path)``,
  ``$(step.results.NAME.path)``, ``$(steps.STEP.results.NAME)``,
  ``$(steps.step-STEP.exitCode.path)``;
- ``$(tasks.TASK.results.NAME...)``, ``$(tasks.TASK.status|reason)``, ``$(tasks.status)``;
- ``$(context.*)``, ``$(credentials.path)``, ``$(resources.*)``,
  ``$(inputs.resources.*)``, ``$(outputs.resources.*)``.

Shell command substitution (``$(date)``, ``$(cat "$(workspaces.w.path)/f")``) is
told apart by its root: only the roots above are Tekton's, and the innermost
``$( )`` is read first, so a reference inside a shell substitution is still found.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .model import JsonPath

_EXPR = re.compile(r"\$\(([^()]*)\)")
# A dotted name, or a bracketed quoted name, index or star.
_PART = re.compile(r"""\.?([^.\[\]'"\s]+)|\[\s*(?:"([^"]*)"|'([^']*)'|(\*|\d+))\s*\]""")

ROOTS = frozenset(
    {"params", "workspaces", "results", "step", "steps", "tasks", "context",
     "credentials", "resources", "inputs", "outputs"}
)
#: Keys whose text is prose for people: a ``$(params.x)`` there is documentation.
PROSE_KEYS = frozenset({"description", "displayName"})


@dataclass(frozen=True)
class Ref:
    """One variable reference: ``$(params.a[*])`` is root ``params``, parts ``("a", "[*]")``."""

    root: str
    parts: tuple[str, ...]
    text: str

    @property
    def name(self) -> str:
        """The first part after the root: the param, workspace, result or task named."""
        return self.parts[0] if self.parts else ""


def parse(expr: str) -> Ref | None:
    """The reference inside one ``$( )``, or None when it is not a Tekton one."""
    parts: list[str] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _PART.match(expr, pos)
        if m is None or m.end() == pos:
            return None
        word, dq, sq, idx = m.groups()
        if word is not None:
            parts.append(word)
        elif idx is not None:
            parts.append(f"[{idx}]")
        else:
            parts.append(dq if dq is not None else sq or "")
        pos = m.end()
    if not parts or parts[0] not in ROOTS:
        return None
    root, rest = parts[0], tuple(parts[1:])
    if root in ("inputs", "outputs") and rest[:1] == ("params",):
        root, rest = "params", rest[1:]  # v1alpha1 inputs.params.x
    elif root in ("inputs", "outputs") and rest[:1] == ("resources",):
        root, rest = "resources", rest[1:]
    elif root in ("inputs", "outputs"):
        return None
    return Ref(root, rest, f"$({expr})")


def refs_in_text(value: str) -> Iterator[Ref]:
    """Every Tekton reference in one string."""
    if "$(" not in value:
        return
    for m in _EXPR.finditer(value):
        ref = parse(m.group(1))
        if ref is not None:
            yield ref
    # References nested in a shell substitution whose text itself holds parentheses,
    # e.g. $(echo $(params.a)), are found by the innermost match above.


def walk_strings(value: object, path: JsonPath, *, skip: frozenset[str] = PROSE_KEYS) -> Iterator[tuple[JsonPath, str]]:
    """Every string value (not key) under ``value``, with its path; prose keys skipped."""
    stack: list[tuple[object, JsonPath]] = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, Mapping):
            for key, child in reversed(list(node.items())):
                if key not in skip:
                    stack.append((child, (*where, key)))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((node[i], (*where, i)))


def walk_refs(value: object, path: JsonPath, *, prune: frozenset[str] = frozenset()) -> Iterator[tuple[JsonPath, Ref]]:
    """Every reference under ``value`` with the path of the string holding it.

    Mapping keys listed in ``prune`` are not entered (e.g. an inline ``taskSpec``
    has a scope of its own).
    """
    for where, s in walk_strings(value, path, skip=PROSE_KEYS | prune):
        for ref in refs_in_text(s):
            yield where, ref
