"""The queue's commands: status, tasks list/retry/purge/limit, backfill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sightline.cli import app
from sightline.cli.tasks import parse_duration
from sightline.config import Settings
from sightline.pipeline.queue import NewTask
from sightline.runtime import Runtime
from tests.pipeline.images import distinct_jpeg


def run(data: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_tasks_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rt = Runtime.open(Settings(data_dir=data))
    try:
        rt.tasks.enqueue_many([NewTask("image", f"k{i}", max_attempts=1) for i in range(3)])
        tasks = rt.tasks.claim(["image"], 2, owner="w", lease=30).tasks
        rt.tasks.fail("w", tasks[0].id, "decoder exploded", retryable=True)
        rt.tasks.complete("w", [tasks[1].id])
    finally:
        rt.close()
    listed = json.loads(run(data, "tasks", "list", "--state", "dead", "--json"))
    assert [t["last_error"] for t in listed] == ["decoder exploded"]
    assert "decoder exploded" in run(data, "tasks", "list")
    assert "queued 1 task(s) again" in run(data, "tasks", "retry")
    assert "purged 1 task(s)" in run(data, "tasks", "purge", "--older-than", "0")
    assert "rate 5.0/s, burst 1, max running 2" in run(
        data, "tasks", "limit", "image", "--rate", "5", "--burst", "1", "--concurrency", "2"
    )
    snap = json.loads(run(data, "status", "--json"))
    assert {(q["kind"], q["state"], q["count"]) for q in snap["queue"]} == {("image", "queued", 2)}
    assert snap["limits"][0]["max_running"] == 2
    text = run(data, "status")
    assert "Queue" in text and "Limits" in text and "Workers: none alive" in text
    assert "image: no limits" in run(data, "tasks", "limit", "image")


def test_backfill_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    content = data / "storage" / "content" / "labels"
    content.mkdir(parents=True)
    for i in range(3):
        (content / f"{i}.jpg").write_bytes(distinct_jpeg(i))
    inventory = tmp_path / "inv.csv"
    inventory.write_text(
        "".join(f"content,labels/{i}.jpg\n" for i in range(3)) + "content,labels/nope.jpg\n"
    )
    out = run(data, "backfill", "--inventory", str(inventory))
    assert "4 rows" in out and "3 new" in out and "1 rejected" in out
    assert "missing object" in out and "rejected rows:" in out
    assert "already backfilled" in run(data, "backfill", "--inventory", str(inventory))
    listing = run(data, "backfill", "--bucket", "content", "--prefix", "labels/")
    assert "3 rows" in listing and "3 already known" in listing
    bad = CliRunner().invoke(app, ["--data-dir", str(data), "backfill"])
    assert bad.exit_code != 0


@pytest.mark.parametrize(
    ("text", "seconds"), [("30", 30), ("30s", 30), ("15m", 900), ("12h", 43200), ("7d", 604800)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
