"""``catalog.lock``: the exact versions, digests and sources a resolution chose.

A lock is YAML, written through yamlio (never by string concatenation)::

    apiVersion: catalog.dev/v1
    kind: Lock
    requirements: [deploy-pipeline@^1.0]     # as the user gave them
    tektonVersion: 0.59.0                    # the cluster version resolved for, or null
    bundles: [registry.example/cat]          # bundle bases taken as catalog sources (lock --bundles)
    resolved:                                # install order: dependencies first
    - kind: Task
      name: kubectl-deploy
      version: '0.2'
      digest: sha256:...
      source: builtin                        # the catalog location; builtin for the built-in one
      signedBy: sha256:...                   # the key whose signature of its index was verified
                                             # (repos added with --trust-key); absent when unsigned
      dependencies: []                       # names (kind/name when a name has two kinds here)
      requiredBy:
      - {kind: Pipeline, name: deploy-pipeline, range: ^0.2}
      - {requirement: kubectl-deploy@^0.2}   # one of the user's requirements
      - {kind: Pipeline, name: ci, range: =0.2.0, via: bundles}   # through a resolver
      references:                            # what it fetches through resolvers (see refs)
      - resolver: bundles
        kind: Task
        name: git-clone
        params: {bundle: registry.example/cat/git-clone:0.2, name: git-clone, kind: task}
        target: git-clone                    # the locked entry it is; absent when external
        digest: sha256:...                   # what it is pinned to: a bundle's or http digest,
      - resolver: hub                        # or a git commit (commit: ...)
        ...
        external: hub catalog 'tekton-catalog-tasks' is no configured repo
        unpinned: a hub reference names a version, not content

Installing from a lock (:func:`check_locked`) takes exactly those entries and refuses
one whose digest in the catalog is no longer the locked one, and one locked as signed
that the catalog now gives unsigned. ``signedBy`` is optional: locks written before it
read as unsigned, and readers before it ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import PREFIX, versions, yamlio
from .errors import CatalogError, DigestMismatch, InputError, NotFound, ResolutionError, SignatureError
from .model import Entry, canonical_kind
from .refs import ResolverRef, is_commit, is_digest
from .provider import newest_allowed, resolve
from .requirements import Key, Requirement, parse_requirement
from .resolution import Chosen, Link, Resolution, explain_choice, find_key
from .sources.base import Catalog

if TYPE_CHECKING:
    from .known import Known
    from .pins import Pinner

API_VERSION = f"{PREFIX}/v1"
KIND = "Lock"
DEFAULT_FILE = "catalog.lock"
BUILTIN = "builtin"
#: A key id as ``catalog keygen`` prints it and signatures name it.
_KEYID = re.compile(r"sha256:[0-9a-f]{64}")
#: The field a reference's pin is written in, by resolver: git pins a commit.
PIN_FIELDS = {"git": "commit", "bundles": "digest", "http": "digest"}


@dataclass(frozen=True)
class LockedRef:
    """A reference a locked entry makes through a resolver: ``target``, the locked entry
    it fetches (None: external, ``external`` says why); ``pin``, the digest (bundles,
    http) or commit (git) it is pinned to, or None with the reason in ``unpinned``."""

    ref: ResolverRef
    target: Key | None = None
    pin: str | None = None
    external: str | None = None
    unpinned: str | None = None

    def describe(self) -> str:
        """``bundles REG/REPO:TAG, pinned to sha256:...`` or ``..., unpinned: why``."""
        pinned = f"pinned to {self.pin}" if self.pin else f"unpinned: {self.unpinned}"
        return f"{self.ref.describe()}, {pinned}"


@dataclass(frozen=True)
class LockedEntry:
    kind: str
    name: str
    version: str
    digest: str
    source: str
    dependencies: tuple[Key, ...] = ()
    required_by: tuple[Link, ...] = ()
    references: tuple[LockedRef, ...] = ()
    #: The id of the key whose signature vouched for it when it was locked; None: unsigned.
    signed_by: str | None = None

    @property
    def key(self) -> Key:
        return (self.kind, self.name)


@dataclass(frozen=True)
class Lock:
    requirements: tuple[Requirement, ...]
    tekton_version: str | None
    resolved: tuple[LockedEntry, ...]
    path: str | None = field(default=None, compare=False)
    #: Bundle bases given for the resolution (``lock --bundles``): resolving again
    #: (``--check``, ``install --locked``) follows the same references.
    bundles: tuple[str, ...] = ()

    def find(self, name: str, kind: str | None = None) -> LockedEntry:
        items = {e.key: e for e in self.resolved}
        try:
            return items[find_key(items, name, kind)]
        except NotFound:
            raise NotFound(f"{name} is not in the lock", self.path) from None

    def references_to(self, name: str, kind: str | None = None) -> list[tuple[LockedEntry, LockedRef]]:
        """Every reference through a resolver to ``name`` (of ``kind``), with the locked
        entry that makes it."""
        return [(e, r) for e in self.resolved for r in e.references
                if r.ref.name == name and (kind is None or r.ref.kind == kind)]

    def why(self, name: str, kind: str | None = None, newest: str | None = None,
            newer: Sequence[Entry] = ()) -> list[str]:
        """Why ``name`` is locked at its version (see ``Resolution.why``); ``newest`` is
        the newest version the catalog offers under the same constraints, when known;
        ``newer`` the catalog's versions newer than the locked one, each then said what
        rules it out."""
        item = self.find(name, kind)
        graph = {e.key: (e.version, e.required_by) for e in self.resolved}
        lines = explain_choice(item.key, Chosen(item.version, item.required_by, graph),
                               self.tekton_version, newest, newer)
        return lines + [f"{item.name} {item.version}: {by.name} {by.version} fetches it through {r.describe()}"
                        for by, r in self.references_to(item.name, item.kind) if r.target == item.key]

    def why_external(self, name: str, kind: str | None = None) -> list[str]:
        """Why ``name``, not itself locked, is still part of what runs: the locked entries
        that fetch it through a resolver from outside every known catalog. NotFound
        when none does."""
        found = [(e, r) for e, r in self.references_to(name, kind) if r.target is None]
        if not found:
            raise NotFound(f"{name} is not in the lock", self.path)
        return [f"{name}: {e.name} {e.version} fetches it through {r.describe()}; not resolved: "
                f"{r.external or 'external'}" for e, r in found]

    def to_data(self) -> dict[str, Any]:
        names = [e.name for e in self.resolved]

        def ref(key: Key) -> str:
            return key[1] if names.count(key[1]) == 1 else f"{key[0]}/{key[1]}"

        def by(link: Link) -> dict[str, str]:
            if link.by is None:
                return {"requirement": link.requirement or ""}
            d = {"kind": link.by[0], "name": link.by[1], "range": link.range}
            return d | ({"via": link.via} if link.via else {})

        def reference(r: LockedRef) -> dict[str, Any]:
            d: dict[str, Any] = {"resolver": r.ref.resolver, "kind": r.ref.kind, "name": r.ref.name,
                                 "params": dict(r.ref.params)}
            if r.ref.legacy:
                d["legacy"] = True
            if r.target is not None:
                d["target"] = ref(r.target)
            if r.pin is not None:
                d[PIN_FIELDS.get(r.ref.resolver, "digest")] = r.pin
            for key, value in (("external", r.external), ("unpinned", r.unpinned)):
                if value:
                    d[key] = value
            return d

        def entry(e: LockedEntry) -> dict[str, Any]:
            d = {"kind": e.kind, "name": e.name, "version": e.version, "digest": e.digest,
                 "source": e.source, **({"signedBy": e.signed_by} if e.signed_by else {}),
                 "dependencies": [ref(k) for k in e.dependencies],
                 "requiredBy": [by(link) for link in e.required_by]}
            return d | ({"references": [reference(r) for r in e.references]} if e.references else {})

        return {
            "apiVersion": API_VERSION,
            "kind": KIND,
            "requirements": [str(r) for r in self.requirements],
            "tektonVersion": self.tekton_version,
            **({"bundles": list(self.bundles)} if self.bundles else {}),
            "resolved": [entry(e) for e in self.resolved],
        }


def source_name(location: str) -> str:
    """How a lock names a catalog: ``builtin`` for the built-in one, else its location."""
    from .sources.folder import builtin_root

    if not location.startswith(("http://", "https://")):
        try:
            if Path(location).resolve() == builtin_root().resolve():
                return BUILTIN
        except OSError:
            pass
    return location


def catalog_location(source: str) -> str | None:
    """The inverse of :func:`source_name`, for ``open_catalog``."""
    return None if source == BUILTIN else source


def from_resolution(resolution: Resolution, catalog: Catalog | None = None,
                    references: Mapping[Key, tuple[LockedRef, ...]] | None = None,
                    bundles: tuple[str, ...] = (), signers: Mapping[Key, str | None] | None = None) -> Lock:
    """The lock of ``resolution``. With the ``catalog`` it came from, every entry is first
    loaded through the catalog's checks, so a forged entry is never locked, and the key
    that signed each is recorded (``signers`` gives them without loading anything).
    ``references`` are the pinned resolver references of each entry (``actions.lock``);
    ``bundles`` the bundle bases the resolution took as catalog sources."""
    signed = dict(signers or {})
    if catalog is not None:
        for key, r in resolution.resolved.items():
            catalog.load(r.entry)
            signed.setdefault(key, catalog.signed_by(r.entry))
    source = source_name(resolution.source)
    items = tuple(
        LockedEntry(r.entry.kind, r.entry.name, r.entry.version, r.entry.digest, source,
                    r.dependencies, r.required_by, (references or {}).get(key, ()), signed.get(key))
        for key, r in resolution.resolved.items()
    )
    tekton = str(resolution.tekton_version) if resolution.tekton_version is not None else None
    return Lock(resolution.requirements, tekton, items, bundles=bundles)


def dumps(lock: Lock) -> str:
    return "# Written by `catalog lock`; do not edit by hand.\n" + yamlio.dump(lock.to_data())


def write(lock: Lock, path: Path) -> None:
    from .fsutil import atomic_write

    atomic_write(path, dumps(lock))


def read(path: Path) -> Lock:
    """Read and validate a lock file; an InputError names the file and field at fault."""
    where = str(path)
    if not path.exists():
        raise NotFound("no lock file (run `catalog lock` first)", where)
    # yamlio reads the block YAML `dumps` writes with blockyaml, ten times faster than
    # PyYAML and with its result; a lock edited by hand goes to PyYAML.
    return from_data(yamlio.load_one(path), where)


class _Reader:
    """Validating access to the fields of a lock file; errors name the file and field."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, message: str) -> InputError:
        return InputError(message, self.where)

    def text(self, value: object, field_name: str) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # an unquoted version such as 0.2
        if not isinstance(value, str) or not value:
            raise self.fail(f"{field_name} must be a non-empty string")
        return value

    def items(self, value: Any, field_name: str, of: type = object) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{field_name} must be a list")
        for i, item in enumerate(value):
            if of is dict and not isinstance(item, dict):
                raise self.fail(f"{field_name}[{i}] must be a mapping")
        return value

    def requirement(self, value: object, field_name: str) -> Requirement:
        try:
            return parse_requirement(self.text(value, field_name))
        except InputError as exc:
            if exc.where == self.where:
                raise
            raise self.fail(f"{field_name}: {exc}") from None

    def key(self, ref: str, kinds_of: dict[str, list[str]], field_name: str) -> Key:
        if "/" in ref:
            kind_text, _, name = ref.partition("/")
            kind = canonical_kind(kind_text)
            if kind is None:
                raise self.fail(f"{field_name}: unknown kind {kind_text!r}")
            return (kind, name)
        if not kinds_of.get(ref):
            raise self.fail(f"{field_name}: {ref!r} is not locked")
        return (kinds_of[ref][0], ref)

    def link(self, by: dict[str, Any], field_name: str) -> Link:
        if "requirement" in by:
            req = self.requirement(by["requirement"], f"{field_name}.requirement")
            return Link(None, req.range, str(req))
        key = (self.text(by.get("kind"), f"{field_name}.kind"),
               self.text(by.get("name"), f"{field_name}.name"))
        via = self.text(by["via"], f"{field_name}.via") if "via" in by else None
        return Link(key, self.text(by.get("range", "*"), f"{field_name}.range"), None, via)

    def reference(self, item: dict[str, Any], f: str, kinds_of: dict[str, list[str]]) -> LockedRef:
        resolver = self.text(item.get("resolver"), f"{f}.resolver")
        kind = self.text(item.get("kind"), f"{f}.kind")
        params = item.get("params") or {}
        if not isinstance(params, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in params.items()):
            raise self.fail(f"{f}.params must map names to strings")
        ref = ResolverRef.from_dict({"resolver": resolver, "params": params,
                                     "legacy": item.get("legacy") is True}, kind)
        target = (self.key(self.text(item["target"], f"{f}.target"), kinds_of, f"{f}.target")
                  if "target" in item else None)
        field_name = PIN_FIELDS.get(resolver, "digest")
        pin = self.text(item[field_name], f"{f}.{field_name}") if field_name in item else None
        if pin is not None and resolver == "git" and not is_commit(pin):
            raise self.fail(f"{f}.commit {pin!r} is not a commit (40 or 64 hex digits)")
        if pin is not None and resolver != "git" and not is_digest(pin, resolver):
            raise self.fail(f"{f}.{field_name} {pin!r} is not " + ("sha256: and 64 hex digits" if resolver == "bundles"
                                                                 else "sha256: or sha512: and hex digits"))
        notes = [self.text(item[k], f"{f}.{k}") if item.get(k) is not None else None
                 for k in ("external", "unpinned")]
        return LockedRef(ref, target, pin, notes[0], notes[1])

    def entry(self, item: dict[str, Any], f: str, kinds_of: dict[str, list[str]]) -> LockedEntry:
        kind, name, version, digest, source = (
            self.text(item.get(k), f"{f}.{k}") for k in ("kind", "name", "version", "digest", "source"))
        deps = tuple(
            self.key(self.text(d, f"{f}.dependencies[{j}]"), kinds_of, f"{f}.dependencies[{j}]")
            for j, d in enumerate(self.items(item.get("dependencies"), f"{f}.dependencies")))
        links = tuple(self.link(by, f"{f}.requiredBy[{j}]")
                      for j, by in enumerate(self.items(item.get("requiredBy"), f"{f}.requiredBy", dict)))
        refs = tuple(self.reference(r, f"{f}.references[{j}]", kinds_of)
                     for j, r in enumerate(self.items(item.get("references"), f"{f}.references", dict)))
        signed_by = self.text(item["signedBy"], f"{f}.signedBy") if item.get("signedBy") is not None else None
        if signed_by is not None and not _KEYID.fullmatch(signed_by):
            raise self.fail(f"{f}.signedBy {signed_by!r} is not a key id (sha256: and 64 hex digits)")
        return LockedEntry(kind, name, version, digest, source, deps, links, refs, signed_by)


def from_data(data: object, where: str) -> Lock:
    read = _Reader(where)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise read.fail(f"not a lock file (expected kind: {KIND})")
    if data.get("apiVersion") != API_VERSION:
        raise read.fail(f"apiVersion is {data.get('apiVersion')!r}, expected {API_VERSION!r}")
    reqs = tuple(read.requirement(r, f"requirements[{i}]")
                 for i, r in enumerate(read.items(data.get("requirements"), "requirements")))
    tekton = data.get("tektonVersion")
    if tekton is not None:
        tekton = read.text(tekton, "tektonVersion")
        versions.parse(tekton, f"{where}: tektonVersion")
    raw = read.items(data.get("resolved"), "resolved", dict)
    kinds_of: dict[str, list[str]] = {}
    for item in raw:
        kinds_of.setdefault(str(item.get("name")), []).append(str(item.get("kind")))
    items = tuple(read.entry(item, f"resolved[{i}]", kinds_of) for i, item in enumerate(raw))
    bundles = tuple(read.text(b, f"bundles[{i}]") for i, b in enumerate(read.items(data.get("bundles"), "bundles")))
    return Lock(reqs, tekton, items, where, bundles)


def check_locked(catalog: Catalog, lock: Lock) -> list[Entry]:
    """The catalog's entries for exactly what ``lock`` names, in install order.

    Raises NotFound when a locked version is gone from the catalog, DigestMismatch
    when its content changed since it was locked, and SignatureError when it was locked
    as signed and the catalog no longer vouches for it: nothing is to be installed then.
    """
    out = []
    for item in lock.resolved:
        what = f"{item.name} {item.version}"
        try:
            entry = catalog.get(item.name, item.version, item.kind)
        except NotFound as exc:
            raise NotFound(f"{what} is locked but catalog {catalog.location} no longer has it "
                           f"({exc.message})", lock.path) from None
        if entry.digest != item.digest:
            raise DigestMismatch(
                f"{what} changed in catalog {catalog.location}: its digest is {entry.digest}, "
                f"the lock has {item.digest} (run `catalog lock` to accept the new content)",
                lock.path)
        if item.signed_by and not catalog.signed_by(entry):
            # Another trusted key is no refusal (a rotation): the digest pins the content.
            raise SignatureError(
                f"{what} was locked signed by {item.signed_by}, but {catalog.origin(entry)} gives it not signed "
                "now (a repo that requires that key's signature: catalog repo add NAME URL --trust-key PUB)",
                lock.path, reason="unsigned")
        out.append(entry)
    return out


def verify(catalog: Catalog, lock: Lock, known: Known | None = None) -> list[Entry]:
    """``lock --check``: the digests still match and the requirements still resolve,
    from this catalog, to exactly the locked versions (``known``: the catalogs that
    references through resolvers may point into, as when it was locked)."""
    entries = check_locked(catalog, lock)
    tekton = versions.parse(lock.tekton_version) if lock.tekton_version else None
    again = resolve(catalog, lock.requirements, tekton, lock, known=known)
    want = {(e.kind, e.name): e.version for e in entries}
    got = {key: e.version for key, e in again.items()}
    if got != want:
        changes = ", ".join(
            f"{name} {version} ({'locked' if want.get((kind, name)) == version else 'now'})"
            for (kind, name), version in sorted(set(got.items()) ^ set(want.items())))
        raise ResolutionError(
            f"lock is out of date with its requirements: {changes}; run `catalog lock`", lock.path)
    return entries


def check_pins(lock: Lock, pinner: Pinner | None) -> list[str]:
    """DigestMismatch when a reference the lock pinned from a tag or a branch now names
    other content (a re-pushed tag, a moved branch). Returns one line for each such
    reference that could not be checked (all of them when ``pinner`` is None: offline);
    references that pin themselves, or were not pinned, need no check."""
    from .pins import pin

    unchecked = []
    for e in lock.resolved:
        for r in e.references:
            if r.pin is None or r.ref.pin is not None:
                continue
            now, why = pin(r.ref, pinner)
            if now is None:
                unchecked.append(f"{e.name} {e.version}: {r.ref.describe()} not checked: {why}")
            elif now != r.pin:
                raise DigestMismatch(f"{e.name} {e.version}: {r.ref.describe()} now names {now}, the lock has "
                                     f"{r.pin} (run `catalog lock --upgrade` to take it)", lock.path)
    return unchecked


def newer_than_locked(catalog: Catalog, lock: Lock, name: str, kind: str | None = None) -> tuple[Entry, ...]:
    """The catalog's versions of ``name`` newer than the locked one, newest first
    (pre-releases only when the locked one is one)."""
    item = lock.find(name, kind)
    locked = versions.parse(item.version)
    try:
        found = catalog.versions(item.name, item.kind)
    except CatalogError:
        return ()
    return tuple(e for e in found if versions.parse(e.version) > locked
                 and (not versions.parse(e.version).is_prerelease or locked.is_prerelease))


def newest_for(catalog: Catalog, lock: Lock, name: str,
               kind: str | None = None) -> str | None:
    """The newest version the catalog offers under the lock's constraints on ``name``."""
    item = lock.find(name, kind)
    tekton = versions.parse(lock.tekton_version) if lock.tekton_version else None
    try:
        best = newest_allowed(catalog.versions(item.name, item.kind),
                              [ln.range for ln in item.required_by], tekton)
    except CatalogError:
        return None
    return best.version if best else None

