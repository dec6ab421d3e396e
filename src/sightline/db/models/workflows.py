"""Workflow executions and their steps, recorded as they happen.

- ``workflow_executions``: one row per run of a workflow definition (for the pipeline,
  one per queue attempt of an item's ``workflow`` task). ``status`` follows Step
  Functions: RUNNING, SUCCEEDED, FAILED, TIMED_OUT (its worker stopped renewing the
  lease; the next attempt or the dead-task hook says so), ABORTED.
- ``workflow_steps``: one row per visit of a step, committed at each state change
  (ENTERED, RETRYING, SUCCEEDED, FAILED, CAUGHT), so a reader sees live progress.
  ``branch`` is ``""`` at the top level, ``p[i]`` inside branch ``i`` of parallel step
  ``p`` (nested: ``p[0]/q[1]``). Inputs and outputs are trimmed to a size limit.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sightline.db.base import Base, utcnow
from sightline.db.models.pipeline import BigId, Json, UtcDateTime


class ExecutionStatus(str, enum.Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


class StepState(str, enum.Enum):
    ENTERED = "ENTERED"
    RETRYING = "RETRYING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CAUGHT = "CAUGHT"


class WorkflowExecution(Base):
    __tablename__ = "workflow_executions"

    # 32 hex digits, time-ordered like item ids: a page by id is a page by start time.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workflow: Mapped[str] = mapped_column(String(80))
    item_id: Mapped[str | None] = mapped_column(
        String(32),
        ForeignKey("items.id", ondelete="CASCADE", name="fk_workflow_executions_item_id_items"),
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # the task's attempt number
    owner: Mapped[str | None] = mapped_column(String(128))  # the worker that ran it
    status: Mapped[str] = mapped_column(String(16))
    input: Mapped[dict[str, Any]] = mapped_column(Json)
    output: Mapped[Any | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(String(128))
    cause: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_workflow_executions_item", "item_id", "id"),
        Index("ix_workflow_executions_workflow", "workflow", "id"),
        Index("ix_workflow_executions_status", "status", "id"),
    )


class WorkflowStep(Base):
    __tablename__ = "workflow_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(
        String(32),
        ForeignKey(
            "workflow_executions.id",
            ondelete="CASCADE",
            name="fk_workflow_steps_execution_id_workflow_executions",
        ),
    )
    name: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(16))
    branch: Mapped[str] = mapped_column(String(400), default="")
    visit: Mapped[int] = mapped_column(Integer, default=1)  # 1 + earlier visits (loops)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    input: Mapped[Any | None] = mapped_column(Json)
    output: Mapped[Any | None] = mapped_column(Json)
    next_step: Mapped[str | None] = mapped_column(String(80))  # the transition taken
    error: Mapped[str | None] = mapped_column(String(128))
    cause: Mapped[str | None] = mapped_column(Text)
    # Each failed attempt: {"attempt", "error", "cause", "at", "retry_in_seconds"}.
    attempt_errors: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    entered_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_workflow_steps_execution", "execution_id", "id"),)
