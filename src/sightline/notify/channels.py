"""Where a ``NotificationChannel.SNSTopicArn`` delivers: configured topics, or URLs.

A Rekognition Start* call names an SNS topic. Sightline has no SNS; instead
``notify.topics`` maps topic names (or full ARNs) to a webhook and/or an MQTT topic,
and, when ``notify.allow_url_channels`` is on, the caller may pass the destination
itself: ``https://host/path`` (a webhook) or ``mqtt://some/topic`` (a topic on the
configured broker). Resolution happens when the Start* call is made, so an unknown
channel fails the call instead of a notification later.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from sightline.config import NotificationTopic, NotifySettings
from sightline.db.models.notify import ChannelKind
from sightline.errors import InvalidParameterError

_MAX_MQTT_TOPIC_BYTES = 65535


@dataclass(frozen=True)
class Target:
    """One delivery destination: a webhook URL or an MQTT topic name."""

    kind: ChannelKind
    address: str


def topic_name(sns_topic_arn: str) -> str:
    """The topic name of an SNS ARN (its last segment), or the text itself."""
    if sns_topic_arn.startswith("arn:"):
        return sns_topic_arn.rsplit(":", 1)[-1]
    return sns_topic_arn


def find_topic(settings: NotifySettings, sns_topic_arn: str) -> NotificationTopic | None:
    """The configured topic for ``sns_topic_arn``: by the full text, then by its name."""
    topic = settings.topics.get(sns_topic_arn)
    if topic is None:
        topic = settings.topics.get(topic_name(sns_topic_arn))
    return topic


def resolve_channel(settings: NotifySettings, sns_topic_arn: str) -> list[Target]:
    """The targets that ``sns_topic_arn`` delivers to (one or two).

    Raises :class:`~sightline.errors.InvalidParameterError` naming the configured
    topics when the value is neither a configured topic nor an accepted URL.
    """
    value = sns_topic_arn.strip()
    if not value:
        raise InvalidParameterError(_unknown(settings, "An empty SNSTopicArn"))
    scheme = value.split("://", 1)[0].lower() if "://" in value else None
    if scheme is not None:
        if not settings.allow_url_channels:
            raise InvalidParameterError(
                f"SNSTopicArn {value!r} is a URL, and URL channels are off "
                "(notify.allow_url_channels = false). " + _configured(settings)
            )
        if scheme in ("http", "https"):
            return [Target(ChannelKind.WEBHOOK, _webhook_url(value))]
        if scheme == "mqtt":
            return [Target(ChannelKind.MQTT, _mqtt_topic(value, value.split("://", 1)[1]))]
        raise InvalidParameterError(
            f"SNSTopicArn {value!r} has an unsupported scheme {scheme!r}: use http://, "
            "https:// or mqtt://. " + _configured(settings)
        )
    if value.startswith("arn:") and not _is_sns_arn(value):
        raise InvalidParameterError(
            f"SNSTopicArn {value!r} is not an SNS topic ARN "
            "(arn:aws:sns:<region>:<account>:<name>). " + _configured(settings)
        )
    topic = find_topic(settings, value)
    if topic is None:
        raise InvalidParameterError(_unknown(settings, f"SNSTopicArn {value!r}"))
    targets = []
    if topic.webhook:
        targets.append(Target(ChannelKind.WEBHOOK, _webhook_url(topic.webhook)))
    if topic.mqtt_topic:
        targets.append(Target(ChannelKind.MQTT, _mqtt_topic(value, topic.mqtt_topic)))
    if not targets:
        raise InvalidParameterError(
            f"The notification topic for {value!r} has neither a webhook nor an "
            "mqtt_topic configured."
        )
    return targets


def _is_sns_arn(value: str) -> bool:
    parts = value.split(":")
    return len(parts) == 6 and parts[2] == "sns" and bool(parts[5])


def _webhook_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidParameterError(f"{url!r} is not a valid webhook URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidParameterError(f"{url!r} is not an http(s) URL with a host")
    return url


def _mqtt_topic(source: str, topic: str) -> str:
    # A publish names one topic: wildcards and NUL are for subscriptions only.
    if not topic or any(c in topic for c in "+#\0"):
        raise InvalidParameterError(
            f"{source!r} does not name an MQTT topic to publish on (empty, or with the "
            "wildcards + or #)"
        )
    if len(topic.encode()) > _MAX_MQTT_TOPIC_BYTES:
        raise InvalidParameterError(f"The MQTT topic of {source!r} is longer than 65535 bytes")
    return topic


def _configured(settings: NotifySettings) -> str:
    if not settings.topics:
        return "No notification topics are configured (notify.topics)."
    return "Configured topics: " + ", ".join(sorted(settings.topics)) + "."


def _unknown(settings: NotifySettings, what: str) -> str:
    urls = (
        " Or pass an http(s):// URL (webhook) or mqtt://<topic> (MQTT)."
        if settings.allow_url_channels
        else ""
    )
    return f"{what} names no configured notification topic. {_configured(settings)}{urls}"
