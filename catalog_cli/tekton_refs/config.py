"""``catalog.yaml`` beside ``.tekton/``: what ``update`` may move each reference to.

::

    ranges:                      # a name's versions update may choose from
      git-clone: ^0.10           #   (default: the current version's major)
      kaniko: ">=0.2 <0.4"
    clusterTaskNamespace: ci     # where former ClusterTasks now live, for the rewrite
                                 # of ClusterTask references to the cluster resolver

The file is optional; everything in it is checked when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import ranges, yamlio
from ..errors import InputError
from ..refs import NAME

CONFIG_NAME = "catalog.yaml"
_KEYS = ("ranges", "clusterTaskNamespace")


@dataclass(frozen=True)
class Config:
    ranges: Mapping[str, str] = field(default_factory=dict)
    cluster_namespace: str | None = None
    path: str | None = None


def config_path(root: Path) -> Path:
    """Where the catalog.yaml of ``root`` is: beside the folder (``.tekton/``), or
    beside the folder of the one file given."""
    folder = root if root.is_dir() else root.parent
    return folder.resolve().parent / CONFIG_NAME


def read(root: Path) -> Config:
    """The catalog.yaml beside ``root``; an empty Config when there is none."""
    path = config_path(root)
    if not path.is_file():
        return Config()
    where = str(path)
    data = yamlio.load_one(path)
    if not isinstance(data, dict):
        raise InputError("expected a mapping with ranges: and clusterTaskNamespace:", where)
    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r} (expected {', '.join(_KEYS)})", where)
    raw = data.get("ranges") or {}
    if not isinstance(raw, dict):
        raise InputError("ranges must map names to version ranges", where)
    out = {}
    for name, text in raw.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise InputError(f"ranges: {name!r} is not a resource name", where)
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise InputError(f"ranges.{name} must be a version range such as ^0.10", where)
        ranges.parse(text, f"{where}: ranges.{name}")
        out[name] = text
    namespace = data.get("clusterTaskNamespace")
    if namespace is not None and (not isinstance(namespace, str) or not NAME.match(namespace)):
        raise InputError("clusterTaskNamespace must be a namespace name", where)
    return Config(out, namespace, where)
