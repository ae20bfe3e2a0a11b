"""What a README links or shows from beside it: copied into the site when it lies in the
same resource's folder, is named by the index (and matches its digest) and is of a kind
a browser only shows; everything else loses its target or stays the image's alt text.

The attacks come first: paths out of the resource's folder (``..``, absolute, encoded,
backslashes, a symlink out), script and remote URLs as images, SVG with script, files a
browser would run (HTML, XHTML, an "image" that is HTML), files the index does not
name or that do not match their digest. Then what must work: samples, other versions'
files and pages, pictures, and a rebuild that keeps them."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest

from .conftest import run_cli
from .test_site_hostile import Audit

TASK = """apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: t
  labels:
    app.kubernetes.io/version: "{v}"
spec:
  description: A task.
  steps:
    - name: s
      image: busybox
      script: "true"
"""
OTHER = TASK.replace("name: t\n", "name: u\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16 + b"a picture"
SECRET = b"\x89PNG\r\n\x1a\nSECRET-OUTSIDE-THE-CATALOG"


def make(tmp_path: Path, readme: str, extra: dict[str, bytes] | None = None,
         links: dict[str, Path] | None = None) -> Path:
    """A catalog of task t (0.1 and 0.2, each with ``readme`` and ``extra`` files and
    ``links`` as symlinks beside it) and task u, indexed. `catalog index` refuses a link
    out of the catalog, so the links are made after it ran, each in place of a file of
    the bytes it leads to (the index names them, with their digests, as a hostile
    index would)."""
    folder = tmp_path / "catalog"
    for v in ("0.1", "0.2"):
        base = folder / "task" / "t" / v
        (base / "samples").mkdir(parents=True)
        (base / "t.yaml").write_text(TASK.format(v=v))
        (base / "README.md").write_text(readme)
        (base / "samples" / "run.yaml").write_text(f"kind: TaskRun # {v}\n")
        for rel, data in (extra or {}).items():
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            (base / rel).write_bytes(data)
        for rel, to in (links or {}).items():
            (base / rel).write_bytes(to.read_bytes())
    (folder / "task" / "u" / "0.1").mkdir(parents=True)
    (folder / "task" / "u" / "0.1" / "u.yaml").write_text(OTHER.format(v="0.1"))
    r = run_cli("index", str(folder))
    assert r.code == 0, r.err
    for v in ("0.1", "0.2"):
        for rel, to in (links or {}).items():
            (folder / "task" / "t" / v / rel).unlink()
            (folder / "task" / "t" / v / rel).symlink_to(to)
    return folder


def site_of(catalog: Path, tmp_path: Path, name: str = "site") -> tuple[Path, str]:
    out = tmp_path / name
    r = run_cli("site", str(catalog), "--out", str(out))
    assert r.code == 0, r.err
    return out, r.err


def audit(page: Path) -> Audit:
    a = Audit()
    a.feed(page.read_text())
    return a


def readme_html(page: Path) -> str:
    html = page.read_text()
    return html[html.index('id="readme"'):html.index("</section>", html.index('id="readme"'))]


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def local_urls(page: Path) -> list[str]:
    """The page's own links and images that stay on the site (not http, https, mailto,
    nor a place in the page itself)."""
    return [u for u in audit(page).urls if not re.match(r"(https?|mailto):|#", u)]


def assert_only_site_urls(site: Path) -> None:
    """Every local link and image of every page leads to a file of the site."""
    for page in site.rglob("*.html"):
        for url in local_urls(page):
            target = (page.parent / unquote(url.split("#")[0])).resolve()
            assert target.is_relative_to(site.resolve()) and target.is_file(), (page, url)


# -- attacks ---------------------------------------------------------------------------

def test_a_readme_pointing_out_of_its_resource_gets_no_target_and_nothing_is_copied(tmp_path: Path) -> None:
    readme = ("# t\n\n[passwd](../../../../etc/passwd) ![p](../../../../../etc/passwd) [abs](/etc/passwd)\n"
              "[enc](..%2F..%2F..%2F..%2Fetc%2Fpasswd) [bs](..\\\\..\\\\..\\\\..\\\\etc\\\\passwd) [u](../../u/0.1/u.yaml)\n"
              "[up](../../u/0.1/) [root](../../../index.yaml) [home](~/.ssh/id_rsa) [q](samples/run.yaml?x=1)\n")
    site, _ = site_of(make(tmp_path, readme), tmp_path)
    page = site / "r/task/t/0.2.html"
    html = readme_html(page)
    assert html.count("<a") == 9 and "href" not in html  # every link kept its text, none a target
    assert "<img" not in html and "[image: p]" in html
    assert not (site / "r/task/t/files").exists()
    assert not any(b"root:" in data for data in site_files(site).values())
    assert_only_site_urls(site)


def test_a_symlink_out_of_the_catalog_is_not_copied_and_is_said(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(SECRET)
    catalog = make(tmp_path, "# t\n\n![pic](pic.png) [notes](notes.txt)\n",
                   links={"pic.png": secret, "notes.txt": secret})
    site, err = site_of(catalog, tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "<img" not in html and "[image: pic]" in html and "href" not in html
    assert not any(b"SECRET" in data for data in site_files(site).values())
    assert "path leaves the catalog" in err


@pytest.mark.parametrize("url", ["javascript:window.__pwned=1", "data:image/png;base64,iVBORw0KGgo=",
                                 "https://evil.example/x.png", "//evil.example/x.png", "http:x.png",
                                 "JaVaScRiPt:alert(1)", "vbscript:x"])
def test_script_data_and_remote_images_stay_their_alt_text(tmp_path: Path, url: str) -> None:
    site, _ = site_of(make(tmp_path, f"# t\n\n![shown as text]({url})\n"), tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "<img" not in html and "[image: shown as text]" in html


SVG_ATTACK = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50"
     onload="window.__pwned=1">
  <script>window.__pwned=2</script>
  <style>rect { fill: url(https://evil.example/x) }</style>
  <rect x="1" y="2" width="30" height="20" fill="red" onclick="window.__pwned=3" style="fill:blue"/>
  <a xlink:href="javascript:window.__pwned=4"><text x="5" y="40">click</text></a>
  <foreignObject width="10" height="10"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:1"/></foreignObject>
  <image href="https://evil.example/tracker.png" width="1" height="1"/>
  <use href="#r"/>
  <circle cx="10" cy="10" r="5" fill="url(#g)"/>
  <text x="40" y="20">kept &lt;text&gt;</text>
</svg>
"""


def test_an_svg_picture_is_written_anew_without_script_links_or_styles(tmp_path: Path) -> None:
    site, _ = site_of(make(tmp_path, "# t\n\n![diagram](docs/diagram.svg) [the file](docs/diagram.svg)\n",
                           {"docs/diagram.svg": SVG_ATTACK}), tmp_path)
    page = site / "r/task/t/0.2.html"
    html = readme_html(page)
    assert '<img src="files/0.2/docs/diagram.svg" alt="diagram"' in html
    copy = (site / "r/task/t/files/0.2/docs/diagram.svg").read_text()
    for bad in ("script", "onload", "onclick", "style", "foreignObject", "iframe", "javascript", "href", "http",
                "url(", "image", "use", "__pwned"):
        assert bad not in copy.replace('xmlns="http://www.w3.org/2000/svg"', ""), bad
    assert '<rect' in copy and 'fill="red"' in copy and "kept &lt;text&gt;" in copy
    assert_only_site_urls(site)


@pytest.mark.parametrize("svg", [
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg">'
    b'<text>&x;</text></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>unclosed</svg>',
    b"<html><script>window.__pwned=1</script></html>",
])
def test_an_svg_that_does_not_parse_plainly_is_dropped(tmp_path: Path, svg: bytes) -> None:
    site, _ = site_of(make(tmp_path, "# t\n\n![d](d.svg)\n", {"d.svg": svg}), tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "<img" not in html and "[image: d]" in html
    assert not (site / "r/task/t/files").exists()


def test_files_a_browser_would_run_are_never_copied(tmp_path: Path) -> None:
    active = b"<html><script>window.__pwned=1</script></html>"
    readme = ("# t\n\n[a](evil.html) [b](evil.htm) [c](evil.xhtml) [d](evil.js) [e](evil.xml) [f](Makefile)\n"
              "[g](evil.pdf) ![fake](fake.png) [fake link](fake.png) ![gif](fake.gif) [h](.hidden.yaml)\n")
    names = ["evil.html", "evil.htm", "evil.xhtml", "evil.js", "evil.xml", "Makefile", "evil.pdf", "fake.png",
             "fake.gif", ".hidden.yaml"]
    site, _ = site_of(make(tmp_path, readme, dict.fromkeys(names, active)), tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "href" not in html and "<img" not in html
    assert not (site / "r/task/t/files").exists()
    assert not any(b"__pwned" in data for data in site_files(site).values())


def test_a_linked_file_that_does_not_match_its_digest_is_not_copied(tmp_path: Path) -> None:
    catalog = make(tmp_path, "# t\n\n![arch](arch.png) [run](samples/run.yaml)\n", {"arch.png": PNG})
    (catalog / "task/t/0.2/arch.png").write_bytes(PNG + b"changed behind the index's back")
    site, err = site_of(catalog, tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "<img" not in html and "[image: arch]" in html
    assert not (site / "r/task/t/files/0.2/arch.png").exists()
    assert "task/t/0.2/arch.png" in err and "does not match the index" in err
    assert "does not match the index" in (site / "r/task/t/0.2.html").read_text()
    assert (site / "r/task/t/files/0.1/arch.png").read_bytes() == PNG  # the other version's is fine


def test_a_file_the_index_does_not_name_is_not_copied(tmp_path: Path) -> None:
    catalog = make(tmp_path, "# t\n\n![late](late.png) [late](late.txt)\n")
    for v in ("0.1", "0.2"):
        (catalog / "task/t" / v / "late.png").write_bytes(PNG)
        (catalog / "task/t" / v / "late.txt").write_text("added after indexing\n")
    site, _ = site_of(catalog, tmp_path)
    html = readme_html(site / "r/task/t/0.2.html")
    assert "<img" not in html and "href" not in html
    assert not (site / "r/task/t/files").exists()


# -- what works --------------------------------------------------------------------------

def test_samples_pictures_and_other_versions_are_linked_from_the_site(tmp_path: Path) -> None:
    readme = ("# t\n\n[run](samples/run.yaml) [run again](./samples/run.yaml#top) ![arch](docs/arch.png)\n"
              "[deploy](deploy.sh) [older sample](../0.1/samples/run.yaml) [older](../0.1/) "
              "[older readme](../0.1/README.md) [this one](./) [docs](https://tekton.dev/docs/)\n\n"
              "[ref]: samples/run.yaml\n\nBy reference: [the sample][ref].\n")
    catalog = make(tmp_path, readme, {"docs/arch.png": PNG, "deploy.sh": b"#!/bin/sh\necho deploy\n"})
    site, _ = site_of(catalog, tmp_path)
    page = site / "r/task/t/0.2.html"
    html = readme_html(page)
    links = re.findall(r'<a href="([^"]*)"', html)
    assert links == ["files/0.2/samples/run.yaml", "files/0.2/samples/run.yaml#top", "files/0.2/deploy.sh",
                     "files/0.1/samples/run.yaml", "0.1.html", "0.1.html", "0.2.html",
                     "https://tekton.dev/docs/", "files/0.2/samples/run.yaml"]
    assert '<img src="files/0.2/docs/arch.png" alt="arch"' in html
    for url in [*links[:4], "files/0.2/docs/arch.png"]:
        rel = urljoin("r/task/t/0.2.html", url.split("#")[0])
        source = catalog / "task/t" / rel.removeprefix("r/task/t/files/")
        assert (site / rel).read_bytes() == source.read_bytes(), url
    assert_only_site_urls(site)


def test_a_rebuild_keeps_the_copies_and_updates_a_changed_one(tmp_path: Path) -> None:
    catalog = make(tmp_path, "# t\n\n![arch](arch.png) [run](samples/run.yaml)\n", {"arch.png": PNG})
    site_of(catalog, tmp_path)
    again, err = site_of(catalog, tmp_path)
    assert "3 of them kept" in err
    assert (again / "r/task/t/files/0.2/arch.png").read_bytes() == PNG
    assert (again / "r/task/t/files/0.1/samples/run.yaml").is_file()
    (catalog / "task/t/0.2/arch.png").write_bytes(PNG + b" v2")
    assert run_cli("index", str(catalog)).code == 0
    third, _ = site_of(catalog, tmp_path)
    assert (third / "r/task/t/files/0.2/arch.png").read_bytes() == PNG + b" v2"
    assert (third / "r/task/t/files/0.1/arch.png").read_bytes() == PNG


def test_a_rebuild_follows_no_link_planted_in_the_earlier_site(tmp_path: Path) -> None:
    """Someone who can write the published site swaps its copies' folder for a link to
    elsewhere: the next build, keeping the pages, copies nothing from there."""
    catalog = make(tmp_path, "# t\n\n[run](samples/run.yaml)\n")
    site, _ = site_of(catalog, tmp_path)
    elsewhere = tmp_path / "elsewhere" / "0.2" / "samples"
    elsewhere.mkdir(parents=True)
    (elsewhere / "run.yaml").write_text("planted\n")
    import shutil

    shutil.rmtree(site / "r/task/t/files")
    (site / "r/task/t/files").symlink_to(tmp_path / "elsewhere")
    again, err = site_of(catalog, tmp_path)
    assert "3 of them kept" in err
    assert not (again / "r/task/t/files/0.2/samples/run.yaml").exists()
    assert not any(b"planted" in data for data in site_files(again).values())


def test_a_rebuild_keeps_no_page_reached_through_a_link_in_the_earlier_site(tmp_path: Path) -> None:
    catalog = make(tmp_path, "# t\n")
    site, _ = site_of(catalog, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "0.2.html").write_text("<script>planted</script>")
    (elsewhere / "0.1.html").write_text("<script>planted</script>")
    import shutil

    shutil.rmtree(site / "r/task/t")
    (site / "r/task/t").symlink_to(elsewhere)
    again, err = site_of(catalog, tmp_path)
    assert "1 of them kept" in err  # u's page; t's two are made anew
    assert not any(b"planted" in data for data in site_files(again).values())
