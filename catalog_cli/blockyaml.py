"""A fast reader for the plain block YAML that :func:`yamlio.dump` writes, such as index.yaml.

PyYAML spends about 9 s on a 15,000-version index even with libyaml, because it builds
a node, two marks and a resolver call for each of the 700,000 scalars. The
index is written by :func:`catalog_cli.index.render`, so it uses a small part of YAML:
block mappings and sequences (sequences not indented under their key), plain and
quoted scalars, ``[]`` and ``{}``. This module reads that part line by line and gives
up (returns None) on anything else, so that the caller reads the text with PyYAML,
which stays the reference: the same text gives the same data through either reader
(tests/test_blockyaml.py checks this on every index the tests use and on the quirks
below).

What it never reads, and leaves to PyYAML: anchors, aliases and tags (so no alias
bomb gets past it), flow collections other than ``[]`` and ``{}``, block scalars
(``|``, ``>``), double-quoted scalars over several lines, ``?`` keys, comments after
the first content line, several documents, directives, tabs, carriage returns, other
line breaks (NEL, U+2028, U+2029), characters PyYAML refuses, nesting deeper than
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

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .yamlio import MAX_DEPTH

try:  # the loader yamlio reads with, which this module must agree with
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

#: Text PyYAML reads in some other way than this module does: tab, CR, the other line
#: breaks, BOM, and every character its reader refuses (the complement of what it prints).
#: Compiled on first use (4 ms: most text read here is ASCII, checked without it).
_FOREIGN = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
#: The same for ASCII text, as bytes to delete: what is left is foreign.
_ASCII_OK = b"\n" + bytes(range(0x20, 0x7F))
#: Plain keys this module reads; a key is otherwise single-quoted on one line.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_./]*")
_QUOTED_KEY = re.compile(r"'((?:[^']|'')*)':(?: +(.*))?$")
#: First characters that make a plain scalar something else (or an error) to YAML.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SINGLE_END = re.compile(r"(?:[^']|'')*'")  # a single-quoted body up to its closing quote
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"')  # a double-quoted scalar closed on its line
#: Longest simple key PyYAML accepts (it refuses longer ones).
_MAX_KEY = 1000
#: Scalars shorter than this are remembered: the ones that repeat (``Task``, ``false``,
#: ``linux/amd64``) are short, digests and paths are long and unique.
_MEMO = 32

_STR = "tag:yaml.org,2002:str"
#: First characters of plain scalars that are strings whatever follows: no implicit
#: resolver of PyYAML's looks at them, and they are no indicator.
_PLAIN_STRINGS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set(_INDICATORS) - {
    k for k in Resolver.yaml_implicit_resolvers if k}
_SCALAR_TAGS = {"tag:yaml.org,2002:" + t for t in ("bool", "int", "float", "null", "timestamp")}


class _NotMine(Exception):
    """The text strays outside the subset: let PyYAML read it."""


class _Plain:
    """PyYAML's reading of plain scalars (YAML 1.1: its resolver, then its constructors),
    remembered, since an index repeats most of them."""

    def __init__(self) -> None:
        # Scalars whose first character no implicit resolver looks at are strings.
        resolvers = Resolver.yaml_implicit_resolvers
        if resolvers.get(None):  # pragma: no cover - PyYAML has no catch-all resolver
            raise RuntimeError("PyYAML resolves every scalar: the fast reader does not know how")
        self.resolvers = resolvers
        self.seen: dict[str, Any] = {}
        self.constructor = SafeConstructor()

    def resolve(self, text: str) -> Any:
        seen = self.seen.get(text, self)
        if seen is not self:
            return seen
        tag = _STR
        for candidate, regexp in self.resolvers.get(text[:1], ()):
            if regexp.match(text):
                tag = candidate
                break
        if tag == _STR:
            value: Any = text
        elif tag in _SCALAR_TAGS:
            value = self.constructor.yaml_constructors[tag](self.constructor, yaml.ScalarNode(tag, text))
        else:  # merge keys, the value tag: PyYAML's business
            raise _NotMine
        if len(text) < _MEMO:
            self.seen[text] = value
        return value

    def key(self, text: str) -> Any:
        """A mapping key written ``text`` (before its colon)."""
        if not text or len(text) > _MAX_KEY or not _PLAIN_KEY.fullmatch(text):
            raise _NotMine
        return self.resolve(text)


def read(text: str) -> dict[str, Any] | None:
    """The mapping ``text`` holds, exactly as PyYAML's safe loader reads it, or None when
    ``text`` is not block YAML of the kind this module reads (then read it with PyYAML)."""
    if text.isascii():  # four times faster to check than with the regular expression
        if text.encode("ascii").translate(None, _ASCII_OK):
            return None
    elif re.compile(_FOREIGN).search(text):  # re keeps it compiled
        return None
    if " \n" in text or text.endswith(" "):
        return None  # trailing spaces: plain scalars drop them, quoted ones keep some
    try:
        return _read(text)
    except _NotMine:
        return None


def _fold(parts: list[str | None]) -> str:
    """Lines of a flow scalar (plain or single-quoted; None for a blank line) as YAML
    folds them: a line break is a space, unless blank lines follow it, which are a
    newline each."""
    out = [parts[0] or ""]
    blanks = 0
    for part in parts[1:]:
        if part is None:
            blanks += 1
            continue
        out.append("\n" * blanks if blanks else " ")
        out.append(part)
        blanks = 0
    return "".join(out)


def _quoted_key(body: str) -> tuple[str, str]:
    """The key and the rest of a line that starts with a single-quoted key."""
    m = _QUOTED_KEY.match(body)
    if m is None or m.end(1) + 1 > _MAX_KEY:  # the key, with its quotes
        raise _NotMine
    return m.group(1).replace("''", "'"), m.group(2) or ""


def _double(text: str) -> str:
    """A double-quoted scalar closed on its line: PyYAML reads its escapes."""
    if not _DOUBLE.fullmatch(text):
        raise _NotMine  # over several lines, or more after it
    try:
        value = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError:
        raise _NotMine from None  # a bad escape: PyYAML says where, with its checks
    if not isinstance(value, str):  # pragma: no cover - a quoted scalar is a string
        raise _NotMine
    return value


_OPEN = object()  # a single-quoted scalar that goes on past its first line
_CLOSED = "\0"  # marks the end of a single-quoted scalar's lines (never in the text)


def _scalar(text: str, values: dict[str, Any], plain: _Plain) -> Any:
    """What ``text`` (the rest of a line) is: a scalar (remembered in ``values`` when it
    is short, as the ones that repeat are), an empty collection, or _OPEN for a
    single-quoted scalar that goes on."""
    c = text[0]
    if c == "'":
        if text[-1] == "'" and len(text) > 1 and "'" not in text[1:-1]:
            value: Any = text[1:-1]
        else:
            end = _SINGLE_END.match(text, 1)
            if end is None:
                return _OPEN
            if end.end() != len(text):
                raise _NotMine  # something after the closing quote
            value = text[1:-1].replace("''", "'")
    elif c == '"':
        value = _double(text)
    elif text == "[]":
        return []
    elif text == "{}":
        return {}
    elif c in _INDICATORS or c == " " or ": " in text or " #" in text or text[-1] == ":":
        raise _NotMine  # not a plain scalar, or not only one
    elif c in _PLAIN_STRINGS:
        value = text  # no resolver looks at scalars that start so: a string
    else:
        value = plain.resolve(text)
    if len(text) < _MEMO:
        values[text] = value
    return value


def _continue(parts: list[str | None] | None, rest: str, blanks: int, body: str, col: int,
              top_col: int, quoted: bool) -> list[str | None]:
    """The lines of the scalar read from ``rest`` so far (None for a blank one), with
    ``body``, the next line (at column ``col``, after ``blanks`` blank lines); a
    single-quoted scalar's last line is followed by _CLOSED."""
    if col <= top_col:
        raise _NotMine  # a quoted scalar whose lines PyYAML reads in its own way
    if parts is None:
        if quoted:
            parts = [rest[1:]]
        elif rest and rest[0] not in "'\"[{":
            parts = [rest]
        else:
            raise _NotMine  # nothing that continues: PyYAML says what this is
    parts += [None] * blanks
    if not quoted:
        if body[0] == "#" or ": " in body or " #" in body or body[-1] == ":":
            raise _NotMine
        parts.append(body)
    elif "'" in body:
        end = _SINGLE_END.match(body)
        if end is None or end.end() != len(body):
            raise _NotMine  # something after the closing quote
        parts += [body[:-1], _CLOSED]
    else:
        parts.append(body)
    return parts


#: Lines are split off the text this many characters at a time, not all at once: the
#: half million line objects of a large index would weigh 35 MiB.
_CHUNK = 1 << 16


def _chunks(text: str) -> Iterator[list[str]]:
    """The lines of ``text`` after the blank lines and comments before the document, a
    few thousand at a time."""
    start, n = 0, len(text)
    while start < n and text[start] in "#\n":
        end = text.find("\n", start)
        start = n if end < 0 else end + 1
    if start == n:
        raise _NotMine  # empty, or comments only: no mapping
    while start < n:
        end = text.find("\n", start + _CHUNK)
        if end < 0:
            end = n
        yield text[start:end].split("\n")
        start = end + 1


def _read(text: str) -> dict[str, Any]:
    """The reader: one pass over the lines, keeping the open containers on a stack.

    Written for speed (an index has half a million lines): a line's scalar is looked up
    among those met before, and only new ones are examined."""
    plain = _Plain()
    keys: dict[str, Any] = {}  # key text -> key
    values: dict[str, Any] = {}  # scalar text (the rest of a line) -> scalar, when it is one
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
    for line in itertools.chain.from_iterable(_chunks(text)):
        if not line:
            blanks += 1
            continue
        body = line.lstrip(" ")
        col = len(line) - len(body)
        if (col > top_col and not pending) or quoted_open:
            parts = _continue(parts, rest, blanks, body, col, top_col, quoted_open)
            blanks = 0
            if quoted_open and parts[-1] is _CLOSED:
                parts.pop()
                top[slot] = _fold(parts).replace("''", "'")
                quoted_open, rest, parts = False, "'", None  # nothing may continue it now
            continue
        blanks = 0
        if parts is not None:  # a plain scalar over several lines ended on the line before
            top[slot] = plain.resolve(_fold(parts))
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
                raise _NotMine
        # Close what this line's column closes; a line at a sequence's column without a
        # dash ends it (the sequence was the value of a key in the mapping around it).
        while top_col > col or (top_seq and top_col == col and not dash):
            stack.pop()
            if not stack:
                raise _NotMine
            top_col, top_seq, top = stack[-1]
        if top_col != col or top_seq != dash:
            raise _NotMine
        if dash:
            body = body[2:]
            if (body[0] == "'" and not _QUOTED_KEY.match(body)) or (": " not in body and body[-1] != ":"):
                # ``- value``
                slot, rest = len(top), body
                value = values.get(rest, values)
                if value is values:
                    value = _scalar(rest, values, plain)
                    if value is _OPEN:
                        value, quoted_open = None, True
                top.append(value)
                continue
            # ``- key: ...`` starts a mapping whose keys are two columns further.
            item: dict[Any, Any] = {}
            top.append(item)
            col += 2
            stack.append((col, False, item))
            top_col, top_seq, top = col, False, item
            if len(stack) >= MAX_DEPTH:
                raise _NotMine
        # ``key: value``, ``key:`` or ``'key': ...``
        if body[0] == "'":
            slot, rest = _quoted_key(body)
        else:
            k, sep, rest = body.partition(": ")
            if not sep:
                if body[-1] != ":":
                    raise _NotMine  # a bare value where a key belongs
                k, rest = body[:-1], ""
            slot = keys.get(k, keys)
            if slot is keys:
                slot = keys[k] = plain.key(k)
        if not rest:
            pending = True
            continue
        value = values.get(rest, values)
        if value is values:
            value = _scalar(rest, values, plain)
            if value is _OPEN:
                value, quoted_open = None, True
        top[slot] = value
    if quoted_open:
        raise _NotMine
    if parts is not None:
        top[slot] = plain.resolve(_fold(parts))
    if pending:
        top[slot] = None
    return root
