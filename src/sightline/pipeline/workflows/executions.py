"""Reading executions back: describe one with its steps, list them, its history.

:class:`WorkflowExecutions` is the query service the REST API and the web app use.
``describe`` is Step Functions' DescribeExecution plus the steps, and ``node_states``
maps each step name (a node of :func:`~sightline.pipeline.workflows.graph.workflow_graph`)
to how it should be drawn: ``not-started`` (absent), ``running``, ``retrying``,
``succeeded``, ``failed`` or ``caught`` (its latest visit).
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, select

from sightline.db import tx
from sightline.db.models.workflows import StepState, WorkflowExecution, WorkflowStep
from sightline.errors import ResourceNotFoundError

X = cast(Table, WorkflowExecution.__table__)
S = cast(Table, WorkflowStep.__table__)

NOT_STARTED = "not-started"
# A step row's state -> how the step is drawn.
DRAWN: dict[str, str] = {
    StepState.ENTERED.value: "running",
    StepState.RETRYING.value: "retrying",
    StepState.SUCCEEDED.value: "succeeded",
    StepState.FAILED.value: "failed",
    StepState.CAUGHT.value: "caught",
}


@dataclass(frozen=True)
class ExecutionRecord:
    id: str
    workflow: str
    item_id: str | None
    attempt: int
    owner: str | None
    status: str
    input: Any
    output: Any
    error: str | None
    cause: str | None
    started_at: dt.datetime
    stopped_at: dt.datetime | None


@dataclass(frozen=True)
class StepRecord:
    id: int
    name: str
    type: str
    branch: str
    visit: int
    state: str
    attempts: int
    input: Any
    output: Any
    next_step: str | None
    error: str | None
    cause: str | None
    attempt_errors: list[dict[str, Any]]
    entered_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class ExecutionDetail:
    execution: ExecutionRecord
    steps: list[StepRecord]  # in the order they were entered

    @property
    def node_states(self) -> dict[str, str]:
        """Step name -> drawn state of its latest visit (steps not entered are absent)."""
        return {s.name: DRAWN.get(s.state, s.state.lower()) for s in self.steps}


@dataclass(frozen=True)
class HistoryEvent:
    """One event of an execution's history, in time order."""

    timestamp: dt.datetime
    type: str  # ExecutionStarted, StepEntered, StepAttemptFailed, StepSucceeded, ...
    step: str | None = None
    branch: str | None = None
    attempt: int | None = None
    error: str | None = None
    cause: str | None = None
    retry_in_seconds: float | None = None


_EXECUTION_EVENTS = {
    "SUCCEEDED": "ExecutionSucceeded",
    "FAILED": "ExecutionFailed",
    "TIMED_OUT": "ExecutionTimedOut",
    "ABORTED": "ExecutionAborted",
}
_STEP_EVENTS = {
    StepState.SUCCEEDED.value: "StepSucceeded",
    StepState.FAILED.value: "StepFailed",
    StepState.CAUGHT.value: "StepCaught",
}


def _execution(r: Any) -> ExecutionRecord:
    return ExecutionRecord(**{f: getattr(r, f) for f in ExecutionRecord.__dataclass_fields__})


def _step(r: Any) -> StepRecord:
    values = {f: getattr(r, f) for f in StepRecord.__dataclass_fields__}
    values["attempt_errors"] = list(values["attempt_errors"] or [])
    return StepRecord(**values)


class WorkflowExecutions:
    """Executions and their steps, read from the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, execution_id: str) -> ExecutionRecord:
        """Raises ResourceNotFoundError when there is no such execution."""
        with tx.read(self.engine) as conn:
            row = conn.execute(select(X).where(X.c.id == execution_id)).first()
        if row is None:
            raise ResourceNotFoundError(f"No workflow execution {execution_id!r}.")
        return _execution(row)

    def describe(self, execution_id: str) -> ExecutionDetail:
        """The execution and every step visit, in the order they were entered (one
        read transaction, so steps and status agree)."""
        with tx.read(self.engine) as conn:
            row = conn.execute(select(X).where(X.c.id == execution_id)).first()
            if row is None:
                raise ResourceNotFoundError(f"No workflow execution {execution_id!r}.")
            steps = conn.execute(
                select(S).where(S.c.execution_id == execution_id).order_by(S.c.id)
            ).all()
        return ExecutionDetail(_execution(row), [_step(s) for s in steps])

    def list(
        self,
        *,
        item_id: str | None = None,
        workflow: str | None = None,
        statuses: Sequence[str] = (),
        limit: int = 100,
        after_id: str | None = None,
    ) -> builtins.list[ExecutionRecord]:
        """Executions in id (start) order, filtered, a page at a time (pass the last id
        seen as ``after_id``)."""
        q = select(X).order_by(X.c.id).limit(limit)
        if item_id is not None:
            q = q.where(X.c.item_id == item_id)
        if workflow is not None:
            q = q.where(X.c.workflow == workflow)
        if statuses:
            q = q.where(X.c.status.in_(list(statuses)))
        if after_id is not None:
            q = q.where(X.c.id > after_id)
        with tx.read(self.engine) as conn:
            return [_execution(r) for r in conn.execute(q)]

    def latest(self, item_id: str) -> ExecutionRecord | None:
        """The item's most recent execution, if it has one."""
        q = select(X).where(X.c.item_id == item_id).order_by(X.c.id.desc()).limit(1)
        with tx.read(self.engine) as conn:
            row = conn.execute(q).first()
        return _execution(row) if row is not None else None

    def history(self, execution_id: str) -> builtins.list[HistoryEvent]:
        """The execution's events in time order (GetExecutionHistory's idea), rebuilt
        from the step rows: entered, each failed attempt, and how each step ended."""
        detail = self.describe(execution_id)
        x = detail.execution
        events: builtins.list[tuple[dt.datetime, HistoryEvent]] = [
            (x.started_at, HistoryEvent(x.started_at, "ExecutionStarted"))
        ]
        for s in detail.steps:
            step, branch = s.name, s.branch
            events.append((s.entered_at, HistoryEvent(s.entered_at, "StepEntered", step, branch)))
            for failed in s.attempt_errors:
                if failed.get("retry_in_seconds") is None:
                    continue  # the final failure, told by StepFailed/StepCaught
                at = dt.datetime.fromisoformat(str(failed["at"]))
                event = HistoryEvent(
                    at,
                    "StepAttemptFailed",
                    attempt=int(failed["attempt"]),
                    error=failed.get("error"),
                    cause=failed.get("cause"),
                    retry_in_seconds=float(failed["retry_in_seconds"]),
                    step=step,
                    branch=branch,
                )
                events.append((at, event))
            ended = _STEP_EVENTS.get(s.state)
            if ended is not None and s.finished_at is not None:
                event = HistoryEvent(
                    s.finished_at,
                    ended,
                    attempt=s.attempts,
                    error=s.error,
                    cause=s.cause,
                    step=step,
                    branch=branch,
                )
                events.append((s.finished_at, event))
        ended = _EXECUTION_EVENTS.get(x.status)
        if ended is not None and x.stopped_at is not None:
            events.append(
                (x.stopped_at, HistoryEvent(x.stopped_at, ended, error=x.error, cause=x.cause))
            )
        # By time; equal times keep the order above (a step ends before the next enters).
        order = sorted(range(len(events)), key=lambda i: (events[i][0], i))
        return [events[i][1] for i in order]
