"""A graph written as DOT, as Mermaid, or laid out by Graphviz's ``dot`` as SVG.

Every label is text from a document or an index, so each format escapes it its own
way: DOT inside double quotes (backslashes too: ``\\N`` and ``\\L`` mean something to
dot), Mermaid with its ``#code;`` entities. Node ids are the builders' own. The SVG
``dot`` writes is passed through :func:`.svgsafe.clean` before anyone sees it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from ..errors import CatalogError, InputError
from ..words import plural
from .model import Edge, Graph
from .svgsafe import clean

FORMATS = ("svg", "mermaid", "dot")
#: Graphviz attributes per node and edge style; colours come from the page (CSS) in the
#: site, and from these defaults in a standalone SVG.
_NODE_ATTRS = {
    "plain": "",
    "root": ', penwidth=2',
    "external": ', style="rounded,dashed"',
    "missing": ', style="rounded,dotted"',
}
_EDGE_ATTRS = {"solid": "", "dashed": ', style=dashed', "dotted": ', style=dotted'}
#: ``dot`` on one graph of a few dozen nodes takes milliseconds; a hung one is a bug.
DOT_TIMEOUT = 120


def dot_quote(text: str) -> str:
    """A DOT double-quoted string drawn as ``text`` exactly: no escape sequence survives,
    and ``&`` is written as an entity, since dot reads ``&lt;`` in a label as ``<``."""
    return '"' + text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def _dot_label(lines: Sequence[str]) -> str:
    # Each line quoted on its own, then joined with dot's own line break.
    return "\\n".join(dot_quote(line)[1:-1] for line in lines)


def to_dot(graph: Graph) -> str:
    """The graph in Graphviz's DOT language."""
    out = ["digraph catalog {",
           f"  graph [rankdir={'LR' if graph.direction == 'LR' else 'TB'}, compound=true, "
           f"fontname=\"sans-serif\", label={dot_quote(graph.title)}, labelloc=t];",
           '  node [shape=box, style=rounded, fontname="sans-serif", fontsize=11];',
           '  edge [fontname="sans-serif", fontsize=9];']

    def node_line(indent: str, n_id: str) -> str:
        n = graph.node(n_id)
        return f'{indent}{n.id} [label="{_dot_label(n.lines)}"{_NODE_ATTRS.get(n.style, "")}];'

    for group in graph.groups:
        out.append(f"  subgraph cluster_{group.id} {{")
        out.append(f"    label={dot_quote(group.label)}; style=dashed;")
        out.extend(node_line("    ", n.id) for n in graph.nodes if n.group == group.id)
        out.append("  }")
    out.extend(node_line("  ", n.id) for n in graph.nodes if n.group is None)
    for e in graph.edges:
        out.append(f"  {e.src} -> {e.dst} [label={dot_quote(e.label)}{_EDGE_ATTRS.get(e.style, '')}];")
    for e in graph.group_edges:
        out.extend(_group_edge(graph, e))
    out.append("}")
    return "\n".join(out) + "\n"


def _group_edge(graph: Graph, edge: Edge) -> list[str]:
    """One edge between two groups: from a node of the first to one of the second,
    clipped at the clusters' borders (``ltail``/``lhead``)."""
    src = next((n.id for n in graph.nodes if n.group == edge.src), None)
    dst = next((n.id for n in graph.nodes if n.group == edge.dst), None)
    if src is None or dst is None:
        return []
    return [f"  {src} -> {dst} [ltail=cluster_{edge.src}, lhead=cluster_{edge.dst}, "
            f"label={dot_quote(edge.label)}, style=bold];"]


#: What must not appear as itself in a quoted Mermaid label: its quote, its entity
#: sign, what its HTML labels would read as markup, an edge label's bar, a markdown string's backtick.
_MERMAID = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "|": "#124;",
            "`": "#96;", "\n": " ", "\r": " "}


def mermaid_text(text: str) -> str:
    """``text`` as Mermaid shows it literally inside a quoted label."""
    return "".join(_MERMAID.get(c, c) for c in text)


def to_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid flowchart."""
    shapes = {"plain": ("(", ")"), "root": ("([", "])"), "external": ("[/", "/]"), "missing": ("[", "]")}
    out = [f"%% {mermaid_text(graph.title)}", f"flowchart {'LR' if graph.direction == 'LR' else 'TB'}"]

    def node_line(indent: str, n_id: str) -> str:
        n = graph.node(n_id)
        left, right = shapes.get(n.style, ("(", ")"))
        return f'{indent}{n.id}{left}"{"<br>".join(mermaid_text(line) for line in n.lines)}"{right}'

    for group in graph.groups:
        out.append(f'  subgraph {group.id}["{mermaid_text(group.label)}"]')
        out.extend(node_line("    ", n.id) for n in graph.nodes if n.group == group.id)
        out.append("  end")
    out.extend(node_line("  ", n.id) for n in graph.nodes if n.group is None)
    arrows = {"solid": "-->", "dashed": "-.->", "dotted": "-.->"}
    for e in [*graph.edges, *graph.group_edges]:
        arrow = "==>" if e in graph.group_edges else arrows.get(e.style, "-->")
        label = f'|"{mermaid_text(e.label)}"|' if e.label else ""
        out.append(f"  {e.src} {arrow}{label} {e.dst}")
    return "\n".join(out) + "\n"


def find_dot(path: str | None = None) -> str | None:
    """Graphviz's ``dot`` (``path``, or the one on PATH), or None when it is not installed."""
    return shutil.which(path or "dot")


def to_svgs(graphs: Sequence[Graph], dot: str) -> list[str]:
    """Each graph laid out by ``dot`` (one process for them all: a process per graph
    costs 30 ms, a graph in a batch half a millisecond) and cleaned (:mod:`.svgsafe`)."""
    if not graphs:
        return []
    source = "".join(to_dot(g) for g in graphs)
    try:
        run = subprocess.run([dot, "-Tsvg"], input=source.encode(), capture_output=True,
                             timeout=DOT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CatalogError(f"Graphviz's dot could not run: {exc}", dot) from exc
    if run.returncode != 0:
        raise InputError(f"Graphviz's dot failed: {run.stderr.decode(errors='replace').strip()[:300]}", dot)
    docs = run.stdout.decode("utf-8", errors="replace").split("<?xml")[1:]
    if len(docs) != len(graphs):
        raise CatalogError(f"Graphviz's dot wrote {plural(len(docs), 'picture')} for {plural(len(graphs), 'graph')}",
                           dot)
    return [clean("<?xml" + doc, g.title) for doc, g in zip(docs, graphs, strict=True)]


def render(graph: Graph, fmt: str, dot: str | None) -> str:
    """``graph`` as ``fmt`` (svg, mermaid, dot); svg needs ``dot`` (see :func:`find_dot`)."""
    if fmt == "dot":
        return to_dot(graph)
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "svg" and dot:
        return to_svgs([graph], dot)[0]
    raise InputError(f"output format must be one of {', '.join(FORMATS)}, not {fmt!r}")
