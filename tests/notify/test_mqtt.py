"""MQTT delivery through the local Mosquitto broker, seen by a real subscriber."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine

from sightline.db import tx
from sightline.notify import Dispatcher, Outbox, resolve_channel
from sightline.notify.mqtt import MqttPublisher
from tests.notify.conftest import notify_settings
from tests.notify.receiver import Receiver, free_port
from tests.pipeline.test_queue import Clock

BROKER = ("127.0.0.1", 1883)


class Subscriber:
    """A paho client subscribed to one topic, collecting the payloads it receives."""

    def __init__(self, topic: str) -> None:
        self.messages: list[tuple[str, bytes, int]] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex}")
        self.client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append((msg.topic, bytes(msg.payload), msg.qos))
            self._cond.notify_all()

    def start(self) -> None:
        self.client.connect(*BROKER)
        self.client.loop_start()
        assert self._subscribed.wait(30), "no SUBACK from the local broker"

    def wait_for(self, n: int) -> list[tuple[str, bytes, int]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= n, 30)
            return list(self.messages)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def topic() -> str:
    return f"sightline-test/{uuid.uuid4().hex}/jobs"


@pytest.fixture
def subscriber(topic: str) -> Iterator[Subscriber]:
    s = Subscriber(topic)
    s.start()
    yield s
    s.stop()


@pytest.mark.mqtt
def test_configured_topic_publishes_the_raw_message(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    topic: str,
    subscriber: Subscriber,
    receiver: Receiver,
) -> None:
    # One SNS topic with both destinations: the webhook gets the envelope, MQTT the message.
    settings = notify_settings(
        tmp_path,
        database_url,
        topics={"VideoJobs": {"webhook": receiver.url, "mqtt_topic": topic}},
    )
    messages = [{"JobId": f"job-{i}", "Status": "SUCCEEDED"} for i in range(3)]
    targets = resolve_channel(settings.notify, "arn:aws:sns:us-east-1:123456789012:VideoJobs")
    with tx.write(engine) as conn:
        for m in messages:
            Outbox(engine).add(conn, targets, m, topic_arn="VideoJobs")
    assert Dispatcher(engine, settings).deliver_due() == 6
    got = subscriber.wait_for(3)
    assert [(t, json.loads(p), q) for t, p, q in got] == [(topic, m, 1) for m in messages]
    envelopes = [json.loads(r.body) for r in receiver.received]
    assert [json.loads(e["Message"]) for e in envelopes] == messages
    assert Outbox(engine).counts() == {"delivered": 6}


@pytest.mark.mqtt
@pytest.mark.parametrize("qos", [0, 2])
def test_url_channel_at_each_qos(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    topic: str,
    subscriber: Subscriber,
    qos: int,
) -> None:
    settings = notify_settings(tmp_path, database_url, mqtt_qos=qos)
    with tx.write(engine) as conn:
        Outbox(engine).add(
            conn,
            resolve_channel(settings.notify, f"mqtt://{topic}"),
            {"JobId": "j", "Status": "FAILED"},
            topic_arn=f"mqtt://{topic}",
        )
    assert Dispatcher(engine, settings).deliver_due() == 1
    [(t, payload, _)] = subscriber.wait_for(1)
    assert (t, json.loads(payload)) == (topic, {"JobId": "j", "Status": "FAILED"})


def test_no_broker_is_retried_and_puts_off_the_batch(
    engine: Engine, database_url: str, tmp_path: Path, clock: Clock
) -> None:
    settings = notify_settings(tmp_path, database_url, mqtt_port=free_port())
    with tx.write(engine) as conn:
        for i in range(3):
            Outbox(engine, clock=clock).add(
                conn, resolve_channel(settings.notify, "mqtt://a/b"), {"i": i}, topic_arn="x"
            )
    assert Dispatcher(engine, settings, clock=clock).deliver_due() == 0
    rows = sorted(Outbox(engine).list(), key=lambda r: r.id)
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert rows[0].last_error is not None
    assert "cannot connect to MQTT broker 127.0.0.1:" in rows[0].last_error


@pytest.mark.mqtt
def test_publisher_reuses_one_connection(topic: str, subscriber: Subscriber) -> None:
    from sightline.config import NotifySettings

    publisher = MqttPublisher(NotifySettings())
    try:
        assert publisher.publish(topic, '{"a":1}') is None
        client = publisher._client
        assert publisher.publish(topic, '{"a":2}') is None
        assert publisher._client is client
    finally:
        publisher.close()
    assert [json.loads(p) for _, p, _ in subscriber.wait_for(2)] == [{"a": 1}, {"a": 2}]
    # closed: a later publish fails rather than silently reconnecting
    failure = publisher.publish(topic, "{}")
    assert failure is not None and failure.unreachable
