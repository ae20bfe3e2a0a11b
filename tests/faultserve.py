"""A real HTTP server on loopback that serves a folder and misbehaves on request.

Faults are set per path (or for every path with ``"*"``) while the server runs:

- ``slow:SECONDS``   sleep before answering;
- ``status:CODE``    answer CODE with a short body;
- ``flaky:N``        answer 500 to the first N requests for the path, then serve it;
- ``truncate``       promise the whole file in Content-Length, send half, close;
- ``short``          send half the file with a matching Content-Length (a file cut
                     short at the source: only its digest can tell).

Every request is counted per path with its status, and its headers are kept, so
tests can assert "exactly one request, answered 304" or "the token was sent".
Files carry an ETag (sha256 of the content) and If-None-Match gets a 304.
``token`` makes every request without ``Authorization: Bearer TOKEN`` a 401.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class State:
    root: Path
    faults: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    requests: list[tuple[str, int]] = field(default_factory=list)  # (path, status)
    headers: list[dict[str, str]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str, status: int | None = None) -> int:
        return sum(1 for p, s in self.requests if p == path and (status is None or s == status))


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None,
              length: int | None = None) -> None:
        st = self.server.state
        with st.lock:
            st.requests.append((self.path, status))
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if length is not None and length != len(body):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self) -> None:
        st = self.server.state
        path = self.path.split("?", 1)[0]
        with st.lock:
            st.headers.append(dict(self.headers.items()))
            st.hits[path] = st.hits.get(path, 0) + 1
            hit = st.hits[path]
        fault = st.faults.get(path) or st.faults.get("*") or ""
        if st.token is not None and self.headers.get("Authorization") != f"Bearer {st.token}":
            return self._send(401, b"unauthorized\n")
        kind, _, arg = fault.partition(":")
        if kind == "slow":
            time.sleep(float(arg))
        elif kind == "status":
            return self._send(int(arg), b"fault\n")
        elif kind == "flaky" and hit <= int(arg):
            return self._send(500, b"flaky\n")
        file = (st.root / path.lstrip("/")).resolve()
        if st.root.resolve() not in file.parents or not file.is_file():
            return self._send(404, b"not found\n")
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, b"", {"ETag": etag}, length=0)
        if kind == "truncate":
            return self._send(200, body[: len(body) // 2], {"ETag": etag}, length=len(body))
        if kind == "short":
            body = body[: len(body) // 2]
        self._send(200, body, {"ETag": etag})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a slow or cut-off answer is the point of the test


@dataclass
class FaultServer:
    url: str
    state: State

    def fault(self, path: str, mode: str) -> None:
        self.state.faults[path] = mode

    def clear(self) -> None:
        self.state.faults.clear()
        self.state.requests.clear()
        self.state.headers.clear()
        self.state.hits.clear()


@contextmanager
def serve(folder: Path, *, token: str | None = None) -> Iterator[FaultServer]:
    """Serve ``folder`` on http://127.0.0.1:PORT until the block ends."""
    state = State(folder, token=token)
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FaultServer(f"http://127.0.0.1:{server.server_address[1]}", state)
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (a server that is down)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
