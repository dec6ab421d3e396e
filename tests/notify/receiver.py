"""A webhook receiver on a free local port: records each POST, answers as scripted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    status: int  # what the receiver answered


class Receiver:
    """Answers each POST with the next status of ``script``, then 200 forever."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[Received] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._cond:
                    status = receiver.script.pop(0) if receiver.script else 200
                    receiver.received.append(
                        Received(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            status,
                        )
                    )
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def delivered(self) -> list[Received]:
        """The requests answered with a 2xx."""
        with self._cond:
            return [r for r in self.received if 200 <= r.status < 300]

    def wait_for(self, n: int, timeout: float = 30.0) -> list[Received]:
        """Wait until ``n`` requests arrived (an upper bound for a hang, not a timing
        assertion); the requests so far."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= n, timeout)
            return list(self.received)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@contextmanager
def receiving(script: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(script)
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def free_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
