"""Secrets in repo URLs: ``user:pass@`` is refused; a query (a signed or SAS URL) is
kept only in the 0600 repos.yaml and redacted everywhere else.

The sweep adds a repo whose URL carries a secret query and whose token is secret,
runs every command that can show or store something about it against a real
loopback server (including failing ones, with and without --debug), and then
looks for either secret in every output and every file catalog wrote.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from ..conftest import BUILTIN, assert_one_line_error, run_cli
from ..faultserve import serve
from ..test_scaffold_cases import scaffold_args

QUERY_SECRET = "sig=q5ecret-7c1d0b9e"
TOKEN = "t0ken-4e8f2a61-secret"
PASSWORD = "pa55-9b1c2d-secret"
SECRETS = (QUERY_SECRET.split("=", 1)[1], TOKEN, PASSWORD)


def leaks(text: str | bytes) -> list[str]:
    raw = text.encode() if isinstance(text, str) else text
    return [s for s in SECRETS if s.encode() in raw]


def files_under(folder: Path) -> dict[Path, bytes]:
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            out[p] = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    return out


@pytest.mark.parametrize("url", [
    "https://robot:{pw}@catalog.example.com/team",
    "http://robot:{pw}@127.0.0.1:9/",
    "http://robot@127.0.0.1:9/",
])
def test_credentials_in_a_url_are_refused_with_a_hint(url: str, tmp_path: Path) -> None:
    url = url.format(pw=PASSWORD)
    for extra in ([], ["--no-fetch"]):
        r = run_cli("repo", "add", "team", url, *extra)
        assert_one_line_error(r, "--username-env", "--token-env")
        assert leaks(r.err) == []
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml").exists()
    r = run_cli("list", "--catalog", url)
    assert_one_line_error(r, "--username-env")
    assert leaks(r.err) == []


def test_a_hand_written_url_with_credentials_is_refused_when_opened() -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"apiVersion: catalog.dev/v1\nkind: RepoConfig\nrepos:\n"
                      f"- name: team\n  url: http://robot:{PASSWORD}@127.0.0.1:9/\n")
    for args in (["list"], ["repo", "list"], ["repo", "list", "-o", "json"]):
        r = run_cli(*args)
        assert leaks(r.out + r.err) == [], args
    assert_one_line_error(run_cli("list"), "--username-env")


def test_secret_query_and_token_appear_nowhere_but_the_config(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    outputs: list[tuple[tuple[str, ...], str]] = []  # (command, what it printed)

    def run(*args: str, code: int | None = 0, token: str = TOKEN) -> None:
        """Run a command (a failing one also with --debug) and keep what it printed."""
        for debug in ([], ["--debug"]) if code != 0 else ([],):
            r = run_cli(*debug, *args, env={"TEAM_TOKEN": token})
            outputs.append(((*debug, *args), r.out + r.err))
            if code is not None:
                assert r.code == code, (args, r.err)

    with serve(root, token=TOKEN) as srv:
        url = f"{srv.url}/?{QUERY_SECRET}"
        run("repo", "add", "team", url, "--token-env", "TEAM_TOKEN")
        run("repo", "add", "late", f"{srv.url}/?{QUERY_SECRET}", "--no-fetch", "--token-env", "TEAM_TOKEN")
        for fmt in ("table", "json", "yaml", "name"):
            run("repo", "list", "-o", fmt)
        run("repo", "update", "-o", "json")
        run("repo", "update", "team")
        run("list")
        run("search", "kaniko", "-o", "json")
        run("info", "team/kaniko", "-o", "yaml")
        run("versions", "team/kaniko")
        run("render", "team/kubectl-deploy", "-n", "team")
        run("lock", "team/kubectl-deploy", "--file", str(tmp_path / "catalog.lock"))
        run("lock", "--check", "--file", str(tmp_path / "catalog.lock"))
        run("why", "kubectl-deploy", "--file", str(tmp_path / "catalog.lock"))
        run("list", "--catalog", url)
        run("mirror", "export", "kubectl-deploy", "--catalog", "team", "--file", str(tmp_path / "mirror.tar.gz"))
        # An old version's one folder, moved up into the repository (svc) by the update.
        run(*scaffold_args("java-maven-jib", "0.2", "triggers", tmp_path / "svc" / ".tekton"), "--catalog", url)
        run("scaffold", "--update", "--dir", str(tmp_path / "svc" / ".tekton"))
        # Failures print URLs too: a missing file, a refused token, a server error.
        (root / "task" / "git-clone").rename(root / "gone")
        run("info", "team/git-clone", code=None)
        run("info", "team/git-clone", code=None, token="wrong")
        srv.fault("*", "status:500")
        run("repo", "update", code=None)
        srv.fault("*", "status:403")
        run("list", "--catalog", url, code=None)
        srv.clear()
        run("repo", "remove", "late")
    run("--offline", "info", "team/kaniko")
    run("list", code=None)  # the server is gone: a warning with the URL, then the cache

    assert [(args, text) for args, text in outputs if leaks(text)] == []
    written = {**files_under(Path(os.environ["XDG_CACHE_HOME"])), **files_under(tmp_path / "svc"),
               **{p: d for p, d in files_under(tmp_path).items() if p.name in ("catalog.lock", "mirror.tar.gz")}}
    names = {p.name for p in written}
    assert {"meta.json", "index.yaml", "catalog.lock", "mirror.tar.gz", ".catalog-answers.yaml"} <= names
    assert any(p.suffix == ".sqlite" for p in written)
    assert {str(p): leaks(d) for p, d in written.items() if leaks(d)} == {}
    # The one place the query and the token may live: the private config.
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"
    assert QUERY_SECRET in config.read_text() and (config.stat().st_mode & 0o777) == 0o600
