"""MQTT delivery: the message JSON published on a topic of the configured broker.

The payload is the message itself (not the SNS envelope): MQTT subscribers want the
event, and the topic already says where it came from. A publish counts as delivered
when it completes at the configured QoS — PUBACK (QoS 1) or PUBCOMP (QoS 2) from the
broker; QoS 0 when it is written to the socket. One connection serves a whole batch.
"""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from sightline.config import NotifySettings
from sightline.notify.attempt import Failure


class MqttPublisher:
    """Publishes to ``notify.mqtt_host:mqtt_port``; connects on the first publish."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.broker = f"{settings.mqtt_host}:{settings.mqtt_port}"
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._connack: ReasonCode | None = None
        # Once the connection fails, every later publish of the batch fails the same way.
        self._broken: str | None = None

    def publish(self, topic: str, payload: str) -> Failure | None:
        """Publish ``payload`` on ``topic`` and wait for it to complete; None when it
        did, else why not."""
        if self._broken is None and self._client is None:
            self._broken = self._connect()
        if self._broken is not None or self._client is None:
            return Failure(self._broken or "not connected", True)
        s = self.settings
        info = self._client.publish(topic, payload.encode(), qos=s.mqtt_qos)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self._broken = f"MQTT publish to {self.broker} failed: {mqtt.error_string(info.rc)}"
            return Failure(self._broken, True)
        try:
            info.wait_for_publish(timeout=s.timeout_seconds)
        except (RuntimeError, ValueError) as exc:
            self._broken = f"MQTT publish to {self.broker} failed: {exc}"
            return Failure(self._broken, True)
        if not info.is_published():
            self._broken = (
                f"MQTT broker {self.broker} did not acknowledge the publish (QoS {s.mqtt_qos}) "
                f"within {s.timeout_seconds:g}s"
            )
            return Failure(self._broken, True)
        return None

    def _connect(self) -> str | None:
        """Connect and wait for the CONNACK; None on success, else the error."""
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"sightline-notify-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        client.connect_timeout = s.timeout_seconds
        if s.mqtt_username is not None:
            password = s.mqtt_password.get_secret_value() if s.mqtt_password else None
            client.username_pw_set(s.mqtt_username, password)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        try:
            client.connect(s.mqtt_host, s.mqtt_port, keepalive=60)
        except (OSError, ValueError) as exc:
            return f"cannot connect to MQTT broker {self.broker}: {type(exc).__name__}: {exc}"
        self._client = client
        client.loop_start()
        if not self._connected.wait(s.timeout_seconds):
            return f"MQTT broker {self.broker} did not answer CONNECT within {s.timeout_seconds:g}s"
        if self._connack is not None and self._connack.is_failure:
            return f"MQTT broker {self.broker} refused the connection: {self._connack}"
        return None

    def _on_connect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason_code: ReasonCode,
        _properties: object,
    ) -> None:
        self._connack = reason_code
        self._connected.set()

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: object,
        _flags: object,
        reason_code: ReasonCode,
        _properties: object,
    ) -> None:
        if self._broken is None:
            self._broken = f"lost the connection to MQTT broker {self.broker}: {reason_code}"
        self._connected.set()  # a refused CONNECT may end here without on_connect

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        self._broken = self._broken or "closed"
        client.disconnect()
        client.loop_stop()
