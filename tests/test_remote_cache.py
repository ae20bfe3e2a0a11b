"""The repo cache: ETag revalidation, --offline with the cache's age, atomic writes."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from catalog_cli import repos
from catalog_cli.sources import remote, repo_cache
from catalog_cli.errors import InputError
from catalog_cli.progress import Recorder, set_reporter
from catalog_cli.settings import Settings

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .faultserve import serve


def cache_of(name: str) -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "catalog" / "repos" / name


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    return tmp_path / "cat"


def test_an_unchanged_index_costs_one_304(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        assert srv.state.requests == [("/index.yaml", 200)]
        srv.clear()
        r = run_cli("repo", "update", "-o", "json")
        assert r.code == 0, r.err
        assert r.json() == [{"name": "team", "status": "unchanged", "detail": "not modified", "bytes": 0}]
        assert srv.state.requests == [("/index.yaml", 304)]  # exactly one request, no body
        srv.clear()
        assert run_cli("list").code == 0  # every command revalidates the same way
        assert srv.state.requests == [("/index.yaml", 304)]


def test_a_changed_index_is_fetched_again(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        shutil.rmtree(cat / "task/yq-update")
        assert run_cli("index", str(cat)).code == 0
        r = run_cli("repo", "update", "-o", "json")
        assert r.json()[0]["status"] == "updated"
        assert srv.state.requests[-1] == ("/index.yaml", 200)
        r = run_cli("info", "team/yq-update")
        assert r.code == 3


def test_offline_uses_the_cache_and_says_how_old(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        assert run_cli("info", "team/kaniko").code == 0  # fetches and caches the file
        meta = cache_of("team") / "meta.json"
        data = json.loads(meta.read_text())
        data["fetched_at"] = time.time() - 3 * 3600 - 60
        meta.write_text(json.dumps(data))
    # The server is gone now.
    r = run_cli("--offline", "info", "team/kaniko", "-o", "json")
    assert r.code == 0, r.err
    assert "using cached index of repo team from 3 h ago" in r.err
    assert r.json()["name"] == "kaniko"
    r = run_cli("--offline", "--quiet", "info", "team/kaniko", "-o", "json")
    assert r.code == 0 and r.err == ""
    r = run_cli("--offline", "info", "team/git-clone")  # a file never fetched
    assert r.code == 5 and "offline, and not in the cache of repo team" in r.err


def test_offline_without_a_cache_is_one_line(settings: Settings) -> None:
    repos.add(repos.make("team", "http://127.0.0.1:9/"), settings)
    r = run_cli("--offline", "list")
    assert_one_line_error(r, "no cached index of repo team", "catalog repo update")
    assert r.code == 5
    r = run_cli("list", env={"CATALOG_OFFLINE": "1"})
    assert r.code == 5


def test_a_down_server_falls_back_to_the_cache_with_a_note(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
    r = run_cli("search", "kaniko", "-o", "json", env={"CATALOG_HTTP_TIMEOUT": "0.5"})
    assert r.code == 0, r.err
    assert "repo team:" in r.err and "cannot fetch" in r.err and "using its cached index from" in r.err
    r = run_cli("repo", "update", env={"CATALOG_HTTP_TIMEOUT": "0.5"})  # update itself fails
    assert r.code == 5 and "1 of 1 repos could not be updated" in r.err


def test_a_bad_index_never_replaces_a_good_cache(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        good = (cache_of("team") / "index.yaml").read_bytes()
        (cat / "index.yaml").write_text("apiVersion: catalog.dev/v1\nentries: [oops\n")
        r = run_cli("repo", "update")
        assert r.code != 0 and "invalid YAML" in r.out + r.err
        assert (cache_of("team") / "index.yaml").read_bytes() == good
        assert not [p for p in cache_of("team").iterdir() if p.name.endswith(".tmp")]


def test_index_replaced_without_its_meta_is_refetched(cat: Path, settings: Settings) -> None:
    """A crash between the two renames leaves a new index with an old ETag: never trusted."""
    with serve(cat) as srv:
        repo = repos.make("team", srv.url)
        remote.update(repo, settings)
        (cache_of("team") / "index.yaml").write_bytes(b"# half\n")
        assert repo_cache.read_cache(repo, settings) is None
        srv.clear()
        assert remote.update(repo, settings).status == "updated"
        assert srv.state.requests == [("/index.yaml", 200)]


def test_verified_files_are_cached_by_digest(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        assert run_cli("info", "team/kaniko").code == 0
        srv.clear()
        assert run_cli("info", "team/kaniko").code == 0
        assert srv.state.requests == [("/index.yaml", 304)]  # the file came from the cache
    files = list((cache_of("team") / "files").iterdir())
    assert len(files) == 1 and files[0].name.startswith("sha256-")


def test_notes_go_through_the_reporter(cat: Path, settings: Settings) -> None:
    with serve(cat) as srv:
        repo = repos.make("team", srv.url)
        repos.add(repo, settings)
        remote.update(repo, settings)
    rec = Recorder()
    old = set_reporter(rec)
    try:
        remote.open_remote_repo(repo, settings.but(offline=True))
    finally:
        set_reporter(old)
    assert rec.notes == ["using cached index of repo team from 0 s ago"]


@pytest.mark.parametrize("seconds, text", [(5, "5 s ago"), (125, "2 min ago"), (3 * 3600 + 5, "3 h ago"),
                                           (50 * 3600, "2 d ago")])
def test_age_text(seconds: float, text: str) -> None:
    assert repo_cache.age_text(seconds) == text


def test_unset_credentials_variable_is_an_input_error() -> None:
    with pytest.raises(InputError, match="MISSING_VAR is not set"):
        repos.Auth(token_env="MISSING_VAR").headers("team", {})


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_plain_web_server_without_etags_revalidates_by_date(cat: Path) -> None:
    """`python3 -m http.server` sends Last-Modified and no ETag: an unchanged index is
    one request answered 304, and `repo update` says nothing was downloaded."""
    from .httpserve import serve as plain

    index = cat / "index.yaml"
    _age(index, 60)
    log: list[tuple[str, int]] = []
    with plain(cat, log) as url:
        assert run_cli("repo", "add", "team", url).code == 0
        assert log == [("/index.yaml", 200)]
        log.clear()
        r = run_cli("repo", "update", "-o", "json")
        assert r.code == 0, r.err
        assert r.json() == [{"name": "team", "status": "unchanged", "detail": "not modified", "bytes": 0}]
        assert log == [("/index.yaml", 304)]
        log.clear()
        assert run_cli("search", "git").code == 0  # every command revalidates the same way
        assert log == [("/index.yaml", 304)]
        # A new index (a later date) is downloaded and said to be new.
        shutil.rmtree(cat / "task/yq-update")
        assert run_cli("index", str(cat)).code == 0
        _age(index, 5)
        log.clear()
        r = run_cli("repo", "update", "-o", "json")
        assert r.json()[0]["status"] == "updated" and r.json()[0]["bytes"] == index.stat().st_size
        assert log == [("/index.yaml", 200)]
        assert run_cli("info", "team/yq-update").code == 3


def test_a_date_too_close_to_the_response_is_not_trusted(cat: Path) -> None:
    """An index rewritten in the second it was served would look unchanged for ever if
    its Last-Modified were sent back; such a date is not used, the index is fetched whole
    and compared."""
    from .httpserve import serve as plain

    log: list[tuple[str, int]] = []
    with plain(cat, log) as url:
        (cat / "index.yaml").touch()  # modified now: as fresh as the response
        assert run_cli("repo", "add", "team", url).code == 0
        log.clear()
        r = run_cli("repo", "update", "-o", "json")
        assert log == [("/index.yaml", 200)]  # no If-Modified-Since sent
        assert r.json() == [{"name": "team", "status": "unchanged", "detail": "same content",
                             "bytes": (cat / "index.yaml").stat().st_size}]


def test_repo_update_table_says_what_was_downloaded(cat: Path) -> None:
    with serve(cat) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        r = run_cli("repo", "update")
        assert r.code == 0, r.err
        row = next(line for line in r.out.splitlines() if line.startswith("team"))
        assert "unchanged" in row and "not modified" in row and row.rstrip().endswith("0")
