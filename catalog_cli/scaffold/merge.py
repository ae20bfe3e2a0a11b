"""Three-way merge of a generated file: what the old template generated (base),
the user's file (local) and what the new template generates (new).

Line based, with ``merge3`` (breezy's merge, the algorithm of diff3). Generated
files are written by one deterministic dumper, so a change in the template and
an edit by the user land on different lines unless they really touch the same
place. A real conflict is kept in the file between git-style markers, so the
file stops being valid YAML and cannot be applied by mistake, and is reported
with both sides.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

LOCAL_MARKER = "<<<<<<< local"
MID_MARKER = "======="
END_MARKER = ">>>>>>> template"


@dataclass(frozen=True)
class Conflict:
    """One conflicting region: the lines as the user has them and as the template has them."""

    path: str
    line: int  # 1-based line of the start marker in the merged file
    local: tuple[str, ...]
    template: tuple[str, ...]


@dataclass(frozen=True)
class Merged:
    text: str
    conflicts: tuple[Conflict, ...]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _ensure_newline(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        return [*lines[:-1], lines[-1] + "\n"]
    return lines


def three_way(path: str, base: str, local: str, new: str, label: str = "") -> Merged:
    """Merge ``local`` and ``new`` against ``base``; ``label`` names the new side."""
    import merge3

    if local == new or base == new:
        return Merged(local, ())
    if base == local:
        return Merged(new, ())
    m = merge3.Merge3(_lines(base), _lines(local), _lines(new))
    out: list[str] = []
    conflicts: list[Conflict] = []
    end = f"{END_MARKER} {label}".rstrip() + "\n"
    for group in m.merge_groups():
        if group[0] == "conflict":
            a, b = _ensure_newline(list(group[2])), _ensure_newline(list(group[3]))
            conflicts.append(Conflict(path, len(out) + 1, tuple(a), tuple(b)))
            out += [LOCAL_MARKER + "\n", *a, MID_MARKER + "\n", *b, end]
        else:
            out += list(group[1])
    return Merged("".join(out), tuple(conflicts))


def unified(path: str, before: str | None, after: str | None) -> str:
    """A unified diff from ``before`` to ``after`` (None: the file does not exist)."""
    a = _ensure_newline(_lines(before)) if before is not None else []
    b = _ensure_newline(_lines(after)) if after is not None else []
    return "".join(difflib.unified_diff(
        a, b, f"a/{path}" if before is not None else "/dev/null",
        f"b/{path}" if after is not None else "/dev/null"))
