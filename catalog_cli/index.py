"""index.yaml: building it from a catalog tree, writing it deterministically, reading it fast.

A catalog tree is laid out as :mod:`catalog_cli.layout` describes (tektoncd/catalog's
``<kind>/<name>/<version>/<name>.yaml``, plural kind folders, TEP-0115's
``<kind>/<name>/<name>.yaml``), with README.md, samples/ and rbac.yaml beside each
resource. Oddities of real catalogs (a name differing from its folder, a version label
differing from its folder, a file that does not parse, a version folder without its
file, a file the walk passes over) become warnings, never a crash.

The index of a folder is written in that folder and names files relative to it: the
index of a repository holding ``catalog/task/...`` is the repository's top-level
index.yaml, with paths ``catalog/task/...``, so a raw checkout served over HTTP is a catalog.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import PREFIX, layout, versions, yamlio
from .errors import CatalogError, EntryMismatch, IndexStale, InputError, NotFound
from .model import KIND_ORDER, Entry, FileDigest, PolicyRule
from .resources import dependencies, entry_fields, metadata, parse_rbac

API_VERSION = f"{PREFIX}/v1"
INDEX_NAME = "index.yaml"
#: An index may be large (15,000 versions is 24 MB as YAML); resource files may not.
MAX_INDEX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Warning:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Index:
    """Entries by name; a name's entries by kind (Task first), then newest version first.

    Kubernetes names are per kind, so a Task and a StepAction may share a name
    (tektoncd/catalog has both a git-clone Task and a git-clone StepAction)."""

    entries: dict[str, tuple[Entry, ...]]
    warnings: tuple[Warning, ...] = ()

    def versions(self, name: str) -> tuple[Entry, ...]:
        return self.entries.get(name, ())

    def __iter__(self) -> Iterator[Entry]:
        for name in sorted(self.entries):
            yield from self.entries[name]

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())


class StrictWarnings(InputError):
    """``--strict``: the tree gave warnings, so nothing was written (or checked fresh)."""

    def __init__(self, warnings: tuple[Warning, ...], where: str) -> None:
        n = len(warnings)
        super().__init__(f"{n} warning{'s' if n != 1 else ''} and --strict: fix them or drop --strict", where)
        self.warnings = warnings


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def _no_catalog(path: Path) -> NotFound:
    return NotFound("no catalog here (expected task/, pipeline/ or stepaction/ folders, singular or "
                    "plural, here or in catalog/)", str(path))


def _checked_dir(path: Path) -> Path:
    if not path.exists():
        raise NotFound("no such file or directory", str(path))
    if not path.is_dir():
        raise InputError("not a directory", str(path))
    return path


def catalog_root(path: Path) -> Path:
    """The folder holding the kind folders: ``path`` itself, or ``path/catalog``."""
    root = layout.find_root(layout.DiskTree(_checked_dir(path)))
    if root is None:
        raise _no_catalog(path)
    return path / root if root else path


def _documents(tree: layout.Tree, file: str, where: str) -> list[Any]:
    data = tree.read(file)
    if len(data) > yamlio.MAX_RESOURCE_BYTES:
        raise InputError(f"file is {len(data):,} bytes, over the limit of {yamlio.MAX_RESOURCE_BYTES:,}", where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where) from exc
    docs = yamlio.loads_all(text, where) if text.strip() else []
    if not docs:
        raise InputError("file holds no YAML document", where)
    return docs


def label_version(label: object) -> str | None:
    """The version a ``app.kubernetes.io/version`` label gives, ``v`` dropped (``v1.2.0`` is
    1.2.0, as a TEP-0115 tag v1.2.0 is version 1.2.0); None when it is not a version."""
    text = str(label).strip() if label is not None else ""
    if not versions.is_version(text):
        return None
    return text[1:] if text[:1] in "vV" else text


def read_entry(tree: layout.Tree, found: layout.Found, warn: list[Warning], *,
               prefix: str = "", release: str | None = None) -> Entry | None:
    """The entry of one resource file the walk found, or None (with a warning) when it
    is not one. Paths in the entry are ``prefix`` + the tree's path. Its version is its
    version folder, else ``release`` (a git tag), else its version label (TEP-0115)."""
    rel = prefix + found.file
    kind, name = found.kind, found.name
    try:
        docs = _documents(tree, found.file, rel)
    except CatalogError as exc:
        warn.append(Warning(rel, f"skipped: {exc.message}"))
        return None
    doc = docs[0]
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        got = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        warn.append(Warning(rel, f"expected a {kind}, found {got!r}; skipped"))
        return None
    if len(docs) > 1:
        warn.append(Warning(rel, f"{len(docs)} documents; only the first is indexed"))
    meta, _, _ = metadata(doc)
    if meta.get("name") != name:
        warn.append(Warning(rel, f"metadata.name {meta.get('name')!r} differs from its folder {name!r}"))
    fields = entry_fields(doc)
    label = fields.pop("version_label")
    from_label = label_version(label)
    version = found.version or release or from_label
    if version is None:
        why = "no app.kubernetes.io/version label" if label is None else f"version label {label!r} is not a version"
        warn.append(Warning(rel, f"{why}, and no version folder to take one from; skipped"))
        return None
    if label is None:
        warn.append(Warning(rel, "no app.kubernetes.io/version label"))
    elif from_label is None or versions.parse(from_label) != versions.parse(version):
        source = f"its folder {found.version!r}" if found.version else f"its release tag ({version})"
        warn.append(Warning(rel, f"version label {label!r} differs from {source}"))
    try:
        deps = dependencies(doc, rel)
    except CatalogError as exc:
        warn.append(Warning(rel, f"dependencies ignored: {exc.message}"))
        deps = ()
    rbac: tuple[PolicyRule, ...] = ()
    rbac_file = layout.join(found.folder, "rbac.yaml")
    if rbac_file in found.files:
        rbac_rel = prefix + rbac_file
        try:
            rbac_docs = _documents(tree, rbac_file, rbac_rel)
            if len(rbac_docs) > 1:
                raise InputError(f"expected one YAML document, found {len(rbac_docs)}", rbac_rel)
            rbac = parse_rbac(rbac_docs[0], rbac_rel)
        except CatalogError as exc:
            warn.append(Warning(rbac_rel, f"ignored: {exc.message}"))
        for i, rule in enumerate(rbac):
            if rule.wildcards:
                warn.append(Warning(rbac_rel, f"rules[{i}] grants '*' in {', '.join(rule.wildcards)}"))
    return Entry(
        name=name, kind=kind, version=version, path=rel, digest=tree.digest(found.file),
        dependencies=deps, rbac=rbac,
        files=tuple(FileDigest(prefix + f, tree.digest(f)) for f in found.files), **fields,
    )


def scan(tree: layout.Tree, root: str, *, prefix: str = "", release: str | None = None,
         flat_only: bool = False) -> tuple[list[Entry], list[Warning]]:
    """The entries under ``root`` of ``tree`` and the warnings met (see :func:`read_entry`)."""
    warn: list[Warning] = []
    out: list[Entry] = []
    for item in layout.walk(tree, root, flat_only=flat_only):
        if isinstance(item, layout.Skipped):
            warn.append(Warning(prefix + item.where, item.message))
        else:
            entry = read_entry(tree, item, warn, prefix=prefix, release=release)
            if entry is not None:
                out.append(entry)
    return out, warn


def collect(entries: Iterable[Entry], warnings: Iterable[Warning], where: str) -> Index:
    """An Index of ``entries``: one per kind, name and version (the first met; later
    ones, such as ``0.3.1/`` beside ``v0.3.1/``, are warnings); a warning when none."""
    warn = list(warnings)
    by_name: dict[str, list[Entry]] = {}
    seen: dict[tuple[str, str, versions.Version], str] = {}
    for e in entries:
        key = (e.kind, e.name, versions.parse(e.version))
        if key in seen:
            warn.append(Warning(e.path, f"{e.kind} {e.name} {e.version} is also {seen[key]}; skipped"))
            continue
        seen[key] = e.path
        by_name.setdefault(e.name, []).append(e)
    if not by_name:
        warn.append(Warning(where, "no resources found: nothing to list"))
    return Index({name: order(items) for name, items in sorted(by_name.items())}, tuple(warn))


def build(path: Path) -> Index:
    """Index the catalog tree at ``path`` (the kind folders there, or in ``path/catalog``),
    with paths relative to ``path``."""
    tree = layout.DiskTree(_checked_dir(path))
    root = layout.find_root(tree)
    if root is None:
        raise _no_catalog(path)
    entries, warn = scan(tree, root)
    return collect(entries, warn, root or ".")


def order(items: Iterable[Entry]) -> tuple[Entry, ...]:
    """One name's entries: by kind (Task first), then newest version first."""
    items = tuple(items)
    if in_order((e.kind, e.version) for e in items):  # as `catalog index` writes them
        return items
    return tuple(sorted(items, key=lambda e: (KIND_ORDER.get(e.kind, 9), _neg(e.version))))


#: Versions of numbers only (``1``, ``0.10``, ``v1.2.3``), which order as their numbers do.
_SIMPLE_VERSION = re.compile(r"v?(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?")


def in_order(kinds_versions: Iterable[tuple[str, str]]) -> bool:
    """Whether entries of these kinds and versions are sorted as :func:`order` sorts
    them, so that a stable sort would leave them as they are. Only answers yes for
    versions of numbers only, whose order is their numbers' (anything else is left to
    versions.parse, and its errors)."""
    before: tuple[int, int, int, int] | None = None
    for kind, version in kinds_versions:
        m = _SIMPLE_VERSION.fullmatch(version)
        if m is None:
            return False
        major, minor, patch = m.groups()
        # kind first; then versions newest first, so their numbers go down
        key = (KIND_ORDER.get(kind, 9), -int(major), -int(minor or 0), -int(patch or 0))
        if before is not None and key < before:
            return False
        before = key
    return True


def _neg(version: str) -> _Desc:
    return _Desc(versions.parse(version))


@dataclass(frozen=True)
class _Desc:
    v: versions.Version

    def __lt__(self, other: _Desc) -> bool:
        return other.v < self.v


def to_data(index: Index) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "CatalogIndex",
        "entries": {name: [e.to_dict() for e in items] for name, items in index.entries.items()},
    }


def render(index: Index, fmt: str = "yaml") -> str:
    """The bytes of index.yaml: block YAML for people, or JSON (also valid YAML) for size."""
    data = to_data(index)
    if fmt == "json":
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    header = "# Generated by `catalog index`; do not edit by hand.\n"
    return header + yamlio.dump(data)


def write(path: Path, fmt: str = "yaml", *, strict: bool = False) -> tuple[Path, Index]:
    """Write ``path/index.yaml`` for the catalog at ``path``; with ``strict``, write
    nothing when the tree gave warnings (StrictWarnings)."""
    index = build(path)
    if strict and index.warnings:
        raise StrictWarnings(index.warnings, str(path))
    target = path / INDEX_NAME
    yamlio.atomic_write(target, render(index, fmt))
    return target, index


def check(path: Path, fmt: str | None = None, *, strict: bool = False) -> Index:
    """Raise IndexStale unless ``path/index.yaml`` is exactly what ``write`` would write,
    naming what it lacks or has too; with ``strict``, StrictWarnings when the tree gave
    warnings."""
    target = path / INDEX_NAME
    if not target.is_file():
        raise IndexStale("no index.yaml: run `catalog index`", str(target))
    tree_index = build(path)
    current = target.read_text(encoding="utf-8")
    if fmt is None:
        fmt = "json" if current.lstrip().startswith("{") else "yaml"
    if render(tree_index, fmt) != current:
        raise IndexStale(f"index.yaml is stale{_difference(current, tree_index, str(target))}: "
                         "run `catalog index` and commit it", str(target))
    if strict and tree_index.warnings:
        raise StrictWarnings(tree_index.warnings, str(path))
    return tree_index


def _difference(committed: str, tree_index: Index, where: str) -> str:
    """What the committed index lacks, has too, or names with other files than the tree:
    `` (lacks Task foo 0.2; ...)``, or nothing when it cannot be read."""
    try:
        old = {(e.kind, e.name, e.version): e for e in from_data(parse_text(committed, where))}
    except CatalogError:
        return " (and not a readable index)"
    new = {(e.kind, e.name, e.version): e for e in tree_index}

    def some(keys: Iterable[tuple[str, str, str]]) -> str:
        names = [" ".join(k) for k in sorted(keys)]
        return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")

    parts = []
    if new.keys() - old.keys():
        parts.append(f"lacks {some(new.keys() - old.keys())}, which the tree has")
    if old.keys() - new.keys():
        parts.append(f"has {some(old.keys() - new.keys())}, which the tree has not")
    changed = [k for k in new.keys() & old.keys() if new[k] != old[k]]
    if changed:
        parts.append(f"differs from the tree on {some(changed)}")
    return f" ({'; '.join(parts)})" if parts else ""


def parse_text(text: str, where: str) -> dict[str, Any]:
    """Raw index data; JSON-shaped indexes skip the YAML parser (30 times faster)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid index: {exc.msg} at line {exc.lineno}", where) from exc
        except RecursionError:  # json's decoder recurses: a thousand levels end it
            raise InputError(f"nested deeper than {yamlio.MAX_DEPTH} levels", where) from None
    else:
        from . import blockyaml

        # What `catalog index` writes reads 10 times faster than through PyYAML, with
        # the same result; anything else (aliases, tags, hand-written oddities) is
        # read by PyYAML, with every check of yamlio.
        fast = blockyaml.read(text)
        if fast is not None:
            data = fast
        else:
            docs = yamlio.loads_all(text, where)
            if len(docs) != 1:
                raise InputError("an index must be one YAML document", where)
            data = docs[0]
    validate(data, where)
    checked: dict[str, Any] = data  # validate() refuses anything but a mapping
    return checked


def validate(data: object, where: str) -> None:
    """Structural check of an index; the full JSON Schema lives in schemas/index.json."""
    if not isinstance(data, dict):
        raise InputError("not a catalog index (expected a mapping)", where)
    if data.get("apiVersion") != API_VERSION:
        raise InputError(f"apiVersion is {data.get('apiVersion')!r}, expected {API_VERSION!r}", where)
    if not isinstance(data.get("entries"), dict):
        raise InputError("'entries' must be a mapping of names to version lists", where)
    from .schema_check import check_index

    check_index(data, where)
    for key, items in data["entries"].items():
        for i, item in enumerate(items):
            check_key(key, i, item.get("name"), item.get("kind"), where)


def check_key(key: str, position: int, name: object, kind: object, where: str) -> None:
    """An entry is found by its key and installed under its name: they must be one.

    Otherwise ``install harmless-tool`` from a repo that lists, under that key, an
    entry named ``kubectl-deploy`` would replace the kubectl-deploy another repo
    owns, and first-repo-wins would mean nothing."""
    field = f"entries.{key}[{position}]"
    if name != key:
        raise EntryMismatch(f"{field}.name is {name!r}, not its key {key!r}: refused", where)
    if kind not in KIND_ORDER:
        raise EntryMismatch(f"{field}.kind {kind!r} is none of {', '.join(KIND_ORDER)}: refused", where)


def from_data(data: dict[str, Any]) -> Index:
    entries = {}
    for name, items in data["entries"].items():
        entries[name] = order(Entry.from_dict(item) for item in items)
    return Index(entries)


def read(path: Path) -> dict[str, Any]:
    """The validated data of an index file (or a catalog folder's index.yaml), its
    entries as the file gives them (:func:`from_data` makes an Index of them)."""
    if path.is_dir():
        path = path / INDEX_NAME
    text = yamlio.read_text(path, limit=MAX_INDEX_BYTES)
    if not text.strip():
        raise InputError("index is empty", str(path))
    return parse_text(text, str(path))


def load(path: Path) -> Index:
    """Read an index file (or a catalog folder's index.yaml)."""
    return from_data(read(path))

