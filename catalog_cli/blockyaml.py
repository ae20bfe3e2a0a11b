"""A fast reader for block YAML: index.yaml as :func:`yamlio.dump` writes it, and
resource files (Tasks, Pipelines, rbac.yaml) as people write them.

PyYAML spends about 9 s on a 15,000-version index even with libyaml, and 6 s on the
15,000 Task files of a catalog that size, because it builds a node, two marks and a
resolver call for each scalar. This module reads a small part of YAML line by line:
block mappings and sequences (sequences indented under their key or not), plain and
quoted scalars, block scalars (``|``, ``>``, with ``-`` or ``+``), one-line flow
sequences of scalars, ``[]`` and ``{}``, comment lines, and documents separated by
``---``. It gives up (returns None) on anything else, so that the caller reads the text
with PyYAML, which stays the reference: the same text gives the same data through
either reader (tests/test_blockyaml.py and tests/test_blockyaml_documents.py check
this on every index and resource file the tests can find, on random documents and
careless edits, and on the quirks below).

What it never reads, and leaves to PyYAML: anchors, aliases and tags (so no alias
bomb gets past it), flow collections other than those above, block scalars with an
indentation indicator, a comment or nothing in them, double-quoted scalars over
several lines, comments after content on a line, ``?`` keys, ``...``, directives,
documents that are not mappings, tabs, carriage returns, trailing spaces, other line
breaks (NEL, U+2028, U+2029), characters PyYAML refuses, nesting deeper than
:data:`yamlio.MAX_DEPTH`, and any indentation it does not expect.

Plain scalars are resolved by PyYAML's own YAML 1.1 resolver and constructors, so
``0.10`` is the float 0.1 (the index writer quotes versions: ``'0.10'``), ``yes`` and
``on`` are True, ``2024-01-01`` is a date, ``<<`` (merge) and ``=`` make it give up.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from .yamlio import MAX_DEPTH
from .yamlscalars import (
    BLOCK,
    CLOSED,
    OPEN,
    QUOTED_KEY,
    SINGLE_END,
    NotMine,
    Plain,
    block,
    fold,
    quoted_key,
    scalar,
    uncomment,
)

#: Text PyYAML reads in some other way than this module does: tab, CR, the other line
#: breaks, BOM, and every character its reader refuses (the complement of what it prints).
#: Compiled on first use (4 ms: most text read here is ASCII, checked without it).
_FOREIGN = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
#: The same for ASCII text, as bytes to delete: what is left is foreign.
_ASCII_OK = b"\n" + bytes(range(0x20, 0x7F))
#: A line that starts or ends a document, or is a directive: ``---`` alone is read
#: (between documents), anything else like it is PyYAML's.
_MARKER = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)
#: What every such line starts with, found four times faster than with the pattern above.
_MAYBE_MARKER = re.compile(r"\n[-.%]")


def _plain_text(text: str) -> bool:
    """Whether ``text`` holds only what this module reads (see the module's docstring)."""
    if text.isascii():  # four times faster to check than with the regular expression
        if text.encode("ascii").translate(None, _ASCII_OK):
            return False
    elif re.compile(_FOREIGN).search(text):  # re keeps it compiled
        return False
    # trailing spaces: plain scalars drop them, quoted ones keep some, blank lines of
    # block scalars count them
    return " \n" not in text and not text.endswith(" ")


def read(text: str) -> dict[str, Any] | None:
    """The mapping ``text`` holds, exactly as PyYAML's safe loader reads it, or None when
    ``text`` is not block YAML of the kind this module reads (then read it with PyYAML)."""
    if not _plain_text(text) or _MARKER.search(text):
        return None
    try:
        return _read(text, _lines(text))
    except NotMine:
        return None


def read_all(text: str) -> list[dict[str, Any]] | None:
    """Every non-empty document of ``text`` (each a mapping), exactly as PyYAML's safe
    loader reads them (``yamlio.loads_all`` keeps the same ones), or None when ``text``
    is not block YAML of the kind this module reads."""
    if not _plain_text(text):
        return None
    marks = [m.start() for m in _MARKER.finditer(text)] \
        if _MAYBE_MARKER.search(text) or text.startswith(("-", ".", "%")) else []
    if not marks:
        try:
            return [_read(text, _lines(text))]
        except NotMine:
            return None
    docs: list[dict[str, Any]] = []
    try:
        for i, (start, end) in enumerate(zip([0, *marks], [*marks, len(text)], strict=True)):
            part = text[start:end]
            if i:
                if not part.startswith("---") or part[3:4] not in ("\n", ""):
                    return None  # ``...``, a directive, ``--- value``: PyYAML's
                part = part[4:]
            if _has_content(part):
                docs.append(_read(part, _lines(part)))
    except NotMine:
        return None
    return docs


def _has_content(text: str) -> bool:
    """Whether ``text`` has a line other than blank ones and comments."""
    return any(line.strip(" ") and not line.lstrip(" ").startswith("#") for line in text.split("\n"))


#: Lines are split off the text this many characters at a time, not all at once: the
#: half million line objects of a large index would weigh 35 MiB.
_CHUNK = 1 << 16


def _chunks(text: str) -> Iterator[list[str]]:
    """The lines of ``text`` after the blank lines and comments before the document, a
    few thousand at a time (the line break that ends the text starts no line)."""
    start, n = 0, len(text) - text.endswith("\n")
    while start < n and text[start] in "#\n":
        end = text.find("\n", start, n)
        start = n if end < 0 else end + 1
    if start >= n:
        raise NotMine  # empty, or comments only: no mapping
    while start < n:
        end = text.find("\n", start + _CHUNK, n)
        if end < 0:
            end = n
        yield text[start:end].split("\n")
        start = end + 1


def _lines(text: str) -> Iterator[str]:
    return itertools.chain.from_iterable(_chunks(text))


#: Scalars and keys already read, kept from one text to the next (the keys and short
#: values of Tasks repeat from file to file); forgotten when they grow past this many.
_MEMO_SIZE = 20_000
_PLAIN = Plain()
_KEYS: dict[str, Any] = {}  # key text -> key
_VALUES: dict[str, Any] = {}  # scalar text (the rest of a line) -> scalar (immutable), when it is one


def _memo() -> tuple[Plain, dict[str, Any], dict[str, Any]]:
    for memo in (_PLAIN.seen, _KEYS, _VALUES):
        if len(memo) > _MEMO_SIZE:
            memo.clear()
    return _PLAIN, _KEYS, _VALUES


#: A line with this first character is a comment outside scalars.
_COMMENT = "#"


def _read(text: str, lines: Iterator[str]) -> dict[str, Any]:
    """The reader: one pass over the lines of one document, keeping the open
    containers on a stack.

    Written for speed (an index has half a million lines): a line's scalar is looked up
    among those met before, and only new ones are examined."""
    plain, keys, values = _memo()
    root: dict[Any, Any] = {}
    # Open containers, innermost last: (column, is a sequence, the container). A
    # mapping's column is its keys', a sequence's its dashes'.
    stack: list[tuple[int, bool, Any]] = [(0, False, root)]
    top: Any = root
    top_col, top_seq = 0, False
    # The line before was ``key:`` with nothing after it: the value of ``top[slot]`` is
    # the block below it, or null.
    pending = False
    # The last scalar went to ``top[slot]``, read from ``rest``; lines indented past
    # ``top`` continue it (``parts``: its lines so far, None for a blank one; folded
    # when it ends, not at each line, which would take time growing as its square).
    slot: Any = None
    rest = ""
    parts: list[str | None] | None = None
    quoted_open = False  # ``rest`` opened a single-quoted scalar that is not closed yet
    blanks = 0
    # A block scalar being read into ``top[slot]``: its header, its lines (None for a
    # blank one), the least column its content may have, and its content's column
    # (0 until its first line says).
    header = ""
    scalar_lines: list[str | None] | None = None
    least = content_col = 0
    pad = ""
    for line in lines:
        if scalar_lines is not None:
            if not line:
                scalar_lines.append(None)
                continue
            if content_col and line.startswith(pad):
                scalar_lines.append(line[content_col:])
                continue
            col = len(line) - len(line.lstrip(" "))
            if not content_col:
                if col < least:
                    raise NotMine  # an empty block scalar: PyYAML's
                content_col, pad = col, " " * col
                scalar_lines.append(line[col:])
                continue
            top[slot] = block(scalar_lines, header, True)
            scalar_lines = None
            rest = "|"  # nothing may continue it
        if not line:
            blanks += 1
            continue
        body = line.lstrip(" ")
        col = len(line) - len(body)
        if quoted_open:
            parts = _continue(parts, rest, blanks, body, col, top_col, quoted_open)
            blanks = 0
            if parts[-1] is CLOSED:
                parts.pop()
                top[slot] = fold(parts).replace("''", "'")
                quoted_open, rest, parts = False, "'", None  # nothing may continue it now
            continue
        if body[0] == _COMMENT:
            if parts is not None:
                raise NotMine  # a comment ends a plain scalar over lines: what follows is PyYAML's
            rest, blanks = _COMMENT, 0  # nothing may continue the scalar before it
            continue
        if col > top_col and not pending:
            parts = _continue(parts, rest, blanks, body, col, top_col, quoted_open)
            blanks = 0
            continue
        blanks = 0
        if parts is not None:  # a plain scalar over several lines ended on the line before
            top[slot] = plain.resolve(fold(parts))
            parts = None
        dash = body[0] == "-" and body[1:2] == " "
        if pending:
            pending = False
            if dash and col >= top_col:  # a sequence, indented under its key or not
                new: Any = []
                top[slot] = new
                stack.append((col, True, new))
                top_col, top_seq, top = col, True, new
            elif not dash and col > top_col:
                new = {}
                top[slot] = new
                stack.append((col, False, new))
                top_col, top_seq, top = col, False, new
            else:
                top[slot] = None
            if len(stack) >= MAX_DEPTH:  # deep documents: PyYAML's checks say why
                raise NotMine
        # Close what this line's column closes; a line at a sequence's column without a
        # dash ends it (the sequence was the value of a key in the mapping around it).
        while top_col > col or (top_seq and top_col == col and not dash):
            stack.pop()
            if not stack:
                raise NotMine
            top_col, top_seq, top = stack[-1]
        if top_col != col or top_seq != dash:
            raise NotMine
        if dash:
            body = body[2:]
            if (body[0] == "'" and not QUOTED_KEY.match(body)) or (": " not in body and body[-1] != ":"):
                # ``- value``
                slot, rest = len(top), body
                ended = False
                if "#" in rest:
                    bare = uncomment(rest)
                    rest, ended = bare, bare != rest
                    if not rest:
                        raise NotMine  # ``- # ...``: the item is below, or null
                value = values.get(rest, values)
                if value is values:
                    value = scalar(rest, values, plain)
                    if value is OPEN:
                        value, quoted_open = None, True
                    elif value is BLOCK:
                        value, header, scalar_lines, least, content_col = None, rest, [], top_col + 1, 0
                top.append(value)
                if ended:
                    rest = _COMMENT  # a comment ends the line's scalar: nothing may continue it
                continue
            # ``- key: ...`` starts a mapping whose keys are two columns further.
            item: dict[Any, Any] = {}
            top.append(item)
            col += 2
            stack.append((col, False, item))
            top_col, top_seq, top = col, False, item
            if len(stack) >= MAX_DEPTH:
                raise NotMine
        # ``key: value``, ``key:`` or ``'key': ...``
        if body[0] == "'":
            slot, rest = quoted_key(body)
        else:
            k, sep, rest = body.partition(": ")
            if not sep:
                if body[-1] != ":":
                    raise NotMine  # a bare value where a key belongs
                k, rest = body[:-1], ""
            slot = keys.get(k, keys)
            if slot is keys:
                slot = keys[k] = plain.key(k)
        ended = False
        if "#" in rest:
            bare = uncomment(rest)
            rest, ended = bare, bare != rest
        if not rest:
            pending = True
            continue
        value = values.get(rest, values)
        if value is values:
            value = scalar(rest, values, plain)
            if value is OPEN:
                value, quoted_open = None, True
            elif value is BLOCK:
                value, header, scalar_lines, least, content_col = None, rest, [], top_col + 1, 0
        top[slot] = value
        if ended:
            rest = _COMMENT
    if scalar_lines is not None:
        if not any(scalar_lines):
            raise NotMine  # an empty block scalar: PyYAML's
        top[slot] = block(scalar_lines, header, text.endswith("\n"))
    if quoted_open:
        raise NotMine
    if parts is not None:
        top[slot] = plain.resolve(fold(parts))
    if pending:
        top[slot] = None
    return root


def _continue(parts: list[str | None] | None, rest: str, blanks: int, body: str, col: int,
              top_col: int, quoted: bool) -> list[str | None]:
    """The lines of the scalar read from ``rest`` so far (None for a blank one), with
    ``body``, the next line (at column ``col``, after ``blanks`` blank lines); a
    single-quoted scalar's last line is followed by CLOSED."""
    if col <= top_col:
        raise NotMine  # a quoted scalar whose lines PyYAML reads in its own way
    if parts is None:
        if quoted:
            parts = [rest[1:]]
        elif rest and rest[0] not in "'\"[{|>#":
            parts = [rest]
        else:
            raise NotMine  # nothing that continues: PyYAML says what this is
    parts += [None] * blanks
    if not quoted:
        if body[0] == "#" or ": " in body or " #" in body or body[-1] == ":":
            raise NotMine
        parts.append(body)
    elif "'" in body:
        end = SINGLE_END.match(body)
        if end is None or end.end() != len(body):
            raise NotMine  # something after the closing quote
        parts += [body[:-1], CLOSED]
    else:
        parts.append(body)
    return parts
