"""Notifications: an outbox in the database, delivered with retries.

An event (a video job finishing, ...) is written to the ``notifications`` table in the
same transaction that records the event, then delivered by a
:class:`~sightline.notify.dispatcher.Dispatcher` — from ``sightline serve``'s scheduler
or any other process — so a crash never loses one. Delivery is at least once, each
message with a stable MessageId.

- :mod:`~sightline.notify.channels`: ``SNSTopicArn`` -> targets (configured topics, URLs).
- :mod:`~sightline.notify.outbox`: add in the caller's transaction; list, retry, purge.
- :mod:`~sightline.notify.dispatcher`: claim, deliver, back off, bury.
- :mod:`~sightline.notify.webhook`: SNS-style HTTP(S) POSTs;
  :mod:`~sightline.notify.signing`: their HMAC-SHA256 signatures and
  :func:`verify_signature` for receivers.
- :mod:`~sightline.notify.mqtt`: publishes on the configured broker.

Typical use by a producer::

    targets = resolve_channel(settings.notify, sns_topic_arn)   # at Start*: fails early
    ...
    with tx.write(engine) as conn:
        ...  # record the event
        Outbox(engine).add(conn, targets, message, topic_arn=sns_topic_arn)
"""

from sightline.db.models.notify import ChannelKind, NotificationState
from sightline.notify.channels import Target, resolve_channel
from sightline.notify.dispatcher import Dispatcher
from sightline.notify.outbox import NotificationRow, Outbox
from sightline.notify.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    compute_signature,
    verify_signature,
)
from sightline.notify.webhook import sns_envelope

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ChannelKind",
    "Dispatcher",
    "NotificationRow",
    "NotificationState",
    "Outbox",
    "Target",
    "compute_signature",
    "resolve_channel",
    "sns_envelope",
    "verify_signature",
]
