"""Structural rendering: placeholders are replaced in parsed YAML trees, never in text.

A template source file is parsed into Python data first. Then, in every string
value of the tree:

- a scalar that is exactly ``((key))`` becomes the value itself, of its own type
  (a string, a number, a boolean, a list of strings, or a computed structure such
  as the run's RBAC rules);
- a scalar that contains ``((key))`` among other text gets the value's text in
  its place.

The result is written with :func:`yamlio.dump`, which quotes whatever needs
quoting. A value is data from start to end: quotes, colons, newlines or
``# comments`` in it can never become YAML syntax, open a new key or add a step.
Placeholders in mapping keys are refused (a key is structure, not data), as is
a placeholder the template does not define (a bug in the template).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import yamlio
from ..errors import InputError

PLACEHOLDER = re.compile(r"\(\(\s*([a-z][a-z0-9.-]*)\s*\)\)")
_WHOLE = re.compile(r"^\(\(\s*([a-z][a-z0-9.-]*)\s*\)\)$")


def substitute(node: Any, values: Mapping[str, Any], where: str) -> Any:
    """A copy of ``node`` with every placeholder replaced from ``values``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if isinstance(key, str) and PLACEHOLDER.search(key):
                raise InputError(f"placeholder in the mapping key {key!r}: keys are structure", where)
            out[key] = substitute(value, values, where)
        return out
    if isinstance(node, list):
        return [substitute(item, values, where) for item in node]
    if isinstance(node, str):
        return _string(node, values, where)
    return node


def _lookup(key: str, values: Mapping[str, Any], where: str) -> Any:
    if key not in values:
        raise InputError(f"placeholder (({key})) names no parameter of the template", where)
    return values[key]


def _string(text: str, values: Mapping[str, Any], where: str) -> Any:
    whole = _WHOLE.match(text)
    if whole:
        return _copy(_lookup(whole.group(1), values, where))

    def one(m: re.Match[str]) -> str:
        value = _lookup(m.group(1), values, where)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int)):
            return str(value)
        raise InputError(f"(({m.group(1)})) is a {type(value).__name__}: it can only fill a whole value",
                         where)

    # One pass over the template's text: a value is never searched for placeholders.
    return PLACEHOLDER.sub(one, text)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def render_documents(docs: list[Any], values: Mapping[str, Any], where: str) -> list[Any]:
    return [substitute(doc, values, where) for doc in docs]


def dump_documents(docs: list[Any], header: str = "") -> str:
    """Documents as one YAML stream, each after ``---`` but the first."""
    return header + "---\n".join(yamlio.dump(doc) for doc in docs)


def comment(text: str, width: int = 88) -> str:
    """``text`` as YAML comment lines, paragraphs wrapped at ``width`` (empty text: nothing)."""
    import textwrap

    out = []
    for i, para in enumerate(p for p in text.strip().split("\n\n") if p.strip()):
        if i:
            out.append("#\n")
        out += [f"# {line}\n" for line in textwrap.wrap(" ".join(para.split()), width - 2)]
    return "".join(out)
