"""What ``list`` and ``search`` show: hits as a table, names or data, each with the repo
it comes from; and ``search`` itself, which the Typer command and the quick path
(``quick``) both run. Nothing here imports Typer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .output import Format, emit, note, print_table, warn_catalog

if TYPE_CHECKING:
    from ..settings import Settings
    from ..sources.base import Catalog, SearchHit


def opened(location: str | None, settings: Settings) -> Catalog:
    """The catalog ``location`` names (``--catalog``; None: the default), its warnings shown once."""
    from ..sources import open_catalog

    cat = open_catalog(location, settings)
    warn_catalog(cat, settings)
    return cat


def show(cat: Catalog, hits: list[SearchHit], output: Format) -> None:
    """Hits as a table, names or data; each says which repo it comes from (``builtin``,
    a repo's name, a URL or ``folder:NAME``)."""
    repos = [cat.origin(h.latest) for h in hits]

    def table() -> None:
        rows = []
        for h, repo in zip(hits, repos, strict=True):
            e = h.latest
            desc = e.description if len(e.description) <= 60 else e.description[:57] + "..."
            flag = " (deprecated)" if e.deprecated else ""
            older = list(h.versions[1:])
            shown = ", ".join(older[:3]) + (f" (+{len(older) - 3})" if len(older) > 3 else "")
            rows.append([h.name, e.kind, e.version + flag, shown, repo, desc])
        print_table(["name", "kind", "latest", "older", "repo", "description"], rows)

    data = [{**h.to_dict(), "repo": repo} for h, repo in zip(hits, repos, strict=True)]
    emit(data, output, table=table, names=lambda: [h.name for h in hits])


def search(settings: Settings, location: str | None, term: str, *, category: str | None = None,
           tag: str | None = None, platform: str | None = None, kind: str | None = None,
           output: Format = Format.table) -> int:
    """``catalog search``: print the hits; the exit code, 1 when nothing matches."""
    cat = opened(location, settings)
    hits = cat.search(term, category=category, tag=tag, platform=platform, kind=kind)
    show(cat, hits, output)
    if not hits:
        note(f"no resource matches {term!r}" if term else "no resource matches")
        return 1
    return 0
