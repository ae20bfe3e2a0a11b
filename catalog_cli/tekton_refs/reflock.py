"""The lock of a ``.tekton/`` folder: each resolved reference with what it is pinned to.

``catalog lock .tekton/`` writes it (``catalog-refs.lock`` beside the folder)::

    # Written by `catalog lock .tekton/`; do not edit by hand.
    apiVersion: catalog.dev/v1
    kind: ReferenceLock
    references:
    - kind: Task
      name: git-clone
      resolver: bundles
      version: '0.2'
      params: {bundle: registry.example/acme/git-clone:0.2, name: git-clone, kind: task}
      tag: registry.example/acme/git-clone:0.2     # what names the content: a bundle tag,
      digest: sha256:...                           # or a git tag (commit: ...)
      files: [.tekton/on-push.yaml]

``update --locked`` asks the registry and git again for every tag the lock records and
refuses, before writing anything, when one names other content than the lock says (a
re-pushed bundle tag, a moved git tag). Branches move by design and are not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import PREFIX, yamlio
from ..errors import CatalogError, DigestMismatch, InputError, NotFound
from ..refs import ResolverRef, is_commit, is_digest, shown
from .lookup import Remote, Status

API_VERSION = f"{PREFIX}/v1"
KIND = "ReferenceLock"
FILE_NAME = "catalog-refs.lock"


@dataclass(frozen=True)
class Locked:
    """One reference: ``tag`` is the mutable name it was resolved through (a bundle's
    ``REG/REPO:TAG``, a git tag ``URL@TAG``), ``pin`` what that named when locked."""

    ref: ResolverRef
    version: str | None
    tag: str | None
    pin: str | None
    unpinned: str | None
    files: tuple[str, ...]

    def to_data(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.ref.kind, "name": self.ref.name, "resolver": self.ref.resolver,
                             "version": self.version, "params": dict(self.ref.identity().params)}
        if self.tag:
            d["tag"] = self.tag
        if self.pin:
            d["commit" if self.ref.resolver == "git" else "digest"] = self.pin
        if self.unpinned:
            d["unpinned"] = self.unpinned
        d["files"] = list(self.files)
        return d


def lock_path(root: Path) -> Path:
    folder = root if root.is_dir() else root.parent
    return folder.resolve().parent / FILE_NAME


def _git_tag(s: Status, remote: Remote | None) -> str | None:
    """The release tag a git reference names (its revision, or the tag of its commit)."""
    ref = s.ref.ref
    assert isinstance(ref, ResolverRef)
    if not ref.url or remote is None:
        return None
    try:
        tags = remote.git_tags(ref.url)
    except CatalogError:
        return None
    revision = ref.revision or ""
    if revision in tags:
        return revision
    if is_commit(revision):  # a tag naming this version first, else any tag of the commit
        named = sorted(t for t, sha in tags.items() if sha == revision)
        same = [t for t in named if s.version is not None and t.lstrip("v") == s.version.lstrip("v")]
        chosen = same or named
        return chosen[0] if chosen else None
    return None


def resolve(statuses: Sequence[Status], remote: Remote | None, root: Path) -> list[Locked]:
    """Each distinct resolver reference, with its pin (asked when it pins none itself)."""
    from ..pins import pin

    seen: dict[ResolverRef, Locked] = {}
    base = root.resolve().parent
    for s in statuses:
        ref = s.ref.ref
        if not isinstance(ref, ResolverRef) or ref.resolver == "file" or s.ref.item is not None:
            continue
        try:
            file = Path(s.ref.file).resolve().relative_to(base).as_posix()
        except ValueError:
            file = s.ref.file
        key = ref.identity()
        if key in seen:
            old = seen[key]
            if file not in old.files:
                seen[key] = Locked(old.ref, old.version, old.tag, old.pin, old.unpinned, (*old.files, file))
            continue
        tag = None  # recorded, so never with the credentials a location may carry (refs.shown)
        if ref.resolver == "bundles" and ref.image is not None and ref.image.tag:
            tag = shown(f"{ref.image.base}:{ref.image.tag}")
        elif ref.resolver == "git":
            name = _git_tag(s, remote)
            tag = f"{shown(ref.url or '')}@{name}" if name else None
        found, why = pin(ref, remote)
        if found is None and tag and ref.image is not None and remote is not None:
            try:
                found, why = remote.bundle_digest(f"{ref.image.base}:{ref.image.tag}"), None
            except CatalogError as exc:
                why = exc.message
        seen[key] = Locked(key, s.version, tag, found, why, (file,))
    return list(seen.values())


def dumps(items: Sequence[Locked]) -> str:
    data = {"apiVersion": API_VERSION, "kind": KIND, "references": [i.to_data() for i in items]}
    return "# Written by `catalog lock .tekton/`; do not edit by hand.\n" + yamlio.dump(data)


def read(path: Path) -> dict[str, str]:
    """The lock's tags -> pins; an InputError names the file and field at fault."""
    where = str(path)
    if not path.is_file():
        raise NotFound("no lock file (run `catalog lock .tekton/` first)", where)
    data = yamlio.load_one(path)
    if not isinstance(data, dict) or data.get("kind") != KIND or data.get("apiVersion") != API_VERSION:
        raise InputError(f"not a reference lock (expected apiVersion {API_VERSION}, kind {KIND})", where)
    refs = data.get("references")
    if not isinstance(refs, list):
        raise InputError("references must be a list", where)
    out = {}
    for i, item in enumerate(refs):
        if not isinstance(item, dict):
            raise InputError(f"references[{i}] must be a mapping", where)
        tag, resolver = item.get("tag"), item.get("resolver")
        pin = item.get("commit" if resolver == "git" else "digest")
        if tag is None or pin is None:
            continue
        ok = is_commit(str(pin)) if resolver == "git" else is_digest(str(pin), "bundles")
        if not isinstance(tag, str) or not isinstance(pin, str) or not ok:
            raise InputError(f"references[{i}]: tag and pin must be a tag and a digest or commit", where)
        out[tag] = pin
    return out


def check(locked: dict[str, str], remote: Remote, where: str) -> None:
    """DigestMismatch when a tag the lock records names other content now."""
    for tag, pin in locked.items():
        if "://" not in tag:  # REGISTRY/REPO:TAG
            now = remote.bundle_digest(tag)
        else:  # a git URL@TAG
            url, _, name = tag.rpartition("@")
            now = remote.git_tags(url).get(name) or remote.git_commit(url, name)
        if now != pin:
            raise DigestMismatch(f"{tag} now names {now}, the lock has {pin} (re-pushed or moved?); "
                                 "run `catalog lock .tekton/` to accept it", where)
