"""Counting things in messages: ``1 object``, ``2 objects``, ``1 entry``, ``3 entries``.

One helper for every count a person reads, in the library's messages and the CLI's
notes alike, so that no message says "1 objects" or falls back on "object(s)".
"""

from __future__ import annotations

#: Plurals English does not make by adding "s" (or "es" after s, x, ch, sh).
_IRREGULAR = {"entry": "entries", "dependency": "dependencies", "repository": "repositories",
              "policy": "policies", "is": "are", "was": "were", "has": "have"}


def plural_of(noun: str) -> str:
    """``noun`` in the plural."""
    if noun in _IRREGULAR:
        return _IRREGULAR[noun]
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless ``count`` is 1 (``many`` when the
    plural is irregular and not known here)."""
    return f"{count} {noun if count == 1 else (many or plural_of(noun))}"
