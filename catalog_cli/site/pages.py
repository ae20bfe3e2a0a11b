"""A page per version, made in this process or in worker processes, each page kept
from the earlier site when nothing it shows has changed.

A page's key is a digest of everything it shows: the templates and assets, the
options, its entry (the digests of its files with it), its resource's versions, where
its dependencies lead, what needs it, its picture, and what could not be read. Pages
whose key is the one the earlier site recorded are hard-linked (or copied) from it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..graph.model import Graph
from ..graph.render import to_mermaid, to_svgs
from .page import Options, context, dependency_graph
from .plan import Plan, Resource, page_path

if TYPE_CHECKING:
    from jinja2 import Environment

#: Below this many versions one process is quicker than starting workers.
PARALLEL_FROM = 400
HERE = Path(__file__).parent


def environment(opts: Options, counts: dict[str, int]) -> Environment:
    """Jinja2 with autoescape on for every template: each value is HTML-escaped unless
    it is ``Markup`` (only the sanitised README and the cleaned SVG are)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(site_title=opts.title, counts=counts)
    return env


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Changes whenever the code that makes a page may: the templates, the assets and
    every module of the package (half a megabyte: a few milliseconds to read)."""
    h = hashlib.sha256()
    files = [*sorted((HERE / "templates").iterdir()), *sorted((HERE / "static").iterdir()),
             *sorted(HERE.parent.rglob("*.py"))]
    for f in files:
        h.update(f.relative_to(HERE.parent).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def read_manifest(marker: Path) -> dict[str, str]:
    """The page keys an earlier site recorded; none when there is no such site, or it
    was made by other code (its fingerprint differs) or its marker does not parse."""
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint() or not isinstance(data.get("pages"), dict):
        return {}
    return {str(k): str(v) for k, v in data["pages"].items()}


def page_key(plan: Plan, res: Resource, entry: Any, opts: Options, graph: Graph | None, dot: bool) -> str:
    shown = [dataclasses.asdict(opts), dot, entry.to_dict(), [(e.version, e.deprecated) for e in res.versions],
             res.latest.version, [repr(plan.target(d)) for d in entry.dependencies],
             [(k, plan.by_key[k].latest.version) for k in plan.needed_by.get(res.key, [])],
             repr(graph), plan.problems.get(entry.path)]
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=repr).encode()).hexdigest()


# (plan, options, where to write, the earlier site, its page keys, dot, counts), set
# before workers fork so that they share it rather than each receiving a copy.
_JOB: tuple[Plan, Options, Path, Path, dict[str, str], str | None, dict[str, int]] | None = None


def _keep(old: Path, new: Path) -> None:
    new.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(old, new)
    except OSError:
        shutil.copyfile(old, new)


def _pages(indexes: Sequence[int]) -> tuple[dict[str, str], int, int]:
    """Write the pages of the resources at ``indexes``: (their keys, pictures drawn, pages kept)."""
    assert _JOB is not None
    plan, opts, out, old_site, old, dot, counts = _JOB
    template = environment(opts, counts).get_template("version.html")
    from markupsafe import Markup

    keys: dict[str, str] = {}
    made: list[tuple[str, dict[str, Any], list[Graph]]] = []
    kept = 0
    for i in indexes:
        res = plan.resources[i]
        for entry in res.versions:
            rel = page_path(entry.kind, entry.name, entry.version)
            keys[rel] = page_key(plan, res, entry, opts, dependency_graph(plan, res, entry), dot is not None)
            if old.get(rel) == keys[rel] and (old_site / rel).is_file():
                _keep(old_site / rel, out / rel)
                kept += 1
                continue
            ctx, graphs = context(plan, res, entry, opts)
            made.append((rel, ctx, graphs))
    every = [g for _, _, graphs in made for g in graphs]
    svgs = to_svgs(every, dot) if dot else []
    at = 0
    for rel, ctx, graphs in made:
        pictures = []
        for g in graphs:
            svg = Markup(svgs[at]) if dot else None  # cleaned by graph.svgsafe
            at += 1
            pictures.append({"title": g.title, "svg": svg, "mermaid": None if dot else to_mermaid(g)})
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        ctx["readme"] = Markup(ctx["readme"]) if ctx["readme"] is not None else None  # nh3 cleaned it
        path.write_text(template.render(ctx, page="version", pictures=pictures), encoding="utf-8")
    return keys, len(every), kept


def _worker_signals() -> None:
    """Workers die of SIGTERM as Pool.terminate expects (the command's own handler, which
    turns it into an exception to undo changes, is inherited by fork: a worker caught
    by it while holding the pool's queue lock hung its sibling and the command), and
    leave Ctrl-C to the parent, which stops them."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunks(plan: Plan, n: int) -> list[list[int]]:
    """Resources dealt to ``n`` workers in turns, so each gets big and small ones."""
    order = sorted(range(len(plan.resources)), key=lambda i: -len(plan.resources[i].versions))
    per = max(1, min(64, len(order) // (n * 8) or 1))
    return [order[i:i + per] for i in range(0, len(order), per)]


def write_pages(plan: Plan, opts: Options, out: Path, old_site: Path, old: dict[str, str], dot: str | None,
                counts: dict[str, int], jobs: int) -> tuple[dict[str, str], int, int]:
    """Every version's page under ``out``: (page keys, pictures drawn, pages kept from ``old_site``)."""
    global _JOB
    _JOB = (plan, opts, out, old_site, old, dot, counts)
    try:
        if jobs <= 1 or counts["versions"] < PARALLEL_FROM:
            return _pages(range(len(plan.resources)))
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_signals)
        try:
            done = pool.map(_pages, _chunks(plan, jobs), chunksize=1)
            pool.close()  # workers leave when the queue is empty: nothing killed half-way
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
        keys: dict[str, str] = {}
        for part, _, _ in done:
            keys.update(part)
        return keys, sum(d[1] for d in done), sum(d[2] for d in done)
    finally:
        _JOB = None
