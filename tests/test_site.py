"""`catalog site` without a browser: what the pages say, where the site goes, what is
refused. tests/test_site_browser.py loads the same sites in Chromium."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from catalog_cli.model import Dependency, Entry, FileDigest
from catalog_cli.site.build import MARKER, build
from catalog_cli.site.page import Options
from catalog_cli.sources.memory import MemoryCatalog

from .conftest import BUILTIN, TEKTON_CATALOG, assert_one_line_error, run_cli


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(scope="module")
def builtin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("builtin") / "site"
    r = run_cli("site", str(BUILTIN), "--out", str(out))
    assert r.code == 0, r.err
    assert "wrote " in r.err and "pages for 18 versions of 7 resources" in r.err
    return out


def test_a_page_per_version_and_the_shared_pages(builtin_site: Path) -> None:
    pages = {p.relative_to(builtin_site).as_posix() for p in builtin_site.rglob("*.html")}
    assert {"index.html", "all.html", "r/task/kaniko/0.1.html", "r/task/kaniko/0.2.html",
            "r/template/java-maven-jib/0.4.html"} <= pages
    assert len(pages) == 2 + 18
    assert (builtin_site / MARKER).is_file() and (builtin_site / "assets" / "site.js").is_file()


def test_a_task_page_shows_its_interface_rbac_versions_and_command(builtin_site: Path) -> None:
    html = (builtin_site / "r/task/kubectl-deploy/0.2.html").read_text()
    text = text_of(html)
    assert '<code id="cmd-install" data-ns="1">catalog install kubectl-deploy@0.2 -n default</code>' in html
    assert "Parameters" in text and "manifests" in text
    assert "Install grants its ServiceAccount a Role with exactly these rules" in text
    assert re.search(r"<td>apps</td><td>deployments</td><td>[a-z, ]*patch", html)
    versions = re.findall(r'<li><a href="[^"]*"[^>]*>(?:<strong>)?([0-9.]+)', html.split('id="versions"')[1])
    assert versions == ["0.2", "0.1"]  # newest first
    assert 'aria-current="page"><strong>0.2</strong>' in html
    assert "README" in text


def test_a_template_page_links_its_dependencies_and_says_how_to_scaffold(builtin_site: Path) -> None:
    html = (builtin_site / "r/template/java-maven-jib/0.4.html").read_text()
    assert "catalog scaffold java-maven-jib@0.4 --name SERVICE" in html
    assert '<a href="../../../r/task/git-clone/0.2.html">git-clone 0.2</a>' in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Dependencies of java-maven-jib 0.4"' in html
    needed = (builtin_site / "r/task/git-clone/0.2.html").read_text()
    assert '<a href="../../../r/template/java-maven-jib/0.4.html">java-maven-jib 0.4</a>' in needed


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_deprecated_versions_and_unreadable_files_are_said(tmp_path: Path) -> None:
    doc = b"apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec: {steps: []}\n"
    entries = [Entry("t", "Task", "0.10.0", "task/t/0.10/t.yaml", digest(doc)),
               Entry("t", "Task", "0.9.0", "task/t/0.9/t.yaml", digest(doc), deprecated=True),
               Entry("t", "Task", "0.8.0", "task/t/0.8/t.yaml", digest(b"other"),
                     files=(FileDigest("task/t/0.8/README.md", digest(b"gone")),))]
    files = {"task/t/0.10/t.yaml": doc, "task/t/0.9/t.yaml": doc, "task/t/0.8/t.yaml": doc}
    report = build(MemoryCatalog(entries, files, name="team"), tmp_path / "site",
                   Options("t", "team", bundles="reg.example/cat"), dot=None)
    assert report.problems == ["task/t/0.8/t.yaml: task/t/0.8/t.yaml: digest "
                               f"{digest(doc)} does not match the index ({digest(b'other')})"]
    newest = (tmp_path / "site/r/task/t/0.10.0.html").read_text()
    assert 'catalog install team/t@0.10.0 -n default' in newest
    assert "catalog repo add team URL" in newest
    assert "reg.example/cat/t:0.10.0" in newest and "catalog install oci://reg.example/cat/t:0.10.0" in newest
    assert re.search(r"0\.9\.0</a>\s*<span class=\"badge warn\">deprecated", newest)
    broken = text_of((tmp_path / "site/r/task/t/0.8.0.html").read_text())
    assert "could not read or check" in broken and "does not match the index" in broken


def test_the_default_place_is_beside_the_index_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    catalog = tmp_path / "team"
    (catalog / "task" / "kaniko").mkdir(parents=True)
    import shutil

    shutil.copytree(BUILTIN / "task" / "kaniko" / "0.2", catalog / "task" / "kaniko" / "0.2")
    assert run_cli("index", str(catalog)).code == 0
    for _ in range(2):
        r = run_cli("site", str(catalog))
        assert r.code == 0, r.err
    page = (catalog / "site" / "r/task/kaniko/0.2.html").read_text()
    assert "catalog install team/kaniko@0.2 -n default" in page
    assert 'data-catalog-rel="../">catalog repo add team URL' in page  # the browser fills in where
    assert not [p for p in tmp_path.rglob(".site.*")]  # no work folder left behind


def test_a_rerun_keeps_the_pages_nothing_changed_for(tmp_path: Path) -> None:
    import shutil

    catalog = tmp_path / "team"
    shutil.copytree(BUILTIN / "task", catalog / "task")
    assert run_cli("index", str(catalog)).code == 0
    first = run_cli("site", str(catalog))
    assert first.code == 0 and "kept" not in first.err, first.err
    page = catalog / "site/r/task/kaniko/0.2.html"
    before = page.read_text()
    assert "kept from the earlier site" in run_cli("site", str(catalog)).err
    assert page.read_text() == before
    readme = catalog / "task/kaniko/0.2/README.md"
    readme.write_text(readme.read_text() + "\nA line added for the test.\n")
    assert run_cli("index", str(catalog)).code == 0
    third = run_cli("site", str(catalog))
    assert "10 pages for 10 versions of 5 resources, 9 of them kept from the earlier site" in third.err, third.err
    assert "A line added for the test." in page.read_text()
    assert "A line added for the test." not in (catalog / "site/r/task/kaniko/0.1.html").read_text()


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    r = run_cli("site", str(BUILTIN), "--out", str(tmp_path / "mine"))
    assert_one_line_error(r, "is not a site this tool made")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_without_graphviz_pictures_are_mermaid_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    r = run_cli("site", str(BUILTIN), "--out", str(tmp_path / "site"))
    assert r.code == 0, r.err
    assert "Graphviz's dot is not installed" in r.err
    html = (tmp_path / "site/r/template/java-maven-jib/0.4.html").read_text()
    assert "<svg" not in html and "flowchart LR" in html and "n0([&#34;java-maven-jib 0.4&lt;br&gt;Template" in html


def test_the_tektoncd_catalog_makes_a_site(tmp_path: Path) -> None:
    r = run_cli("site", str(TEKTON_CATALOG), "--out", str(tmp_path / "site"), "--jobs", "1")
    assert r.code == 0, r.err
    pages = list((tmp_path / "site").rglob("*.html"))
    assert len(pages) > 300
    kaniko = sorted((tmp_path / "site/r/task/kaniko").glob("*.html"))
    assert kaniko and "catalog install tektoncd-catalog/kaniko@" in kaniko[-1].read_text()
    pipeline = (tmp_path / "site/r/pipeline/build-push-gke-deploy/0.1.html").read_text()
    assert 'aria-label="Pipeline build-push-gke-deploy"' in pipeline  # a Pipeline's picture of its tasks


@pytest.mark.parametrize(("args", "needle"), [
    (("site", str(TEKTON_CATALOG), "--out", "{tmp}/s", "--name", "Task"), "a repo name is lower case"),
    (("site", str(TEKTON_CATALOG), "--out", "{tmp}/s", "--name", "task"), "reserved"),
    (("site", "{tmp}/nowhere", "--out", "{tmp}/s"), "no such file or directory"),
    (("site", "builtin"), "say where to write the site with --out DIR"),
])
def test_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    r = run_cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert_one_line_error(r, needle)
    assert not (tmp_path / "s").exists()


def test_worker_processes_make_a_big_site_and_finish(tmp_path: Path) -> None:
    # The real program (its SIGTERM handler installed, as workers inherit it) with two
    # workers: once it hung when the pool stopped its workers.
    import os
    import subprocess
    import sys

    from catalog_cli.site.pages import PARALLEL_FROM

    catalog = tmp_path / "big"
    names, per = 50, PARALLEL_FROM // 50 + 1
    for i in range(names):
        for v in range(per):
            folder = catalog / "task" / f"t{i}" / f"0.{v}"
            folder.mkdir(parents=True)
            (folder / f"t{i}.yaml").write_text(
                f"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: t{i}\n  labels:\n"
                f"    app.kubernetes.io/version: '0.{v}'\nspec:\n  description: task {i}\n  steps: []\n")
    assert run_cli("index", str(catalog)).code == 0
    proc = subprocess.run([sys.executable, "-m", "catalog_cli", "site", str(catalog), "--jobs", "2"],
                          capture_output=True, text=True, timeout=300, check=False, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert f"{names * per} pages for {names * per} versions" in proc.stderr
    assert len(list((catalog / "site" / "r").rglob("*.html"))) == names * per


def _luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_text_colours_have_enough_contrast_in_both_schemes() -> None:
    # WCAG AA: 4.5:1 for text, in the light scheme and in the dark one (prefers-color-scheme).
    css = (Path(__file__).parent.parent / "catalog_cli/site/static/site.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    for block in (light, dark.split("}", 2)[0]):
        colours = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6})", block))
        pairs = [(fg, bg) for fg in ("fg", "muted", "link") for bg in ("bg", "card")] + [("warn-fg", "warn-bg")]
        for fg, bg in pairs:
            hi, lo = sorted((_luminance(colours[fg]), _luminance(colours[bg])), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 4.5, (fg, bg, colours[fg], colours[bg])


def test_a_readme_table_scrolls_in_a_region_the_keyboard_reaches() -> None:
    from catalog_cli.site.markdown import render

    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n<table onclick=x><tr><td>raw</td></tr></table>\n")
    assert html.count('<div class="scroll" role="region" aria-label="table" tabindex="0"><table>') == 1
    assert html.count("</table></div>") == 1
    assert "onclick" not in html and "raw</td>" not in html  # raw HTML still never passes


def test_filters_come_in_one_order_whatever_the_hash_seed() -> None:
    """Categories equal but for case were listed in the order of a set (it changed from
    run to run, and so did the home page's bytes)."""
    from catalog_cli.site.build import _filters
    from catalog_cli.site.plan import Plan, Resource

    resources = [Resource("Task", f"t{i}", (Entry(f"t{i}", "Task", "0.1.0", f"task/t{i}/0.1/t{i}.yaml",
                                                  digest(b""), categories=(c,)),))
                 for i, c in enumerate(["cloud", "Cloud", "cLoud", "CLOUD", "Build"])]
    plan = Plan(resources, {r.key: r for r in resources}, {})
    assert _filters(plan)["categories"] == ["Build", "CLOUD", "Cloud", "cLoud", "cloud"]


def test_worker_processes_make_the_same_site_as_one_and_say_what_could_not_be_read(tmp_path: Path) -> None:
    """Pages made in two workers (each batch's files read here and handed over) are the
    pages one process makes, byte for byte; a file that does not match its digest is
    said on its page and in the report whichever process made it."""
    from catalog_cli.site.pages import PARALLEL_FROM

    entries, files = [], {}
    for i in range(PARALLEL_FROM // 4 + 1):
        for v in range(4):
            base, needs = f"task/t{i}/0.{v}", f"task/t{i - 1} ^0.1.0" if i and v == 3 else ""
            doc = (f"apiVersion: tekton.dev/v1\nkind: Task\nmetadata:\n  name: t{i}\n"
                   f"  annotations:\n    catalog.dev/dependencies: '{needs}'\n"
                   f"spec:\n  description: >-\n    task {i}\n  params:\n    - name: p\n      default: '{v}'\n"
                   f"  steps: []\n").encode()
            files[f"{base}/t{i}.yaml"] = doc
            files[f"{base}/README.md"] = f"# t{i}\n\nversion {v}, [docs](https://example.com)\n".encode()
            deps = (Dependency(f"t{i - 1}", "^0.1.0", "Task"),) if needs else ()
            entries.append(Entry(f"t{i}", "Task", f"0.{v}.0", f"{base}/t{i}.yaml", digest(doc), dependencies=deps,
                                 files=(FileDigest(f"{base}/README.md", digest(files[f"{base}/README.md"])),)))
    indexed = digest(files["task/t7/0.2/README.md"])
    files["task/t7/0.2/README.md"] = b"# changed behind the index's back\n"
    sites = {}
    for jobs in (1, 2):
        report = build(MemoryCatalog(entries, files, name="team"), tmp_path / f"site{jobs}", Options("t", "team"),
                       dot=None, jobs=jobs)
        assert report.pages == len(entries)
        assert report.problems == [f"task/t7/0.2/t7.yaml: task/t7/0.2/README.md: digest "
                                   f"{digest(files['task/t7/0.2/README.md'])} does not match the index ({indexed})"]
        sites[jobs] = {p.relative_to(tmp_path / f"site{jobs}").as_posix(): p.read_bytes()
                       for p in (tmp_path / f"site{jobs}").rglob("*") if p.is_file() and p.name != MARKER}
    assert sites[1] == sites[2]
    assert b"does not match the index" in sites[2]["r/task/t7/0.2.0.html"]
    assert b'<a href="../../../r/task/t0/0.1.0.html">t0 0.1.0</a>' in sites[2]["r/task/t1/0.3.0.html"]
