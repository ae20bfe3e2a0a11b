"""Credentials go only over https or to loopback, and only to the repo's own host.

Real servers throughout: a witness listening on this machine's non-loopback
address (what "another host over plain http" looks like to the client), loopback
servers that record every request's headers, redirect, or speak TLS with a
throw-away certificate the client is told to trust (``SSL_CERT_FILE``).
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ..conftest import BUILTIN, assert_one_line_error, run_cli

SECRET = "tok-3f9a1c-never-on-the-wire"
USER, PASSWORD = "robot", "pw-77d2e0-never-on-the-wire"


@dataclass
class Server:
    url: str
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def authorizations(self) -> list[str | None]:
        return [headers.get("Authorization") for _, headers in self.seen]


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.record.seen.append((self.path, dict(self.headers.items())))  # type: ignore[attr-defined]
        target = srv.redirect  # type: ignore[attr-defined]
        if target:
            self.send_response(302)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file = Path(srv.root) / self.path.split("?", 1)[0].lstrip("/")  # type: ignore[attr-defined]
        body = file.read_bytes() if file.is_file() else b""
        self.send_response(200 if file.is_file() else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def local_address() -> str:
    """This machine's address on its outgoing interface (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
        address = s.getsockname()[0]
    if address.startswith("127."):
        pytest.fail("this machine has no non-loopback address to play the other host", pytrace=False)
    return str(address)


@contextmanager
def server(*, bind: str = "127.0.0.1", host: str | None = None, root: Path = BUILTIN,
           redirect: str | None = None, tls: ssl.SSLContext | None = None) -> Iterator[Server]:
    srv = http.server.ThreadingHTTPServer((bind, 0), _Handler)
    if tls is not None:
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    record = Server(f"{scheme}://{host or bind}:{srv.server_address[1]}")
    srv.record, srv.root, srv.redirect = record, str(root), redirect  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server's context and the CA file."""
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed to make a test certificate", pytrace=False)
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx, cert


def config_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "catalog" / "repos.yaml"


def write_config(url: str, auth: dict[str, str]) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"apiVersion": "catalog.dev/v1", "kind": "RepoConfig",
                                    "repos": [{"name": "team", "url": url, "auth": auth}]}))
    path.chmod(0o600)


CREDENTIALS = [
    pytest.param(["--token-env", "T"], {"T": SECRET}, None, id="token-env"),
    pytest.param(["--username-env", "U", "--password-env", "P"], {"U": USER, "P": PASSWORD}, None, id="basic"),
    pytest.param(["--token-stdin"], {}, SECRET + "\n", id="stored-token"),
]


@pytest.mark.parametrize(("flags", "env", "stdin"), CREDENTIALS)
def test_credentials_for_plain_http_to_another_host_are_refused_at_add(
        flags: list[str], env: dict[str, str], stdin: str | None) -> None:
    with server(bind=local_address()) as other:
        for extra in ([], ["--no-fetch"]):
            r = run_cli("repo", "add", "team", other.url, *flags, *extra, env=env, input=stdin)
            assert_one_line_error(r, other.url, "https")
            assert SECRET not in r.err and PASSWORD not in r.err
        assert other.seen == []
    assert not config_file().exists()


def test_anonymous_plain_http_to_another_host_still_works() -> None:
    with server(bind=local_address()) as other:
        r = run_cli("repo", "add", "pub", other.url)
        assert r.code == 0, r.err
        assert other.authorizations() == [None]


@pytest.mark.parametrize("auth", [
    pytest.param({"token_env": "T"}, id="token-env"),
    pytest.param({"username_env": "U", "password_env": "P"}, id="basic"),
    pytest.param({"token": SECRET}, id="stored-token"),
])
def test_a_hand_edited_config_is_refused_when_opened(auth: dict[str, str]) -> None:
    env = {"T": SECRET, "U": USER, "P": PASSWORD}
    with server(bind=local_address()) as other:
        write_config(other.url, auth)
        for args in (["list"], ["search", "kaniko"], ["info", "team/kaniko"], ["list", "--catalog", other.url]):
            r = run_cli(*args, env=env)
            assert_one_line_error(r, other.url, "https")
            assert SECRET not in r.out + r.err and PASSWORD not in r.out + r.err
        # `repo update` reports each repo in its table and ends with one line of summary.
        r = run_cli("repo", "update", env=env)
        assert_one_line_error(r, "1 of 1 repos could not be updated")
        assert other.url in r.out and "https" in r.out and SECRET not in r.out
        assert other.seen == []


def test_credentials_are_not_sent_to_a_host_a_redirect_names() -> None:
    # "localhost" and "127.0.0.1" are different origins, both loopback.
    with server(host="localhost") as elsewhere, server(redirect=elsewhere.url) as repo_host:
        r = run_cli("repo", "add", "team", repo_host.url, "--token-env", "T", env={"T": SECRET})
        assert r.code == 0, r.err
        r = run_cli("info", "team/kaniko", "-o", "json", env={"T": SECRET})
        assert r.code == 0, r.err
    assert len(repo_host.seen) >= 2 and set(repo_host.authorizations()) == {f"Bearer {SECRET}"}
    assert len(elsewhere.seen) >= 2 and set(elsewhere.authorizations()) == {None}


def test_a_redirect_to_plain_http_elsewhere_is_not_followed_with_credentials() -> None:
    with server(bind=local_address()) as other, server(redirect=other.url) as repo_host:
        r = run_cli("repo", "add", "team", repo_host.url, "--token-env", "T", env={"T": SECRET})
        assert_one_line_error(r, other.url, "plain http")
        assert other.seen == [] and not config_file().exists()


def test_https_is_never_downgraded_to_plain_http_elsewhere(certificate: tuple[ssl.SSLContext, Path]) -> None:
    ctx, ca = certificate
    trust = {"SSL_CERT_FILE": str(ca), "T": SECRET}
    with server(tls=ctx) as direct:
        r = run_cli("repo", "add", "tls", direct.url, "--token-env", "T", env=trust)
        assert r.code == 0, r.err  # https to any host may carry the token
        assert set(direct.authorizations()) == {f"Bearer {SECRET}"}
    with server(bind=local_address()) as other, server(tls=ctx, redirect=other.url) as repo_host:
        r = run_cli("repo", "add", "team", repo_host.url, "--token-env", "T", env=trust)
        assert_one_line_error(r, other.url, "plain http")
        assert repo_host.authorizations() == [f"Bearer {SECRET}"] and other.seen == []
