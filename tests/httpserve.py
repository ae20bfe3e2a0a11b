"""A real HTTP server on loopback serving a folder, for remote-catalog tests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """The handler of ``python3 -m http.server``: Last-Modified, If-Modified-Since, no ETag."""

    log: list[tuple[str, int]] | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log is not None:
            self.log.append((self.path, int(code)))


@contextmanager
def serve(folder: Path, log: list[tuple[str, int]] | None = None) -> Iterator[str]:
    """Serve ``folder`` at http://127.0.0.1:PORT until the block ends; yields the base URL.
    Each request's (path, status) is appended to ``log`` when one is given."""
    handler = functools.partial(type("_Logged", (_Quiet,), {"log": log}), directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
