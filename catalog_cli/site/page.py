"""One version's page, as data for its template: the entry, its interface, RBAC,
dependencies and dependents, versions, README, samples, commands and pictures."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from .. import yamlio
from ..errors import CatalogError
from ..graph.model import Edge, Graph, Node
from ..graph.pipeline import pipeline_graph
from ..model import Entry, ResourceDetail
from ..sources.verify import detail_of
from .markdown import render as render_markdown
from .plan import Plan, Resource, Shown, Target, page_path, shown_files
from .readme_files import Linker

#: How far the picture follows what a resource needs, and how many nodes it draws.
GRAPH_DEPTH = 4
GRAPH_NODES = 40
NAMESPACE = "default"
INSTALLABLE = ("Task", "Pipeline", "StepAction")


@dataclass(frozen=True)
class Options:
    """What the site says about where the catalog is: ``repo`` the name users add it
    as (``builtin``: nothing to add), ``url`` where it is published (else the page works
    it out from where the site is, ``catalog_rel`` from the site's root, when it is
    inside the catalog), ``bundles`` the OCI base it is published to as bundles."""

    title: str
    repo: str
    url: str | None = None
    catalog_rel: str | None = None
    bundles: str | None = None


#: A row of a page's table or list, for its template: attributes, since Jinja looks an
#: ``x.y`` up as an attribute first (a dict's key costs it a caught AttributeError, and
#: rendering a page took 60% longer).
Row = SimpleNamespace


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _default(value: object) -> str:
    """A default as the YAML author would recognise it; the empty string shown as ``""``."""
    return (value or '""') if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def commands(entry: Entry, opts: Options) -> dict[str, str | None]:
    """The commands a user copies: add the repo, install this version, its bundle."""
    builtin = opts.repo == "builtin"
    kind = "" if entry.kind in ("Task", "Template") else f"{entry.kind.lower()}/"
    ref = f"{'' if builtin else opts.repo + '/'}{kind}{entry.name}@{entry.version}"
    out: dict[str, str | None] = {"repo_add": None, "install": None, "bundle": None, "bundle_install": None}
    if not builtin:
        out["repo_add"] = f"catalog repo add {opts.repo} {opts.url or 'URL'}"
    if entry.kind == "Template":
        out["install"] = f"catalog scaffold {ref} --name SERVICE --git-url GIT_URL --image IMAGE -n {NAMESPACE}"
    elif entry.kind in INSTALLABLE:
        out["install"] = f"catalog install {ref} -n {NAMESPACE}"
        if opts.bundles:
            out["bundle"] = f"{opts.bundles.rstrip('/')}/{entry.name}:{entry.version}"
            out["bundle_install"] = f"catalog install oci://{out['bundle']} -n {NAMESPACE}"
    return out


def dependency_graph(plan: Plan, res: Resource, entry: Entry) -> Graph | None:
    """What ``entry`` needs (followed through the version each range leads to) and what
    needs its resource; None when both are empty."""
    nodes = [Node("n0", (f"{entry.name} {entry.version}", entry.kind), "root")]
    ids: dict[tuple[tuple[str, str], str | None], str] = {(res.key, entry.version): "n0"}
    edges: list[Edge] = []
    todo: list[tuple[str, Entry, int]] = [("n0", entry, 0)]
    while todo:
        src, at, depth = todo.pop(0)
        for dep in at.dependencies:
            t = plan.target(dep)
            node_key = (t.key, t.version) if t.key else ((dep.kind or "", dep.name), None)
            if node_key not in ids:
                if len(nodes) >= GRAPH_NODES:
                    continue
                ids[node_key] = f"n{len(nodes)}"
                if t.key is None or t.version is None:
                    nodes.append(Node(ids[node_key], (dep.name, t.note), "external" if dep.via else "missing"))
                else:
                    nodes.append(Node(ids[node_key], (f"{dep.name} {t.version}", t.key[0])))
                    if depth + 1 < GRAPH_DEPTH:
                        nxt = next(e for e in plan.by_key[t.key].versions if e.version == t.version)
                        todo.append((ids[node_key], nxt, depth + 1))
            edges.append(Edge(src, ids[node_key], "" if dep.range == "*" else dep.range))
    for key in plan.needed_by.get(res.key, [])[:GRAPH_NODES]:
        user = plan.by_key[key].latest
        node_id = f"n{len(nodes)}"
        nodes.append(Node(node_id, (f"{user.name} {user.version}", user.kind)))
        ranges_ = {d.range for d in user.dependencies if d.name == entry.name}
        edges.append(Edge(node_id, "n0", ", ".join(sorted(r for r in ranges_ if r != "*"))))
    if len(nodes) == 1:
        return None
    return Graph(f"Dependencies of {entry.name} {entry.version}", tuple(nodes), tuple(edges), direction="LR")


def _detail(shown: Shown, entry: Entry) -> tuple[ResourceDetail | None, dict[str, Any] | None, list[str]]:
    """The checked interface, the document (for a Pipeline's picture) and the problems."""
    problems = [shown.problems[entry.path]] if entry.path in shown.problems else []
    if entry.path not in shown.files:
        return None, None, problems

    def read(rel: str, digest: str | None) -> bytes:
        if rel not in shown.files:
            raise CatalogError(shown.problems.get(entry.path, "file not read"), rel)
        return shown.files[rel]

    try:
        detail = detail_of(read, entry)
        # detail_of parsed it once already; only a Pipeline's picture needs it again
        doc = yamlio.loads_all(_text(shown.files[entry.path]), entry.path)[0] if entry.kind == "Pipeline" else None
    except CatalogError as exc:
        return None, None, [*problems, str(exc)]
    return detail, doc, [*problems, *detail.mismatches]


def context(plan: Plan, shown: Shown, res: Resource, entry: Entry, opts: Options, dep_graph: Graph | None,
            readmes: dict[bytes, str] | None = None) -> tuple[dict[str, Any], list[Graph], dict[str, bytes]]:
    """The template's data for ``entry``'s page, the graphs it draws (their pictures
    are made in a batch and added as ``pictures``) and the files its README links or
    shows, to copy beside it (by their path from the page's folder). ``dep_graph`` is
    its :func:`dependency_graph`; ``readmes`` remembers READMEs rendered already that
    link nothing beside them (versions of a resource often share one)."""
    here = page_path(entry.kind, entry.name, entry.version)
    root = "../" * here.count("/")  # page paths are r/KIND/NAME/VERSION.html: no "." or ".." in them

    def href(kind: str, name: str, version: str) -> str:
        return root + page_path(kind, name, version)

    detail, doc, problems = _detail(shown, entry)
    folder = entry.path.rpartition("/")[0]
    prefix = f"{folder}/" if folder else ""
    readme = shown.files.get(f"{prefix}README.md")
    samples = [(rel[len(prefix):], _text(shown.files[rel])) for rel in shown_files(entry)
               if rel.startswith(f"{prefix}samples/") and rel in shown.files]
    readme_html, copies = None, {}
    if readme is not None:
        readme_html = readmes.get(readme) if readmes is not None else None
        if readme_html is None:
            linker = Linker(entry, res.versions, shown.linked)
            readme_html = render_markdown(_text(readme), linker)
            copies = linker.copies
            if readmes is not None and not linker.met:
                readmes[readme] = readme_html

    def target(t: Target) -> Row:
        link = href(t.key[0], t.dependency.name, t.version) if t.key and t.version else None
        return Row(name=t.dependency.name, kind=t.key[0] if t.key else (t.dependency.kind or ""),
                   range=t.dependency.range, version=t.version, href=link, note=t.note)

    graphs: list[Graph] = []
    if dep_graph is not None:
        graphs.append(dep_graph)
    if doc is not None and entry.kind == "Pipeline":
        with contextlib.suppress(CatalogError):  # a Pipeline too broken to draw: its page says the rest
            graphs.append(pipeline_graph(doc, entry.path))
    latest = res.latest
    ctx: dict[str, Any] = {
        "root": root, "entry": entry, "title": entry.display_name or entry.name, "opts": opts,
        "description": (detail.description if detail else "") or entry.description,
        "params": [Row(name=p.name, type=p.type, default=_default(p.default) if p.has_default else None,
                       description=p.description) for p in (detail.params if detail else ())],
        "workspaces": list(detail.workspaces) if detail else [],
        "results": list(detail.results) if detail else [],
        "rules": list(detail.rules if detail else entry.rbac),
        "problems": problems,
        "dependencies": [target(plan.target(d)) for d in entry.dependencies],
        "needed_by": [Row(name=k[1], kind=k[0], version=plan.by_key[k].latest.version,
                          href=href(k[0], k[1], plan.by_key[k].latest.version))
                      for k in plan.needed_by.get(res.key, [])],
        "versions": [Row(version=e.version, href=href(e.kind, e.name, e.version), deprecated=e.deprecated,
                         current=e.version == entry.version, latest=e is latest) for e in res.versions],
        "readme": readme_html,
        "samples": samples,
        "commands": Row(**commands(entry, opts)),
        "graph_titles": [g.title for g in graphs],
    }
    return ctx, graphs, copies
