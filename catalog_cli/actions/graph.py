"""``catalog graph``: the picture of a Pipeline file, a lock file, or the dependency
closure of requirements resolved against a catalog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import lockfile, repos, yamlio
from ..errors import InputError
from ..graph.closure import from_lock, from_resolution
from ..graph.model import Graph
from ..graph.pipeline import PIPELINE_KINDS, pipeline_graph, pipeline_spec
from ..provider import resolve
from ..requirements import parse_requirement
from ..settings import Settings
from ..sources import open_catalog
from ..sources.open import select
from ..words import plural

YAML_SUFFIXES = (".yaml", ".yml")


def _documents(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(file, document) for every mapping in ``path`` (a file, or the YAML files of a folder)."""
    files = sorted(p for p in path.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file()) if path.is_dir() \
        else [path]
    return [(str(f), doc) for f in files for doc in yamlio.load_all(f) if isinstance(doc, dict)]


def _is_lock(doc: dict[str, Any]) -> bool:
    return doc.get("kind") == lockfile.KIND and doc.get("apiVersion") == lockfile.API_VERSION


def _embeds(run: dict[str, Any]) -> bool:
    spec = run.get("spec")
    return isinstance(spec, dict) and isinstance(spec.get("pipelineSpec"), dict)


def from_path(path: Path, pipeline: str | None = None) -> Graph:
    """The graph of a lock file, or of the one Pipeline (``pipeline`` names it when there
    are several) in a file or folder (``.tekton/``)."""
    docs = _documents(path)
    if any(_is_lock(d) for _, d in docs) and not path.is_dir():
        return from_lock(lockfile.read(path))
    runs = [(where, doc) for where, doc in docs if doc.get("kind") in PIPELINE_KINDS]
    drawable = [(where, doc) for where, doc in runs if doc.get("kind") == "Pipeline" or _embeds(doc)]
    if runs and not drawable:
        where, doc = runs[0]
        pipeline_spec(doc, where)  # raises, saying why that PipelineRun cannot be drawn
    found = [(where, doc, pipeline_spec(doc, where)[0]) for where, doc in drawable]
    if pipeline is not None:
        found = [f for f in found if f[2] == pipeline]
    if not found:
        wanted = f"Pipeline {pipeline!r}" if pipeline else "Pipeline (or PipelineRun with a pipelineSpec) nor lock"
        raise InputError(f"holds no {wanted}", str(path))
    if len(found) > 1:
        names = ", ".join(name for _, _, name in found)
        raise InputError(f"holds {plural(len(found), 'Pipeline')} ({names}): name one with --pipeline", str(path))
    where, doc, _ = found[0]
    return pipeline_graph(doc, where)


def closure(requirements: Sequence[str], settings: Settings, *, catalog: str | None = None) -> Graph:
    """The dependency closure of ``requirements`` (``[REPO/][KIND/]NAME[@RANGE]``) as
    ``catalog lock`` would resolve it, without writing anything."""
    cat = open_catalog(catalog, settings)
    reqs = [parse_requirement(r) for r in select(cat, list(requirements), settings)]
    return from_resolution(resolve(cat, reqs, known=repos.known(settings)))


def graph(targets: Sequence[str], settings: Settings, *, catalog: str | None = None,
          pipeline: str | None = None) -> Graph:
    """One existing path: its Pipeline or lock (see :func:`from_path`); otherwise the
    targets are requirements whose closure is drawn (see :func:`closure`)."""
    if not targets:
        raise InputError("nothing to draw: give a Pipeline file or folder, a lock file, or NAME[@RANGE]...")
    if len(targets) == 1 and Path(targets[0]).exists():
        return from_path(Path(targets[0]), pipeline)
    if pipeline is not None:
        raise InputError(f"--pipeline names a Pipeline in a file, and {targets[0]!r} is no file")
    return closure(targets, settings, catalog=catalog)
