"""What changed between two versions: their interfaces (params, workspaces, results, read
from each version's own file) and the changelog the catalog carries (the
``artifacthub.io/changes`` annotation, else a "Changes" or "Changelog" section of the
version's README.md)."""

from __future__ import annotations

import re
from typing import Any

from .. import yamlio
from ..errors import CatalogError
from ..model import Entry, Named, Param, ResourceDetail
from ..sources.base import Catalog

CHANGES_ANNOTATION = "artifacthub.io/changes"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CHANGES_TITLE = re.compile(r"^(changes|changelog|change log|what'?s new|release notes)\b", re.IGNORECASE)
MAX_LINES = 40


def _param(p: Param) -> str:
    return p.type + (", optional" if p.has_default else ", required")


def diff(old: ResourceDetail, new: ResourceDetail) -> list[str]:
    """One line per param, workspace or result added, removed or changed."""
    out = []
    was = {p.name: p for p in old.params}
    now = {p.name: p for p in new.params}
    for name, p in now.items():
        if name not in was:
            out.append(f"param {name} added ({_param(p)})")
        elif (was[name].type, was[name].has_default) != (p.type, p.has_default):
            out.append(f"param {name} changed: {_param(was[name])} -> {_param(p)}")
    out += [f"param {name} removed" for name in was if name not in now]
    out += _named("workspace", old.workspaces, new.workspaces, optional=True)
    out += _named("result", old.results, new.results, optional=False)
    return out


def _named(what: str, old: tuple[Named, ...], new: tuple[Named, ...], *, optional: bool) -> list[str]:
    was = {n.name: n for n in old}
    now = {n.name: n for n in new}
    out = []
    for name, n in now.items():
        tail = (" (optional)" if n.optional else " (required)") if optional else ""
        if name not in was:
            out.append(f"{what} {name} added{tail}")
        elif optional and was[name].optional != n.optional:
            out.append(f"{what} {name} is now {'optional' if n.optional else 'required'}")
    return out + [f"{what} {name} removed" for name in was if name not in now]


def _annotation_changes(document: dict[str, Any]) -> list[str]:
    meta = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    raw = (meta.get("annotations") or {}).get(CHANGES_ANNOTATION) if isinstance(meta, dict) else None
    if not isinstance(raw, str) or not raw.strip():
        return []
    try:
        items = yamlio.loads_all(raw, CHANGES_ANNOTATION)
    except CatalogError:
        return [line.strip() for line in raw.splitlines() if line.strip()]
    out = []
    for item in (items[0] if items and isinstance(items[0], list) else []):
        if isinstance(item, dict):
            out.append(f"{item.get('kind', 'changed')}: {item.get('description', '')}".strip())
        else:
            out.append(str(item))
    return out


def readme_changes(text: str) -> list[str]:
    """The lines of the first Changes/Changelog section of a README (Markdown)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if m and _CHANGES_TITLE.match(m[2]):
            level = len(m[1])
            body = []
            for rest in lines[i + 1:]:
                h = _HEADING.match(rest)
                if h and len(h[1]) <= level:
                    break
                body.append(rest)
            return [b for b in "\n".join(body).strip().splitlines()][:MAX_LINES]
    return []


def changelog(catalog: Catalog, entry: Entry) -> list[str]:
    """What the catalog says changed in ``entry``'s version; empty when it says nothing
    (or its files cannot be read: the interface diff still stands)."""
    try:
        found = _annotation_changes(catalog.load_resource(entry))
        if found:
            return found
        readme = next((f for f in entry.files if f.path.rsplit("/", 1)[-1].lower() == "readme.md"), None)
        if readme is None:
            return []
        return readme_changes(catalog.read_file(readme.path, readme.digest).decode("utf-8", "replace"))
    except CatalogError:
        return []
