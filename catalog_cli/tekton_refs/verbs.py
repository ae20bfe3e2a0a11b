"""The library calls behind ``catalog refs``, ``outdated``, ``update``, ``lock .tekton/``
and ``trust export``: each returns data, and never prints."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import pins, repos, versions
from ..errors import CatalogError, InputError, NotFound
from ..model import Entry, ResourceDetail
from ..refs import ResolverRef
from ..settings import Settings
from ..sources import open_catalog
from . import config as config_mod
from .config import Config
from .lookup import Lookup, Remote, Status
from .migrations import Operation
from .reflock import Locked
from .scan import ScannedFile, scan

DEFAULT_PATH = Path(".tekton")


class RemoteRefs(pins.RemotePinner):
    """The registry and git for real (``pins.RemotePinner``), and git's tags."""

    def git_tags(self, url: str) -> Mapping[str, str]:
        return pins.ls_remote_tags(url, self.settings)


@dataclass
class FixedRemote(pins.FixedPins):
    """An honest fake: pins and tags from tables (``asked`` records every question)."""

    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def git_tags(self, url: str) -> Mapping[str, str]:
        self.asked.append(f"tags {url}")
        if url not in self.tags:
            raise NotFound("no such repository", url)
        return self.tags[url]


@dataclass(frozen=True)
class Scanned:
    """A folder's files, their references looked up, and the lookup itself."""

    files: list[ScannedFile]
    statuses: list[Status]
    lookup: Lookup


def remote_for(settings: Settings, remote: Remote | None) -> Remote | None:
    if remote is not None:
        return remote
    return None if settings.offline else RemoteRefs(settings)


def look(root: Path, settings: Settings, *, catalog: str | None = None, bundles: Sequence[str] = (),
         remote: Remote | None = None, prepare: Callable[[list[ScannedFile], Config], list[ScannedFile]] | None = None,
         ) -> Scanned:
    """Scan ``root`` and look every reference up in the catalog (``catalog``, default
    every configured repo and the built-in one), ``remote`` asking git and the registry
    (default: for real, unless offline). ``prepare`` may rewrite the files first."""
    files = scan(root)
    cfg = config_mod.read(root)
    if prepare is not None:
        files = prepare(files, cfg)
    lookup = Lookup(open_catalog(catalog, settings), repos.known(settings, tuple(bundles)), cfg,
                    remote_for(settings, remote))
    statuses = [lookup.status(r) for f in files for r in f.refs]
    return Scanned(files, statuses, lookup)


def refs(root: Path, settings: Settings, *, catalog: str | None = None, bundles: Sequence[str] = (),
         remote: Remote | None = None) -> list[Status]:
    """``catalog refs``: every reference under ``root``, looked up."""
    return look(root, settings, catalog=catalog, bundles=bundles, remote=remote).statuses


@dataclass(frozen=True)
class Outdated:
    """A reference with a newer version: the interface diff from its version to ``target``
    (the newest allowed, else the newest), and each newer version's changelog."""

    status: Status
    target: Entry
    interface: list[str]
    changes: list[tuple[str, list[str]]]

    def to_dict(self) -> dict[str, Any]:
        return {**self.status.to_dict(), "target": self.target.version, "interface": self.interface,
                "changelog": [{"version": v, "changes": lines} for v, lines in self.changes]}


def _newer(s: Status) -> Entry | None:
    if s.version is None or not s.known:
        return None
    current = versions.parse(s.version)
    for e in (s.allowed, s.newest):
        if e is not None and versions.parse(e.version) > current:
            return e
    return None


def outdated(root: Path, settings: Settings, *, catalog: str | None = None, bundles: Sequence[str] = (),
             remote: Remote | None = None) -> list[Outdated]:
    """``catalog outdated``: each reference with a newer version, what changed up to it."""
    from .interface import changelog, diff

    found = look(root, settings, catalog=catalog, bundles=bundles, remote=remote)
    cat = found.lookup.catalog
    details: dict[Entry, ResourceDetail] = {}

    def detail(e: Entry) -> ResourceDetail:
        if e not in details:
            details[e] = cat.detail(e)
        return details[e]

    out = []
    for s in found.statuses:
        target = _newer(s)
        current = s.current
        if target is None or current is None:
            continue
        try:
            interface = diff(detail(current), detail(target))
        except CatalogError as exc:
            interface = [f"(cannot compare: {exc})"]
        low, high = versions.parse(current.version), versions.parse(target.version)
        newer = [e for e in reversed(s.entries)
                 if versions.is_version(e.version) and low < versions.parse(e.version) <= high]
        out.append(Outdated(s, target, interface, [(e.version, changelog(cat, e)) for e in newer]))
    return out


@dataclass(frozen=True)
class Move:
    """One reference moved: from its version to ``target``'s, as ``ref``; ``operations``
    the migrations applied to the pipeline using it."""

    status: Status
    target: Entry
    ref: ResolverRef
    operations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        f = self.status.ref
        return {"file": f.file, "line": f.line, "where": f.where, "task": f.task, "name": f.name,
                "from": self.status.version, "to": self.target.version, "toName": self.target.name,
                "params": dict(self.ref.identity().params), "migrations": list(self.operations)}


@dataclass(frozen=True)
class FileEdit:
    path: str
    before: str
    after: str

    def diff(self) -> str:
        import difflib

        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            f"a/{self.path}", f"b/{self.path}"))


@dataclass(frozen=True)
class Updated:
    moves: list[Move]
    edits: list[FileEdit]
    rewrites: list[str]
    written: bool

    def diff(self) -> str:
        return "".join(e.diff() for e in self.edits)

    def to_dict(self) -> dict[str, Any]:
        return {"moves": [m.to_dict() for m in self.moves], "rewrites": self.rewrites,
                "files": [e.path for e in self.edits], "written": self.written}


class _Memo:
    """A Remote asked once per question in a run (200 references to one bundle tag are
    one request)."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self.memo: dict[tuple[str, ...], Any] = {}

    def _ask(self, key: tuple[str, ...], call: Any) -> Any:
        if key not in self.memo:
            try:
                self.memo[key] = call()
            except CatalogError as exc:
                self.memo[key] = exc
        value = self.memo[key]
        if isinstance(value, CatalogError):
            raise value
        return value

    def bundle_digest(self, image: str) -> str:
        return str(self._ask(("digest", image), lambda: self.remote.bundle_digest(image)))

    def git_commit(self, url: str, revision: str) -> str:
        return str(self._ask(("commit", url, revision), lambda: self.remote.git_commit(url, revision)))

    def git_tags(self, url: str) -> Mapping[str, str]:
        value: Mapping[str, str] = self._ask(("tags", url), lambda: self.remote.git_tags(url))
        return value


MOVABLE = ("hub", "bundles", "git", "http")


def _target(s: Status, to: dict[str, str], lookup: Lookup) -> Entry | None:
    """The version ``s`` should move to: the one ``--to`` names, else the newest allowed."""
    name = s.ref.name
    if name in to:
        want = versions.parse(to[name])
        found = next((e for e in s.entries if versions.is_version(e.version) and versions.parse(e.version) == want),
                     None)
        if found is None:
            raise NotFound(f"the catalog has no version {to[name]} of {name}", f"--to {name}@{to[name]}")
        return found
    return s.allowed


def _parse_to(to: Sequence[str]) -> dict[str, str]:
    out = {}
    for text in to:
        name, sep, version = text.partition("@")
        if not sep or not name or not versions.is_version(version):
            raise InputError("expected NAME@VERSION, e.g. git-clone@0.2", f"--to {text}")
        out[name] = version
    return out


def update(root: Path, settings: Settings, names: Sequence[str] = (), *, to: Sequence[str] = (),
           dry_run: bool = False, catalog: str | None = None, bundles: Sequence[str] = (),
           remote: Remote | None = None, locked: bool = False, lock_file: Path | None = None) -> Updated:
    """``catalog update``: move references under ``root`` (those named ``names``, else all)
    to the newest version allowed (``to``: ``NAME@VERSION`` for one), pinned, applying
    the catalog's migrations on the way; write the files unless ``dry_run``. Nothing is
    written when any reference cannot be moved cleanly."""
    from . import legacy, rewrite
    from .edit import Editor
    from .scan import scan_text

    targets = _parse_to(to)
    chosen = set(names) | set(targets)
    if locked:
        check_locked(root, settings, lock_file, remote)
    originals: dict[str, str] = {}
    rewrites: list[str] = []

    def prepare(files: list[ScannedFile], cfg: Config) -> list[ScannedFile]:
        out = []
        for f in files:
            file = f.path.as_posix()
            originals[file] = f.text
            if legacy.needed(f, chosen):
                ed = Editor(f.text, file, f.docs, f.nodes)
                rewrites.extend(legacy.rewrite(ed, f, chosen, cfg.cluster_namespace))
                f = scan_text(ed.text(), file)
            out.append(f)
        return out

    found = look(root, settings, catalog=catalog, bundles=bundles, remote=remote, prepare=prepare)
    asked = _Memo(found.lookup.remote) if found.lookup.remote is not None else None
    files = {f.path.as_posix(): f for f in found.files}
    editors: dict[str, Editor] = {}

    def editor(file: str) -> Editor:
        if file not in editors:
            scanned = files[file]
            editors[file] = Editor(scanned.text, file, scanned.docs, scanned.nodes)
        return editors[file]

    for name in chosen:
        if not any(s.ref.name == name for s in found.statuses):
            raise NotFound(f"no reference to {name} under {root}", name)
    moves: list[Move] = []
    for s in found.statuses:
        ref = s.ref.ref
        if chosen and s.ref.name not in chosen:
            continue
        if not s.known or not isinstance(ref, ResolverRef) or ref.resolver not in MOVABLE:
            continue
        if ref.resolver == "hub" and s.version is None:
            continue  # a constraint, as the user wrote it
        target = _target(s, targets, found.lookup)
        if target is None:
            continue
        same = s.version is not None and versions.parse(s.version) == versions.parse(target.version)
        if same and (s.pin is not None or (s.ref.item is not None and ref.resolver == "http")):
            continue  # pinned at the version it should have (an annotation's URL cannot be pinned)
        ed = editor(s.ref.file)
        places = _places(s, ed, files, editor)
        ops, target, renamed = _migrate(s, target, places, found.lookup)
        try:
            new = rewrite.moved(ref, target, asked, name=renamed, annotation=s.ref.item is not None)
        except CatalogError as exc:
            raise rewrite.pin_error(exc, s.ref) from None
        if new.params == ref.params and not ops:
            continue
        rewrite.write(ed, s.ref, new)
        moves.append(Move(s, target, new, tuple(ops)))
    edits = []
    for file, before in originals.items():
        after = editors[file].text() if file in editors else files[file].text
        if after != before:
            edits.append(FileEdit(file, before, after))
    if not dry_run:
        from ..fsutil import atomic_write

        for e in edits:
            atomic_write(Path(e.path), e.after)
    return Updated(moves, edits, rewrites, not dry_run and bool(edits))


def operations_of(lookup: Lookup, entry: Entry) -> list[Operation]:
    """The migrations ``entry``'s version folder ships (none: an empty list)."""
    from .migrations import FILE_NAME, loads

    folder = entry.path.rsplit("/", 1)[0]
    found = next((f for f in entry.files if f.path == f"{folder}/{FILE_NAME}"), None)
    if found is None:
        return []
    data = lookup.catalog.read_file(found.path, found.digest)
    return loads(data.decode("utf-8", "replace"), f"{entry.name} {entry.version}: {FILE_NAME}", entry.version)


def _places(s: Status, ed: Any, files: Mapping[str, ScannedFile], editor: Callable[[str], Any]) -> list[Any]:
    """Where ``s``'s migrations apply: the pipeline task making the reference; for a
    Pipelines-as-Code annotation, the tasks naming its Task in the run's pipelineSpec or
    in the Pipeline of .tekton/ its pipelineRef names."""
    from .migrations import by_name, targets

    data = files[s.ref.file].docs[s.ref.doc]
    places = targets(ed, s.ref, data)
    ref = data.get("spec", {}).get("pipelineRef") if isinstance(data.get("spec"), dict) else None
    if s.ref.item is None or not isinstance(ref, dict) or ref.get("resolver") or not ref.get("name"):
        return places
    for file, scanned in files.items():
        for i, doc in enumerate(scanned.docs):
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            if isinstance(meta, dict) and doc.get("kind") == "Pipeline" and meta.get("name") == ref["name"]:
                places += by_name(editor(file), i, doc, s.ref.name)
    return places


def _migrate(s: Status, target: Entry, places: list[Any],
             lookup: Lookup) -> tuple[list[str], Entry, str | None]:
    """Apply the migrations of every version in (current, target] to the pipeline using
    ``s``'s reference, oldest first; up to a replaceTask, whose task then becomes the
    target. Returns what changed, the target and the new name (None: the same)."""
    from .migrations import Refused, apply

    if s.version is None:
        return [], target, None
    low, high = versions.parse(s.version), versions.parse(target.version)
    steps = sorted((e for e in s.entries if versions.is_version(e.version) and low < versions.parse(e.version) <= high),
                   key=lambda e: versions.parse(e.version))
    done: list[str] = []
    for e in steps:
        for op in operations_of(lookup, e):
            if op.op == "replaceTask":
                return done + [op.describe()], _replacement(s, op, lookup), op["name"]
            for place in places:
                try:
                    changed = apply(op, place)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise Refused(f"{s.ref.where} ({s.ref.describe()}): cannot apply {op.describe()}: {exc}",
                                  f"{s.ref.file}:{s.ref.line}") from None
                if changed:
                    place.editor.changed = True
                    done.append(op.describe())
    return done, target, None


def _replacement(s: Status, op: Operation, lookup: Lookup) -> Entry:
    from .lookup import newest_in
    from .migrations import Refused

    name = op["name"]
    key = name if s.repo is None else f"{s.repo}/{name}"
    entries = lookup.entries(key, s.ref.kind)
    found = None if isinstance(entries, str) else newest_in(entries, op.args.get("version") or "*")
    if found is None:
        why = entries if isinstance(entries, str) else f"no version of {name} in {op.args.get('version') or '*'}"
        raise Refused(f"{s.ref.where} ({s.ref.describe()}): cannot apply {op.describe()}: {why}",
                      f"{s.ref.file}:{s.ref.line}")
    return found


def lock(root: Path, settings: Settings, *, file: Path | None = None, catalog: str | None = None,
         bundles: Sequence[str] = (), remote: Remote | None = None) -> tuple[Path, list[Locked]]:
    """``catalog lock .tekton/``: every resolver reference under ``root`` with its pin,
    written to ``file`` (default: catalog-refs.lock beside the folder)."""
    from ..fsutil import atomic_write
    from .reflock import dumps, lock_path, resolve

    found = look(root, settings, catalog=catalog, bundles=bundles, remote=remote)
    items = resolve(found.statuses, found.lookup.remote, root)
    path = file or lock_path(root)
    atomic_write(path, dumps(items))
    return path, items


def check_locked(root: Path, settings: Settings, file: Path | None = None, remote: Remote | None = None) -> None:
    """``update --locked``: every tag the lock records still names what it locked."""
    from .reflock import check, lock_path, read

    path = file or lock_path(root)
    asked = remote_for(settings, remote)
    if asked is None:
        raise InputError("--locked asks the registry and git again: not possible offline", str(path))
    check(read(path), asked, str(path))


def trust_export(settings: Settings, *, fmt: str = "conforma", names: Sequence[str] = (),
                 effective_on: str | None = None, root: Path | None = None) -> dict[str, Any]:
    """``catalog trust export``: the trusted-task rules of the configured repos (``names``:
    only those) that say where their entries are published (bundles, git)."""
    from .trust import FORMATS, conforma, effective

    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})", "--format")
    configured = {r.name: r for r in repos.load(settings)}
    for name in names:
        if name not in configured:
            raise NotFound(f"no configured repo {name!r} (see `catalog repo list`)", name)
    chosen = [configured[n] for n in names] if names else [r for r in configured.values() if r.bundles or r.git]
    if not chosen:
        raise InputError("no configured repo says where it is published (repo add --bundles or --git)")
    wanted = config_mod.read(root).ranges if root is not None else None
    trusted = [(r.name, open_catalog(r.name, settings), r.bundles, r.git) for r in chosen]
    return conforma(trusted, effective(effective_on), wanted)
