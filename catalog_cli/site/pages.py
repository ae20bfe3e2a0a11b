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
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..graph.model import Graph
from ..graph.render import to_mermaid, to_svgs
from ..model import Entry
from .page import Options, Row, context, dependency_graph
from .plan import Plan, Resource, Shown, page_path, read_shown
from .readme_files import candidates, readme_path, site_path

if TYPE_CHECKING:
    from jinja2 import Environment, Template

    from ..sources.base import Catalog

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


def page_key(plan: Plan, shown: Shown, res: Resource, entry: Entry, shared: list[Any], graph: Graph | None,
             linked: list[tuple[str, str | None]]) -> str:
    """``shared``: what every page's key holds (the options, whether pictures are drawn);
    ``linked``: the files its README may link or show, with their digests (another
    version's among them)."""
    key = [*shared, entry.to_dict(), linked, [(e.version, e.deprecated) for e in res.versions],
           res.latest.version, [repr(plan.target(d)) for d in entry.dependencies],
           [(k, plan.by_key[k].latest.version) for k in plan.needed_by.get(res.key, [])],
           repr(graph), shown.problems.get(entry.path)]
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=repr).encode()).hexdigest()


# (plan, options, where to write, the earlier site, its page keys, dot, counts), set
# before workers fork so that they share it rather than each receiving a copy.
_JOB: tuple[Plan, Options, Path, Path, dict[str, str], str | None, dict[str, int]] | None = None


def _keep(old: Path, new: Path) -> None:
    try:
        os.link(old, new)
    except OSError:
        shutil.copyfile(old, new)


@dataclass
class Earlier:
    """The files of the earlier site, none reached through a link: someone who can write
    the published site must not make the next one take a file from elsewhere. Each
    folder is resolved once."""

    site: Path
    _folders: dict[str, bool] = field(default_factory=dict)

    def file(self, rel: str) -> Path | None:
        """``rel`` in the earlier site, when it is a regular file reached through no link."""
        folder = rel.rpartition("/")[0]
        plain = self._folders.get(folder)
        if plain is None:
            top = self.site.resolve()
            plain = self._folders[folder] = (self.site / folder).resolve() == (top / folder if folder else top)
        source = self.site / rel
        try:
            mode = source.lstat().st_mode
        except OSError:
            return None
        return source if plain and stat.S_ISREG(mode) else None


def _keep_files(earlier: Earlier, folder: str, out: Path, rels: list[str]) -> None:
    """The copies of files a kept page's README links or shows (``rels``, from its folder
    ``folder``) that the earlier site holds and the new one (``out``) not yet."""
    for rel in rels:
        source, into = earlier.file(f"{folder}/{rel}"), out / folder / rel
        if source is not None and not into.exists():
            into.parent.mkdir(parents=True, exist_ok=True)
            _keep(source, into)


def _write_copies(folder: Path, copies: dict[str, bytes]) -> None:
    """The files a page's README links or shows, beside it (paths checked by readme_files)."""
    for rel, data in copies.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass
class Made:
    """What a batch of pages came to: their keys, the pictures drawn, the pages kept."""

    keys: dict[str, str] = field(default_factory=dict)
    pictures: int = 0
    kept: int = 0


def _pages(task: tuple[Sequence[int], Shown]) -> Made:
    """Write the pages of the resources at ``indexes``, whose files ``shown`` holds."""
    assert _JOB is not None
    indexes, shown = task
    plan, opts, out, old_site, old, dot, counts = _JOB
    template = _template(opts, tuple(sorted(counts.items())))
    from markupsafe import Markup

    result = Made()
    shared = [dataclasses.asdict(opts), dot is not None]
    made: list[tuple[str, dict[str, Any], list[Graph]]] = []
    readmes: dict[bytes, str] = {}
    folders: set[str] = set()
    earlier = Earlier(old_site)
    kept_files: list[tuple[str, list[str]]] = []  # kept pages' folders, and the copies their READMEs may need
    for i in indexes:
        res = plan.resources[i]
        named = {f.path: f.digest for e in res.versions for f in e.files}
        for entry in res.versions:
            rel = page_path(entry.kind, entry.name, entry.version)
            folder = rel.rpartition("/")[0]
            if folder not in folders:
                (out / folder).mkdir(parents=True, exist_ok=True)
                folders.add(folder)
            graph = dependency_graph(plan, res, entry)
            readme = shown.files.get(readme_path(entry))
            linked = candidates(readme.decode("utf-8", errors="replace"), entry) if readme is not None else []
            key = result.keys[rel] = page_key(plan, shown, res, entry, shared, graph,
                                              [(p, named.get(p)) for p in linked])
            kept = earlier.file(rel) if old.get(rel) == key else None
            if kept is not None:
                _keep(kept, out / rel)
                result.kept += 1
                kept_files.append((folder, [site_path(p, entry) for p in linked]))
                continue
            ctx, graphs, copies = context(plan, shown, res, entry, opts, graph, readmes)
            _write_copies(out / folder, copies)
            made.append((rel, ctx, graphs))
    for folder, rels in kept_files:
        _keep_files(earlier, folder, out, rels)
    every = [g for _, _, graphs in made for g in graphs]
    svgs = to_svgs(every, dot) if dot else []
    result.pictures = len(every)
    at = 0
    for rel, ctx, graphs in made:
        pictures = []
        for g in graphs:
            svg = Markup(svgs[at]) if dot else None  # cleaned by graph.svgsafe
            at += 1
            pictures.append(Row(title=g.title, svg=svg, mermaid=None if dot else to_mermaid(g)))
        ctx["readme"] = Markup(ctx["readme"]) if ctx["readme"] is not None else None  # nh3 cleaned it
        with open(out / rel, "w", encoding="utf-8") as f:
            f.write(template.render(ctx, page="version", pictures=pictures))
    return result


@lru_cache(maxsize=1)
def _template(opts: Options, counts: tuple[tuple[str, int], ...]) -> Template:
    """The page template, compiled once per process (made before workers fork)."""
    return environment(opts, dict(counts)).get_template("version.html")


def _worker_start() -> None:
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


def write_pages(catalog: Catalog, plan: Plan, opts: Options, out: Path, old_site: Path, old: dict[str, str],
                dot: str | None, counts: dict[str, int], jobs: int,
                progress: Callable[[int, int], None] | None = None) -> tuple[Made, dict[str, str]]:
    """Every version's page under ``out``: what they came to, and the files that could
    not be read (entry path -> why). This process reads the files a batch of pages show
    and hands them to the process making those pages, which starts on them while the
    next batch is read."""
    global _JOB
    _JOB = (plan, opts, out, old_site, old, dot, counts)
    _template(opts, tuple(sorted(counts.items())))
    problems: dict[str, str] = {}
    total, done = counts["versions"], 0

    def batches() -> Iterator[tuple[list[int], Shown]]:
        nonlocal done
        for chunk in _chunks(plan, max(1, jobs)):
            entries = [e for i in chunk for e in plan.resources[i].versions]
            shown = read_shown(catalog, entries)
            problems.update(shown.problems)
            done += len(entries)
            if progress is not None:
                progress(done, total)
            yield chunk, shown

    made = Made()
    try:
        if jobs <= 1 or counts["versions"] < PARALLEL_FROM:
            parts = [_pages(batch) for batch in batches()]
        else:
            parts = _in_workers(batches(), jobs)
        for part in parts:
            made.keys.update(part.keys)
            made.pictures += part.pictures
            made.kept += part.kept
        return made, problems
    finally:
        _JOB = None


def _in_workers(batches: Iterator[tuple[list[int], Shown]], jobs: int) -> list[Made]:
    """Each batch made by one of ``jobs`` forked workers, read here (in this thread:
    a catalog's reader need not be safe in another one) as they work."""
    import gc
    import multiprocessing

    # What exists now is shared with the workers until either side writes to it; the
    # collector would write to every object it visits (and visit them all, again and
    # again), so it leaves them alone from here on.
    gc.freeze()
    pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_start)
    try:
        pending = [pool.apply_async(_pages, (batch,)) for batch in batches]
        parts = [p.get() for p in pending]
        pool.close()  # workers leave when the queue is empty: nothing killed half-way
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        gc.unfreeze()
    return parts
