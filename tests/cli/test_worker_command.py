"""``sightline worker`` as its own process: processes the shared queue, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sightline.config import load_settings
from sightline.pipeline.ingest import upload
from sightline.runtime import Runtime
from tests.pipeline.images import distinct_jpeg
from tests.pipeline.probe_analyzer import TARGET

pytestmark = pytest.mark.slow


def test_worker_command(tmp_path: Path) -> None:
    config = tmp_path / "sightline.toml"
    config.write_text(
        f"""
[pipeline]
workers = 1
idle_poll_seconds = 0.05
[pipeline.analyses.probe]
analyzer = "{TARGET}"
[[pipeline.rules]]
prefix = "bulk/"
analyses = ["probe"]
"""
    )
    data = tmp_path / "data"
    settings = load_settings(config, data_dir=data)
    rt = Runtime.open(settings)
    rt.ensure_buckets()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(["src", ".", os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sightline",
            "--config",
            str(config),
            "--data-dir",
            str(data),
            "worker",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        for i in range(5):
            upload(rt.store, rt.catalog, "content", f"bulk/{i}.jpg", distinct_jpeg(i))
        deadline = time.monotonic() + 60
        while rt.catalog.counts().get("SUCCEEDED", 0) < 5:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the worker did not process the queue"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
        rt.close()
    assert proc.returncode == 0, output
    assert "1 worker process(es) for image" in output
    assert "stopping: finishing tasks in hand" in output
