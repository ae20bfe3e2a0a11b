"""Only harmless SVG out of what Graphviz wrote, and out of the pictures a catalog's
READMEs show: labels and pictures come from catalogs that others write, and the
result is put inline in web pages or served from the site's own address.

``dot`` escapes text as XML, but an SVG that reaches a page is re-read here anyway
and written anew from an allow-list: the drawing elements dot makes, their geometry
and presentation attributes, and text. No script, no ``on*`` attribute, no link, no
style sheet, no foreign object, no entity survives, whatever the input held. A README's
picture (:func:`picture`) is written anew the same way from a slightly longer list of
shapes, and refused whole when it declares a DTD or entities, or does not parse.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from ..errors import CatalogError

ELEMENTS = frozenset({"svg", "g", "polygon", "polyline", "path", "ellipse", "text"})
ATTRIBUTES: frozenset[str] = frozenset({
    "class", "points", "d", "cx", "cy", "rx", "ry", "x", "y", "width", "height", "viewBox", "transform",
    "font-family", "font-size", "font-weight", "font-style", "text-anchor", "fill", "stroke",
    "stroke-width", "stroke-dasharray",
})
#: Attribute values may hold numbers, names, colours and dot's path syntax, nothing else
#: (no ``url(...)``, no ``javascript:``).
_VALUE = re.compile(r"^[-#.,0-9A-Za-z \t%_]*$")
_TRANSFORM = re.compile(r"^(\s*(scale|rotate|translate)\([-0-9., ]*\))*\s*$")
_CLASSES = frozenset({"graph", "node", "edge", "cluster"})


#: A README's picture may also hold these shapes and their attributes.
PICTURE_ELEMENTS = ELEMENTS | {"rect", "circle", "line", "tspan"}
PICTURE_ATTRIBUTES = (ATTRIBUTES - {"class"}) | {
    "x1", "y1", "x2", "y2", "r", "dx", "dy", "opacity", "fill-opacity", "stroke-opacity", "stroke-linecap",
    "stroke-linejoin", "fill-rule"}
#: A README's picture larger than this is not shown.
MAX_PICTURE_BYTES = 1024 * 1024


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


def _attr(name: str, value: str, allowed: frozenset[str] = ATTRIBUTES) -> str:
    """`` name="value"`` when the attribute is allowed and its value harmless, else ``""``."""
    if name not in allowed or not (_TRANSFORM if name == "transform" else _VALUE).match(value):
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


def picture(data: bytes) -> bytes | None:
    """A README's SVG picture written anew from the allow-list, or None when it is too
    big, declares a DTD or entities (what the XML parser would expand), or does not parse
    as one SVG: then it is not shown at all."""
    if len(data) > MAX_PICTURE_BYTES or b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        return None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    if _local(root.tag) != "svg":
        return None
    out: list[str] = ['<svg xmlns="http://www.w3.org/2000/svg"']
    out.append("".join(_attr(k, v, PICTURE_ATTRIBUTES) for k, v in sorted(root.attrib.items())) + ">")
    for child in root:
        _write_picture(child, out)
    out.append("</svg>\n")
    return "".join(out).encode()


def _write_picture(el: ET.Element, out: list[str]) -> None:
    tag = _local(el.tag)
    if tag not in PICTURE_ELEMENTS or tag == "svg":
        return  # a, script, foreignObject, style, image, use, defs...: dropped with their content
    out.append(f"<{tag}{''.join(_attr(k, v, PICTURE_ATTRIBUTES) for k, v in sorted(el.attrib.items()))}>")
    if el.text and tag in ("text", "tspan"):
        out.append(html.escape(el.text, quote=False))
    for child in el:
        _write_picture(child, out)
        if child.tail and tag in ("text", "tspan"):
            out.append(html.escape(child.tail, quote=False))
    out.append(f"</{tag}>")
