"""The dispatcher over a real local webhook receiver, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sightline.config import Settings
from sightline.db import tx
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.notify import Dispatcher, Outbox, resolve_channel, verify_signature
from tests.notify.conftest import notify_settings
from tests.notify.receiver import Receiver, free_port, receiving
from tests.pipeline.test_queue import Clock

MESSAGE: dict[str, Any] = {
    "JobId": "0123456789abcdef",
    "Status": "SUCCEEDED",
    "API": "StartLabelDetection",
    "JobTag": "tag-é",
    "Timestamp": 1_700_000_000_000,
    "Video": {"S3ObjectName": "videos/a.mp4", "S3Bucket": "content"},
}
ARN = "arn:aws:sns:us-east-1:123456789012:VideoJobs"


def add(
    engine: Engine,
    settings: Settings,
    channel: str,
    message: dict[str, Any] = MESSAGE,
    *,
    clock: Clock | None = None,
) -> str:
    """Add ``message`` for ``channel`` in a committed transaction of its own."""
    outbox = Outbox(engine, clock=clock) if clock is not None else Outbox(engine)
    with tx.write(engine) as conn:
        return outbox.add(
            conn, resolve_channel(settings.notify, channel), message, topic_arn=channel
        )


def test_webhook_gets_a_signed_sns_notification(
    engine: Engine, database_url: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    settings = notify_settings(
        tmp_path, database_url, topics={"VideoJobs": {"webhook": receiver.url}}
    )
    message_id = add(engine, settings, ARN, clock=clock)
    clock.advance(2.5)
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 1

    [got] = receiver.received
    assert got.path == "/hook"
    assert got.headers["content-type"] == "text/plain; charset=UTF-8"
    assert got.headers["x-amz-sns-message-type"] == "Notification"
    assert got.headers["x-amz-sns-message-id"] == message_id
    assert got.headers["x-amz-sns-topic-arn"] == ARN
    envelope = json.loads(got.body)
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == ARN
    assert "Subject" not in envelope or envelope["Subject"] is None
    # Message is the message JSON as a string, as SNS delivers it
    assert isinstance(envelope["Message"], str)
    assert json.loads(envelope["Message"]) == MESSAGE
    # ISO 8601 with milliseconds: the time the message was added, not sent
    assert envelope["Timestamp"] == "1970-01-12T13:46:40.000Z"

    timestamp, signature = (
        got.headers["x-sightline-timestamp"],
        got.headers["x-sightline-signature"],
    )
    assert timestamp == str(int(clock.now))
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", signature)
    assert verify_signature("test-secret", timestamp, got.body, signature, now=clock.now)
    tampered = got.body.replace(b"SUCCEEDED", b"FAILED")
    assert not verify_signature("test-secret", timestamp, tampered, signature, now=clock.now)
    assert not verify_signature("wrong", timestamp, got.body, signature, now=clock.now)

    [row] = Outbox(engine).list()
    assert (row.state, row.attempts, row.delivered_at, row.last_error) == (
        "delivered",
        1,
        clock.now,
        None,
    )
    # delivered once: later passes find nothing to do
    clock.advance(3600)
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 0
    assert len(receiver.received) == 1


def test_a_topic_secret_signs_its_webhooks(
    engine: Engine, database_url: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    settings = notify_settings(
        tmp_path,
        database_url,
        topics={"VideoJobs": {"webhook": receiver.url, "secret": "topic-key"}},
    )
    add(engine, settings, "VideoJobs", clock=clock)
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 1
    [got] = receiver.received
    ts, sig = got.headers["x-sightline-timestamp"], got.headers["x-sightline-signature"]
    assert verify_signature("topic-key", ts, got.body, sig, now=clock.now)
    assert not verify_signature("test-secret", ts, got.body, sig, now=clock.now)


def test_server_errors_are_retried_with_backoff(
    engine: Engine, database_url: str, tmp_path: Path, clock: Clock
) -> None:
    settings = notify_settings(tmp_path, database_url, backoff_seconds=10.0, max_attempts=5)
    dispatcher = Dispatcher(engine, settings, clock=clock)
    with receiving([500, 503]) as receiver:
        add(engine, settings, receiver.url, clock=clock)
        assert dispatcher.deliver_due() == 0  # 500
        [row] = Outbox(engine).list()
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.last_error == f"HTTP 500 from {receiver.url}: ok"
        assert row.next_attempt_at == clock.now + 10
        clock.advance(9.9)
        assert dispatcher.deliver_due() == 0  # not due yet: nothing sent
        assert len(receiver.received) == 1
        clock.advance(0.1)
        assert dispatcher.deliver_due() == 0  # 503; the next wait doubles
        assert Outbox(engine).list()[0].next_attempt_at == clock.now + 20
        clock.advance(20)
        assert dispatcher.deliver_due() == 1  # 200
        statuses = [r.status for r in receiver.received]
        bodies = {r.body for r in receiver.received}
        ids = {r.headers["x-amz-sns-message-id"] for r in receiver.received}
    assert statuses == [500, 503, 200]
    assert len(bodies) == 1 and len(ids) == 1  # every attempt is the same message
    [row] = Outbox(engine).list()
    assert (row.state, row.attempts) == ("delivered", 3)


def test_unreachable_url_is_retried_then_dead_then_requeued(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = notify_settings(tmp_path, database_url, max_attempts=3, backoff_max_seconds=4)
    url = f"http://127.0.0.1:{free_port()}/nobody-home"
    add(engine, settings, url, clock=clock)
    dispatcher = Dispatcher(engine, settings, clock=clock)
    with caplog.at_level(logging.WARNING, logger="sightline.notify"):
        for attempt in (1, 2, 3):
            assert dispatcher.deliver_due() == 0
            [row] = Outbox(engine).list()
            assert row.attempts == attempt
            assert row.last_error is not None and "ConnectError" in row.last_error
            clock.advance(4)
    assert row.state == "dead"
    assert re.search(r"notification \d+ .* is dead after 3 attempts: ConnectError", caplog.text)
    clock.advance(3600)
    assert dispatcher.deliver_due() == 0  # the dead are kept, not retried
    assert Outbox(engine).counts() == {"dead": 1}

    assert Outbox(engine, clock=clock).retry() == 1
    [row] = Outbox(engine).list()
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 0, clock.now)


def test_backoff_doubles_up_to_the_maximum(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, notify={"backoff_seconds": 1.5, "backoff_max_seconds": 10}
    )
    d = Dispatcher(make_engine("sqlite://"), settings)
    assert [d.backoff(n) for n in range(1, 7)] == [1.5, 3.0, 6.0, 10.0, 10.0, 10.0]


def test_an_unreachable_destination_puts_off_its_other_messages(
    engine: Engine, database_url: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    settings = notify_settings(tmp_path, database_url)
    port = free_port()
    for path in ("a", "b", "c"):
        add(engine, settings, f"http://127.0.0.1:{port}/{path}", clock=clock)
    add(engine, settings, receiver.url, clock=clock)
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 1
    rows = sorted(Outbox(engine).list(), key=lambda r: r.id)
    # the first was tried; the two others of the same origin were not (and not counted)
    assert [(r.state, r.attempts) for r in rows] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
        ("delivered", 1),
    ]
    assert all(r.last_error and r.last_error.startswith("not attempted") for r in rows[1:3])
    assert {r.next_attempt_at for r in rows[:3]} == {clock.now + 1}


def test_a_message_in_a_rolled_back_transaction_is_never_delivered(
    engine: Engine, database_url: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    settings = notify_settings(tmp_path, database_url)
    outbox = Outbox(engine, clock=clock)
    with pytest.raises(RuntimeError, match="job bookkeeping failed"), tx.write(engine) as conn:
        outbox.add(
            conn, resolve_channel(settings.notify, receiver.url), MESSAGE, topic_arn=receiver.url
        )
        raise RuntimeError("job bookkeeping failed")
    assert outbox.counts() == {}
    clock.advance(3600)
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 0
    assert receiver.received == []


def test_a_committed_message_is_delivered_by_a_dispatcher_started_later(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    # The producing process commits and goes away before any dispatcher runs.
    settings = notify_settings(tmp_path, database_url)
    producer = make_engine(database_url)
    upgrade(producer)
    message_id = add(producer, settings, receiver.url)
    producer.dispose()

    later = make_engine(database_url)
    try:
        assert Dispatcher(later, settings).deliver_due() == 1
    finally:
        later.dispose()
    [got] = receiver.received
    assert got.headers["x-amz-sns-message-id"] == message_id


def test_a_dispatcher_dying_mid_delivery_loses_nothing(
    engine: Engine, database_url: str, tmp_path: Path, receiver: Receiver, clock: Clock
) -> None:
    settings = notify_settings(tmp_path, database_url, timeout_seconds=5.0)
    add(engine, settings, receiver.url, clock=clock)
    # A dispatcher claims the message and dies before delivering it or saying so.
    dying = Dispatcher(engine, settings, clock=clock)
    [claimed] = dying._claim(10)
    survivor = Dispatcher(engine, settings, clock=clock)
    assert survivor.deliver_due() == 0  # leased: not taken twice while it may be in flight
    clock.advance(2 * 5.0 * 11)  # the claim's lease runs out
    assert survivor.deliver_due() == 1
    [got] = receiver.received
    assert got.headers["x-amz-sns-message-id"] == claimed.message_id
    [row] = Outbox(engine).list()
    assert (row.state, row.attempts) == ("delivered", 2)


def test_parallel_dispatchers_deliver_each_message_once(
    database_url: str, tmp_path: Path, engine: Engine, receiver: Receiver
) -> None:
    # Real clock, real threads, each dispatcher with its own engine (as processes are).
    settings = notify_settings(tmp_path, database_url)
    ids = {add(engine, settings, receiver.url, {"n": i}) for i in range(40)}
    errors: list[BaseException] = []

    def run() -> None:
        own = make_engine(database_url)
        try:
            dispatcher = Dispatcher(own, settings)
            while Outbox(own).counts().get("pending", 0):
                dispatcher.deliver_due(limit=3)
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    got = [r.headers["x-amz-sns-message-id"] for r in receiver.received]
    assert sorted(got) == sorted(ids)  # each exactly once
    assert Outbox(engine).counts() == {"delivered": 40}
    assert {r.attempts for r in Outbox(engine).list(limit=100)} == {1}


def test_serve_delivers_on_its_scheduler(tmp_path: Path, receiver: Receiver) -> None:
    from sightline.embedded import EmbeddedSystem

    settings = Settings(data_dir=tmp_path / "data", notify={"poll_seconds": 0.05, "secret": "k"})
    with EmbeddedSystem(settings, workers=0, watch=False) as system:
        message_id = add(system.runtime.engine, settings, receiver.url)
        [got] = receiver.wait_for(1)
    assert got.headers["x-amz-sns-message-id"] == message_id
    assert system.scheduler.runs["notify-deliver"] >= 1
