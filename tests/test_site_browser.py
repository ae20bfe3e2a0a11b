"""The generated sites in a real browser: Debian's Chromium, driven by Playwright, loads
them from a loopback web server (and from file://).

Chromium comes from Debian's `chromium` package (scripts/test.sh installs it) and
Playwright from the test dependencies; Playwright's own browser download is never used.
Without either the tests fail rather than skip. Screenshots of a home page and a
resource page are written under the test's output folder (printed) for a person to see.
"""

from __future__ import annotations

import shlex
import shutil
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
import zlib

import pytest

from catalog_cli.site.build import build
from catalog_cli.site.page import Options

from .conftest import BUILTIN, TEKTON_CATALOG, run_cli
from .httpserve import serve
from .test_site_hostile import hostile_catalog
from .test_site_readme_files import SVG_ATTACK

MISSING = "Chromium is not installed: apt-get install chromium (scripts/test.sh installs it)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(MISSING, pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One web server for three sites: the built-in catalog's, the tektoncd catalog's, and
    that of a small catalog 'team' with its site inside it (as a platform team publishes)."""
    root = tmp_path_factory.mktemp("www")
    team = root / "team"
    shutil.copytree(BUILTIN / "task" / "kaniko", team / "task" / "kaniko")
    version = team / "task" / "kaniko" / "0.2"
    (version / "docs").mkdir()
    (version / "docs" / "flow.png").write_bytes(tiny_png())
    (version / "docs" / "flow.svg").write_bytes(SVG_ATTACK)
    readme = version / "README.md"
    readme.write_text(readme.read_text() + "\n![build flow](docs/flow.png) ![flow as SVG](docs/flow.svg)\n\n"
                      "[the sample](samples/build-target-with-cache.yaml), [the older version](../0.1/)\n")
    assert run_cli("index", str(team)).code == 0
    for args in (("site", str(BUILTIN), "--out", str(root / "builtin")),
                 ("site", str(TEKTON_CATALOG), "--out", str(root / "tektoncd")),
                 ("site", str(team))):
        r = run_cli(*args)
        assert r.code == 0, r.err
    hostile = root / "hostile"
    build(hostile_catalog(), hostile, Options("hostile", "evil"), dot=shutil.which("dot"))
    log: list[tuple[str, int]] = []
    with serve(root, log) as url:
        yield {"url": url, "root": root, "log": log}


def tiny_png() -> bytes:
    """A real two-by-two PNG, so that a browser shows it (and says how wide it is)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"\x00" + b"\xff\x00\x00" * 2 + b"\x00" + b"\x00\x00\xff" * 2
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    pg.problems = []  # console errors and uncaught exceptions, for the test to check
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
          else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    yield pg
    context.close()


def search(pg: Any, text: str) -> list[str]:
    pg.fill("#q", text)
    # locators, not wait_for_function: that evaluates a string, which the site's CSP forbids
    pg.locator("#count", has_text="found").wait_for()
    return [a.inner_text() for a in pg.query_selector_all("#results a.name")]


@pytest.mark.parametrize("site", ["builtin", "tektoncd"])
def test_search_finds_kaniko_from_build_image(served: dict[str, Any], page: Any, site: str,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    page.goto(f"{served['url']}/{site}/index.html")
    found = search(page, "build image")
    assert "kaniko" in found
    assert float(page.get_attribute("#results", "data-search-ms")) < 50
    page.select_option("#kind", "Task")
    assert "kaniko" in [a.inner_text() for a in page.query_selector_all("#results a.name")]
    assert "kind=Task" in page.url and "q=build+image" in page.url  # a link to these results
    page.select_option("#category", "Image Build")
    by_category = {a.inner_text() for a in page.query_selector_all("#results a.name")}
    assert "kaniko" in by_category and "git-clone" not in by_category
    page.select_option("#platform", "linux/s390x" if site == "tektoncd" else "linux/arm64")
    assert page.inner_text("#count").endswith("found")
    assert page.problems == []
    if site == "builtin":
        shots = tmp_path_factory.mktemp("screenshots")
        page.screenshot(path=str(shots / "home.png"), full_page=True)
        page.click("#results a.name >> text=kaniko")
        page.wait_for_selector("#params")
        page.screenshot(path=str(shots / "kaniko.png"), full_page=True)
        print(f"screenshots: {shots}")
        assert (shots / "home.png").stat().st_size > 10_000 and (shots / "kaniko.png").stat().st_size > 10_000


def test_a_resource_page_shows_parameters_and_a_working_install_command(served: dict[str, Any], page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=served["url"])
    page.goto(f"{served['url']}/team/site/r/task/kaniko/0.2.html")
    rows = [r.inner_text().split("\t")[0] for r in page.query_selector_all("#params ~ div table tbody tr")]
    assert "image" in rows and "dockerfile" in rows
    page.fill("#ns", "team-a")
    install = page.inner_text("#cmd-install")
    repo_add = page.inner_text("#cmd-repo")
    assert install == "catalog install team/kaniko@0.2 -n team-a"
    assert repo_add == f"catalog repo add team {served['url']}/team/"  # worked out from where the site is
    page.click('button[data-copy="cmd-install"]')
    page.locator("#copied", has_text="Copied: ").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == install
    assert page.problems == []
    # What the page says works: the repo is added over HTTP, the install command's
    # reference resolves (rendered: the objects install would apply, no cluster needed).
    add = run_cli(*shlex.split(repo_add)[1:])
    assert add.code == 0, add.err
    argv = shlex.split(install)[1:]
    assert argv[0] == "install"
    rendered = run_cli("render", *argv[1:], "-o", "name")
    assert rendered.code == 0, rendered.err
    assert rendered.out.splitlines()[0] == "task.tekton.dev/kaniko"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and tag in ("a", "link", "script", "img"):
                self.found.append(value)


@pytest.mark.parametrize("site", ["builtin/index.html", "tektoncd/index.html", "team/site/index.html"])
def test_no_link_leads_nowhere(served: dict[str, Any], site: str) -> None:
    start = f"{served['url']}/{site}"
    base = start.rsplit("/", 1)[0] + "/"
    seen, todo, broken = {start}, [start], []
    while todo:
        url = todo.pop()
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            broken.append(f"{url}: {exc.code}")
            continue
        if not url.endswith(".html"):
            continue  # a file a README links or shows: there, and that is all
        parser = Links()
        parser.feed(body.decode())
        for href in parser.found:
            target = urljoin(url, href).split("#")[0]
            if urlsplit(target).netloc != urlsplit(start).netloc:
                continue  # README links to the web: not ours to check
            if target not in seen and target.startswith(base):
                seen.add(target)
                todo.append(target)
    assert broken == []
    assert len(seen) > (300 if "tektoncd" in site else 5)


def test_pages_load_without_console_errors(served: dict[str, Any], page: Any) -> None:
    root: Path = served["root"]
    pages = sorted((root / "builtin").rglob("*.html")) + sorted((root / "tektoncd").rglob("*.html"))
    for p in pages:
        page.goto(f"{served['url']}/{p.relative_to(root).as_posix()}")
    assert page.problems == []
    assert len(pages) > 320


def test_the_site_works_from_file_urls(served: dict[str, Any], page: Any) -> None:
    page.goto((served["root"] / "builtin" / "index.html").as_uri())
    assert "kaniko" in search(page, "kaniko")
    page.click("#results a.name >> text=kaniko")
    page.wait_for_selector("#params")
    assert page.problems == []


def test_readme_pictures_and_files_beside_it_work_over_http_and_from_file_urls(served: dict[str, Any],
                                                                               page: Any) -> None:
    at = "team/site/r/task/kaniko/0.2.html"
    for url in (f"{served['url']}/{at}", (served["root"] / at).as_uri()):
        page.goto(url)
        widths = page.evaluate("[...document.querySelectorAll('.readme img')].map(i => i.complete && i.naturalWidth)")
        assert len(widths) == 2 and all(w and w > 0 for w in widths), (url, widths)
        links = page.evaluate("[...document.querySelectorAll('.readme a')].map(a => a.href)")
        assert any(h.endswith("/files/0.2/samples/build-target-with-cache.yaml") for h in links)
        assert any(h.endswith("/kaniko/0.1.html") for h in links)
    assert page.problems == []
    # The SVG opened on its own, in the site's origin: written anew, it runs nothing.
    page.goto(f"{served['url']}/team/site/r/task/kaniko/files/0.2/docs/flow.svg")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.documentElement.localName") == "svg"


def test_hostile_entries_run_no_script(served: dict[str, Any], page: Any) -> None:
    root: Path = served["root"]
    pages = sorted((root / "hostile").rglob("*.html"))
    for p in pages:
        page.goto(f"{served['url']}/{p.relative_to(root).as_posix()}")
        assert page.evaluate("window.__pwned") is None, p
    page.goto(f"{served['url']}/hostile/index.html")
    names = search(page, "pwned")
    assert 'evil"><img src=x onerror=window.__pwned=2>' in names  # shown as the text it is
    assert page.evaluate("window.__pwned") is None
    assert page.query_selector("#results img") is None and page.query_selector("#results svg") is None


def test_keyboard_phone_and_dark(served: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme="dark", is_mobile=True)
    pg = context.new_page()
    root: Path = served["root"]
    for p in sorted((root / "builtin").rglob("*.html")):
        pg.goto(f"{served['url']}/{p.relative_to(root).as_posix()}")
        # a phone's width: nothing wider than the screen but what scrolls inside its own box
        assert pg.evaluate("document.documentElement.scrollWidth") <= 360, p
    pg.goto(f"{served['url']}/builtin/r/task/kaniko/0.2.html")
    assert pg.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.textContent") == "Skip to content"
    pg.keyboard.press("Enter")
    assert pg.evaluate("document.activeElement.id") == "main"
    landmarks = pg.evaluate("['header', 'nav', 'main', 'footer'].map(t => document.querySelectorAll(t).length)")
    assert all(n >= 1 for n in landmarks)
    unlabelled = pg.evaluate("""[...document.querySelectorAll('input, select, button')].filter(el =>
        !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim()).length""")
    assert unlabelled == 0
    context.close()
