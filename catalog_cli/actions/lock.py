"""``catalog lock`` and ``catalog why``: requirements resolved into a lock file, and
why an entry of it is there at its version."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import lockfile, pins, repos, versions
from ..errors import CatalogError, InputError, NotFound
from ..known import Known
from .packages import template_refusal
from ..model import Entry
from ..lockfile import Lock, LockedEntry, LockedRef
from ..pins import Pinner
from ..provider import locate, resolve
from ..requirements import Key, parse_requirement
from ..resolution import Resolution
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


def check(file: Path, settings: Settings, *, catalog: str | None = None, pinner: Pinner | None = None,
          warn: Callable[[str], None] = _quiet) -> Lock:
    """The lock in ``file``, after checking that the catalog (``catalog``, else the one
    the lock names) still has every locked version with its locked digest, and that
    each reference pinned from a tag or branch still names the pinned digest or commit
    (asked through ``pinner``, default the registry and git; not when offline).
    ``warn`` hears the catalog's own warnings (entries its index had to leave out) and
    each pin that could not be checked."""
    current = lockfile.read(file)
    lockfile.verify(_open(catalog or _first_source(current), settings, warn), current, repos.known(settings))
    if pinner is None and not settings.offline:
        pinner = pins.RemotePinner(settings)
    for line in lockfile.check_pins(current, pinner):
        warn(line)
    return current


def references(resolution: Resolution, catalog: Catalog, known: Known, pinner: Pinner | None,
               prior: Lock | None = None) -> dict[Key, tuple[LockedRef, ...]]:
    """The resolver references of each resolved entry: the locked entry each fetches (or
    why it is external) and what it is pinned to (or why not). A pin of ``prior`` for
    the same reference is kept without asking; ``pinner`` None asks nothing (offline)."""
    earlier = {r.ref: r for e in (prior.resolved if prior else ()) for r in e.references if r.pin}
    out: dict[Key, tuple[LockedRef, ...]] = {}
    for key, item in resolution.resolved.items():
        found = []
        for dep in item.entry.dependencies:
            if dep.via is None:
                continue
            where = locate(catalog, dep, known)
            target = (dep.kind or "Task", dep.name)
            kept = earlier.get(dep.via)
            pin, unpinned = (kept.pin, None) if kept else pins.pin(dep.via, pinner)
            found.append(LockedRef(dep.via, target if where.external is None and target in resolution.resolved
                                   else None, pin, where.external, unpinned))
        if found:
            out[key] = tuple(found)
    return out


def lock(file: Path, settings: Settings, requirements: Sequence[str] = (), *,
         catalog: str | None = None, tekton_version: str | None = None, upgrade: bool = False,
         replace: bool = False, bundles: Sequence[str] = (), pinner: Pinner | None = None,
         warn: Callable[[str], None] = _quiet) -> Lock:
    """Resolve ``requirements`` (``[REPO/][KIND/]NAME[@RANGE]``) together with those
    already in ``file`` (a requirement for the same name replaces the old one; with
    ``replace``, only the new ones), keeping the lock's versions and pins unless
    ``upgrade``, and write the lock to ``file``. No requirements: re-lock the file's own.

    The catalog is ``catalog``, else (re-locking) the one the lock names, else the
    default one; the Tekton version is ``tekton_version``, else the lock's. References
    through resolvers into the configured repos (``repos.known``, plus the bundle bases
    ``bundles``) are resolved like any dependency; every resolver reference is pinned
    by ``pinner`` (default: the registry and git, or nothing when offline). ``warn``
    hears the catalog's warnings when re-locking. Templates are refused (they are
    scaffolded, never installed). Nothing is written when resolution fails."""
    prior = None
    cat = None
    if not requirements and not file.exists():
        raise InputError("nothing to lock: name what to lock (`catalog lock NAME[@RANGE]...`) or give an "
                         "existing lock file with --file", str(file))
    if file.exists() and not (replace and requirements):
        prior = lockfile.read(file)
    if requirements:
        cat = open_catalog(catalog, settings)
        asked = [parse_requirement(r) for r in select(cat, list(requirements), settings)]  # REPO/NAME picks a repo
        names = {r.name for r in asked}
        kept = [r for r in (prior.requirements if prior else ()) if r.name not in names]
        reqs = kept + asked
    else:
        assert prior is not None
        reqs = list(prior.requirements)
    tekton_text = tekton_version or (prior.tekton_version if prior else None)
    tekton = versions.parse(tekton_text, "--tekton-version") if tekton_text else None
    location = catalog or (_first_source(prior) if prior else None)
    if cat is None:
        cat = _open(location, settings, warn)
    bases = tuple(bundles) or (prior.bundles if prior else ())
    known = repos.known(settings, bases)
    resolution = resolve(cat, reqs, tekton, None if upgrade else prior, known=known)
    _refuse_templates(resolution, file)
    if pinner is None and not settings.offline:
        pinner = pins.RemotePinner(settings)
    pinned = references(resolution, cat, known, pinner, None if upgrade else prior)
    signers = {key: cat.signed_by(r.entry) for key, r in resolution.resolved.items()}
    new = lockfile.from_resolution(resolution, references=pinned, bundles=bases, signers=signers)
    lockfile.write(new, file)
    return new


def _refuse_templates(resolution: Resolution, file: Path) -> None:
    for (kind, name), item in resolution.resolved.items():
        if kind == "Template":
            raise template_refusal(name, version=item.entry.version, where=str(file),
                                   tail=", so a lock has no place for them")


@dataclass(frozen=True)
class Why:
    """Why a locked entry is there at its version."""

    #: The locked entry; None for a reference fetched from outside every known catalog.
    entry: LockedEntry | None
    required_by: list[dict[str, str]]
    #: The newest version the catalog offers under the same constraints, when it could be asked.
    newest: str | None
    explanation: list[str]
    #: Why the catalog could not be compared with, if it could not.
    catalog_error: str | None = None
    #: The resolver references to it, as the lock writes them.
    references: list[dict[str, Any]] | None = None
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"kind": e.kind if e else None, "name": e.name if e else self.name,
                "version": e.version if e else None, "external": e is None,
                "requiredBy": self.required_by, "newest": self.newest, "explanation": self.explanation,
                "references": self.references or []}


def why(file: Path, name: str, settings: Settings, *, kind: str | None = None,
        catalog: str | None = None) -> Why:
    """Why ``name`` (of ``kind``) is in the lock in ``file`` at its version: who requires
    it with which range, and whether the catalog (``catalog``, else the one the entry
    came from) has a newer version that would do. A catalog that cannot be opened only
    leaves that last part out."""
    current = lockfile.read(file)
    refs_data = [{"by": f"{e.kind}/{e.name}", **_ref_data(current, e, r)}
                 for e, r in current.references_to(name, kind)]
    try:
        item = current.find(name, kind)
    except NotFound:
        return Why(None, [], None, current.why_external(name, kind), None, refs_data, name)
    refs_data = [r for r in refs_data if r.get("target") in (item.name, f"{item.kind}/{item.name}")]
    newest = error = None
    newer: tuple[Entry, ...] = ()
    try:
        cat = open_catalog(catalog or lockfile.catalog_location(item.source), settings)
        newest = lockfile.newest_for(cat, current, name, item.kind)
        newer = lockfile.newer_than_locked(cat, current, name, item.kind)
    except CatalogError as exc:
        error = str(exc)
    required_by = current.to_data()["resolved"][current.resolved.index(item)]["requiredBy"]
    return Why(item, required_by, newest, current.why(name, item.kind, newest, newer), error, refs_data)


def _ref_data(lock: Lock, entry: LockedEntry, ref: LockedRef) -> dict[str, Any]:
    """``ref`` as the lock file writes it."""
    at = lock.resolved.index(entry)
    data: dict[str, Any] = lock.to_data()["resolved"][at]["references"][entry.references.index(ref)]
    return data
