"""Rendering results: tables for people, JSON and YAML for programs, notes on stderr."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    yaml = "yaml"
    name = "name"


OutputOption = typer.Option(
    Format.table, "--output", "-o", help="Output format.", case_sensitive=False
)


def note(message: str) -> None:
    """A human note: stderr, so that stdout stays parseable."""
    print(message, file=sys.stderr)


def emit(
    data: Any,
    fmt: Format,
    *,
    table: Callable[[], None] | None = None,
    names: Callable[[], Sequence[str]] | None = None,
) -> None:
    """Print ``data`` in ``fmt``; ``table`` and ``names`` render the human forms."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    elif fmt is Format.yaml:
        from ..yamlio import dump

        sys.stdout.write(dump(data))
    elif fmt is Format.name and names is not None:
        sys.stdout.write("".join(f"{n}\n" for n in names()))
    elif table is not None:
        table()
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None) -> None:
    """A plain, aligned table; rich only when stdout is a terminal, so pipes get clean text."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        tbl = Table(*headers, title=title, box=None, header_style="bold", pad_edge=False)
        for row in cells:
            tbl.add_row(*row)
        Console().print(tbl)
        return
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def fmt_row(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()

    lines = [fmt_row([h.upper() for h in headers])] + [fmt_row(r) for r in cells]
    sys.stdout.write("\n".join(lines) + "\n")
