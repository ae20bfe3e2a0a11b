"""``catalog graph`` (a Pipeline, a lock file or a closure as SVG, Mermaid or DOT) and
``catalog site`` (a static website for a catalog)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..words import plural
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
    note(f"wrote {out_file} ({fmt}, {plural(len(picture.nodes), 'node')}, {plural(len(picture.edges), 'edge')})")


def _repo_name(given: str | None, folder: str) -> str:
    """``--name``, checked; else the folder's name made a valid repo name."""
    import re

    from ..errors import InputError
    from ..repos import check_name

    if given is not None:
        check_name(given)
        return given
    name = re.sub(r"[^a-z0-9_.-]+", "-", folder.lower()).strip("-.") or "catalog"
    try:
        check_name(name)
    except InputError:  # a folder named like a kind, or "builtin": a name that works
        name = f"{name}-catalog"
    return name


def site(
    ctx: typer.Context,
    path: str = typer.Argument(".", metavar="[PATH|URL|REPO]",
                               help="The catalog: a folder (with or without index.yaml), an index file, a URL "
                                    "or a configured repo's name."),
    out: Path | None = typer.Option(None, "--out", metavar="DIR",
                                    help="Where to write the site (replaced whole). Default: site/ inside "
                                         "the catalog's folder, so the server of the catalog serves it."),
    url: str | None = typer.Option(None, "--url", metavar="URL",
                                   help="Where the catalog is published, for the `repo add` command pages show. "
                                        "Default: worked out in the browser from where the site is."),
    name: str | None = typer.Option(None, "--name", metavar="REPO",
                                    help="The repo name pages tell users to add it as. Default: the folder's name."),
    bundles: str | None = typer.Option(None, "--bundles", metavar="REGISTRY/REPO",
                                       help="Where `catalog publish --oci` pushed it: pages show each "
                                            "version's bundle reference."),
    title: str | None = typer.Option(None, "--title", help="The site's title. Default: the repo name."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0,
                             help="Processes making the pages (0: one per core)."),
) -> None:
    """Write a static website for a catalog: search, a page per version, dependency pictures."""
    import os

    from ..errors import InputError
    from ..graph.render import find_dot
    from ..site.build import build
    from ..site.page import Options
    from ..sources import open_catalog

    settings = settings_of(ctx)
    catalog = open_catalog(path, settings)
    local = Path(path) if not path.startswith(("http://", "https://")) and Path(path).exists() else None
    folder = (local if local.is_dir() else local.parent) if local is not None else None
    if out is None:
        if folder is None:
            raise InputError("the catalog is not a local folder: say where to write the site with --out DIR", path)
        out = folder / "site"
    if catalog.name == "builtin":
        repo = "builtin"  # nothing to add: every install of catalog has it
    else:
        repo = _repo_name(name, folder.resolve().name if folder else (catalog.name or "catalog"))
    if url is None and path.startswith(("http://", "https://")):
        url = path
    rel = os.path.relpath(folder.resolve(), out.resolve()) + "/" if folder is not None and url is None else None
    dot = find_dot()
    if dot is None:
        note("Graphviz's dot is not installed (apt-get install graphviz): pictures are shown as Mermaid source")
    opts = Options(title=title or (f"{repo} catalog"), repo=repo, url=url, catalog_rel=rel, bundles=bundles)
    report = build(catalog, out, opts, dot=dot, jobs=jobs or len(os.sched_getaffinity(0)))
    for w in report.warnings:
        note(f"warning: {w}")
    for p in report.problems:
        note(f"warning: {p}")
    kept = f", {report.reused} of them kept from the earlier site" if report.reused else ""
    note(f"wrote {report.out}: {plural(report.pages, 'page')} for {plural(report.versions, 'version')} of "
         f"{plural(report.resources, 'resource')}{kept}, {plural(report.pictures, 'picture')}, "
         f"search index {report.search_index_bytes / 1024:.0f} KiB")


def register(app: typer.Typer) -> None:
    app.command()(graph)
    app.command()(site)
