"""Rendering results: tables for people, JSON and YAML for programs, notes on stderr."""

from __future__ import annotations

import enum
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..settings import Settings
    from ..sources.base import Catalog


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    yaml = "yaml"
    name = "name"


#: Characters never written to a terminal as they are: C0 and C1 controls but newline
#: and tab (escape sequences could retitle the window, clear the screen, rewrite what
#: was shown, or on some terminals worse), and bidirectional overrides (text that reads
#: otherwise than it is). Names, descriptions, messages and records come from catalogs
#: and clusters other people write.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` with every character a terminal would act on shown as an escape."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def out(text: str) -> None:
    """A line of human output on stdout, made safe for a terminal."""
    print(safe(text))


def note(message: str) -> None:
    """A human note: stderr, so that stdout stays parseable; nothing with ``-q``. Through
    the run's reporter, which prints it above a progress bar rather than through it."""
    from ..progress import reporter
    from .progress_ui import StderrReporter

    current = reporter()
    if isinstance(current, StderrReporter):
        current.note(message)
    else:
        print(safe(message), file=sys.stderr)


def warn_catalog(catalog: Catalog, settings: Settings) -> None:
    """A catalog's index warnings, once: shown the first time, and again only when the
    catalog or its warnings change (not with ``-q``, which then does not count as shown)."""
    from ..progress import reporter

    warnings = catalog.warnings
    if not warnings or getattr(reporter(), "quiet", False):
        return
    from ..sources.warned import news

    if news(settings, catalog.location, warnings):
        for w in warnings:
            note(f"warning: {w}")


def to_json(data: object, *, indent: int | None = None) -> str:
    """JSON that keeps non-ASCII text readable but escapes what a terminal would act on
    (json.dumps escapes C0 controls only)."""
    return safe(json.dumps(data, ensure_ascii=False, indent=indent))


def acts_on_terminal(text: str) -> bool:
    """Whether ``text`` holds a character a terminal would act on (controls, bidi overrides)."""
    return _UNSAFE.search(text) is not None


def emit(
    data: object,
    fmt: Format,
    *,
    table: Callable[[], None] | None = None,
    names: Callable[[], Sequence[str]] | None = None,
) -> None:
    """Print ``data`` in ``fmt``; ``table`` and ``names`` render the human forms."""
    if fmt is Format.json:
        sys.stdout.write(to_json(data, indent=2) + "\n")
    elif fmt is Format.yaml:
        from ..yamlio import dump

        text = dump(data)
        # PyYAML writes some characters a terminal acts on as they are (bidi overrides):
        # then every non-ASCII character is written escaped, which reads back the same.
        sys.stdout.write(dump(data, ascii_only=True) if _UNSAFE.search(text) else text)
    elif fmt is Format.name and names is not None:
        sys.stdout.write("".join(f"{safe(n)}\n" for n in names()))
    elif table is not None:
        table()
    else:
        sys.stdout.write(to_json(data, indent=2) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None,
                file: TextIO | None = None, drop_empty: bool = False) -> None:
    """A plain, aligned table on stdout (or ``file``); rich only on a terminal, so pipes
    get clean text. With ``drop_empty``, columns empty in every row are left out."""
    stream = file or sys.stdout
    cells = [[safe("" if c is None else str(c)) for c in row] for row in rows]
    keep = [i for i in range(len(headers)) if not drop_empty or any(row[i] for row in cells)]
    if len(keep) < len(headers):
        headers = [headers[i] for i in keep]
        cells = [[row[i] for i in keep] for row in cells]
    if stream.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        tbl = Table(*headers, title=title, box=None, header_style="bold", pad_edge=False)
        for row in cells:
            tbl.add_row(*(Text(c) for c in row))  # Text: a cell's "[...]" is not rich markup
        Console(file=stream).print(tbl)
        return
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def fmt_row(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()

    lines = [fmt_row([h.upper() for h in headers])] + [fmt_row(r) for r in cells]
    stream.write("\n".join(lines) + "\n")
