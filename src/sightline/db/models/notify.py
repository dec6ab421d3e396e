"""The notification outbox: one row per (message, delivery target).

A message joins the outbox in the caller's transaction (e.g. the one that marks a video
job finished), so it exists exactly when the event does; the dispatcher then delivers
it with retries. Times are epoch seconds (``DOUBLE``), as in the task queue: the claim
compares them, and numbers compare the same on SQLite and PostgreSQL.

``next_attempt_at`` doubles as the claim's lease: a claimed row is pushed into the
future for as long as its delivery may take, so a dispatcher that dies mid-delivery
leaves a row that simply comes due again.
"""

from __future__ import annotations

import enum

from sqlalchemy import Double, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base
from sightline.db.models.pipeline import BigId


class NotificationState(str, enum.Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class ChannelKind(str, enum.Enum):
    WEBHOOK = "webhook"
    MQTT = "mqtt"


class Notification(Base):
    """A message waiting for (or done with) delivery to one target."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # One per message, shared by its targets (as SNS gives one MessageId per publish);
    # stable across retries, so receivers can drop the duplicates at-least-once allows.
    message_id: Mapped[str] = mapped_column(String(36))
    channel: Mapped[str] = mapped_column(String(16))  # ChannelKind
    target: Mapped[str] = mapped_column(String(2048))  # URL or MQTT topic
    topic_arn: Mapped[str] = mapped_column(String(2048))  # the SNSTopicArn the caller gave
    # The message serialised once, at add: the same bytes on every attempt and database
    # (a JSONB column would reorder its keys on PostgreSQL).
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # NotificationState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Double)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    delivered_at: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (
        # The claim scans only pending rows, soonest first, whatever the history size.
        Index(
            "ix_notifications_due",
            "next_attempt_at",
            "id",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_notifications_state_id", "state", "id"),
    )
