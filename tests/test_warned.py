"""A catalog's index warnings are news once (sources/warned.py): shown the first time,
not on every command, and again when the catalog or its warnings change."""

from __future__ import annotations

import shutil
from pathlib import Path

from catalog_cli.settings import Settings
from catalog_cli.sources import warned

from .conftest import BUILTIN, TEKTON_CATALOG, run_cli


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning: ")]


def test_the_first_command_warns_the_next_ones_do_not() -> None:
    corpus = str(TEKTON_CATALOG)
    first = run_cli("search", "git", "--catalog", corpus, "-o", "name")
    assert first.code == 0 and len(_warnings(first.err)) >= 5
    for args in (["search", "git"], ["list"], ["info", "git-clone"], ["versions", "git-clone"]):
        r = run_cli(*args, "--catalog", corpus, "-o", "name")
        assert r.code == 0 and _warnings(r.err) == [], args


def test_quiet_hides_them_and_does_not_count_as_shown() -> None:
    corpus = str(TEKTON_CATALOG)
    assert run_cli("-q", "list", "--catalog", corpus, "-o", "name").err == ""
    assert _warnings(run_cli("list", "--catalog", corpus, "-o", "name").err)


def test_a_change_of_the_warnings_shows_them_again(tmp_path: Path) -> None:
    tree = tmp_path / "cat"
    shutil.copytree(BUILTIN, tree)
    (tree / "index.yaml").unlink()  # indexed as it is read
    (tree / "task/kaniko/0.2/kaniko.yaml").unlink()  # a version folder without its file
    assert _warnings(run_cli("list", "--catalog", str(tree)).err) == [
        "warning: task/kaniko/0.2: version folder has no kaniko.yaml; skipped"]
    assert _warnings(run_cli("list", "--catalog", str(tree)).err) == []
    (tree / "task/git-clone/0.2/git-clone.yaml").unlink()
    assert len(_warnings(run_cli("list", "--catalog", str(tree)).err)) == 2  # news again, whole
    shutil.copytree(tree, tmp_path / "other")
    assert len(_warnings(run_cli("list", "--catalog", str(tmp_path / "other")).err)) == 2  # another catalog


def test_a_broken_or_unwritable_memory_means_warning_again(settings: Settings, tmp_path: Path) -> None:
    assert warned.news(settings, "here", ["w"]) is True
    assert warned.news(settings, "here", ["w"]) is False
    (settings.cache_home / warned.FILE_NAME).write_text("{not json")
    assert warned.news(settings, "here", ["w"]) is True
    assert warned.news(settings, "here", ["w"]) is False
    # A link planted where the file goes is not followed, and only costs a repeat.
    target = tmp_path / "elsewhere"
    (settings.cache_home / warned.FILE_NAME).unlink()
    (settings.cache_home / warned.FILE_NAME).symlink_to(target)
    assert warned.news(settings, "here", ["w"]) is True
    assert not target.exists()
    # A cache folder that cannot be made (a file stands where its parent should be).
    (tmp_path / "a-file").write_text("")
    nowhere = settings.but(cache_home=tmp_path / "a-file" / "catalog")
    assert warned.news(nowhere, "here", ["w"]) is True
    assert warned.news(nowhere, "here", ["w"]) is True


def test_the_memory_is_bounded_and_private(settings: Settings) -> None:
    for i in range(warned.KEEP + 10):
        assert warned.news(settings, f"catalog-{i}", ["w"]) is True
    path = settings.cache_home / warned.FILE_NAME
    assert len(path.read_text().split(",")) == warned.KEEP
    assert path.stat().st_mode & 0o077 == 0
    assert warned.news(settings, f"catalog-{warned.KEEP + 9}", ["w"]) is False
    assert warned.news(settings, "catalog-0", ["w"]) is True  # the oldest was forgotten
