"""render: the objects an install would apply (``diff`` compares them with the cluster);
``render --bundles``: Pipelines that fetch their Tasks as Tekton bundles, pinned by digest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import pins
from ..manifests import objects_for
from ..refs import ResolverRef, find_refs
from ..requirements import parse_requirement
from ..sources.base import Catalog
from ..versions import parse
from .packages import load_packages, resolve_entries

if TYPE_CHECKING:
    from ..known import Known
    from ..lockfile import Lock


def render(catalog: Catalog, requirements: Sequence[str], namespace: str,
           tekton_version: str | None = None, *, known: Known | None = None,
           locked: Lock | None = None) -> list[dict[str, Any]]:
    """Every object ``install`` would apply in ``namespace``; no cluster needed. ``known``
    and ``locked`` as for install: which resolver references are dependencies, and
    the exact versions to take."""
    reqs = [str(parse_requirement(r)) for r in requirements]
    tekton = parse(tekton_version.lstrip("v"), "--tekton-version") if tekton_version else None
    entries, _ = resolve_entries(catalog, reqs, tekton, locked, known)
    return [obj for pkg in load_packages(catalog, entries) for obj in objects_for(pkg, namespace)]


@dataclass(frozen=True)
class Bundled:
    """Rendered objects whose Pipelines fetch Tasks as bundles; ``unpinned``: one line
    for each bundle left on its tag, saying why."""

    objects: list[dict[str, Any]]
    unpinned: list[str]


def with_bundles(objects: list[dict[str, Any]], base: str, keep: frozenset[str] = frozenset(), *,
                 pinner: pins.Pinner | None = None, locked: Lock | None = None) -> Bundled:
    """``objects`` with each Pipeline's Tasks fetched from ``BASE/NAME:VERSION``
    (``oci.bundle.bundle_task_refs``: the Tasks so fetched are left out unless named in
    ``keep``), then every bundles reference pinned by digest: from ``locked`` when it
    pinned that bundle, else asked of the registry through ``pinner`` (None: offline)."""
    from ..oci.bundle import bundle_task_refs

    out = bundle_task_refs(objects, base, keep)
    from_lock = {str(r.ref.image): r.pin for e in (locked.resolved if locked else ()) for r in e.references
                 if r.ref.resolver == "bundles" and r.ref.image and r.pin}
    digests: dict[str, str] = {}
    unpinned: dict[str, str] = {}
    for ref in _bundle_refs(out):
        image = str(ref.image)
        if image in digests or image in unpinned:
            continue
        digest, why = (from_lock[image], None) if image in from_lock else pins.pin(ref, pinner)
        if digest:
            digests[image] = digest
        else:
            unpinned[image] = f"{image}: unpinned: {why}"
    return Bundled(pin_bundles(out, digests), list(unpinned.values()))


def _bundle_refs(objects: list[dict[str, Any]]) -> list[ResolverRef]:
    """The bundles references of ``objects`` still on a tag."""
    return [site.ref for obj in objects for site in find_refs(obj)
            if isinstance(site.ref, ResolverRef) and site.ref.resolver == "bundles" and site.ref.image
            and site.ref.pin is None and not site.ref.parameterised]


def pin_bundles(objects: list[dict[str, Any]], digests: Mapping[str, str]) -> list[dict[str, Any]]:
    """``objects`` with each bundles reference to an image in ``digests`` (``REG/REPO:TAG``)
    written ``REG/REPO:TAG@sha256:...``; the objects given are not changed."""
    import copy

    out = []
    for obj in objects:
        sites = [s for s in find_refs(obj) if isinstance(s.ref, ResolverRef) and s.ref.resolver == "bundles"
                 and s.ref.pin is None and str(s.ref.image) in digests]
        if sites:
            obj = copy.deepcopy(obj)
        for site in sites:
            assert isinstance(site.ref, ResolverRef)
            raw: Any = obj
            for part in site.path:
                raw = raw[part]
            value = f"{site.ref.image}@{digests[str(site.ref.image)]}"
            if site.ref.legacy:
                raw["bundle"] = value
            else:
                for p in raw["params"]:
                    if isinstance(p, dict) and p.get("name") == "bundle":
                        p["value"] = value
        out.append(obj)
    return out
