"""A catalog served by a plain HTTP server: search, info, and digest checking."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .httpserve import serve


def test_search_and_info_over_http(tmp_path: Path) -> None:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    with serve(tmp_path / "cat") as url:
        r = run_cli("search", "git", "--catalog", url, "-o", "json")
        assert r.code == 0, r.err
        assert "git-clone" in {h["name"] for h in r.json()}
        r = run_cli("info", "kubectl-deploy@0.1", "--catalog", url + "/index.yaml", "-o", "json")
        assert r.code == 0, r.err
        assert r.json()["version"] == "0.1" and r.json()["params"]


def test_a_file_whose_digest_changed_is_refused(tmp_path: Path) -> None:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    task = tmp_path / "cat/task/kaniko/0.2/kaniko.yaml"
    task.write_text(task.read_text().replace("Kaniko", "Kan1ko", 1))
    with serve(tmp_path / "cat") as url:
        r = run_cli("info", "kaniko", "--catalog", url)
    assert_one_line_error(r, "task/kaniko/0.2/kaniko.yaml", "does not match the index")
    assert r.code == 6


def test_server_down_is_one_line(tmp_path: Path) -> None:
    with serve(tmp_path) as url:
        pass  # the server is gone once the block ends
    r = run_cli("list", "--catalog", url)
    assert_one_line_error(r, url, "cannot fetch")
    assert r.code == 5


def test_missing_index_is_not_found(tmp_path: Path) -> None:
    with serve(tmp_path) as url:
        r = run_cli("list", "--catalog", url)
    assert_one_line_error(r, f"{url}/index.yaml", "404")
    assert r.code == 3
