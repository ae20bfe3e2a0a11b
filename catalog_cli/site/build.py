"""Writing a catalog's site: assets, the search index, the home and list pages, and a
page per version, made in worker processes when the catalog is big.

The site is made in a new folder beside ``out`` and renamed into place when whole, so
a web server never serves half a site; an earlier site there is replaced only when it
carries this tool's marker file (a folder of someone else's is refused).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, Unwritable
from .page import Options
from .pages import environment, fingerprint, read_manifest, write_pages
from .plan import Plan, make_plan, page_path

if TYPE_CHECKING:
    from ..sources.base import Catalog

MARKER = ".catalog-site"
ASSETS = ("site.css", "site.js", "icon.svg")
SEARCH_INDEX = "search-index.js"
SEARCH_FIELDS = ("name", "kind", "version", "displayName", "description", "categories", "tags", "platforms",
                 "deprecated", "url")


@dataclass
class Report:
    out: Path
    resources: int
    versions: int
    pages: int = 0
    pictures: int = 0
    reused: int = 0  # pages of the earlier site kept as they were: nothing they show changed
    graphviz: bool = False
    search_index_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def search_index(plan: Plan) -> str:
    """The home page's search data, a script (``fetch`` of a JSON file is refused on file://)."""
    items = []
    for r in plan.resources:
        e = r.latest
        items.append([e.name, e.kind, e.version, e.display_name, e.description, list(e.categories), list(e.tags),
                      list(e.platforms), e.deprecated, page_path(e.kind, e.name, e.version)])
    data = json.dumps({"fields": SEARCH_FIELDS, "items": items}, ensure_ascii=False, separators=(",", ":"))
    return f"window.CATALOG_INDEX={data};\n"


def _filters(plan: Plan) -> dict[str, list[str]]:
    latest = [r.latest for r in plan.resources]
    return {"kinds": sorted({e.kind for e in latest}),
            "categories": sorted({c for e in latest for c in e.categories}, key=lambda c: (c.lower(), c)),
            "platforms": sorted({p for e in latest for p in e.platforms})}


def _groups(plan: Plan) -> list[dict[str, Any]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in plan.resources:
        e = r.latest
        out.setdefault(r.kind, []).append({"name": e.name, "version": e.version, "deprecated": e.deprecated,
                                           "href": page_path(e.kind, e.name, e.version),
                                           "summary": e.description})
    return [{"kind": k, "members": v} for k, v in out.items()]


def _target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise InputError(f"exists and is not a site this tool made (no {MARKER} in it): refusing to replace it",
                         str(out))


def build(catalog: Catalog, out: Path, opts: Options, *, dot: str | None, jobs: int = 1,
          progress: Callable[[int, int], None] | None = None) -> Report:
    """Write the site of ``catalog`` to ``out``. ``dot`` is Graphviz's (None: pictures as
    Mermaid source); ``jobs`` how many processes make the pages."""
    _target(out)
    plan = make_plan(catalog)
    counts = {"resources": len(plan.resources), "versions": sum(len(r.versions) for r in plan.resources)}
    report = Report(out, counts["resources"], counts["versions"], graphviz=dot is not None,
                    warnings=list(plan.warnings))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise Unwritable(f"cannot write the site: {exc.strerror}", str(out)) from exc
    try:
        assets = work / "assets"
        assets.mkdir()
        for name in ASSETS:
            shutil.copyfile(Path(__file__).parent / "static" / name, assets / name)
        index_text = search_index(plan)
        (work / SEARCH_INDEX).write_text(index_text, encoding="utf-8")
        report.search_index_bytes = len(index_text.encode())
        env = environment(opts, counts)
        (work / "index.html").write_text(env.get_template("home.html").render(
            root="", page="home", filters=_filters(plan)), encoding="utf-8")
        (work / "all.html").write_text(env.get_template("all.html").render(
            root="", page="all", groups=_groups(plan)), encoding="utf-8")
        old = read_manifest(out / MARKER)
        made, problems = write_pages(catalog, plan, opts, work, out, old, dot, counts, jobs, progress)
        report.pages, report.pictures, report.reused = len(made.keys), made.pictures, made.kept
        report.problems = [f"{path}: {why}" for path, why in sorted(problems.items())]
        (work / MARKER).write_text(json.dumps({"made by": "catalog site; replaced whole by the next run",
                                              "fingerprint": fingerprint(), "pages": made.keys}, sort_keys=True))
        os.chmod(work, 0o755)  # mkdtemp made it private; a web server must read it
        _swap(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _swap(new: Path, out: Path) -> None:
    """Put ``new`` where ``out`` is, the old site removed once the new one is in place."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
