"""What a README may link to or show from beside it, and where that is on the site.

A README's relative link or image names a path from its own folder. It is followed
only when it stays in its resource's folder (``task/NAME/``: the version folders and
what they hold; a folder holding the resource file itself in the one-folder layout),
names a file the index lists for a version of that resource (so that it is read through
the catalog and checked against its digest), and is of a kind a browser shows rather
than runs:

- raster pictures (PNG, JPEG, GIF, WebP) whose first bytes say they are what their name
  says; SVG pictures written anew by :func:`graph.svgsafe.picture` (no script, link,
  style or foreign object survives), or not at all;
- plain text a link may open (YAML, JSON, Markdown, shell and other scripts, text).

Such a file is copied into the site under ``r/KIND/NAME/files/`` with its path from
the resource's folder, and the link or image points there; a link to a version's
folder or its README goes to that version's page. Everything else keeps its text and
loses its target (a link) or stays its alt text (an image): remote pictures (the site
loads nothing from elsewhere), ``..`` out of the resource, absolute paths, anything
with a query, a name outside ``[A-Za-z0-9_][A-Za-z0-9._+-]*`` in any part of the path,
HTML, XML, JavaScript, PDF, files without an extension, and files the index does not name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import unquote

from .. import versions
from ..graph.svgsafe import picture
from ..model import Entry
from .plan import page_path

#: A part of a path a link may name (no leading dot: no hidden file, no ``..``).
SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")
#: Raster pictures by extension, with the bytes such a file starts with.
RASTER = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
          ".gif": (b"GIF87a", b"GIF89a"), ".webp": (b"RIFF",)}
SVG = ".svg"
#: Files a link may open as text: no browser runs them, whatever a web server calls them.
TEXTS = frozenset({".yaml", ".yml", ".json", ".md", ".txt", ".sh", ".bash", ".py", ".go", ".java", ".groovy",
                   ".properties", ".toml", ".cfg", ".conf", ".ini", ".csv", ".tf", ".rb", ".gradle"})
#: A file larger than this is not copied.
MAX_BYTES = 4 * 1024 * 1024
FILES = "files"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_FRAGMENT = re.compile(r"^[A-Za-z0-9_.-]*$")
#: Link destinations in Markdown source: ``](dest`` and ``[label]: dest`` (what cmark
#: reads may be a little different; a file missed here is only not linked). Two
#: patterns: the first starts with a literal, which the engine finds fifteen times
#: faster than it tries the second at every line.
_INLINE = re.compile(r"\]\(\s*<?([^\s)>]+)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)", re.MULTILINE)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def readme_path(entry: Entry) -> str:
    """Where ``entry``'s README is, when it has one."""
    folder = entry.path.rpartition("/")[0]
    return f"{folder}/README.md" if folder else "README.md"


def resource_folder(entry: Entry) -> str:
    """The folder of ``entry``'s resource: ``task/NAME`` for ``task/NAME/VERSION/NAME.yaml``,
    else the folder of its file."""
    folder = entry.path.rpartition("/")[0]
    parent, _, last = folder.rpartition("/")
    if parent and parent.rpartition("/")[2] == entry.name and versions.is_version(last):
        return parent
    return folder


def target(url: str, entry: Entry) -> str | None:
    """The catalog path a README's ``url`` (relative to its folder, fragment removed) names
    inside ``entry``'s resource folder, or None: remote, absolute, with a query, leaving
    the resource's folder, or with a part of its path that is not plainly a file name."""
    if not url or "?" in url or "\\" in url or url.startswith(("/", "~")) or _SCHEME.match(url):
        return None
    path = unquote(url)
    if path.startswith("/") or any(c in path for c in "\\\0") or not path.isprintable():
        return None
    top = resource_folder(entry).split("/")
    parts = entry.path.split("/")[:-1]
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) <= len(top):
                return None
            parts.pop()
        elif SAFE_PART.match(part):
            parts.append(part)
        else:
            return None
    return "/".join(parts)


def site_path(path: str, entry: Entry) -> str:
    """Where the site holds a copy of ``path`` (a :func:`target` of ``entry``), from its page's folder."""
    return f"{FILES}/{path[len(resource_folder(entry)) + 1:]}"


def kind_of(path: str) -> str | None:
    """``"picture"``, ``"svg"``, ``"text"`` or None (never copied), by the name's extension."""
    dot = path.rfind(".")
    ext = path[dot:].lower() if dot > path.rfind("/") + 1 else ""
    if ext in RASTER:
        return "picture"
    if ext == SVG:
        return "svg"
    return "text" if ext in TEXTS else None


def candidates(readme: str, entry: Entry) -> list[str]:
    """The catalog paths ``readme`` (Markdown source) seems to link to or show from
    ``entry``'s resource folder that could be copied: the files to read with it."""
    out: list[str] = []
    found = _INLINE.findall(readme) if "](" in readme else []
    if "]:" in readme:
        found += _REFERENCE.findall(readme)
    for dest in found:
        url = _ESCAPED.sub(r"\1", dest).split("#", 1)[0]
        path = target(url, entry)
        if path is not None and kind_of(path) is not None and path not in out:
            out.append(path)
    return out


def usable(path: str, data: bytes, image: bool) -> bytes | None:
    """What the site holds for ``path`` (read as ``data``), shown as an image or opened
    by a link: the bytes, an SVG written anew, or None when it is not to be copied."""
    kind = kind_of(path)
    if kind is None or len(data) > MAX_BYTES or (image and kind == "text"):
        return None
    if kind == "svg":
        return picture(data)
    if kind == "picture":
        starts = RASTER[path[path.rfind("."):].lower()]
        if not data.startswith(starts) or (starts == (b"RIFF",) and data[8:12] != b"WEBP"):
            return None
    return data


@dataclass
class Linker:
    """Where the README of ``entry`` (one of ``versions``, its resource's) leads its
    links and images on the site; ``files`` holds the linked files as read and checked.
    The files to copy, by their path from the page's folder, gather in ``copies``."""

    entry: Entry
    versions: tuple[Entry, ...]
    files: dict[str, bytes]
    copies: dict[str, bytes] = field(default_factory=dict)
    #: Whether a relative link or image was met: the README's HTML then depends on where it is.
    met: bool = False

    @cached_property
    def pages(self) -> dict[str, str]:
        """Each version's folder -> the name of its page (a resource's pages are side by side)."""
        return {e.path.rpartition("/")[0]: page_path(e.kind, e.name, e.version).rpartition("/")[2]
                for e in self.versions}

    def __call__(self, url: str, image: bool) -> str | None:
        """The site's URL (relative to the page) for ``url``, or None: drop the target."""
        self.met = True
        url, _, fragment = url.partition("#")
        path = target(url, self.entry)
        if path is None:
            return None
        if not image:
            page = self.pages.get(path.removesuffix("/README.md"))
            if page is not None:
                return page
        data = self.files.get(path)
        kept = usable(path, data, image) if data is not None else None
        if kept is None:
            return None
        rel = site_path(path, self.entry)
        self.copies[rel] = kept
        return f"{rel}#{fragment}" if fragment and not image and _FRAGMENT.match(fragment) else rel
