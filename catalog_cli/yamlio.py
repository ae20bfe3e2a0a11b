"""Reading YAML safely: one place that knows file limits, aliases and PyYAML's errors.

Every YAML file the tool reads comes through here, so that malformed, empty,
oversized or alias-bomb input becomes one :class:`InputError` naming the file
(and line), never a traceback or a hang.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, NotFound

try:  # the C loader is ten times faster; fall back quietly where libyaml is missing
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

#: Tekton objects live in etcd, which refuses objects over 1.5 MiB; a resource file
#: far larger than that is a mistake or an attack.
MAX_RESOURCE_BYTES = 4 * 1024 * 1024
#: How many nodes a document may have once its aliases are expanded.
MAX_EXPANDED_NODES = 200_000

_ANCHOR = re.compile(r"(^|[\s\[\{,:-])&[^\s\[\]{},]+")


def read_text(path: Path, *, limit: int = MAX_RESOURCE_BYTES) -> str:
    """The text of ``path``, refusing missing, unreadable, oversized and non-UTF-8 files."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise NotFound("no such file or directory", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from exc
    if path.is_dir():
        raise InputError("is a directory, expected a file", str(path))
    if size > limit:
        raise InputError(f"file is {size:,} bytes, over the limit of {limit:,}", str(path))
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from exc


def _where(name: str, mark: Any) -> str:
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once instead of looping
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = total
    return total


def compose_all(text: str, name: str) -> list[yaml.Node]:
    """The node trees of every document in ``text``, with line marks, alias-checked."""
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=SafeLoader) if n is not None]
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"invalid YAML: {exc.problem}", _where(name, exc.problem_mark)) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", name) from exc
    if _ANCHOR.search(text):
        for node in nodes:
            if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
                raise InputError(
                    f"YAML aliases expand to over {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)",
                    _where(name, node.start_mark),
                )
    return nodes


def construct(node: yaml.Node, name: str) -> Any:
    """Python data for one composed document."""
    loader = SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"invalid YAML: {exc.problem}", _where(name, exc.problem_mark)) from exc
    finally:
        loader.dispose()


def loads_all(text: str, name: str) -> list[Any]:
    """Every non-empty document in ``text`` as Python data."""
    if not _ANCHOR.search(text):
        # No anchors means no aliases: the fast path constructs straight from the C parser.
        try:
            return [d for d in yaml.load_all(text, Loader=SafeLoader) if d is not None]
        except yaml.MarkedYAMLError as exc:
            where = _where(name, exc.problem_mark)
            raise InputError(f"invalid YAML: {exc.problem}", where) from exc
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML: {exc}", name) from exc
    return [construct(node, name) for node in compose_all(text, name)]


def load_all(path: Path, *, limit: int = MAX_RESOURCE_BYTES) -> list[Any]:
    """Every document of a YAML file; an empty file is an error."""
    text = read_text(path, limit=limit)
    if not text.strip():
        raise InputError("file is empty", str(path))
    docs = loads_all(text, str(path))
    if not docs:
        raise InputError("file holds no YAML document", str(path))
    return docs


def load_one(path: Path, *, limit: int = MAX_RESOURCE_BYTES) -> Any:
    """The single document of a YAML file."""
    docs = load_all(path, limit=limit)
    if len(docs) > 1:
        raise InputError(f"expected one YAML document, found {len(docs)}", str(path))
    return docs[0]


def dump(data: Any) -> str:
    """Block-style YAML with keys in the order given: the one way the tool writes YAML."""
    return yaml.dump(
        data, Dumper=SafeDumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
        width=100,
    )


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
