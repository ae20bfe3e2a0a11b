"""Faults of a catalog server, for real: a loopback server that is down, slow, failing,
flaky, cuts files short or serves a file whose digest is not the index's."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from catalog_cli.errors import DigestMismatch, NotFound, RemoteError
from catalog_cli.sources.http import Http

from .conftest import BUILTIN, assert_one_line_error, run_cli
from .faultserve import closed_port_url, serve

FAST = {"CATALOG_HTTP_TIMEOUT": "0.5", "CATALOG_HTTP_RETRIES": "2"}
KANIKO = "/task/kaniko/0.2/kaniko.yaml"


@pytest.fixture
def cat(tmp_path: Path) -> Path:
    shutil.copytree(BUILTIN, tmp_path / "cat")
    return tmp_path / "cat"


def test_down_server_is_one_line_naming_the_url() -> None:
    url = closed_port_url()
    start = time.monotonic()
    r = run_cli("list", "--catalog", url, env=FAST)
    assert_one_line_error(r, f"{url}/index.yaml", "cannot fetch", "3 attempts")
    assert r.code == 5
    assert time.monotonic() - start < 10


def test_slow_server_times_out_in_bounded_time(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault("/index.yaml", "slow:5")
        start = time.monotonic()
        r = run_cli("list", "--catalog", srv.url, env=FAST)
        took = time.monotonic() - start
    assert_one_line_error(r, f"{srv.url}/index.yaml", "no answer within 0.5 s")
    assert r.code == 5
    assert took < 4, f"took {took:.1f} s"  # one timeout, not three: a read timeout is not retried


def test_500s_are_retried_then_fail(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault("/index.yaml", "status:500")
        r = run_cli("list", "--catalog", srv.url, env=FAST)
        assert srv.state.count("/index.yaml") == 3  # the first try and two retries, no more
    assert_one_line_error(r, "HTTP 500", "3 attempts", f"{srv.url}/index.yaml")
    assert r.code == 5


def test_429_is_retried_and_404_is_not(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault("/index.yaml", "status:429")
        assert run_cli("list", "--catalog", srv.url, env=FAST).code == 5
        assert srv.state.count("/index.yaml") == 3
        srv.clear()
        srv.fault("/index.yaml", "status:404")
        r = run_cli("list", "--catalog", srv.url, env=FAST)
        assert r.code == 3 and srv.state.count("/index.yaml") == 1


def test_a_flaky_server_that_answers_the_second_time_works(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault("/index.yaml", "flaky:1")
        srv.fault(KANIKO, "flaky:1")
        r = run_cli("info", "kaniko", "--catalog", srv.url, "-o", "json", env=FAST)
        assert r.code == 0, r.err
        assert r.json()["name"] == "kaniko"
        assert srv.state.count("/index.yaml") == 2 and srv.state.count(KANIKO) == 2


def test_truncated_body_is_refused(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault(KANIKO, "truncate")
        r = run_cli("info", "kaniko", "--catalog", srv.url, env=FAST)
        assert srv.state.count(KANIKO) == 3  # a cut connection is worth a retry
    assert_one_line_error(r, f"{srv.url}{KANIKO}", "incomplete response")
    assert r.code == 5


def test_file_cut_short_at_the_source_fails_its_digest(cat: Path) -> None:
    with serve(cat) as srv:
        srv.fault(KANIKO, "short")
        r = run_cli("info", "kaniko", "--catalog", srv.url, env=FAST)
    assert_one_line_error(r, "task/kaniko/0.2/kaniko.yaml", "does not match the index")
    assert r.code == 6


def test_wrong_digest_is_refused_and_not_cached(cat: Path) -> None:
    task = cat / KANIKO.lstrip("/")
    good = task.read_text()
    task.write_text(good.replace("Kaniko", "Kan1ko", 1))
    with serve(cat) as srv:
        r = run_cli("info", "kaniko", "--catalog", srv.url)
        assert_one_line_error(r, "task/kaniko/0.2/kaniko.yaml", "does not match the index")
        assert r.code == 6
        task.write_text(good)  # the server is fixed: the bad copy was never kept
        r = run_cli("info", "kaniko", "--catalog", srv.url)
        assert r.code == 0, r.err


def test_http_client_contract(cat: Path) -> None:
    """The library level: errors name the URL without credentials, 304 with an ETag."""
    with serve(cat) as srv:
        http = Http(timeout=0.5, retries=1)
        first = http.get(f"{srv.url}/index.yaml")
        assert first.status == 200 and first.etag
        again = http.get(f"{srv.url}/index.yaml", etag=first.etag)
        assert again.status == 304 and again.body == b""
        with pytest.raises(NotFound):
            http.get(f"{srv.url}/nope.yaml")
        srv.fault("/index.yaml", "status:503")
        user_url = srv.url.replace("http://", "http://user:hunter2@") + "/index.yaml?sig=abc"
        with pytest.raises(RemoteError) as info:
            http.get(user_url)
        assert "hunter2" not in str(info.value) and "sig=abc" not in str(info.value)
        assert str(info.value).startswith(f"{srv.url}/index.yaml: cannot fetch: HTTP 503")


def test_digest_mismatch_type_is_exit_6() -> None:
    assert DigestMismatch.exit_code == 6 and RemoteError.exit_code == 5
