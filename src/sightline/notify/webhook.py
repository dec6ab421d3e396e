"""Webhook delivery: an SNS HTTP(S) notification, signed with HMAC-SHA256.

The POST is what an SNS HTTP(S) subscription receives, so an endpoint written for SNS
(e.g. for Rekognition's video-job notifications) reads it unchanged::

    POST <url>
    Content-Type: text/plain; charset=UTF-8
    x-amz-sns-message-type: Notification
    x-amz-sns-message-id: <MessageId>
    x-amz-sns-topic-arn: <TopicArn>
    X-Sightline-Timestamp: <unix seconds>
    X-Sightline-Signature: sha256=<hex>

    {"Type": "Notification", "MessageId": "...", "TopicArn": "...",
     "Message": "<the message JSON, as a string>", "Timestamp": "2024-06-10T12:00:00.000Z"}

SNS's own ``Signature``/``SigningCertURL`` fields are left out rather than faked: no
certificate could verify them. The HMAC headers take their place
(:mod:`sightline.notify.signing`). Any 2xx answer is a delivery; anything else, or no
answer, is retried.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx

from sightline.notify.attempt import Failure
from sightline.notify.outbox import NotificationRow
from sightline.notify.signing import SigningKeys, signature_headers

USER_AGENT = "Sightline-Notify/1"


def sns_timestamp(epoch: float) -> str:
    """SNS's timestamp format: ISO 8601 in UTC with milliseconds, ``Z``."""
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sns_envelope(row: NotificationRow) -> bytes:
    """The SNS Notification document for ``row``: the request body, as sent."""
    document = {
        "Type": "Notification",
        "MessageId": row.message_id,
        "TopicArn": row.topic_arn,
        "Message": row.body,
        # When the event was published (added), as SNS stamps it: the same on retries.
        "Timestamp": sns_timestamp(row.created_at),
    }
    return json.dumps(document, ensure_ascii=False).encode()


class WebhookSender:
    """POSTs notifications over one HTTP client (connections reused across a batch)."""

    def __init__(self, keys: SigningKeys, *, timeout: float) -> None:
        self.keys = keys
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )

    def send(self, row: NotificationRow, *, now: float) -> Failure | None:
        """Deliver ``row``; None on a 2xx answer, else why not."""
        body = sns_envelope(row)
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": "Notification",
            "x-amz-sns-message-id": row.message_id,
            "x-amz-sns-topic-arn": row.topic_arn,
            **signature_headers(self.keys.for_topic(row.topic_arn), body, now=now),
        }
        try:
            response = self._client.post(row.target, content=body, headers=headers)
        except httpx.TransportError as exc:
            return Failure(f"{type(exc).__name__}: {str(exc) or 'no answer'} ({row.target})", True)
        if response.is_success:
            return None
        excerpt = response.text[:300].strip()
        return Failure(
            f"HTTP {response.status_code} from {row.target}" + (f": {excerpt}" if excerpt else ""),
            False,
        )

    def close(self) -> None:
        self._client.close()
