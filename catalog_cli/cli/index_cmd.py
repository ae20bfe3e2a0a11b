"""``catalog index``: write or check index.yaml."""

from __future__ import annotations

from pathlib import Path

import typer

from .output import note


def index(
    path: Path = typer.Argument(Path("."), help="Catalog folder (holding task/, pipeline/ ...; or a folder with catalog/ inside)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 4 if index.yaml is stale."),
    fmt: str = typer.Option("yaml", "--format", help="yaml (readable) or json (fast for huge catalogs; still valid YAML)."),
) -> None:
    """Write index.yaml for a catalog folder: same tree, same bytes."""
    from .. import index as index_mod
    from ..errors import InputError

    if fmt not in ("yaml", "json"):
        raise InputError(f"--format must be yaml or json, not {fmt!r}")
    if check:
        idx = index_mod.check(path)
        for w in idx.warnings:
            note(f"warning: {w}")
        note(f"index.yaml is up to date ({len(idx)} versions of {len(idx.entries)} resources)")
        return
    target, idx = index_mod.write(path, fmt)
    for w in idx.warnings:
        note(f"warning: {w}")
    note(f"wrote {target} ({len(idx)} versions of {len(idx.entries)} resources, {len(idx.warnings)} warnings)")


def register(app: typer.Typer) -> None:
    app.command()(index)
