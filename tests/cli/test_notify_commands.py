"""``sightline notify list | retry | purge`` over a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sightline.cli import app
from sightline.config import Settings
from sightline.db import tx
from sightline.notify import ChannelKind, Dispatcher, Outbox, Target
from sightline.runtime import Runtime
from tests.notify.receiver import free_port, receiving


def run(data: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_notify_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, notify={"max_attempts": 1, "secret": "k"})
    rt = Runtime.open(settings)
    dead_url = f"http://127.0.0.1:{free_port()}/gone"
    try:
        with receiving() as receiver:
            outbox = Outbox(rt.engine)
            with tx.write(rt.engine) as conn:
                outbox.add(conn, [Target(ChannelKind.WEBHOOK, dead_url)], {"n": 1}, topic_arn="A")
                outbox.add(
                    conn, [Target(ChannelKind.WEBHOOK, receiver.url)], {"n": 2}, topic_arn="B"
                )
            assert Dispatcher(rt.engine, settings).deliver_due() == 1
    finally:
        rt.close()

    dead = json.loads(run(data, "notify", "list", "--state", "dead", "--json"))
    assert [(n["target"], n["topic_arn"], n["attempts"]) for n in dead] == [(dead_url, "A", 1)]
    assert "ConnectError" in dead[0]["last_error"]
    everything = json.loads(run(data, "notify", "list", "--json"))
    assert [n["state"] for n in everything] == ["delivered", "dead"]  # newest first
    table = run(data, "notify", "list")
    assert "dead" in table and "delivered" in table
    assert "unknown state" in run(data, "notify", "list", "--state", "lost", code=2)

    assert "requeued 0 notification(s)" in run(data, "notify", "retry", str(everything[0]["id"]))
    assert "requeued 1 notification(s)" in run(data, "notify", "retry")
    assert [n["state"] for n in json.loads(run(data, "notify", "list", "--json"))] == [
        "delivered",
        "pending",
    ]
    assert "purged 1 notification(s)" in run(data, "notify", "purge", "--older-than", "0")
    assert "never purged" in run(data, "notify", "purge", "--state", "pending", code=2)
