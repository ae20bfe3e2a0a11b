"""``catalog bump``: start a new version of a resource from its newest one.

The newest version folder is copied to the next version, written in the folder's own
style (``0.2`` -> ``0.3``; ``1.2.3`` -> ``1.2.4``), and the resource's
``app.kubernetes.io/version`` label is rewritten in place: the scalar's exact span
is found through the YAML node marks and only it is replaced (quotes kept), then the
file is parsed again to prove that the label, and nothing else, changed. Comments,
ordering and formatting of the rest of the file stay as they were.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import versions, yamlio
from .errors import InputError, NotFound
from .index import catalog_root
from .model import KIND_DIRS, VERSION_LABEL, canonical_kind

if TYPE_CHECKING:
    import yaml

PARTS = ("major", "minor", "patch")


@dataclass(frozen=True)
class Bumped:
    name: str
    kind: str
    old: str
    new: str
    folder: Path
    label_rewritten: bool


def next_version(text: str, part: str) -> str:
    """The version after ``text`` for ``part``, with as many components as ``text``
    (more when needed: a patch bump of ``0.2`` is ``0.2.1``). A pre-release bumps to
    its release for the part it already raised (``1.0.0-rc.1`` --patch -> ``1.0.0``)."""
    if part not in PARTS:
        raise InputError(f"bump one of {', '.join(PARTS)}", part)
    v = versions.parse(text)
    core = [v.sem.major, v.sem.minor, v.sem.patch]
    width = len(text.lstrip("v").split("-")[0].split("+")[0].split("."))
    i = PARTS.index(part)
    if v.is_prerelease and all(c == 0 for c in core[i + 1:]):
        new = core  # 1.0.0-rc.1 -> 1.0.0 (the release the pre-release was for)
    else:
        new = core[:i] + [core[i] + 1] + [0] * (2 - i)
    width = max(width, i + 1)
    prefix = "v" if text.startswith("v") else ""
    return prefix + ".".join(str(n) for n in new[:width])


def _find(root: Path, ref: str) -> tuple[str, str, Path]:
    """(kind dir, name, name folder) of ``[kind/]name`` in the catalog at ``root``."""
    kind_text, sep, name = ref.partition("/")
    if not sep:
        kind_text, name = "", ref
    dirs = [d for d, k in KIND_DIRS.items() if not kind_text or k == canonical_kind(kind_text)]
    if kind_text and not dirs:
        raise InputError(f"unknown kind {kind_text!r} (Task, Pipeline or StepAction)", ref)
    found = [(d, root / d / name) for d in dirs if (root / d / name).is_dir()]
    if not found:
        raise NotFound(f"no {name!r} in {root}", ref)
    if len(found) > 1:
        kinds = " and ".join(KIND_DIRS[d] for d, _ in found)
        raise InputError(f"{name} is a {kinds}: say which, e.g. {found[0][0]}/{name}", ref)
    return found[0][0], name, found[0][1]


def bump(path: Path, ref: str, part: str) -> Bumped:
    """Copy the newest version folder of ``ref`` to the next ``part`` version."""
    root = catalog_root(path)
    kind_dir, name, folder = _find(root, ref)
    have = [p.name for p in folder.iterdir() if p.is_dir() and versions.is_version(p.name)]
    if not have:
        raise NotFound("no version folders", str(folder))
    old = max(have, key=versions.parse)
    new = next_version(old, part)
    target = folder / new
    if target.exists():
        raise InputError("already exists", str(target))
    if any(versions.parse(h) == versions.parse(new) for h in have):
        raise InputError(f"version {new} exists under another spelling", str(folder))
    tmp = folder / f".{new}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(folder / old, tmp, symlinks=True)
    try:
        rewritten = _rewrite_label(tmp / f"{name}.yaml", new)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Bumped(name, KIND_DIRS[kind_dir], old, new, target, rewritten)


def _rewrite_label(file: Path, new: str) -> bool:
    """Replace the version label's value in place; False when the file has no such label."""
    if not file.is_file():
        return False
    import yaml

    text = yamlio.read_text(file)
    yamlio.compose_all(text, str(file))  # the checked parse: errors name the file and line
    # The pure-Python composer: its marks count characters (libyaml's count bytes).
    value = _label_node(next(iter(yaml.compose_all(text, Loader=yaml.SafeLoader)), None))
    if value is None:
        return False
    start, end = value.start_mark.index, value.end_mark.index
    style = value.style if value.style in ("'", '"') else ""
    # A version such as 0.3 must stay a string: quote it unless it was a block scalar.
    quote = style or "'"
    updated = text[:start] + f"{quote}{new}{quote}" + text[end:]
    before, after = yamlio.loads_all(text, str(file)), yamlio.loads_all(updated, str(file))
    labels = after[0].get("metadata", {}).get("labels", {})
    if labels.get(VERSION_LABEL) != new:
        raise InputError("could not rewrite the version label in place", str(file))
    labels[VERSION_LABEL] = before[0]["metadata"]["labels"][VERSION_LABEL]
    if after != before:
        raise InputError("rewriting the version label changed more than the label", str(file))
    yamlio.atomic_write(file, updated)
    return True


def _label_node(doc: yaml.Node | None) -> yaml.ScalarNode | None:
    """The scalar node of metadata.labels[app.kubernetes.io/version], or None."""
    import yaml

    def child(node: yaml.Node | None, key: str) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:  # (key node, value node) pairs: typed Any by the stubs
                if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                    return v
        return None

    node = child(child(child(doc, "metadata"), "labels"), VERSION_LABEL)
    return node if isinstance(node, yaml.ScalarNode) else None
