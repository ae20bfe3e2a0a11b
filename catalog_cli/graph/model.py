"""A graph to draw: nodes with lines of text, edges, groups. Nothing of Tekton or of
any output format: the builders fill it, the renderers escape and write it."""

from __future__ import annotations

from dataclasses import dataclass, field

#: How a node looks, for the renderers: an ordinary one, the one the picture is about,
#: one outside the catalog (not resolved), one whose name the catalog lacks.
NODE_STYLES = ("plain", "root", "external", "missing")
#: How an edge looks: solid (runs after, needs), dashed (reads a result), dotted (reads a status).
EDGE_STYLES = ("solid", "dashed", "dotted")


@dataclass(frozen=True)
class Node:
    id: str  # made by the builder, [a-z0-9_] only: never text from a document
    lines: tuple[str, ...]  # the label, first line the name
    style: str = "plain"
    group: str | None = None


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str = ""
    style: str = "solid"


@dataclass(frozen=True)
class Group:
    id: str  # [a-z0-9_] only
    label: str


@dataclass(frozen=True)
class Graph:
    """``title`` names the picture (the SVG's accessible name); ``direction`` is
    ``LR`` (left to right) or ``TB``. ``group_edges`` join whole groups (finally tasks
    run after every task)."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()
    groups: tuple[Group, ...] = ()
    group_edges: tuple[Edge, ...] = ()
    direction: str = "LR"
    notes: tuple[str, ...] = field(default=(), compare=False)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)
