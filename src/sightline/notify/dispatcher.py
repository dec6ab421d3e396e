"""The dispatcher: claims due notifications, delivers them, records the outcome.

Any number of dispatchers (threads, processes, machines) may share the outbox. A claim
takes due pending rows and moves their ``next_attempt_at`` past the time their delivery
can take (the lease) in one write transaction — ``BEGIN IMMEDIATE`` on SQLite,
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, as the task queue claims — so no two
dispatchers take the same row, and a dispatcher that dies mid-delivery leaves rows that
simply come due again when the lease runs out. Each claim counts an attempt.

Delivery is at least once: a receiver may see a message twice (a crash between the
delivery and its record, a lease that ran out on a very slow receiver), always with the
same MessageId. A failed attempt is retried after ``backoff_seconds``, doubling up to
``backoff_max_seconds``; after ``max_attempts`` the row is ``dead``: kept, logged, and
requeued by ``sightline notify retry``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import cast

import httpx
from sqlalchemy import Engine, Table, select, update

from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.notify import ChannelKind, Notification, NotificationState
from sightline.notify.attempt import Failure
from sightline.notify.mqtt import MqttPublisher
from sightline.notify.outbox import NotificationRow, row_of
from sightline.notify.signing import SigningKeys
from sightline.notify.webhook import WebhookSender

log = logging.getLogger(__name__)

N = cast(Table, Notification.__table__)
PENDING, DELIVERED, DEAD = (s.value for s in NotificationState)
# Rows claimed per transaction: the lease covers this many deliveries in a row.
_CHUNK = 10


class Dispatcher:
    """Delivers due notifications for ``settings.notify``; safe to run in many places."""

    def __init__(
        self, engine: Engine, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.keys = SigningKeys(settings)

    def backoff(self, attempts: int) -> float:
        """Seconds before the attempt after failed attempt number ``attempts`` (1-based)."""
        n = self.settings.notify
        return float(min(n.backoff_max_seconds, n.backoff_seconds * 2 ** max(0, attempts - 1)))

    def deliver_due(self, limit: int = 100) -> int:
        """Deliver up to ``limit`` due notifications; the number delivered."""
        delivered = 0
        claimed = 0
        webhook: WebhookSender | None = None
        mqtt: MqttPublisher | None = None
        # Destinations that did not answer in this call: their other rows wait for the
        # retry instead of each waiting out the timeout again.
        unreachable: dict[str, Failure] = {}
        try:
            while claimed < limit:
                rows = self._claim(min(_CHUNK, limit - claimed))
                if not rows:
                    break
                claimed += len(rows)
                for row in rows:
                    dest = _destination(row)
                    if dest in unreachable:
                        self._put_off(row, unreachable[dest])
                        continue
                    if row.channel == ChannelKind.MQTT.value:
                        mqtt = mqtt or MqttPublisher(self.settings.notify)
                        failure = self._attempt(row, partial(mqtt.publish, row.target, row.body))
                    else:
                        webhook = webhook or WebhookSender(
                            self.keys, timeout=self.settings.notify.timeout_seconds
                        )
                        failure = self._attempt(row, partial(webhook.send, row, now=self.clock()))
                    if failure is None:
                        self._delivered(row)
                        delivered += 1
                    else:
                        self._failed(row, failure)
                        if failure.unreachable:
                            unreachable[dest] = failure
        finally:
            if webhook is not None:
                webhook.close()
            if mqtt is not None:
                mqtt.close()
        return delivered

    # --- claim and outcomes ----------------------------------------------------------

    def _claim(self, n: int) -> list[NotificationRow]:
        now = self.clock()
        due = select(N.c.id).where(N.c.state == PENDING, N.c.next_attempt_at <= now)
        # Most polls find nothing due: look first in a read transaction, so an idle
        # outbox does not take SQLite's write lock at every poll.
        with tx.read(self.engine) as conn:
            if conn.scalar(due.limit(1)) is None:
                return []
        # Each delivery may take up to a connect plus a response timeout.
        lease = 2 * self.settings.notify.timeout_seconds * (n + 1)
        claim = due.order_by(N.c.next_attempt_at, N.c.id).limit(n).with_for_update(skip_locked=True)
        with tx.write(self.engine, durable=False) as conn:
            result = conn.execute(
                update(N)
                .where(N.c.id.in_(claim.scalar_subquery()))
                .values(next_attempt_at=now + lease, attempts=N.c.attempts + 1)
                .returning(*N.c)
            )
            rows = [row_of(r) for r in result]
        rows.sort(key=lambda r: r.id)
        return rows

    def _attempt(self, row: NotificationRow, send: Callable[[], Failure | None]) -> Failure | None:
        try:
            return send()
        except Exception as exc:  # one bad row must not stop the batch
            log.exception("notification %d: delivery to %s raised", row.id, row.target)
            return Failure(f"{type(exc).__name__}: {exc}", isinstance(exc, httpx.TransportError))

    def _delivered(self, row: NotificationRow) -> None:
        now = self.clock()
        with tx.write(self.engine, durable=False) as conn:
            # Whoever delivered it, it is delivered: no attempts check here.
            conn.execute(
                update(N)
                .where(N.c.id == row.id, N.c.state == PENDING)
                .values(state=DELIVERED, delivered_at=now, last_error=None)
            )
        log.debug("notification %d delivered to %s %s", row.id, row.channel, row.target)

    def _failed(self, row: NotificationRow, failure: Failure) -> None:
        now = self.clock()
        dead = row.attempts >= self.settings.notify.max_attempts
        values: dict[str, object] = {"last_error": failure.error[:4000]}
        if dead:
            values["state"] = DEAD
        else:
            values["next_attempt_at"] = now + self.backoff(row.attempts)
        with tx.write(self.engine) as conn:
            # attempts fences the update: a row whose lease ran out and that another
            # dispatcher claimed meanwhile is theirs to record.
            conn.execute(
                update(N)
                .where(N.c.id == row.id, N.c.state == PENDING, N.c.attempts == row.attempts)
                .values(**values)
            )
        if dead:
            log.error(
                "notification %d (MessageId %s) to %s %s is dead after %d attempts: %s; "
                "requeue it with `sightline notify retry %d`",
                row.id,
                row.message_id,
                row.channel,
                row.target,
                row.attempts,
                failure.error,
                row.id,
            )
        else:
            log.warning(
                "notification %d to %s %s failed (attempt %d of %d), retrying: %s",
                row.id,
                row.channel,
                row.target,
                row.attempts,
                self.settings.notify.max_attempts,
                failure.error,
            )

    def _put_off(self, row: NotificationRow, failure: Failure) -> None:
        """Give ``row`` back untried (its attempt uncounted), due with the retry of the
        row whose destination did not answer."""
        later = self.clock() + self.backoff(max(1, row.attempts - 1))
        with tx.write(self.engine) as conn:
            conn.execute(
                update(N)
                .where(N.c.id == row.id, N.c.state == PENDING, N.c.attempts == row.attempts)
                .values(
                    attempts=N.c.attempts - 1,
                    next_attempt_at=later,
                    last_error=f"not attempted: {failure.error}"[:4000],
                )
            )


def _destination(row: NotificationRow) -> str:
    """What one unreachable row says about others: same broker, or same web origin."""
    if row.channel == ChannelKind.MQTT.value:
        return "mqtt"
    try:
        url = httpx.URL(row.target)
    except httpx.InvalidURL:
        return row.target
    return f"{url.scheme}://{url.host}:{url.port}"
