"""DetectFaces over HTTP (boto3 -> uvicorn -> Sightline) against the analyzer called
directly, on the same images, in one run.

1. Latency: each image decoded and analysed in this process, and the same image sent as
   ``Image.Bytes`` by an unmodified boto3 client to a Sightline server in another process
   (SigV4, validation, thread pool, response shapes). Printed: p50 of both and the added
   latency per image. Goal: <= 10 ms added at p50.
2. Throughput: the analyzer's own bound (``server.analysis_threads`` threads calling it
   directly, back to back), then 50 concurrent boto3 clients for ``BENCH_API_SECONDS``
   (default 30) seconds. Printed: errors (goal 0) and HTTP throughput as a share of the
   bound (goal >= 90%).

Run with ``python -m bench api``. Set ``BENCH_API_SECONDS`` for a shorter run.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
from botocore.config import Config
from tests.conftest import sample_bytes

from sightline.analyzers.base import AnalyzerPool
from sightline.auth.keys import AccessKeyStore
from sightline.auth.secrets import load_cipher
from sightline.config import Settings
from sightline.media.decode import decode_image
from sightline.runtime import Runtime

IMAGES = ["astronaut.png", "grace_hopper.jpg", "rocket.jpg", "chelsea.png", "camera.png"]
REPEATS = 15
CLIENTS = 50


def main() -> None:
    seconds = float(os.environ.get("BENCH_API_SECONDS", "30"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        runtime = Runtime.open(settings)
        key = AccessKeyStore(runtime.engine, load_cipher(settings)).create(
            name="bench", rate_per_second=1e6
        )
        runtime.close()
        port = _free_port()
        server = _start_server(settings.data_dir, port)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url)

            def client() -> object:
                return boto3.client(
                    "rekognition",
                    endpoint_url=url,
                    region_name="us-east-1",
                    aws_access_key_id=key.info.access_key_id,
                    aws_secret_access_key=key.secret_access_key,
                    config=Config(max_pool_connections=CLIENTS, retries={"mode": "standard"}),
                )

            analyzer = AnalyzerPool(settings).get("faces")
            images = {name: sample_bytes(name) for name in IMAGES}

            def direct(data: bytes) -> None:
                image = decode_image(data, settings.limits, max_side=analyzer.max_side)
                analyzer.analyze(image, {})

            rekognition = client()
            server_overhead: list[float] = []

            def over_http(data: bytes) -> None:
                response = rekognition.detect_faces(Image={"Bytes": data})  # type: ignore[attr-defined]
                timing = _server_timing(response["ResponseMetadata"]["HTTPHeaders"])
                server_overhead.append(timing["total"] - timing["handler"])

            _latency(images, direct, over_http)
            print(
                "  of which in the server outside the handler (auth, JSON, validation, "
                f"thread hops), p50: {statistics.median(server_overhead):.1f} ms; the rest is "
                "boto3's serialisation and signing, and the socket"
            )
            threads = settings.server.analysis_threads
            bound = _throughput(threads, seconds, lambda i: direct(images[IMAGES[i % 5]]))
            clients = [client() for _ in range(CLIENTS)]
            errors: list[str] = []

            def http_call(i: int) -> None:
                c = clients[i % CLIENTS]
                try:
                    c.detect_faces(Image={"Bytes": images[IMAGES[i % 5]]})  # type: ignore[attr-defined]
                except Exception as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

            served = _throughput(CLIENTS, seconds, http_call)
            print(f"\nThroughput over {seconds:g} s ({threads} analysis threads):")
            print(f"  analyzer called directly, {threads} threads: {bound:7.2f} images/s")
            print(f"  HTTP, {CLIENTS} concurrent boto3 clients:     {served:7.2f} images/s")
            print(f"  HTTP / direct: {served / bound:.1%}   (goal >= 90%)")
            print(f"  errors: {len(errors)}   (goal 0)")
            for e in sorted(set(errors))[:5]:
                print(f"    {e}")
        finally:
            server.terminate()
            server.wait(30)


def _latency(
    images: dict[str, bytes], direct: Callable[[bytes], None], http: Callable[[bytes], None]
) -> None:
    for data in images.values():  # warm both paths (models, connections)
        direct(data)
        http(data)
    times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in images}
    for _ in range(REPEATS):  # interleaved, so drift of a shared machine hits both alike
        for name, data in images.items():
            for path, out in ((direct, times[name][0]), (http, times[name][1])):
                start = time.perf_counter()
                path(data)
                out.append(time.perf_counter() - start)
    print(f"DetectFaces p50 over {REPEATS} runs per image (ms):")
    print(f"  {'image':18} {'bytes':>9} {'direct':>8} {'HTTP':>8} {'added':>7}")
    added = []
    for name, (d, h) in times.items():
        pd, ph = statistics.median(d) * 1e3, statistics.median(h) * 1e3
        added.append(ph - pd)
        print(f"  {name:18} {len(images[name]):9,} {pd:8.1f} {ph:8.1f} {ph - pd:7.1f}")
    print(
        f"  added latency at p50, median over images: {statistics.median(added):.1f} ms "
        "(goal <= 10 ms)"
    )


def _server_timing(headers: dict[str, str]) -> dict[str, float]:
    """``Server-Timing: total;dur=12.3, handler;dur=10.1`` as {"total": 12.3, ...} (ms)."""
    out = {}
    for part in headers["server-timing"].split(","):
        name, _, dur = part.strip().partition(";dur=")
        out[name] = float(dur)
    return out


def _throughput(workers: int, seconds: float, call: Callable[[int], None]) -> float:
    """Calls per second of ``call`` run back to back on ``workers`` threads."""
    counter = iter(range(10**9))
    lock = threading.Lock()
    done = [0]
    deadline = time.monotonic() + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            with lock:
                i = next(counter)
            call(i)
            with lock:
                done[0] += 1

    start = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        for f in [pool.submit(loop) for _ in range(workers)]:
            f.result()
    return done[0] / (time.monotonic() - start)


def _start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn\n"
        "from sightline.api.app import create_app\n"
        "from sightline.config import Settings\n"
        f"settings = Settings(data_dir={str(data_dir)!r})\n"
        f"uvicorn.run(create_app(settings), host='127.0.0.1', port={port}, "
        "log_level='warning', access_log=False)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen([sys.executable, "-c", code], env=env)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the benchmark server did not start")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
