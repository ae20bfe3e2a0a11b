"""`catalog graph`: Pipelines, lock files and closures as SVG, Mermaid and DOT.

SVG needs Graphviz (Debian's graphviz, which scripts/test.sh installs): the tests that
lay out a graph fail, rather than skip, when `dot` is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from catalog_cli.graph.model import Edge, Graph, Node
from catalog_cli.graph.pipeline import pipeline_graph
from catalog_cli.graph.render import to_dot, to_mermaid, to_svgs
from catalog_cli.graph.svgsafe import clean

from .conftest import TEKTON_CATALOG, assert_one_line_error, run_cli

MISSING = "Graphviz is not installed: apt-get install graphviz (scripts/test.sh installs it)"
SCAFFOLD = ("scaffold", "java-maven-jib", "--name", "orders", "--git-url", "https://git.example.com/orders.git",
            "--image", "registry.example.com/orders", "-n", "shop")
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def dot() -> str:
    found = shutil.which("dot")
    if found is None:
        pytest.fail(MISSING, pytrace=False)
    return found


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG_NS}text")]


def dot_labels(source: str, dot: str) -> dict[str, str]:
    """What Graphviz itself reads as each node's label (and each edge's, keyed a->b)."""
    data = json.loads(subprocess.run([dot, "-Tjson0"], input=source, capture_output=True, text=True,
                                     check=True).stdout)
    names = {o["_gvid"]: o["name"] for o in data.get("objects", [])}
    labels = {o["name"]: o.get("label", "") for o in data.get("objects", []) if "label" in o}
    for e in data.get("edges", []):
        labels[f"{names[e['tail']]}->{names[e['head']]}"] = e.get("label", "")
    return labels


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("orders")
    r = run_cli(*SCAFFOLD, "--dir", str(folder))
    assert r.code == 0, r.err
    return folder


def test_the_scaffolded_pipeline_in_all_three_formats(scaffolded: Path, dot: str) -> None:
    pipeline = scaffolded / ".tekton" / "pipeline.yaml"
    mermaid = run_cli("graph", str(pipeline), "-o", "mermaid")
    assert mermaid.code == 0, mermaid.err
    assert mermaid.out.splitlines()[1] == "flowchart LR"
    assert 't0("fetch-source<br>git-clone")' in mermaid.out
    assert 't0 -.->|"commit"| t1' in mermaid.out  # build-image reads fetch-source's commit
    assert "t2 --> t3" in mermaid.out  # deploy runs after set-image

    source = run_cli("graph", str(scaffolded / ".tekton"), "-o", "dot")  # the folder finds its Pipeline
    assert source.code == 0, source.err
    labels = dot_labels(source.out, dot)
    assert labels["t1"] == "build-image\\nmaven-jib-build"
    assert labels["t1->t2"] == "IMAGE_DIGEST, IMAGE_URL"

    out = scaffolded / "pipeline.svg"
    svg = run_cli("graph", str(pipeline), "--out", str(out))
    assert svg.code == 0, svg.err
    texts = svg_texts(out.read_text())
    assert {"fetch-source", "maven-jib-build", "deploy", "kubectl-deploy", "commit"} <= set(texts)
    assert ET.fromstring(out.read_text()).get("aria-label") == "Pipeline orders"


def test_a_lock_files_closure_in_all_three_formats(tmp_path: Path, dot: str) -> None:
    lock = tmp_path / "catalog.lock"
    r = run_cli("lock", "build-push-gke-deploy", "--catalog", str(TEKTON_CATALOG), "--file", str(lock))
    assert r.code == 0, r.err
    mermaid = run_cli("graph", str(lock), "-o", "mermaid").out
    assert 'p2(["build-push-gke-deploy 0.1<br>Pipeline"])' in mermaid  # the requirement: a root
    assert "p2 --> p0" in mermaid and "p2 --> p1" in mermaid
    labels = dot_labels(run_cli("graph", str(lock), "-o", "dot").out, dot)
    assert {labels["p0"], labels["p1"]} == {"gke-deploy 0.1", "kaniko 0.7"}
    svg = run_cli("graph", str(lock), "-o", "svg").out
    assert "build-push-gke-deploy 0.1" in svg_texts(svg)


def test_a_closure_by_name_is_resolved_and_drawn() -> None:
    r = run_cli("graph", "java-maven-jib", "-o", "mermaid")
    assert r.code == 0, r.err
    assert 'p4(["java-maven-jib 0.4<br>Template"])' in r.out
    assert 'p4 -->|"^0.2"| p0' in r.out and 'p0("git-clone 0.2")' in r.out


FINALLY = {
    "apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": "ci"},
    "spec": {
        "tasks": [
            {"name": "test", "taskRef": {"resolver": "bundles", "params": [
                {"name": "bundle", "value": "reg.example/t/unit:1"}, {"name": "name", "value": "unit"},
                {"name": "kind", "value": "task"}]}},
            {"name": "ship", "taskSpec": {"steps": []},
             "when": [{"input": "$(tasks.test.results.ok)", "operator": "in", "values": ["yes"]}]},
            {"name": "late", "runAfter": ["ghost"], "taskRef": {"name": "x"}},
        ],
        "finally": [{"name": "report", "taskRef": {"name": "notify"},
                     "params": [{"name": "s", "value": "$(tasks.ship.status)"}]}],
    },
}


def test_finally_when_results_statuses_and_missing_tasks() -> None:
    g = pipeline_graph(FINALLY)
    by_name = {n.lines[0]: n for n in g.nodes}
    assert by_name["test"].lines[1] == "bundles: unit"
    assert by_name["ship"].lines == ("ship", "inline taskSpec", "when $(tasks.test.results.ok) in [yes]")
    assert by_name["report"].group == "finally" and by_name["ship"].group == "tasks"
    assert by_name["ghost"].style == "missing"
    edges = {(g.node(e.src).lines[0], g.node(e.dst).lines[0]): e for e in g.edges}
    assert edges[("test", "ship")] == Edge(by_name["test"].id, by_name["ship"].id, "ok", "dashed")
    assert edges[("ship", "report")].style == "dotted"
    assert edges[("ghost", "late")].style == "solid"
    assert [(e.src, e.dst) for e in g.group_edges] == [("tasks", "finally")]
    mermaid = to_mermaid(g)
    assert 'subgraph finally["finally"]' in mermaid and "tasks ==>" in mermaid
    assert "lhead=cluster_finally" in to_dot(g)


HOSTILE = ['x"]; evil -> pwn [label="', "<script>alert(1)</script>", "a\\Nb\\Lc", 'q"|end|#quot;`',
           "<svg onload=alert(1)>", "&amp; &lt;"]


def hostile_graph() -> Graph:
    nodes = tuple(Node(f"n{i}", (text, "line two " + text)) for i, text in enumerate(HOSTILE))
    edges = tuple(Edge("n0", f"n{i}", text) for i, text in enumerate(HOSTILE) if i)
    return Graph('title "<script>', nodes, edges)


def test_hostile_labels_stay_text_in_dot(dot: str) -> None:
    # Graphviz reads exactly the nodes and edges made, each label one string: nothing the
    # labels hold became a node, an edge or an attribute.
    labels = dot_labels(to_dot(hostile_graph()), dot)
    assert set(labels) == {f"n{i}" for i in range(len(HOSTILE))} | {f"n0->n{i}" for i in range(1, len(HOSTILE))}
    assert labels["n1"] == "<script>alert(1)</script>\\nline two <script>alert(1)</script>"
    assert labels["n0->n3"] == 'q"|end|#quot;`'


def test_hostile_labels_stay_text_in_svg(dot: str) -> None:
    svg = to_svgs([hostile_graph()], dot)[0]
    root = ET.fromstring(svg)
    assert {el.tag.removeprefix(SVG_NS) for el in root.iter()} <= {"svg", "g", "path", "polygon", "text",
                                                                 "ellipse", "polyline"}
    assert not any(name.startswith("on") or "href" in name for el in root.iter() for name in el.attrib)
    texts = svg_texts(svg)
    assert set(HOSTILE) <= set(texts)  # every label drawn as the very text it is (a\\Nb\\Lc too)
    assert "<script" not in svg and "<svg onload" not in svg


def test_hostile_labels_stay_text_in_mermaid() -> None:
    mermaid = to_mermaid(hostile_graph())
    for line in mermaid.splitlines()[2:]:
        # every label is one quoted string: no quote, bracket or bar of its own inside
        if '("' in line:
            inside = line.split('("', 1)[1].rsplit('")', 1)[0]
            assert '"' not in inside and "<s" not in inside
        if "|" in line:
            assert line.count("|") == 2 and line.split("|")[1].count('"') == 2
    assert "#lt;script#gt;" in mermaid


def test_the_svg_cleaner_keeps_only_drawing() -> None:
    svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
           ' onload="alert(1)" viewBox="0 0 10 10"><script>alert(2)</script><g class="node evil" '
           'style="x:url(javascript:alert(3))"><a xlink:href="javascript:alert(4)"><text>in link</text></a>'
           '<text x="1" fill="url(javascript:alert(5))" onclick="alert(6)">kept &lt;b&gt;</text>'
           '<foreignObject><div>html</div></foreignObject></g>'
           '<g transform="translate(1 2) url(javascript:alert(7))"></g></svg>')
    out = clean(svg, "t")
    assert out == ('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="t" viewBox="0 0 10 10">'
                   '<g class="node"><text x="1">kept &lt;b&gt;</text></g><g></g></svg>')


def test_without_graphviz_svg_degrades_to_mermaid(scaffolded: Path, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    r = run_cli("graph", str(scaffolded / ".tekton" / "pipeline.yaml"))
    assert r.code == 0, r.err
    assert "Graphviz's dot is not installed (apt-get install graphviz): writing Mermaid instead" in r.err
    assert r.out.splitlines()[1] == "flowchart LR"


@pytest.mark.parametrize(("args", "needle"), [
    (("graph",), "nothing to draw"),
    (("graph", "-o", "png", "java-maven-jib"), "--output must be one of svg, mermaid, dot"),
    (("graph", "{tmp}/task.yaml"), "holds no Pipeline"),
    (("graph", "{tmp}/two.yaml"), "holds 2 Pipelines (a, b): name one with --pipeline"),
    (("graph", "{tmp}/two.yaml", "--pipeline", "c"), "holds no Pipeline 'c'"),
    (("graph", "{tmp}/run.yaml"), "names its Pipeline (pipelineRef)"),
    (("graph", "{tmp}/bad.yaml"), "bad.yaml"),
    (("graph", "no-such-thing"), "no-such-thing"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    (tmp_path / "task.yaml").write_text("apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\n")
    two = [{"apiVersion": "tekton.dev/v1", "kind": "Pipeline", "metadata": {"name": n}, "spec": {"tasks": []}}
           for n in ("a", "b")]
    (tmp_path / "two.yaml").write_text(yaml.safe_dump_all(two))
    (tmp_path / "run.yaml").write_text("apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: r}\n"
                                       "spec: {pipelineRef: {name: p}}\n")
    (tmp_path / "bad.yaml").write_text("kind: Pipeline\n  spec: [\n")
    r = run_cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert_one_line_error(r, needle)


def test_pipeline_run_with_a_pipeline_spec_is_drawn(tmp_path: Path) -> None:
    run = {"apiVersion": "tekton.dev/v1", "kind": "PipelineRun", "metadata": {"generateName": "ci-"},
           "spec": {"pipelineSpec": {"tasks": [{"name": "a", "taskRef": {"name": "t"}}]}}}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(run))
    r = run_cli("graph", str(tmp_path / "run.yaml"), "-o", "mermaid")
    assert r.code == 0, r.err
    assert r.out.startswith("%% Pipeline ci-\n") and 't0("a<br>t")' in r.out
