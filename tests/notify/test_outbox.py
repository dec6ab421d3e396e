"""The outbox itself: rows per target, one MessageId, the caller's transaction, upkeep."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from sightline.db import tx
from sightline.notify import ChannelKind, Outbox, Target
from tests.pipeline.test_queue import Clock

TARGETS = [Target(ChannelKind.WEBHOOK, "http://127.0.0.1:9/h"), Target(ChannelKind.MQTT, "a/b")]


def test_add_writes_a_row_per_target_in_the_callers_transaction(
    engine: Engine, clock: Clock
) -> None:
    outbox = Outbox(engine, clock=clock)
    message = {"JobId": "j", "Status": "SUCCEEDED", "Zeta": 1, "Alpha": "é"}
    with tx.write(engine) as conn:
        message_id = outbox.add(conn, TARGETS, message, topic_arn=" VideoJobs ")
        # not visible outside the transaction before it commits
        assert outbox.counts() == {}
    rows = sorted(outbox.list(), key=lambda r: r.id)
    assert [(r.channel, r.target) for r in rows] == [
        ("webhook", "http://127.0.0.1:9/h"),
        ("mqtt", "a/b"),
    ]
    assert {r.message_id for r in rows} == {message_id}
    for r in rows:
        assert (r.state, r.attempts, r.next_attempt_at, r.created_at) == (
            "pending",
            0,
            clock.now,
            clock.now,
        )
        assert r.topic_arn == "VideoJobs"
        # serialised once, compactly, keys in the caller's order, on both databases
        assert r.body == '{"JobId":"j","Status":"SUCCEEDED","Zeta":1,"Alpha":"é"}'
        assert json.loads(r.body) == message
    assert outbox.get(rows[0].id) == rows[0]
    assert outbox.get(10**9) is None


def test_each_add_is_a_new_message(engine: Engine) -> None:
    outbox = Outbox(engine)
    with tx.write(engine) as conn:
        first = outbox.add(conn, TARGETS[:1], {"a": 1}, topic_arn="t")
        second = outbox.add(conn, TARGETS[:1], {"a": 1}, topic_arn="t")
        assert outbox.add(conn, [], {"a": 1}, topic_arn="t")  # nothing to deliver to
    assert first != second
    assert outbox.counts() == {"pending": 2}


def test_list_filters_and_purge_keeps_what_is_pending(engine: Engine, clock: Clock) -> None:
    outbox = Outbox(engine, clock=clock)
    with tx.write(engine) as conn:
        for i in range(4):
            outbox.add(conn, TARGETS[:1], {"i": i}, topic_arn="t")
    ids = sorted(r.id for r in outbox.list())
    with tx.write(engine) as conn:
        conn.exec_driver_sql(
            f"UPDATE notifications SET state = 'delivered' WHERE id IN ({ids[0]}, {ids[1]})"
        )
        conn.exec_driver_sql(f"UPDATE notifications SET state = 'dead' WHERE id = {ids[2]}")
    assert [r.id for r in outbox.list()] == ids[::-1]  # newest first
    assert [r.id for r in outbox.list(states=["delivered"])] == [ids[1], ids[0]]
    assert [r.id for r in outbox.list(limit=1)] == [ids[3]]
    assert outbox.counts() == {"delivered": 2, "dead": 1, "pending": 1}

    assert outbox.purge(older_than=60) == 0  # too young
    clock.advance(61)
    assert outbox.purge(older_than=60, states=["pending"]) == 0  # never pending ones
    assert outbox.purge(older_than=60) == 2
    assert outbox.counts() == {"dead": 1, "pending": 1}
    assert outbox.retry([ids[3]]) == 0  # only dead ones are requeued
    assert outbox.retry([ids[2]]) == 1
    assert outbox.counts() == {"pending": 2}
