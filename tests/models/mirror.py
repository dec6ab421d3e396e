"""A local HTTP server standing in for a model mirror (stdlib only, 127.0.0.1, free port).

Serves in-memory files with ``Range`` support, records each request's ``Range`` header,
and can cut the connection mid-file on the first request to a path, as a flaky link does.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Mirror:
    files: dict[str, bytes]
    # path -> bytes to send before closing the connection, on the first request only
    cut_first: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    gone_after_cut: bool = False  # after the cut, the path answers 404
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    base_url: str = ""

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet tests
            pass

        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            rng = self.headers.get("Range")
            mirror.requests.append((path, rng))
            body = mirror.files.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if rng and not mirror.ignore_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            cut = mirror.cut_first.pop(path, None)
            if cut is not None:
                # Promise the whole body, send part of it, then drop the connection.
                self.wfile.write(chunk[:cut])
                self.wfile.flush()
                self.close_connection = True
                if mirror.gone_after_cut:
                    mirror.files.pop(path, None)
                return
            self.wfile.write(chunk)

    return Handler


@contextmanager
def serve(mirror: Mirror) -> Iterator[Mirror]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
    server.daemon_threads = True
    mirror.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
