"""Writing executions and steps as they happen, each change in its own commit.

:class:`ExecutionRecorder` is what the engine reports to: a step entered, retrying,
succeeded, failed or caught is committed at once (``tx.write(durable=False)``: a
database crash may forget the last changes, never corrupt them), so a reader of the
tables sees the execution move. Inputs and outputs are trimmed to
:data:`RECORD_LIMIT` bytes of JSON each.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, or_, select, update

from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.models.workflows import (
    ExecutionStatus,
    StepState,
    WorkflowExecution,
    WorkflowStep,
)
from sightline.errors import WorkerLostError
from sightline.pipeline.catalog import Catalog, new_item_id
from sightline.pipeline.queue import TaskRow
from sightline.pipeline.workflows.state import jsonable, trim

X = cast(Table, WorkflowExecution.__table__)
S = cast(Table, WorkflowStep.__table__)
# Enough for a step's summary, a metadata document or a label list; a larger value
# keeps its largest members trimmed (the full documents are in the results table).
RECORD_LIMIT = 16 * 1024
TIMEOUT_ERROR = "States.Timeout"


def recorded(value: Any) -> Any:
    """``value`` as it is stored: plain JSON, at most :data:`RECORD_LIMIT` bytes."""
    return trim(jsonable(value), RECORD_LIMIT)


@dataclass
class StepHandle:
    """One visit of one step, as the engine updates it."""

    id: int
    name: str
    attempts: int = 1
    errors: list[dict[str, Any]] = field(default_factory=list)


class ExecutionRecorder:
    """The rows of one execution. Safe to call from parallel branches' threads."""

    def __init__(self, engine: Engine, execution_id: str) -> None:
        self.engine = engine
        self.execution_id = execution_id
        self._visits: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def create(
        conn: Connection,
        workflow: str,
        input: dict[str, Any],
        *,
        execution_id: str | None = None,
        item_id: str | None = None,
        attempt: int = 1,
        owner: str | None = None,
    ) -> str:
        """Insert a RUNNING execution inside the caller's transaction; its id (a new
        time-ordered one unless given)."""
        execution_id = execution_id or new_item_id()
        conn.execute(
            insert(X).values(
                id=execution_id,
                workflow=workflow,
                item_id=item_id,
                attempt=attempt,
                owner=owner,
                status=ExecutionStatus.RUNNING.value,
                input=recorded(input),
                started_at=utcnow(),
            )
        )
        return execution_id

    # --- steps ----------------------------------------------------------------------

    def enter(self, name: str, type: str, branch: str, input: Any) -> StepHandle:
        with self._lock:
            visit = self._visits.get((branch, name), 0) + 1
            self._visits[(branch, name)] = visit
        with tx.write(self.engine, durable=False) as conn:
            step_id = conn.execute(
                insert(S)
                .values(
                    execution_id=self.execution_id,
                    name=name,
                    type=type,
                    branch=branch,
                    visit=visit,
                    state=StepState.ENTERED.value,
                    attempts=1,
                    input=recorded(input),
                    attempt_errors=[],
                    entered_at=utcnow(),
                )
                .returning(S.c.id)
            ).scalar_one()
        return StepHandle(int(step_id), name)

    def retrying(self, step: StepHandle, error: str, cause: str, delay: float) -> None:
        """The attempt failed and will be retried after ``delay`` seconds."""
        step.errors.append(
            {
                "attempt": step.attempts,
                "error": error,
                "cause": cause,
                "at": utcnow().isoformat(),
                "retry_in_seconds": delay,
            }
        )
        self._update(
            step,
            state=StepState.RETRYING.value,
            error=error[:128],
            cause=cause,
            attempt_errors=list(step.errors),
        )

    def retry(self, step: StepHandle) -> None:
        """The next attempt starts."""
        step.attempts += 1
        self._update(step, state=StepState.ENTERED.value, attempts=step.attempts)

    def succeeded(self, step: StepHandle, output: Any, next_step: str | None) -> None:
        self._update(
            step,
            state=StepState.SUCCEEDED.value,
            output=recorded(output),
            next_step=next_step,
            error=None,
            cause=None,
            finished_at=utcnow(),
        )

    def failed(self, step: StepHandle, error: str, cause: str) -> None:
        self._final_error(step, error, cause)
        self._update(
            step,
            state=StepState.FAILED.value,
            error=error[:128],
            cause=cause,
            attempt_errors=list(step.errors),
            finished_at=utcnow(),
        )

    def caught(self, step: StepHandle, error: str, cause: str, output: Any, next_step: str) -> None:
        self._final_error(step, error, cause)
        self._update(
            step,
            state=StepState.CAUGHT.value,
            error=error[:128],
            cause=cause,
            output=recorded(output),
            next_step=next_step,
            attempt_errors=list(step.errors),
            finished_at=utcnow(),
        )

    def _final_error(self, step: StepHandle, error: str, cause: str) -> None:
        step.errors.append(
            {
                "attempt": step.attempts,
                "error": error,
                "cause": cause,
                "at": utcnow().isoformat(),
                "retry_in_seconds": None,
            }
        )

    def _update(self, step: StepHandle, **values: Any) -> None:
        with tx.write(self.engine, durable=False) as conn:
            conn.execute(update(S).where(S.c.id == step.id).values(**values))

    # --- the execution --------------------------------------------------------------

    def finish(
        self,
        conn: Connection,
        status: ExecutionStatus,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> bool:
        """Settle the execution inside the caller's transaction. False when it was no
        longer RUNNING (another attempt has marked it abandoned meanwhile)."""
        result = conn.execute(
            update(X)
            .where(X.c.id == self.execution_id, X.c.status == ExecutionStatus.RUNNING.value)
            .values(
                status=status.value,
                output=recorded(output) if output is not None else None,
                error=error[:128] if error else None,
                cause=cause,
                stopped_at=utcnow(),
            )
        )
        return bool(result.rowcount)


def abandon_running(
    conn: Connection,
    item_ids: Sequence[str],
    cause: str,
    *,
    status: ExecutionStatus = ExecutionStatus.TIMED_OUT,
    error: str = TIMEOUT_ERROR,
) -> list[str]:
    """Mark the RUNNING executions of ``item_ids`` abandoned (TIMED_OUT by default: the
    worker running them stopped renewing its lease), and their unfinished steps FAILED
    with the same error, inside the caller's transaction. Their ids."""
    if not item_ids:
        return []
    running = (
        conn.execute(
            select(X.c.id).where(
                X.c.item_id.in_(list(item_ids)), X.c.status == ExecutionStatus.RUNNING.value
            )
        )
        .scalars()
        .all()
    )
    if not running:
        return []
    now = utcnow()
    conn.execute(
        update(X)
        .where(X.c.id.in_(running), X.c.status == ExecutionStatus.RUNNING.value)
        .values(status=status.value, error=error, cause=cause, stopped_at=now)
    )
    conn.execute(
        update(S)
        .where(
            S.c.execution_id.in_(running),
            or_(S.c.state == StepState.ENTERED.value, S.c.state == StepState.RETRYING.value),
        )
        .values(state=StepState.FAILED.value, error=error, cause=cause, finished_at=now)
    )
    return [str(r) for r in running]


def fail_dead_workflows(conn: Connection, rows: Sequence[TaskRow]) -> None:
    """The queue's hook for dead ``workflow`` tasks (the lease expired on the last
    attempt): the item FAILS with ``WorkerLostError`` and its RUNNING execution is
    marked TIMED_OUT, in the queue's transaction."""
    for row in rows:
        item_id = row.payload.get("item")
        if item_id is None:
            continue
        message = (
            f"The worker stopped responding (crashed or was killed) on each of "
            f"{row.attempts} attempts; the task is dead. Retry it with "
            f"`sightline tasks retry {row.id}`."
        )
        Catalog.fail_unfinished(conn, [str(item_id)], WorkerLostError(message))
        abandon_running(conn, [str(item_id)], message)
