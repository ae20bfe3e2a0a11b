"""How :mod:`.blockyaml` reads one scalar: plain, quoted, a one-line flow sequence of
scalars, or a block scalar (``|``, ``>``), each exactly as PyYAML's safe loader reads
it, or :class:`NotMine` for anything else (the caller then leaves the whole text to
PyYAML).

Plain scalars go through PyYAML's own YAML 1.1 resolver and constructors. Quoted
scalars with escapes go through PyYAML itself. Block scalars follow libyaml's rules
for the text :mod:`.blockyaml` lets through (no tabs, no trailing spaces, no other
line breaks): content indented as its first line, more-indented lines kept as they
are in folded ones, clip, strip (``-``) and keep (``+``) chomping.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:  # the loader yamlio reads with, which this module must agree with
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

#: Plain keys this module reads; a key is otherwise single-quoted on one line.
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][-A-Za-z0-9_./]*")
QUOTED_KEY = re.compile(r"'((?:[^']|'')*)':(?: +(.*))?$")
#: First characters that make a plain scalar something else (or an error) to YAML.
INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
SINGLE_END = re.compile(r"(?:[^']|'')*'")  # a single-quoted body up to its closing quote
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"')  # a double-quoted scalar closed on its line
#: A scalar in a one-line flow sequence: plain (no indicator first, none of ``,[]{}:#``
#: inside), single- or double-quoted; then the comma or the end.
_FLOW_ITEM = re.compile(r""" *(?:([^-?:,\[\]{}#&*!|>'"%@`\s][^,\[\]{}:#]*?)|'((?:[^']|'')*)'|("(?:[^"\\]|\\.)*")) *(,|$)""")
#: Block scalar headers read here: a style and a chomping indicator, nothing after.
BLOCK_HEADERS = frozenset({"|", "|-", "|+", ">", ">-", ">+"})
#: Longest simple key PyYAML accepts (it refuses longer ones).
_MAX_KEY = 1000
#: Scalars shorter than this are remembered: the ones that repeat (``Task``, ``false``,
#: ``linux/amd64``) are short, digests and paths are long and unique.
MEMO = 32

_STR = "tag:yaml.org,2002:str"
#: First characters of plain scalars that are strings whatever follows: no implicit
#: resolver of PyYAML's looks at them, and they are no indicator.
_PLAIN_STRINGS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set(INDICATORS) - {
    k for k in Resolver.yaml_implicit_resolvers if k}
_SCALAR_TAGS = {"tag:yaml.org,2002:" + t for t in ("bool", "int", "float", "null", "timestamp")}


class NotMine(Exception):
    """The text strays outside the subset: let PyYAML read it."""


OPEN = object()  # a single-quoted scalar that goes on past its first line
BLOCK = object()  # a block scalar header: its lines follow
CLOSED = "\0"  # marks the end of a single-quoted scalar's lines (never in the text)


class Plain:
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
            raise NotMine
        if len(text) < MEMO:
            self.seen[text] = value
        return value

    def key(self, text: str) -> Any:
        """A mapping key written ``text`` (before its colon)."""
        if not text or len(text) > _MAX_KEY or not _PLAIN_KEY.fullmatch(text):
            raise NotMine
        return self.resolve(text)


def fold(parts: list[str | None]) -> str:
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


def quoted_key(body: str) -> tuple[str, str]:
    """The key and the rest of a line that starts with a single-quoted key."""
    m = QUOTED_KEY.match(body)
    if m is None or m.end(1) + 1 > _MAX_KEY:  # the key, with its quotes
        raise NotMine
    return m.group(1).replace("''", "'"), m.group(2) or ""


def double(text: str) -> str:
    """A double-quoted scalar closed on its line; PyYAML reads its escapes."""
    if not _DOUBLE.fullmatch(text):
        raise NotMine  # over several lines, or more after it
    if "\\" not in text:
        return text[1:-1]  # nothing to unescape, and one line: nothing to fold
    try:
        value = yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError:
        raise NotMine from None  # a bad escape: PyYAML says where, with its checks
    if not isinstance(value, str):  # pragma: no cover - a quoted scalar is a string
        raise NotMine
    return value


def flow_sequence(text: str, plain: Plain) -> list[Any]:
    """``[a, 'b', "c"]`` on one line: scalars only, no empty item, no trailing comma."""
    body = text[1:-1]
    if not body.strip(" "):
        return []
    out: list[Any] = []
    at, end = 0, len(body)
    while True:
        m = _FLOW_ITEM.match(body, at)
        if m is None:
            raise NotMine  # nested, a mapping, an alias, a tag, a comment, an empty item...
        bare, single, quoted, comma = m.groups()
        if bare is not None:
            out.append(plain.resolve(bare))
        elif single is not None:
            out.append(single.replace("''", "'"))
        else:
            out.append(double(quoted))
        at = m.end()
        if not comma:
            return out
        if at >= end or not body[at:].strip(" "):
            raise NotMine  # a trailing comma


def uncomment(text: str) -> str:
    """The rest of a line (after ``key:`` or ``- ``) without the comment that ends it
    (``text`` holds a ``#``); the comment may be all there is."""
    c = text[0]
    if c == "#":
        return ""
    at = text.find(" #")
    if at < 0:
        return text  # ``a#b``: no comment
    if c in "'\"":
        m = (SINGLE_END.match(text, 1) if c == "'" else _DOUBLE.match(text))
        if m is None:
            raise NotMine  # over several lines, or unclosed: PyYAML's
        tail = text[m.end():]
        if not tail:
            return text  # the ``#`` is inside the quotes
        if tail[0] != " " or tail.lstrip(" ")[0] != "#":
            raise NotMine  # something after the closing quote
        return text[:m.end()]
    value = text[:at].rstrip(" ")
    if c == "[" and (not value.endswith("]") or "'" in value or '"' in value):
        raise NotMine  # a ``#`` that may be inside a quoted item
    return value


def scalar(text: str, values: dict[str, Any], plain: Plain) -> Any:
    """What ``text`` (the rest of a line) is: a scalar (remembered in ``values`` when it
    is short, as the ones that repeat are), a collection, OPEN for a single-quoted
    scalar that goes on, or BLOCK for a block scalar's header."""
    c = text[0]
    if c == "'":
        if text[-1] == "'" and len(text) > 1 and "'" not in text[1:-1]:
            value: Any = text[1:-1]
        else:
            end = SINGLE_END.match(text, 1)
            if end is None:
                return OPEN
            if end.end() != len(text):
                raise NotMine  # something after the closing quote
            value = text[1:-1].replace("''", "'")
    elif c == '"':
        value = double(text)
    elif text == "[]":
        return []
    elif text == "{}":
        return {}
    elif c == "[" and text[-1] == "]":
        return flow_sequence(text, plain)
    elif text in BLOCK_HEADERS:
        return BLOCK
    elif (c in INDICATORS and (c != "-" or text[1:2] in ("", " "))) or c == " " or ": " in text \
            or " #" in text or text[-1] == ":":
        raise NotMine  # not a plain scalar (``-x`` is one), or not only one
    elif c in _PLAIN_STRINGS:
        value = text  # no resolver looks at scalars that start so: a string
    else:
        value = plain.resolve(text)
    if len(text) < MEMO:
        values[text] = value
    return value


def block(lines: list[str | None], header: str, final_break: bool) -> str:
    """A block scalar's value from its lines (indentation removed; None for a blank
    line), as libyaml makes it: ``final_break`` is whether its last line ends with a
    line break (not at the end of the text)."""
    folded, chomp = header[0] == ">", header[1:]
    out: list[str] = []
    i = 0
    while lines[i] is None:  # leading blank lines: a line break each
        out.append("\n")
        i += 1
    last = len(lines) - 1
    while lines[last] is None:
        last -= 1
    prev = ""
    breaks = 0
    for line in lines[i:last + 1]:
        if line is None:
            breaks += 1
            continue
        if prev:
            if folded and prev[0] != " " and line[0] != " ":
                out.append("\n" * breaks if breaks else " ")  # folded: the break is a space
            else:
                out.append("\n" * (breaks + 1))
        out.append(line)
        prev, breaks = line, 0
    if chomp != "-" and final_break:
        out.append("\n")
    if chomp == "+":
        out.append("\n" * (len(lines) - 1 - last))
    return "".join(out)
