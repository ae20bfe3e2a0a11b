"""``catalog graph`` (a Pipeline, a lock file or a closure as SVG, Mermaid or DOT) and
``catalog site`` (a static website for a catalog)."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import CatalogOption, settings_of
from .output import note

GRAPHVIZ_MISSING = "Graphviz's dot is not installed (apt-get install graphviz): writing Mermaid instead"


def graph(
    ctx: typer.Context,
    targets: list[str] = typer.Argument(
        None, metavar="FILE|FOLDER|[KIND/]NAME[@RANGE]...",
        help="A Pipeline file or a folder holding one (.tekton/), a PipelineRun embedding one, a lock "
             "file, or requirements whose dependency closure to draw."),
    fmt: str = typer.Option("svg", "--output", "-o", metavar="svg|mermaid|dot",
                            help="svg (laid out by Graphviz's dot; Mermaid when it is missing), mermaid or dot."),
    out_file: Path | None = typer.Option(None, "--out", metavar="FILE", help="Write here instead of stdout."),
    pipeline: str | None = typer.Option(None, "--pipeline", metavar="NAME",
                                        help="The Pipeline to draw when the file or folder holds several."),
    catalog: str | None = CatalogOption,
) -> None:
    """Draw a Pipeline (tasks, runAfter and result edges, finally, when) or a dependency closure."""
    from ..actions.graph import graph as build
    from ..errors import InputError
    from ..graph.render import FORMATS, find_dot, render

    if fmt not in FORMATS:
        raise InputError(f"--output must be one of {', '.join(FORMATS)}, not {fmt!r}")
    picture = build(targets or [], settings_of(ctx), catalog=catalog, pipeline=pipeline)
    dot = find_dot()
    if fmt == "svg" and dot is None:
        note(GRAPHVIZ_MISSING)
        fmt = "mermaid"
    text = render(picture, fmt, dot)
    if out_file is None:
        typer.echo(text, nl=False)
        return
    from ..fsutil import atomic_write

    atomic_write(out_file, text)
    note(f"wrote {out_file} ({fmt}, {len(picture.nodes)} nodes, {len(picture.edges)} edges)")


def register(app: typer.Typer) -> None:
    app.command()(graph)
