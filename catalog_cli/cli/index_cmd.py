"""``catalog index``: write or check index.yaml."""

from __future__ import annotations

from pathlib import Path

import typer

from ..words import plural
from .output import note


def index(
    path: Path = typer.Argument(Path("."), help="Catalog folder: it holds task/, pipeline/ ... (or tasks/, pipelines/ ...), or catalog/ with those inside. index.yaml is written here, its paths relative to here."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 4 if index.yaml is stale (lacks or differs from what the tree has)."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2, nothing written) when the tree gives warnings: files skipped, labels that differ from folders..."),
    fmt: str = typer.Option("yaml", "--format", help="yaml (readable) or json (fast for huge catalogs; still valid YAML)."),
) -> None:
    """Write index.yaml for a catalog folder: same tree, same bytes."""
    from .. import index as index_mod
    from ..errors import InputError

    if fmt not in ("yaml", "json"):
        raise InputError(f"--format must be yaml or json, not {fmt!r}")
    try:
        if check:
            idx = index_mod.check(path, strict=strict)
        else:
            target, idx = index_mod.write(path, fmt, strict=strict)
    except index_mod.StrictWarnings as exc:
        for w in exc.warnings:
            note(f"warning: {w}")
        raise
    for w in idx.warnings:
        note(f"warning: {w}")
    if check:
        note(f"index.yaml is up to date ({plural(len(idx), 'version')} of {plural(len(idx.entries), 'resource')})")
    else:
        note(f"wrote {target} ({plural(len(idx), 'version')} of {plural(len(idx.entries), 'resource')}, "
             f"{plural(len(idx.warnings), 'warning')})")


def register(app: typer.Typer) -> None:
    app.command()(index)
