"""index.yaml: building it from a catalog tree, writing it deterministically, reading it fast.

A catalog tree is laid out as tektoncd/catalog is: ``<kind>/<name>/<version>/<name>.yaml``
with README.md, samples/ and rbac.yaml beside each resource. Oddities of real catalogs
(a name differing from its folder, a version label differing from its folder, a file
that does not parse, a version folder without its file) become warnings, never a crash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import PREFIX, versions, yamlio
from .errors import CatalogError, EntryMismatch, IndexStale, InputError, NotFound
from .model import KIND_DIRS, KIND_ORDER, Entry, FileDigest, PolicyRule
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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def catalog_root(path: Path) -> Path:
    """The folder holding the kind folders: ``path`` itself, or ``path/catalog``."""
    if not path.exists():
        raise NotFound("no such file or directory", str(path))
    if not path.is_dir():
        raise InputError("not a directory", str(path))
    if any((path / d).is_dir() for d in KIND_DIRS):
        return path
    if any((path / "catalog" / d).is_dir() for d in KIND_DIRS):
        return path / "catalog"
    raise NotFound(
        "no catalog here (expected task/, pipeline/ or stepaction/ folders)", str(path)
    )


def _files(folder: Path, root: Path) -> tuple[FileDigest, ...]:
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out.append(FileDigest(rel.as_posix(), sha256_file(p)))
    return tuple(out)


def _scan_version(root: Path, kind_dir: str, name: str, vdir: Path, warn: list[Warning]) -> Entry | None:
    kind = KIND_DIRS[kind_dir]
    rel_dir = vdir.relative_to(root).as_posix()
    if not versions.is_version(vdir.name):
        warn.append(Warning(rel_dir, f"folder name {vdir.name!r} is not a version; skipped"))
        return None
    file = vdir / f"{name}.yaml"
    rel = file.relative_to(root).as_posix()
    if not file.is_file():
        warn.append(Warning(rel_dir, f"version folder has no {name}.yaml; skipped"))
        return None
    try:
        docs = yamlio.load_all(file)
    except CatalogError as exc:
        warn.append(Warning(rel, f"skipped: {exc.message}"))
        return None
    doc = docs[0]
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        found = doc.get("kind") if isinstance(doc, dict) else type(doc).__name__
        warn.append(Warning(rel, f"expected a {kind}, found {found!r}; skipped"))
        return None
    if len(docs) > 1:
        warn.append(Warning(rel, f"{len(docs)} documents; only the first is indexed"))
    meta, _, _ = metadata(doc)
    if meta.get("name") != name:
        warn.append(Warning(rel, f"metadata.name {meta.get('name')!r} differs from its folder {name!r}"))
    fields = entry_fields(doc)
    label = fields.pop("version_label")
    if label is None:
        warn.append(Warning(rel, "no app.kubernetes.io/version label"))
    elif not versions.is_version(str(label)) or versions.parse(str(label)) != versions.parse(vdir.name):
        warn.append(Warning(rel, f"version label {label!r} differs from its folder {vdir.name!r}"))
    try:
        deps = dependencies(doc, rel)
    except CatalogError as exc:
        warn.append(Warning(rel, f"dependencies ignored: {exc.message}"))
        deps = ()
    rbac: tuple[PolicyRule, ...] = ()
    rbac_file = vdir / "rbac.yaml"
    if rbac_file.is_file():
        rbac_rel = rbac_file.relative_to(root).as_posix()
        try:
            rbac = parse_rbac(yamlio.load_one(rbac_file), rbac_rel)
        except CatalogError as exc:
            warn.append(Warning(rbac_rel, f"ignored: {exc.message}"))
        for i, rule in enumerate(rbac):
            if rule.wildcards:
                warn.append(Warning(rbac_rel, f"rules[{i}] grants '*' in {', '.join(rule.wildcards)}"))
    return Entry(
        name=name, kind=kind, version=vdir.name, path=rel, digest=sha256_file(file),
        dependencies=deps, rbac=rbac, files=_files(vdir, root), **fields,
    )


def build(path: Path) -> Index:
    """Index the catalog tree at ``path`` (see :func:`catalog_root`)."""
    root = catalog_root(path)
    warn: list[Warning] = []
    by_name: dict[str, list[Entry]] = {}
    for kind_dir in sorted(KIND_DIRS):
        base = root / kind_dir
        if not base.is_dir():
            continue
        for name_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
            name = name_dir.name
            for vdir in sorted(p for p in name_dir.iterdir() if p.is_dir()):
                entry = _scan_version(root, kind_dir, name, vdir, warn)
                if entry is not None:
                    by_name.setdefault(name, []).append(entry)
    entries = {name: order(items) for name, items in sorted(by_name.items())}
    return Index(entries, tuple(warn))


def order(items: Iterable[Entry]) -> tuple[Entry, ...]:
    """One name's entries: by kind (Task first), then newest version first."""
    return tuple(sorted(items, key=lambda e: (KIND_ORDER.get(e.kind, 9), _neg(e.version))))


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


def write(path: Path, fmt: str = "yaml") -> tuple[Path, Index]:
    root = catalog_root(path)
    index = build(root)
    target = root / INDEX_NAME
    yamlio.atomic_write(target, render(index, fmt))
    return target, index


def check(path: Path, fmt: str | None = None) -> Index:
    """Raise IndexStale unless the committed index.yaml is exactly what ``write`` would write."""
    root = catalog_root(path)
    target = root / INDEX_NAME
    if not target.is_file():
        raise IndexStale("no index.yaml: run `catalog index`", str(target))
    current = target.read_text(encoding="utf-8")
    if fmt is None:
        fmt = "json" if current.lstrip().startswith("{") else "yaml"
    index = build(root)
    if render(index, fmt) != current:
        raise IndexStale("index.yaml is stale: run `catalog index` and commit it", str(target))
    return index


def parse_text(text: str, where: str) -> dict[str, Any]:
    """Raw index data; JSON-shaped indexes skip the YAML parser (30 times faster)."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid index: {exc.msg} at line {exc.lineno}", where) from exc
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


def load(path: Path) -> Index:
    """Read an index file (or a catalog folder's index.yaml)."""
    if path.is_dir():
        path = path / INDEX_NAME
    text = yamlio.read_text(path, limit=MAX_INDEX_BYTES)
    if not text.strip():
        raise InputError("index is empty", str(path))
    return from_data(parse_text(text, str(path)))

