"""resolve_channel: configured topics by ARN or name, URL channels, clear refusals."""

from __future__ import annotations

import pytest

from sightline.config import NotifySettings
from sightline.errors import InvalidParameterError
from sightline.notify import ChannelKind
from sightline.notify.channels import Target, resolve_channel

WEBHOOK, MQTT = ChannelKind.WEBHOOK, ChannelKind.MQTT
ARN = "arn:aws:sns:us-east-1:123456789012:MyTopic"


@pytest.fixture
def settings() -> NotifySettings:
    return NotifySettings(
        topics={
            "MyTopic": {"webhook": "https://hooks.example/rekognition", "mqtt_topic": "jobs/done"},
            "OnlyMqtt": {"mqtt_topic": "a/b"},
            # a topic configured by its full ARN wins over a same-named short one
            "arn:aws:sns:eu-west-1:000000000000:MyTopic": {"webhook": "http://eu.example/h"},
        }
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # an ARN, looked up by its name: both of the topic's targets
        (
            ARN,
            [
                Target(WEBHOOK, "https://hooks.example/rekognition"),
                Target(MQTT, "jobs/done"),
            ],
        ),
        # the bare name
        (
            "MyTopic",
            [
                Target(WEBHOOK, "https://hooks.example/rekognition"),
                Target(MQTT, "jobs/done"),
            ],
        ),
        # a full ARN configured as such
        ("arn:aws:sns:eu-west-1:000000000000:MyTopic", [Target(WEBHOOK, "http://eu.example/h")]),
        # MQTT only
        ("OnlyMqtt", [Target(MQTT, "a/b")]),
        # surrounding whitespace is not part of the name
        ("  OnlyMqtt ", [Target(MQTT, "a/b")]),
        # direct URLs
        ("https://example.com/x?y=1", [Target(WEBHOOK, "https://example.com/x?y=1")]),
        ("http://127.0.0.1:9/h", [Target(WEBHOOK, "http://127.0.0.1:9/h")]),
        ("mqtt://sightline/jobs/video", [Target(MQTT, "sightline/jobs/video")]),
        ("MQTT://Upper/Case", [Target(MQTT, "Upper/Case")]),
    ],
)
def test_resolves(settings: NotifySettings, given: str, expected: list[Target]) -> None:
    assert resolve_channel(settings, given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        # unknown names and ARNs name the configured topics
        ("Nope", r"'Nope' names no configured notification topic.*MyTopic, OnlyMqtt"),
        ("arn:aws:sns:us-east-1:123456789012:Nope", r"Configured topics: .*MyTopic"),
        ("", "empty SNSTopicArn"),
        # malformed ARNs
        ("arn:aws:sqs:us-east-1:123456789012:MyTopic", "not an SNS topic ARN"),
        ("arn:aws:sns:MyTopic", "not an SNS topic ARN"),
        # unsupported schemes and broken URLs
        ("ftp://example.com/x", "unsupported scheme 'ftp'"),
        ("https://", "not an http"),
        # MQTT wildcards are for subscribers
        ("mqtt://jobs/#", "wildcards"),
        ("mqtt://jobs/+/done", "wildcards"),
        ("mqtt://", "wildcards"),
    ],
)
def test_refuses(settings: NotifySettings, given: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        resolve_channel(settings, given)


def test_urls_refused_when_url_channels_are_off(settings: NotifySettings) -> None:
    closed = settings.model_copy(update={"allow_url_channels": False})
    for url in ("https://example.com/x", "mqtt://a/b"):
        with pytest.raises(InvalidParameterError, match=r"URL channels are off.*MyTopic"):
            resolve_channel(closed, url)
    # configured topics still resolve, and the unknown-name message offers no URLs
    assert resolve_channel(closed, "OnlyMqtt") == [Target(MQTT, "a/b")]
    with pytest.raises(InvalidParameterError) as info:
        resolve_channel(closed, "Nope")
    assert "http" not in str(info.value)


def test_no_topics_configured_says_so() -> None:
    with pytest.raises(InvalidParameterError, match=r"No notification topics are configured"):
        resolve_channel(NotifySettings(), ARN)


def test_a_topic_without_destinations_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="neither a webhook nor an mqtt_topic"):
        resolve_channel(NotifySettings(topics={"Empty": {}}), "Empty")
