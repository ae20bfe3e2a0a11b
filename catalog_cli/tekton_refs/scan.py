"""Finding every reference in a ``.tekton/`` folder (or one file), with its place.

Files are read through ``yamlio`` (size, depth and alias limits; errors naming the file
and line); each document's references are ``refs.find_refs``' and, for PipelineRuns and
the rest, Pipelines-as-Code's annotations (:mod:`.pac`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import yamlio
from ..errors import InputError, NotFound
from ..refs import LocalRef, ResolverRef, find_refs
from . import pac

#: The document path of a reference: keys and list indexes from the document's root.
DocPath = tuple[str | int, ...]
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Reference:
    """One reference: in ``file`` (as given), document ``doc`` (0-based, empty documents
    not counted), at ``path`` (line ``line``), made by ``resource`` (``Kind/name``).
    ``task`` is the pipeline task (or step) that makes it; ``item`` the Pipelines-as-Code
    annotation item it was read from."""

    file: str
    doc: int
    path: DocPath
    line: int
    resource: str
    ref: ResolverRef | LocalRef
    task: str | None = None
    item: pac.Item | None = None

    @property
    def where(self) -> str:
        """``spec.pipelineSpec.tasks[0].taskRef``; an annotation item as ``...[KEY][1]``."""
        out = ""
        for part in self.path:
            if isinstance(part, int) or "/" in part or "." in part:
                out += f"[{part}]"
            else:
                out += f".{part}" if out else part
        return out + (f"[{self.item.index}]" if self.item else "")

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def kind(self) -> str:
        return self.ref.kind

    def describe(self) -> str:
        if isinstance(self.ref, LocalRef):
            return f"{self.ref.kind} {self.ref.name} in the namespace"
        return self.ref.describe()


@dataclass
class ScannedFile:
    """A file's text, its documents (empty ones left out) and its references."""

    path: Path
    text: str
    docs: list[Any]
    refs: list[Reference] = field(default_factory=list)
    nodes: list[yaml.Node] = field(default_factory=list, repr=False)


def files_of(root: Path) -> list[Path]:
    """The YAML files of ``root`` (a folder, walked in name order, or one file)."""
    if not root.exists():
        raise NotFound("no such file or directory", str(root))
    if root.is_file():
        return [root]
    found = sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file() and not p.is_symlink())
    return found


def line_of(node: yaml.Node, path: DocPath) -> int:
    """The 1-based line of ``path`` in a composed document (its nearest existing parent):
    a mapping value's key's line, so that an alias is placed where it is used."""
    mark = node.start_mark
    for part in path:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if pair is not None:
                mark, nxt = pair[0].start_mark, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
            mark = nxt.start_mark
        if nxt is None:
            break
        node = nxt
    return mark.line + 1


def _get(doc: Any, path: DocPath) -> Any:
    for part in path:
        if isinstance(part, int):
            doc = doc[part] if isinstance(doc, list) and part < len(doc) else None
        else:
            doc = doc.get(part) if isinstance(doc, Mapping) else None
    return doc


def _label(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name = meta.get("name") or meta.get("generateName") or "(unnamed)"
    return f"{doc.get('kind')}/{name}"


def references(doc: Any, node: yaml.Node, file: str, index: int) -> list[Reference]:
    """Every reference of one document, in document order, annotations first."""
    if not isinstance(doc, Mapping):
        return []
    label = _label(doc)
    out = []
    meta = doc.get("metadata")
    if isinstance(meta, Mapping):
        for item in pac.items(meta.get("annotations")):
            path: DocPath = ("metadata", "annotations", item.key)
            out.append(Reference(file, index, path, line_of(node, path), label, item.ref, item=item))
    for site in find_refs(doc):
        owner = _get(doc, site.path[:-1])
        task = owner.get("name") if isinstance(owner, Mapping) and isinstance(owner.get("name"), str) else None
        out.append(Reference(file, index, site.path, line_of(node, site.path), label, site.ref, task))
    return out


def scan_text(text: str, file: str) -> ScannedFile:
    nodes = yamlio.compose_all(text, file)
    docs = [yamlio.construct(n, file) for n in nodes]
    scanned = ScannedFile(Path(file), text, docs, nodes=nodes)
    for i, (doc, node) in enumerate(zip(docs, nodes, strict=False)):
        scanned.refs += references(doc, node, file, i)
    return scanned


def scan(root: Path) -> list[ScannedFile]:
    """Every YAML file under ``root`` with its references; an InputError names a file
    that is not YAML (nothing is half-read)."""
    out = []
    for path in files_of(root):
        text = yamlio.read_text(path)
        if not text.strip():
            continue
        out.append(scan_text(text, str(path)))
    if not out and root.is_dir() and not files_of(root):
        raise InputError("holds no YAML file", str(root))
    return out
