"""Pipelines-as-Code's remote task and pipeline annotations.

``pipelinesascode.tekton.dev/task`` (and ``task-1``, ``task-2``...) and
``pipelinesascode.tekton.dev/pipeline`` hold one item or a bracketed, comma-separated
list. An item is a hub name (``git-clone``, ``git-clone:0.9`` for a version), a custom
hub catalog's (``mycatalog://git-clone[:0.9]``), an http(s) URL, or a file of the
repository (``.tekton/tasks/lint.yaml``). Each is read here as the resolver reference
that fetches the same thing (hub or http), so that one lookup serves both; a file of
the repository is a ``file`` reference, never resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..refs import ResolverRef

PREFIX = "pipelinesascode.tekton.dev/"
_KEY = re.compile(r"^pipelinesascode\.tekton\.dev/(task|pipeline)(-\d+)?$")


@dataclass(frozen=True)
class Item:
    """One item of an annotation: ``text`` as written and its place among the items."""

    key: str
    index: int
    text: str
    ref: ResolverRef


def is_pac_key(key: object) -> bool:
    return isinstance(key, str) and bool(_KEY.match(key))


def split(value: str) -> list[str]:
    """The items of an annotation value, stripped, as PaC reads them."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part.strip() for part in text.split(",") if part.strip()]


def replace_item(value: str, index: int, new: str) -> str:
    """``value`` with its ``index``-th item replaced by ``new``, all else as written."""
    parts = value.split(",")
    seen = -1
    for i, part in enumerate(parts):
        if part.strip().strip("[]").strip():
            seen += 1
        if seen == index:
            old = part.strip().strip("[]").strip()
            at = part.index(old)
            parts[i] = part[:at] + new + part[at + len(old):]
            return ",".join(parts)
    raise IndexError(index)


def _name_of_url(url: str) -> str:
    stem = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] if stem.endswith((".yaml", ".yml")) else ""


def parse_item(key: str, index: int, text: str) -> Item:
    kind = "Pipeline" if key.startswith(PREFIX + "pipeline") else "Task"
    lower = kind.lower()
    if text.startswith(("http://", "https://")):
        ref = ResolverRef("http", kind, _name_of_url(text), (("url", text),))
    elif "://" in text:
        catalog, _, rest = text.partition("://")
        name, _, version = rest.partition(":")
        params = (("catalog", catalog), ("kind", lower), ("name", name)) + ((("version", version),) if version else ())
        ref = ResolverRef("hub", kind, name, params)
    elif "/" in text or text.endswith((".yaml", ".yml")):
        ref = ResolverRef("file", kind, _name_of_url(text), (("path", text),))
    else:
        name, _, version = text.partition(":")
        params = (("kind", lower), ("name", name)) + ((("version", version),) if version else ())
        ref = ResolverRef("hub", kind, name, params)
    return Item(key, index, text, ref)


def items(annotations: object) -> Iterator[Item]:
    """Every remote task or pipeline item of a document's annotations, in order."""
    if not isinstance(annotations, dict):
        return
    for key, value in annotations.items():
        if is_pac_key(key) and isinstance(value, str):
            for i, text in enumerate(split(value)):
                yield parse_item(key, i, text)


def item_text(item: Item, ref: ResolverRef) -> str:
    """How ``ref`` (the item's reference moved to another version) is written as an item."""
    if ref.resolver == "http":
        return ref.param("url") or item.text
    version = ref.param("version")
    head = f"{ref.param('catalog')}://" if ref.param("catalog") else ""
    return f"{head}{ref.name}" + (f":{version}" if version else "")
