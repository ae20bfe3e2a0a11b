"""``catalog lock`` and ``catalog why``: requirements resolved into a lock file, and
why an entry of it is there at its version."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import lockfile, versions
from ..errors import CatalogError
from ..lockfile import Lock, LockedEntry
from ..provider import resolve
from ..requirements import parse_requirement
from ..settings import Settings
from ..sources import Catalog, open_catalog
from ..sources.open import select


def _quiet(warning: str) -> None:
    pass


def _first_source(lock: Lock) -> str | None:
    """The catalog a lock's first entry came from: where to look when none is given."""
    return lockfile.catalog_location(lock.resolved[0].source) if lock.resolved else None


def _open(location: str | None, settings: Settings, warn: Callable[[str], None]) -> Catalog:
    catalog = open_catalog(location, settings)
    for w in catalog.warnings:
        warn(w)
    return catalog


def check(file: Path, settings: Settings, *, catalog: str | None = None,
          warn: Callable[[str], None] = _quiet) -> Lock:
    """The lock in ``file``, after checking that the catalog (``catalog``, else the one
    the lock names) still has every locked version with its locked digest. ``warn``
    hears the catalog's own warnings (entries its index had to leave out)."""
    current = lockfile.read(file)
    lockfile.verify(_open(catalog or _first_source(current), settings, warn), current)
    return current


def lock(file: Path, settings: Settings, requirements: Sequence[str] = (), *,
         catalog: str | None = None, tekton_version: str | None = None, upgrade: bool = False,
         warn: Callable[[str], None] = _quiet) -> Lock:
    """Resolve ``requirements`` (``[REPO/][KIND/]NAME[@RANGE]``; none: those already in
    ``file``, keeping its versions unless ``upgrade``) and write the lock to ``file``.

    The catalog is ``catalog``, else (re-locking) the one the lock names, else the
    default one; the Tekton version is ``tekton_version``, else the lock's. ``warn``
    hears the catalog's warnings when re-locking. Nothing is written when resolution
    fails."""
    prior = None
    cat = None
    if requirements:
        cat = open_catalog(catalog, settings)
        reqs = [parse_requirement(r) for r in select(cat, list(requirements), settings)]  # REPO/NAME picks a repo
    else:
        prior = lockfile.read(file)
        reqs = list(prior.requirements)
    tekton_text = tekton_version or (prior.tekton_version if prior else None)
    tekton = versions.parse(tekton_text, "--tekton-version") if tekton_text else None
    location = catalog or (_first_source(prior) if prior else None)
    resolution = resolve(cat if cat is not None else _open(location, settings, warn), reqs, tekton,
                         None if upgrade else prior)
    new = lockfile.from_resolution(resolution)
    lockfile.write(new, file)
    return new


@dataclass(frozen=True)
class Why:
    """Why a locked entry is there at its version."""

    entry: LockedEntry
    required_by: list[dict[str, str]]
    #: The newest version the catalog offers under the same constraints, when it could be asked.
    newest: str | None
    explanation: list[str]
    #: Why the catalog could not be compared with, if it could not.
    catalog_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.entry.kind, "name": self.entry.name, "version": self.entry.version,
                "requiredBy": self.required_by, "newest": self.newest, "explanation": self.explanation}


def why(file: Path, name: str, settings: Settings, *, kind: str | None = None,
        catalog: str | None = None) -> Why:
    """Why ``name`` (of ``kind``) is in the lock in ``file`` at its version: who requires
    it with which range, and whether the catalog (``catalog``, else the one the entry
    came from) has a newer version that would do. A catalog that cannot be opened only
    leaves that last part out."""
    current = lockfile.read(file)
    item = current.find(name, kind)
    newest = error = None
    try:
        cat = open_catalog(catalog or lockfile.catalog_location(item.source), settings)
        newest = lockfile.newest_for(cat, current, name, item.kind)
    except CatalogError as exc:
        error = str(exc)
    required_by = current.to_data()["resolved"][current.resolved.index(item)]["requiredBy"]
    return Why(item, required_by, newest, current.why(name, item.kind, newest), error)
