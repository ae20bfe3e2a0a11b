"""Nothing from a catalog entry may script the site: names, descriptions, display names,
tags, categories, params, workspaces, READMEs, samples and dependency names are hostile
here, and every page is read back to prove no script, handler or javascript: URL came
through. (The browser test loads these pages too and checks that none ran.)"""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from catalog_cli.graph.render import find_dot
from catalog_cli.graph.svgsafe import ELEMENTS as SVG_ELEMENTS
from catalog_cli.model import Dependency, Entry, FileDigest
from catalog_cli.site.build import build
from catalog_cli.site.markdown import TAGS as README_TAGS
from catalog_cli.site.page import Options
from catalog_cli.sources.memory import MemoryCatalog

XSS = "<script>window.__pwned=1</script>"
# No "/" in a name: the catalog reads NAME/... as REPO/NAME.
NAMES = ['evil"><img src=x onerror=window.__pwned=2>', "o'neil<svg onload=window.__pwned=3>", "plain"]
README = f"""# {XSS}

<script>window.__pwned=4</script>

<img src=x onerror="window.__pwned=5">

[click](javascript:window.__pwned=6) [data](data:text/html,<script>window.__pwned=7</script>)

A <a href="javascript:window.__pwned=8">raw link</a> <svg onload="window.__pwned=9"><script>window.__pwned=10</script></svg>

<iframe src="javascript:window.__pwned=11"></iframe>

![x" onerror="window.__pwned=12](javascript:window.__pwned=13) <b onmouseover="window.__pwned=17">bold</b>
"""


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hostile_catalog() -> MemoryCatalog:
    entries, files = [], {}
    for i, name in enumerate(NAMES):
        folder = f"task/n{i}/0.1"
        doc = {"apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": name},
               "spec": {"description": f"{XSS} desc <b onmouseover=window.__pwned=14>x</b>",
                        "params": [{"name": f"p{XSS}", "type": "string", "default": f"{XSS}'\"",
                                    "description": '"><svg onload=window.__pwned=15>'}],
                        "workspaces": [{"name": f"w{XSS}", "description": XSS}],
                        "results": [{"name": f"r{XSS}", "description": XSS}],
                        "steps": [{"name": "s", "image": "busybox", "script": "true"}]}}
        body = yaml.safe_dump(doc).encode()
        readme, sample = README.encode(), f"kind: {XSS}\n".encode()
        files[f"{folder}/t.yaml"] = body
        files[f"{folder}/README.md"] = readme
        files[f"{folder}/samples/{i}.yaml"] = sample
        deps = (Dependency(NAMES[0]),) if i == 1 else ()
        entries.append(Entry(
            name=name, kind="Task", version="0.1", path=f"{folder}/t.yaml", digest=digest(body),
            description=f"{XSS} <a href='javascript:window.__pwned=16'>", display_name=f"{name} {XSS}",
            categories=(f"cat{XSS}",), tags=(f"tag'\"<{XSS}",), platforms=(f"linux/{XSS}",),
            dependencies=deps,
            files=(FileDigest(f"{folder}/README.md", digest(readme)),
                   FileDigest(f"{folder}/samples/{i}.yaml", digest(sample)))))
    return MemoryCatalog(entries, files, name="evil")


class Audit(HTMLParser):
    """Every script, handler and URL a page holds."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.handlers: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}={value}")
            if name in ("href", "src", "action", "xlink:href", "formaction", "data"):
                self.urls.append(value or "")
        if tag == "script":
            self.scripts.append(dict(attrs).get("src") or "INLINE")

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


#: Every element a page may hold: the templates' own, the README allow-list, the SVG one.
ALLOWED_TAGS = {"html", "head", "meta", "title", "link", "script", "body", "a", "header", "nav", "ul", "li", "main",
                "footer", "p", "code", "h1", "h2", "h3", "form", "div", "label", "input", "select", "option",
                "ol", "button", "noscript", "section", "span", "br", "article", "dl", "dt", "dd", "strong", "em",
                "table", "thead", "tbody", "tr", "th", "td", "pre", "figure", "figcaption"} \
    | README_TAGS | SVG_ELEMENTS


@pytest.fixture(scope="module", params=["mermaid", "graphviz"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dot = None
    if request.param == "graphviz":
        dot = find_dot()
        if dot is None:
            pytest.fail("Graphviz is not installed: apt-get install graphviz (scripts/test.sh installs it)")
    out = tmp_path_factory.mktemp("hostile") / "site"
    report = build(hostile_catalog(), out, Options(title=f"T {XSS}", repo="evil", url=f"https://x/{XSS}",
                                                   bundles=f"reg/{XSS}"), dot=dot)
    assert report.pictures == 2  # o'neil needs evil: both pages draw it
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_every_page_holds_only_its_own_scripts_and_no_handlers(site: Path) -> None:
    assert len(pages(site)) == 2 + len(NAMES)
    for page in pages(site):
        audit = Audit()
        audit.feed(page.read_text())
        assert all(s.endswith(("assets/site.js", "search-index.js")) for s in audit.scripts), (page, audit.scripts)
        assert audit.handlers == [], page
        assert audit.tags <= ALLOWED_TAGS, (page, audit.tags - ALLOWED_TAGS)
        for url in audit.urls:
            assert not url.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (page, url)
        assert "window.__pwned" not in "".join(a for a in audit.scripts)


def test_the_hostile_text_is_shown_as_text(site: Path) -> None:
    page = next(p for p in pages(site) if p.parent.name != "site" and "plain" in p.parts[-2])
    audit = Audit()
    audit.feed(page.read_text())
    text = "".join(audit.texts)
    assert XSS in text  # the description, escaped: a reader sees what the author wrote
    assert "javascript:window.__pwned=6" not in " ".join(audit.urls)
    assert "click" in text and "raw link" in text  # the links' text stays, their targets do not


def test_the_search_index_is_data(site: Path) -> None:
    text = (site / "search-index.js").read_text()
    prefix = "window.CATALOG_INDEX="
    assert text.startswith(prefix) and text.endswith(";\n")
    data = json.loads(text[len(prefix):-2])  # one JSON value, nothing else to run
    assert {item[0] for item in data["items"]} == set(NAMES)
    assert all(item[-1].startswith("r/task/") and '"' not in item[-1] and "<" not in item[-1]
               for item in data["items"])


def test_names_never_make_paths(site: Path) -> None:
    for page in pages(site):
        assert page.resolve().is_relative_to(site.resolve())
        assert not set(page.relative_to(site).as_posix()) & set("<>\"' ")
