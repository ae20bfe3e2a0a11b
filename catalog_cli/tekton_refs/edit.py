"""Writing changes back into the user's YAML with a minimal diff.

The documents are edited as ruamel.yaml's round-trip structures (comments, key order,
quoting, anchors and block styles kept), dumped, and the dump is merged line by line
into the user's text: what ruamel would write differently on its own (an indentation
or spacing it normalises) is left as the user wrote it, and only the lines the edits
changed move. The merge is three-way (base: the unedited documents as ruamel writes
them; ours: the user's text; theirs: the edited documents as ruamel writes them), with
the edits winning where both touch a line. The result is checked by reading it again
with the safe loader: it must mean exactly what the edited documents mean, or the
whole ruamel dump is taken instead (a larger diff, never a wrong one).

Text reaches ruamel only after ``yamlio`` has checked it (``scan.scan_text``): size,
depth and alias expansion are limited before the round-trip parser sees it.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import yaml

from .. import yamlio
from ..errors import InputError
from .scan import DocPath
import itertools

#: Indentation ruamel is told to write: (mapping, sequence, offset) as in YAML.indent().
Indent = tuple[int, int, int]


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


class Editor:
    """One file's documents as round-trip structures; :meth:`text` is the file after edits."""

    def __init__(self, text: str, name: str, count: int) -> None:
        self.original = text
        self.name = name
        self.indent = detect_indent(text)
        self.docs = self._load(text)
        if len(self.docs) != count:
            raise InputError(f"the round-trip parser reads {len(self.docs)} documents, the safe loader {count}",
                             name)
        self.changed = False

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
            return [d for d in self._yaml().load_all(text) if d is not None]
        except YAMLError as exc:  # the safe loader read it: a construct ruamel reads otherwise
            raise InputError(f"the round-trip parser cannot read it: {str(exc).splitlines()[0]}", self.name) from exc

    def _dump(self, docs: list[Any]) -> str:
        stream = io.StringIO()
        self._yaml().dump_all(docs, stream)
        return stream.getvalue()

    def get(self, doc: int, path: DocPath) -> Any:
        node = self.docs[doc]
        for part in path:
            node = node[part]
        return node

    def text(self) -> str:
        """The file after the edits, as close to the original as the merge allows."""
        if not self.changed:
            return self.original
        theirs = self._dump(self.docs)
        base = self._dump(self._load(self.original))
        merged = merge(base, self.original, theirs)
        want = _meaning(theirs, self.name)
        if _meaning(merged, self.name) == want:
            return merged
        if _meaning(base, self.name) != _meaning(self.original, self.name):
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
        if kind in ("unchanged", "a", "same") or kind == "b":
            out += rest[0]
        else:  # conflict: (base, a, b)
            out += rest[2]
    text = "".join(out)
    return text if ours.endswith("\n") else text.rstrip("\n")


def set_scalar(container: Any, key: str | int, value: str) -> bool:
    """Set a string value, keeping the old one's quoting style (a plain scalar that would
    not read back as this string is quoted). Whether anything changed."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    old = container[key]
    if isinstance(old, str) and str(old) == value:
        return False
    if isinstance(old, ScalarString):  # quoted, literal or folded: the same style
        new: Any = type(old)(value)
    elif isinstance(yaml.safe_load(value), str) or value == "":
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


def quoted(value: str) -> Any:
    """A string written in double quotes (versions and the like, never read as numbers)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(value)
