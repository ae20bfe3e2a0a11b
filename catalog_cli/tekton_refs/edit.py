"""Writing changes back into the user's YAML with a minimal diff.

Two ways, one interface (:class:`Editor`):

- **patches** on the text, for the edits ``update`` makes most: a scalar replaced (a
  version, a digest, a param's name) in its own quoting style, a mapping appended to a
  block sequence (a param, a workspace binding) in the style of the items before it,
  a key with such a sequence added to a block mapping. The documents' node marks (from
  ``yamlio``, which read the file first) say where; nothing else of the file is
  touched, and no round-trip parser runs.
- **ruamel.yaml**'s round-trip structures, for everything else (keys renamed or moved,
  items removed, flow styles, block scalars): the file is parsed once, the edits made
  so far are replayed on it, and its dump is merged line by line into the user's text,
  three-way (base: the unedited documents as ruamel writes them; ours: the user's
  text; theirs: the edited documents), the edits winning where both touch a line, so
  what ruamel would normalise on its own stays as the user wrote it.

Either result is checked by reading it again with the safe loader: it must mean exactly
what the edited documents mean. Patches that fail that check are dropped for the
round-trip way; a merge that fails it gives way to the whole ruamel dump (a larger diff,
never a wrong one). Text reaches ruamel only after ``yamlio`` has checked it (size,
depth, alias expansion).
"""

from __future__ import annotations

import copy
import io
import itertools
import json
from collections import Counter
from typing import Any

import yaml

from .. import yamlio
from ..words import plural
from ..errors import InputError
from .scan import DocPath

#: Indentation ruamel is told to write: (mapping, sequence, offset) as in YAML.indent().
Indent = tuple[int, int, int]
#: Keys a new list goes after, in a pipeline task or a reference (the first found, from the end).
AFTER = ("taskRef", "ref", "pipelineRef", "params", "name")
_PLAIN_START = set("!&*-?:,[]{}#|>@`\"'% ")


def detect_indent(text: str) -> Indent:
    """The indentation most of ``text`` uses: the step of nested mappings, and where a
    block sequence's dashes sit under their key (``offset``) with the items' content
    (``sequence``)."""
    maps: Counter[int] = Counter()
    seqs: Counter[int] = Counter()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, cur in itertools.pairwise(lines):
        body = prev.rstrip()
        if not body.endswith(":"):
            continue
        p_ind = len(prev) - len(prev.lstrip(" "))
        head = prev.lstrip(" ")
        if head.startswith("- "):
            p_ind += 2  # a key inside a sequence item: its column is after the dash
        c_ind = len(cur) - len(cur.lstrip(" "))
        if cur.lstrip(" ").startswith("- "):
            if c_ind >= p_ind:
                seqs[c_ind - p_ind] += 1
        elif c_ind > p_ind:
            maps[c_ind - p_ind] += 1
    mapping = maps.most_common(1)[0][0] if maps else 2
    offset = seqs.most_common(1)[0][0] if seqs else 2
    return mapping, offset + 2, offset


def after_index(keys: list[Any]) -> int:
    """Where a new key goes among ``keys``: after the last of :data:`AFTER`, else at the end."""
    found = [i for i, k in enumerate(keys) if k in AFTER]
    return found[-1] + 1 if found else len(keys)


def plain_ok(value: str) -> bool:
    """Whether ``value`` may be written as a plain scalar and read back as this string."""
    if not value or value != value.strip() or "\n" in value or value[0] in _PLAIN_START:
        return False
    if ": " in value or " #" in value or value.endswith(":"):
        return False
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:
        return False


def render(value: str, style: str | None = None) -> str:
    """A string as a YAML scalar: plain when it can be (and ``style`` is plain), else in
    ``style``'s quotes (double by default)."""
    if style is None and plain_ok(value):
        return value
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


class _Upgrade(Exception):
    """A patch the text way cannot make: the round-trip way takes over."""


class Editor:
    """One file: its documents read (``plain``, kept up to date with the edits), edited
    through :meth:`set` and :meth:`append` (or, for anything else, on :meth:`tree`'s
    round-trip structures); :meth:`text` is the file after the edits."""

    def __init__(self, text: str, name: str, docs: list[Any], nodes: list[yaml.Node]) -> None:
        self.original = text
        self.name = name
        self.indent = detect_indent(text)
        self.nodes = nodes
        self.plain = copy.deepcopy(docs)
        self.changed = False
        self._patches: list[tuple[int, int, str]] = []
        self._log: list[tuple[Any, ...]] = []
        self._docs: list[Any] | None = None
        self._base = ""
        self._lines = text.splitlines(keepends=True)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line))

    @property
    def round_trip(self) -> bool:
        """Whether the file was parsed round-trip (an edit the text way could not make)."""
        return self._docs is not None

    # -- reading ---------------------------------------------------------------------------
    def read(self, doc: int, path: DocPath) -> Any:
        """The value at ``path`` as edited so far; None when there is none."""
        node: Any = self._docs[doc] if self._docs is not None else self.plain[doc]
        for part in path:
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
            else:
                node = node.get(part) if isinstance(node, dict) else None
        return node

    def get(self, doc: int, path: DocPath) -> Any:
        """The round-trip structure at ``path`` (the file is parsed round-trip first)."""
        node = self.tree()[doc]
        for part in path:
            node = node[part]
        return node

    # -- editing ---------------------------------------------------------------------------
    def set(self, doc: int, path: DocPath, value: str) -> bool:
        """Set the string at ``path`` (a mapping key's value or a list item), keeping its
        quoting style. Whether it changed."""
        old = self.read(doc, path)
        if isinstance(old, str) and str(old) == value:
            return False
        self.changed = True
        self._log.append(("set", doc, path, value))
        if self._docs is not None:
            self._rt_set(doc, path, value)
            return True
        try:
            self._patch_set(doc, path, value)
        except _Upgrade:
            self._upgrade()
            return True
        container = self.read(doc, path[:-1])
        container[path[-1]] = value
        return True

    def append(self, doc: int, path: DocPath, item: dict[str, Any]) -> None:
        """Append the mapping ``item`` to the list at ``path``, made (after the keys of
        :data:`AFTER`) when the mapping holding it lacks it."""
        self.changed = True
        self._log.append(("append", doc, path, item))
        if self._docs is not None:
            self._rt_append(doc, path, item)
            return
        try:
            self._patch_append(doc, path, item)
        except _Upgrade:
            self._upgrade()
            return
        parent = self.read(doc, path[:-1])
        if parent.get(path[-1]) is None:
            parent[path[-1]] = []
        parent[path[-1]].append(copy.deepcopy(item))

    def tree(self) -> list[Any]:
        """The documents as round-trip structures, with every edit so far made on them."""
        if self._docs is None:
            self._upgrade()
        assert self._docs is not None
        return self._docs

    # -- the text way ----------------------------------------------------------------------
    def _node(self, doc: int, path: DocPath) -> tuple[yaml.Node, yaml.Node | None]:
        """The node at ``path`` and, for a mapping value, its key's node."""
        node, key = self.nodes[doc], None
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                pair = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part),
                            None)
                if pair is None:
                    raise _Upgrade()
                key, node = pair
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                key, node = None, node.value[part]
            else:
                raise _Upgrade()
        return node, key

    def _patch(self, start: int, end: int, text: str) -> None:
        for s, e, t in self._patches:
            if (s, e) == (start, end) and start != end:
                if t == text:
                    return
                raise _Upgrade()
            if start < e and s < end:
                raise _Upgrade()
        self._patches.append((start, end, text))

    def _patch_set(self, doc: int, path: DocPath, value: str) -> None:
        node, _ = self._node(doc, path)
        if not isinstance(node, yaml.ScalarNode) or node.style not in (None, "'", '"'):
            raise _Upgrade()
        start, end = node.start_mark.index, node.end_mark.index
        written = self.original[start:end]
        if "\n" in written or written[:1] in ("&", "!", "*"):
            raise _Upgrade()  # a multi-line scalar, or one with an anchor or a tag
        style = node.style
        if style is None and not plain_ok(value):
            style = '"'
        self._patch(start, end, render(value, style))

    def _last_line(self, node: yaml.Node, floor: int) -> int:
        """The last line (0-based) a node's text takes, counting only what stands at or after
        offset ``floor`` (an alias's node stands where its anchor is, before it)."""
        if node.start_mark.index < floor:
            return -1
        if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
            end = node.end_mark
            return end.line if end.column > 0 or end.line == node.start_mark.line else end.line - 1
        kids: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            kids = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        return max([node.start_mark.line] + [self._last_line(k, floor) for k in kids])

    def _line_end(self, line: int) -> int:
        return self._starts[min(line + 1, len(self._lines))]

    def _item_text(self, item: dict[str, Any], dash: int, key: int, flow: bool) -> str:
        if not all(isinstance(v, str) for v in item.values()) or not item:
            raise _Upgrade()
        if flow:
            return " " * dash + "- {" + ", ".join(f"{k}: {render(v)}" for k, v in item.items()) + "}\n"
        (k0, v0), *rest = item.items()
        out = " " * dash + "-" + " " * (key - dash - 1) + f"{k0}: {render(v0)}\n"
        return out + "".join(" " * key + f"{k}: {render(v)}\n" for k, v in rest)

    def _patch_append(self, doc: int, path: DocPath, item: dict[str, Any]) -> None:
        parent, _ = self._node(doc, path[:-1])
        if not isinstance(parent, yaml.MappingNode) or parent.flow_style or not parent.value:
            raise _Upgrade()
        pair = next(((k, v) for k, v in parent.value if isinstance(k, yaml.ScalarNode) and k.value == path[-1]), None)
        if pair is not None:
            key_node, seq = pair
            if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value \
                    or seq.start_mark.index < key_node.start_mark.index:
                raise _Upgrade()  # a flow or empty list, or an alias (written elsewhere)
            first = seq.value[0]
            if any(i.start_mark.index < seq.start_mark.index or not isinstance(i, yaml.MappingNode) for i in seq.value):
                raise _Upgrade()
            dash, key = seq.start_mark.column, first.start_mark.column
            if self._lines[seq.start_mark.line][dash] != "-":
                raise _Upgrade()
            last = self._last_line(seq, seq.start_mark.index)
            text = self._item_text(item, dash, key, bool(first.flow_style))
            at = self._line_end(last)
            if at == len(self.original) and not self.original.endswith("\n"):
                text = "\n" + text
            self._patch(at, at, text)
            return
        if self.read(doc, path[:-1]).get(path[-1]) is not None:
            raise _Upgrade()
        keys = [k for k, _ in parent.value]
        column = keys[0].start_mark.column
        if any(k.start_mark.column != column for k in keys) or self._lines[keys[0].start_mark.line][:column].strip(" -"):
            raise _Upgrade()
        after = after_index([k.value if isinstance(k, yaml.ScalarNode) else None for k in keys])
        k_node, v_node = parent.value[after - 1]
        last = max(k_node.end_mark.line, self._last_line(v_node, k_node.start_mark.index))
        offset = self.indent[2]
        text = " " * column + f"{path[-1]}:\n" + self._item_text(item, column + offset, column + offset + 2, False)
        at = self._line_end(last)
        if at == len(self.original) and not self.original.endswith("\n"):
            text = "\n" + text
        self._patch(at, at, text)

    # -- the round-trip way ----------------------------------------------------------------
    def _yaml(self) -> Any:
        from ruamel.yaml import YAML

        y = YAML(typ="rt")
        y.preserve_quotes = True
        y.width = 4096
        m, s, o = self.indent
        y.indent(mapping=m, sequence=s, offset=o)
        y.explicit_start = self.original.lstrip().startswith("---")
        return y

    def _load(self, text: str) -> list[Any]:
        from ruamel.yaml.error import YAMLError

        try:
            docs = [d for d in self._yaml().load_all(text) if d is not None]
        except YAMLError as exc:  # the safe loader read it: a construct ruamel reads otherwise
            raise InputError(f"the round-trip parser cannot read it: {str(exc).splitlines()[0]}", self.name) from exc
        if len(docs) != len(self.nodes):
            raise InputError(f"the round-trip parser reads {plural(len(docs), 'document')}, the safe loader "
                             f"{len(self.nodes)}", self.name)
        return docs

    def _dump(self, docs: list[Any]) -> str:
        stream = io.StringIO()
        self._yaml().dump_all(docs, stream)
        return stream.getvalue()

    def _upgrade(self) -> None:
        """Parse the file round-trip (once) and replay every edit on it."""
        if self._docs is not None:
            return
        docs = self._load(self.original)
        self._base = self._dump(docs)  # the merge's base: dumped before any edit
        self._docs = docs
        self._patches = []
        for entry in self._log:
            if entry[0] == "set":
                self._rt_set(*entry[1:])
            else:
                self._rt_append(*entry[1:])

    def _rt_set(self, doc: int, path: DocPath, value: str) -> None:
        set_scalar(self.get(doc, path[:-1]), path[-1], value)

    def _rt_append(self, doc: int, path: DocPath, item: dict[str, Any]) -> None:
        from ruamel.yaml.comments import CommentedSeq

        parent = self.get(doc, path[:-1])
        if parent.get(path[-1]) is None:
            at = after_index(list(parent))
            if path[-1] in parent:
                parent[path[-1]] = CommentedSeq()
            else:
                parent.insert(at, path[-1], CommentedSeq())
        parent[path[-1]].append(mapping({k: value_node(v) for k, v in item.items()}))

    # -- the result ------------------------------------------------------------------------
    def text(self) -> str:
        """The file after the edits, as close to the original as the way taken allows."""
        if not self.changed:
            return self.original
        if self._docs is None:
            out = self.original
            for start, end, text in sorted(self._patches, reverse=True):
                out = out[:start] + text + out[end:]
            if _meaning(out, self.name) == self.plain:
                return out
            self._upgrade()
        assert self._docs is not None
        theirs = self._dump(self._docs)
        merged = merge(self._base, self.original, theirs)
        want = _meaning(theirs, self.name)
        if _meaning(merged, self.name) == want:
            return merged
        if _meaning(self._base, self.name) != _meaning(self.original, self.name):
            raise InputError("the round-trip parser would change what this file means; edit it by hand",
                             self.name)
        return theirs


def _meaning(text: str, name: str) -> list[Any]:
    try:
        return yamlio.loads_all(text, name)
    except InputError:
        return [object()]  # never equal to anything


def merge(base: str, ours: str, theirs: str) -> str:
    """``theirs``' changes to ``base`` applied to ``ours`` (theirs winning a conflict)."""
    import merge3

    if base == theirs:
        return ours
    lines = [t.splitlines(keepends=True) for t in (base, ours, theirs)]
    for group in lines:
        if group and not group[-1].endswith("\n"):
            group[-1] += "\n"
    out: list[str] = []
    for kind, *rest in merge3.Merge3(lines[0], lines[1], lines[2]).merge_groups():
        out += rest[2] if kind == "conflict" else rest[0]  # a conflict: (base, ours, theirs)
    text = "".join(out)
    return text if ours.endswith("\n") else text.rstrip("\n")


def set_scalar(container: Any, key: str | int, value: str) -> bool:
    """Set a string value on a round-trip structure, keeping the old one's quoting style
    (a plain scalar that would not read back as this string is quoted). Whether anything
    changed."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    old = container[key]
    if isinstance(old, str) and str(old) == value:
        return False
    if isinstance(old, ScalarString):  # quoted, literal or folded: the same style
        new: Any = type(old)(value)
    elif plain_ok(value) or value == "":
        new = value
    else:
        new = DoubleQuotedScalarString(value)
    container[key] = new
    return True


def mapping(items: dict[str, Any]) -> Any:
    """A new round-trip mapping with ``items`` in order."""
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for k, v in items.items():
        out[k] = v
    return out


def value_node(value: Any) -> Any:
    """A value for a round-trip structure: strings that would read as something else quoted."""
    from ruamel.yaml.comments import CommentedSeq

    if isinstance(value, str):
        return value if plain_ok(value) else quoted(value)
    if isinstance(value, list):
        return CommentedSeq(value_node(v) for v in value)
    if isinstance(value, dict):
        return mapping({k: value_node(v) for k, v in value.items()})
    return value


def quoted(value: str) -> Any:
    """A string written in double quotes (versions and the like, never read as numbers)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(value)
