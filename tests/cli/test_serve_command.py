"""``sightline serve`` end to end: the embedded layout a newcomer and scripts rely on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.pipeline.images import distinct_jpeg
from tests.pipeline.probe_analyzer import TARGET

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_layout(tmp_path: Path) -> None:
    (tmp_path / "sightline.toml").write_text(
        f"""
[pipeline]
workers = 1
idle_poll_seconds = 0.05
watch_quiet_seconds = 0.1
[pipeline.analyses.probe]
analyzer = "{TARGET}"
[[pipeline.rules]]
prefix = "bulk/"
analyses = ["probe"]
"""
    )
    port = free_port()
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo / "src"), str(repo)])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sightline", "serve", "--port", str(port), "--data-dir", "d"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,  # finds ./sightline.toml there, as a user's shell would
    )
    base = f"http://127.0.0.1:{port}"
    data = tmp_path / "d"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "serve did not answer /health"
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        # The watched input bucket is ./<data-dir>/storage/content/.
        (data / "storage" / "content" / "bulk").mkdir(parents=True, exist_ok=True)
        (data / "storage" / "content" / "bulk" / "a.jpg").write_bytes(distinct_jpeg(1))
        outputs = data / "storage" / "output" / "sync" / "bulk" / "a.jpg-analysis"
        while not list(outputs.glob("*/response.json")):
            assert time.monotonic() < deadline + 60, "no response.json appeared"
            time.sleep(0.2)
        status = httpx.get(f"{base}/status").json()
        assert status["items"] == {"SUCCEEDED": 1}
        assert "sightline_items" in httpx.get(f"{base}/metrics").text
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    (item_dir,) = outputs.iterdir()
    assert len(item_dir.name) == 32  # the item id
    assert (data / "sightline.db").is_file()
    assert f"http://127.0.0.1:{port}" in output
