"""Only harmless SVG out of what Graphviz wrote: its labels are text from catalogs that
others write, and the result is put inline in web pages.

``dot`` escapes text as XML, but an SVG that reaches a page is re-read here anyway
and written anew from an allow-list: the drawing elements dot makes, their geometry
and presentation attributes, and text. No script, no ``on*`` attribute, no link, no
style sheet, no foreign object, no entity survives, whatever the input held.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from ..errors import CatalogError

ELEMENTS = frozenset({"svg", "g", "polygon", "polyline", "path", "ellipse", "text"})
ATTRIBUTES = frozenset({
    "class", "points", "d", "cx", "cy", "rx", "ry", "x", "y", "width", "height", "viewBox", "transform",
    "font-family", "font-size", "font-weight", "font-style", "text-anchor", "fill", "stroke",
    "stroke-width", "stroke-dasharray",
})
#: Attribute values may hold numbers, names, colours and dot's path syntax, nothing else
#: (no ``url(...)``, no ``javascript:``).
_VALUE = re.compile(r"^[-#.,0-9A-Za-z \t%_]*$")
_TRANSFORM = re.compile(r"^(\s*(scale|rotate|translate)\([-0-9., ]*\))*\s*$")
_CLASSES = frozenset({"graph", "node", "edge", "cluster"})


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def clean(svg: str, title: str) -> str:
    """``svg`` (as ``dot -Tsvg`` writes it) rewritten from the allow-list, an image
    whose accessible name is ``title``. Raises CatalogError when it is not XML."""
    try:
        root = ET.fromstring(svg.encode("utf-8"))
    except ET.ParseError as exc:
        raise CatalogError(f"Graphviz wrote an SVG that does not parse: {exc}") from exc
    if _local(root.tag) != "svg":
        raise CatalogError("Graphviz wrote something other than an SVG")
    out: list[str] = []
    _write(root, out, top=True, title=title)
    return "".join(out)


def _attr(name: str, value: str) -> str:
    """`` name="value"`` when the attribute is allowed and its value harmless, else ``""``."""
    if name not in ATTRIBUTES or not (_TRANSFORM if name == "transform" else _VALUE).match(value):
        return ""
    if name == "class":
        value = " ".join(c for c in value.split() if c in _CLASSES)
        if not value:
            return ""
    return f' {name}="{html.escape(value, quote=True)}"'


#: Attributes already written (most repeat from picture to picture: fill, stroke, fonts),
#: up to this many.
_SEEN_MAX = 1 << 14
_seen: dict[tuple[str, str], str] = {}


def _attrs(el: ET.Element) -> str:
    parts = []
    for item in sorted(el.attrib.items()):
        piece = _seen.get(item)
        if piece is None:
            piece = _attr(*item)
            if len(_seen) < _SEEN_MAX:
                _seen[item] = piece
        parts.append(piece)
    return "".join(parts)


def _write(el: ET.Element, out: list[str], top: bool = False, title: str = "") -> None:
    tag = _local(el.tag)
    if tag not in ELEMENTS or (tag == "svg" and not top):
        return  # title, a, script, foreignObject, style...: dropped with their content
    if top:
        out.append(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
                   f'aria-label="{html.escape(title, quote=True)}"{_attrs(el)}>')
    else:
        out.append(f"<{tag}{_attrs(el)}>")
    if el.text and tag == "text":
        out.append(html.escape(el.text, quote=False))
    for child in el:
        _write(child, out)
    out.append(f"</{tag}>")
