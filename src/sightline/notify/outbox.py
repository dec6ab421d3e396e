"""The outbox: notifications written in the caller's transaction, then delivered.

:meth:`Outbox.add` inserts one row per target inside a transaction the caller opened
(the one that records the event), and commits nothing itself: if the caller rolls back,
the notification never existed; once the caller commits, it is delivered even if the
process dies the next instant (:class:`~sightline.notify.dispatcher.Dispatcher` picks
it up from any process). The rest of the class is inspection and repair for the CLI.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, select, update

from sightline.db import tx
from sightline.db.models.notify import Notification, NotificationState
from sightline.notify.channels import Target

N = cast(Table, Notification.__table__)
PENDING, DELIVERED, DEAD = (s.value for s in NotificationState)


@dataclass(frozen=True)
class NotificationRow:
    """One outbox row. Times are epoch seconds."""

    id: int
    message_id: str
    channel: str
    target: str
    topic_arn: str
    body: str  # the message JSON, exactly as delivered
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    created_at: float
    delivered_at: float | None


class Outbox:
    """Adds notifications in a caller's transaction; lists, retries and purges them."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def add(
        self,
        conn: Connection,
        targets: Sequence[Target],
        message: Mapping[str, Any],
        *,
        topic_arn: str,
    ) -> str:
        """Queue ``message`` for each of ``targets`` in ``conn``'s open transaction.

        ``targets`` come from :func:`~sightline.notify.channels.resolve_channel`;
        ``topic_arn`` is the ``SNSTopicArn`` they were resolved from (shown in the SNS
        envelope, and it selects the topic's signing secret). ``message`` must be
        JSON-serialisable; it is serialised now, once. Returns the MessageId, the same
        for every target and every retry.
        """
        message_id = str(uuid.uuid4())
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        now = self.clock()
        rows = [
            {
                "message_id": message_id,
                "channel": t.kind.value,
                "target": t.address,
                "topic_arn": topic_arn.strip(),
                "body": body,
                "state": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for t in targets
        ]
        if rows:
            conn.execute(N.insert(), rows)
        return message_id

    def get(self, notification_id: int) -> NotificationRow | None:
        with tx.read(self.engine) as conn:
            r = conn.execute(select(N).where(N.c.id == notification_id)).first()
        return row_of(r) if r is not None else None

    def list(self, *, states: Sequence[str] = (), limit: int = 50) -> list[NotificationRow]:
        """Notifications, newest first, optionally only those in ``states``."""
        q = select(N).order_by(N.c.id.desc()).limit(limit)
        if states:
            q = q.where(N.c.state.in_(list(states)))
        with tx.read(self.engine) as conn:
            return [row_of(r) for r in conn.execute(q)]

    def counts(self) -> dict[str, int]:
        """The number of notifications in each state."""
        with tx.read(self.engine) as conn:
            rows = conn.execute(select(N.c.state, func.count()).group_by(N.c.state)).all()
        return {r[0]: int(r[1]) for r in rows}

    def retry(self, ids: Sequence[int] = ()) -> int:
        """Make dead notifications (all, or those of ``ids``) pending again with fresh
        attempts, due now. The number requeued."""
        cond = [N.c.state == DEAD]
        if ids:
            cond.append(N.c.id.in_(list(ids)))
        with tx.write(self.engine) as conn:
            result = conn.execute(
                update(N)
                .where(*cond)
                .values(state=PENDING, attempts=0, next_attempt_at=self.clock())
            )
            return int(result.rowcount)

    def purge(self, *, older_than: float, states: Sequence[str] = (DELIVERED,)) -> int:
        """Delete delivered (or dead) notifications created more than ``older_than``
        seconds ago; pending ones are never purged. The number deleted."""
        allowed = [s for s in states if s in (DELIVERED, DEAD)]
        if not allowed:
            return 0
        cutoff = self.clock() - older_than
        with tx.write(self.engine) as conn:
            result = conn.execute(delete(N).where(N.c.state.in_(allowed), N.c.created_at <= cutoff))
            return int(result.rowcount)


def row_of(r: Any) -> NotificationRow:
    """A :class:`NotificationRow` from a result row of the ``notifications`` table."""
    return NotificationRow(
        id=int(r.id),
        message_id=r.message_id,
        channel=r.channel,
        target=r.target,
        topic_arn=r.topic_arn,
        body=r.body,
        state=r.state,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        created_at=r.created_at,
        delivered_at=r.delivered_at,
    )
