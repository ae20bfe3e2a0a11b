"""Reading YAML safely: one place that knows file limits, aliases and PyYAML's errors.

Every YAML file the tool reads comes through here, so that malformed, empty,
oversized, too deeply nested or alias-bomb input becomes one :class:`InputError`
naming the file (and line), never a traceback or a hang.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, NotFound

try:  # the C loader is ten times faster; fall back quietly where libyaml is missing
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    # The stubs give the C classes types of their own; the pure-Python ones stand in.
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

#: Tekton objects live in etcd, which refuses objects over 1.5 MiB; a resource file
#: far larger than that is a mistake or an attack.
MAX_RESOURCE_BYTES = 4 * 1024 * 1024
#: How many nodes a document may have once its aliases are expanded.
MAX_EXPANDED_NODES = 200_000
#: How deeply containers may nest (the document's root is level 0). libyaml stops at
#: 1,000, but the code that walks documents (lint's checks, jsonschema, json, deepcopy)
#: recurses and dies near 300; no Kubernetes object comes close to 100. Lint, index,
#: info, render and every other reader refuse the same documents because all of them
#: load through this module.
MAX_DEPTH = 100

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


def _where(name: str, mark: yaml.Mark | None) -> str:
    return f"{name}:{mark.line + 1}" if mark is not None else name


def _too_deep(name: str, mark: yaml.Mark | None = None) -> InputError:
    return InputError(f"nested deeper than {MAX_DEPTH} levels", _where(name, mark))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_nodes(root: yaml.Node, name: str, aliases: bool) -> None:
    """Refuse a composed document that is recursive, too deep, or (with ``aliases``: the
    text has anchors) whose aliases expand to too many nodes. Iterative, so that a deep
    document cannot exhaust Python's stack; linear in the nodes, since each shared node
    is measured once and its expanded size and height remembered: an alias bomb costs
    no more to measure than to parse."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}  # levels of containers at and below a node; 0 for a scalar
    entered: set[int] = set()  # nodes on the current path: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            entered.discard(key)
            continue
        if key in size:
            continue
        if key in entered:
            raise InputError("a YAML alias refers to a node that contains it (a recursive alias)",
                             _where(name, node.start_mark))
        if not isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            size[key], height[key] = 1, 0
            continue
        entered.add(key)
        stack.append((node, True))
        stack += [(k, False) for k in _children(node) if id(k) not in size]
    if aliases and size[id(root)] > MAX_EXPANDED_NODES:
        raise InputError(f"YAML aliases expand to over {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)",
                         _where(name, root.start_mark))
    if height[id(root)] > MAX_DEPTH + 1:
        # Name the line where the limit is crossed: follow the deepest branch down to it.
        node = root
        for _ in range(MAX_DEPTH + 1):
            node = max(_children(node), key=lambda k: height[id(k)])
        raise _too_deep(name, node.start_mark)


def _check_data(doc: Any, name: str) -> None:
    """Refuse constructed data nested deeper than MAX_DEPTH (the fast path has no aliases,
    so it is a tree). Iterative, like :func:`_check_nodes`."""
    stack: list[tuple[Any, int]] = [(doc, 0)] if isinstance(doc, (dict, list)) else []
    while stack:
        value, level = stack.pop()
        if level > MAX_DEPTH:
            raise _too_deep(name)
        items = value.values() if isinstance(value, dict) else value
        stack += [(v, level + 1) for v in items if isinstance(v, (dict, list))]


def compose_all(text: str, name: str) -> list[yaml.Node]:
    """The node trees of every document in ``text``, with line marks, checked: not
    recursive, not deeper than MAX_DEPTH, aliases within MAX_EXPANDED_NODES."""
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=SafeLoader) if n is not None]
    except yaml.MarkedYAMLError as exc:
        raise InputError(f"invalid YAML: {exc.problem}", _where(name, exc.problem_mark)) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", name) from exc
    aliases = bool(_ANCHOR.search(text))
    for node in nodes:
        _check_nodes(node, name, aliases)
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
    from . import blockyaml  # imports this module

    # Block YAML as people write Tasks reads six times faster through blockyaml, with
    # the same result (it has no aliases and declines deep nesting); anything else is
    # read by PyYAML, with every check below.
    fast = blockyaml.read_all(text)
    if fast is not None:
        return fast
    if not _ANCHOR.search(text):
        # No anchors means no aliases: the fast path constructs straight from the C parser.
        try:
            docs = [d for d in yaml.load_all(text, Loader=SafeLoader) if d is not None]
        except yaml.MarkedYAMLError as exc:
            where = _where(name, exc.problem_mark)
            raise InputError(f"invalid YAML: {exc.problem}", where) from exc
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML: {exc}", name) from exc
        for doc in docs:
            _check_data(doc, name)
        return docs
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


class _Readable(SafeDumper):
    """Multi-line strings (step scripts) as literal blocks, ``|``, as people write them."""


def _str(dumper: SafeDumper, value: str) -> yaml.ScalarNode:
    # The emitter keeps "|" only where a literal block reads back the same string (no
    # trailing spaces, no control characters...); elsewhere it quotes, as before.
    style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Readable.add_representer(str, _str)


def dump(data: Any, *, ascii_only: bool = False, literal_blocks: bool = False) -> str:
    """Block-style YAML with keys in the order given: the one way the tool writes YAML.
    ``ascii_only`` writes every other character as an escape in a quoted string (the
    same data, read back). ``literal_blocks`` writes multi-line strings as ``|`` blocks,
    for people to review (output, not files whose bytes something else records)."""
    return yaml.dump(
        data, Dumper=_Readable if literal_blocks else SafeDumper, sort_keys=False, default_flow_style=False,
        allow_unicode=not ascii_only, width=100,
    )


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new, never half
    (:func:`catalog_cli.fsutil.atomic_write`, for a file the user asked for)."""
    from .fsutil import atomic_write as write

    write(path, text)
