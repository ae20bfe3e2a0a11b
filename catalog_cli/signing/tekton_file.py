"""Putting ``tekton.dev/signature`` into a YAML file in place, and checking a file's.

A signed file is the file as its author wrote it, comments and layout kept, with one
line added (or one value replaced) per document: the text is edited at the positions
the YAML parser reports, never re-dumped. The edited text is parsed again before it
is written, and must hold the same documents but for the signature, each verifying
with the signing key; otherwise nothing is written.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import yamlio
from ..errors import InputError, SignatureError
from ..fsutil import atomic_write
from . import tekton
from .keys import PrivateKey, PublicKey


@dataclass(frozen=True)
class Signed:
    """One resource of a file that was signed."""

    kind: str
    name: str
    keyid: str


def _pairs(node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _find(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    return next(((k, v) for k, v in _pairs(node) if isinstance(k, yaml.ScalarNode) and k.value == key), None)


def _line_start(text: str, node: yaml.Node, where: str) -> tuple[int, str]:
    """Where the line of a block mapping's key starts, and its indentation."""
    index, column = node.start_mark.index, node.start_mark.column
    start = index - column
    if text[start:index].strip(" "):
        raise InputError("cannot place the signature: write metadata as a block mapping, one key a line", where)
    return start, " " * column


def _edit(text: str, root: yaml.Node, value: str, where: str) -> tuple[int, int, str]:
    """One edit (start, end, replacement) that sets the signature annotation."""
    quoted = json.dumps(value)
    found = _find(root, "metadata")
    if found is None or not isinstance(found[1], yaml.MappingNode) or not found[1].value:
        raise InputError("cannot sign a resource without metadata (it needs a name)", where)
    meta = found[1]
    if meta.flow_style:
        data = yamlio.construct(meta, where)
        data.setdefault("annotations", {})[tekton.SIGNATURE_ANNOTATION] = value
        return meta.start_mark.index, meta.end_mark.index, json.dumps(data)
    annotations = _find(meta, "annotations")
    if annotations is None:
        start, indent = _line_start(text, meta.value[0][0], where)
        return start, start, f"{indent}annotations:\n{indent}  {tekton.SIGNATURE_ANNOTATION}: {quoted}\n"
    key, node = annotations
    if not isinstance(node, yaml.MappingNode) or node.flow_style or not node.value:
        data = yamlio.construct(node, where) or {}
        if not isinstance(data, dict):
            raise InputError("metadata.annotations is not a mapping", where)
        data[tekton.SIGNATURE_ANNOTATION] = value
        return key.start_mark.index, node.end_mark.index, f"annotations: {json.dumps(data)}"
    existing = _find(node, tekton.SIGNATURE_ANNOTATION)
    if existing is not None:
        return existing[1].start_mark.index, existing[1].end_mark.index, quoted
    start, indent = _line_start(text, node.value[0][0], where)
    return start, start, f"{indent}{tekton.SIGNATURE_ANNOTATION}: {quoted}\n"


def _without_signature(doc: Any) -> Any:
    doc = copy.deepcopy(doc)
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(meta, dict) and isinstance(annotations, dict):
        annotations.pop(tekton.SIGNATURE_ANNOTATION, None)
        if not annotations:
            meta.pop("annotations")
    return doc


def sign_file(path: Path, key: PrivateKey,
              serialisation: tekton.Serialisation = tekton.Serialisation.CURRENT) -> list[Signed]:
    """Sign every document of ``path`` (each a v1 Task or Pipeline) and write the file
    back with their signatures, keeping everything else in it."""
    where = str(path)
    text = yamlio.read_text(path)
    nodes = yamlio.compose_all(text, where)
    if not nodes:
        raise InputError("file holds no YAML document", where)
    docs = [yamlio.construct(node, where) for node in nodes]
    for doc in docs:
        tekton.check_kind(doc, where)
    edits = [_edit(text, node, tekton.signature(doc, key, where, serialisation), where)
             for node, doc in zip(nodes, docs, strict=True)]
    new = text
    for start, end, replacement in sorted(edits, reverse=True):
        new = new[:start] + replacement + new[end:]
    again = yamlio.loads_all(new, where)
    same = len(again) == len(docs) and all(
        _without_signature(a) == _without_signature(d) for a, d in zip(again, docs, strict=True))
    if not same:
        raise InputError("cannot place the signature without changing the file otherwise; nothing written", where)
    signed = []
    for doc in again:
        result = tekton.verify(doc, [key.public], where)
        if result.serialisation is not serialisation:  # pragma: no cover - both hashes equal is impossible
            raise InputError("the signature written does not verify as intended; nothing written", where)
        signed.append(Signed(result.kind, result.name, result.keyid))
    atomic_write(path, new)
    return signed


def verify_file(path: Path, trusted: Sequence[PublicKey]) -> list[tekton.Verified]:
    """Verify the signature of every document of ``path``; the first failure raises
    (a :class:`SignatureError` naming the file and the resource)."""
    where = str(path)
    docs = yamlio.load_all(path)
    if not trusted:
        raise SignatureError("no trusted key to verify with", where, reason="unknown-key")
    return [tekton.verify(doc, trusted, where) for doc in docs]
