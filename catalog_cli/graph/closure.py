"""A dependency closure as a graph: what was resolved (or locked), who needs what and
with which range; references through resolvers to outside every known catalog shown
as external nodes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Edge, Graph, Node

if TYPE_CHECKING:
    from ..lockfile import Lock
    from ..requirements import Key
    from ..resolution import Link, Resolution


@dataclass(frozen=True)
class Item:
    """One resolved package, whatever it was read from."""

    key: Key
    version: str
    required_by: tuple[Link, ...]
    dependencies: tuple[Key, ...]
    external: tuple[tuple[str, str], ...] = ()  # (name, what it is) fetched from outside


def label(key: Key, version: str) -> tuple[str, ...]:
    kind, name = key
    return (f"{name} {version}",) if kind == "Task" else (f"{name} {version}", kind)


def closure_graph(title: str, items: Sequence[Item]) -> Graph:
    """Nodes in the order given (install order: dependencies first); the user's own
    requirements are roots; an edge goes from what needs to what is needed."""
    ids = {item.key: f"p{i}" for i, item in enumerate(items)}
    by_key = {item.key: item for item in items}
    nodes = [Node(ids[i.key], label(i.key, i.version),
                  "root" if any(link.by is None for link in i.required_by) else "plain") for i in items]
    edges = []
    for item in items:
        for dep in item.dependencies:
            if dep not in ids:
                continue
            links = [ln for ln in by_key[dep].required_by if ln.by == item.key]
            text = ", ".join(sorted({ln.range + (f" via {ln.via}" if ln.via else "") for ln in links}))
            edges.append(Edge(ids[item.key], ids[dep], "" if text == "*" else text))
        for n, (name, what) in enumerate(item.external):
            node_id = f"{ids[item.key]}x{n}"
            nodes.append(Node(node_id, (name, what), "external"))
            edges.append(Edge(ids[item.key], node_id, "external", "dashed"))
    return Graph(title, tuple(nodes), tuple(edges), direction="TB")


def from_resolution(resolution: Resolution) -> Graph:
    """The closure a resolution chose."""
    items = [Item(key, r.entry.version, r.required_by, r.dependencies) for key, r in resolution.resolved.items()]
    wanted = ", ".join(str(r) for r in resolution.requirements)
    return closure_graph(f"Dependencies of {wanted}", items)


def from_lock(lock: Lock) -> Graph:
    """The closure a lock file holds, with the references it could not resolve."""
    items = [Item(e.key, e.version, e.required_by, e.dependencies,
                  tuple((r.ref.name, f"{r.ref.resolver}, not resolved") for r in e.references if r.target is None))
             for e in lock.resolved]
    where = f" ({lock.path})" if lock.path else ""
    return closure_graph(f"Locked dependencies{where}", items)
