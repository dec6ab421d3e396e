"""Where a photo's processing stands, in the four states the gallery shows.

``uploaded`` (stored, waiting for a worker) -> ``processing`` (a worker has started;
``run_id`` names the run) -> ``completed``, or ``failed`` with the error's name, the
reason and, for a workflow, the step that failed. A photo's run is its latest
workflow execution (``run_kind`` ``"execution"``) once one has started, else its
pipeline item (``"item"``: queued, or processed by the plain image task). Every page,
stream and JSON answer reads :class:`PhotoStatus`, made here only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from sightline.db.models.pipeline import ItemStatus
from sightline.db.models.workflows import ExecutionStatus


class PhotoState(str, Enum):
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (PhotoState.COMPLETED, PhotoState.FAILED)


@dataclass(frozen=True)
class PhotoStatus:
    state: PhotoState
    run_kind: str  # "execution" (a workflow execution) or "item" (the pipeline item)
    run_id: str
    error: str | None = None  # the error's class name (e.g. InvalidImageFormatError)
    reason: str | None = None  # why it failed, or why a retry is waiting
    failed_step: str | None = None  # the step that failed, when the run has steps
    attempts: int = 0
    updated_at: dt.datetime | None = None

    @property
    def retrying(self) -> bool:
        """Not final, but an attempt failed and another is due."""
        return not self.state.final and self.reason is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "run_kind": self.run_kind,
            "run_id": self.run_id,
            "error": self.error,
            "reason": self.reason,
            "failed_step": self.failed_step,
            "attempts": self.attempts,
            "retrying": self.retrying,
        }


def item_status(
    item_id: str,
    status: str,
    error: str | None,
    reason: str | None,
    attempts: int,
    updated_at: dt.datetime | None = None,
) -> PhotoStatus:
    """The photo status of a pipeline item's row."""
    if status == ItemStatus.SUCCEEDED.value:
        state = PhotoState.COMPLETED
    elif status in (ItemStatus.FAILED.value, ItemStatus.REJECTED.value):
        state = PhotoState.FAILED
    elif status == ItemStatus.IN_PROGRESS.value or attempts > 0:
        # A PENDING item with attempts behind it waits for a retry: still processing.
        state = PhotoState.PROCESSING
    else:
        state = PhotoState.UPLOADED
    done = state is PhotoState.COMPLETED
    return PhotoStatus(
        state=state,
        run_kind="item",
        run_id=item_id,
        error=None if done else error,
        reason=None if done else reason,
        attempts=attempts,
        updated_at=updated_at,
    )


@dataclass(frozen=True)
class ExecutionSummary:
    """A photo item's latest workflow execution, as its status needs it."""

    id: str
    workflow: str
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    error: str | None
    cause: str | None
    failed_step: str | None  # the first step that failed (the root of the failure)


def photo_status(item: PhotoStatus, execution: ExecutionSummary | None) -> PhotoStatus:
    """``item``'s status with its workflow execution, once one started: the run is the
    execution, and a failed photo says what the execution says (error, cause, step).
    The state stays the item's: it settles in the same transaction as the execution."""
    if execution is None:
        return item
    status = replace(item, run_kind="execution", run_id=execution.id)
    if item.state is PhotoState.FAILED and execution.status != ExecutionStatus.SUCCEEDED.value:
        return replace(
            status,
            error=execution.error or item.error,
            reason=execution.cause or item.reason,
            failed_step=execution.failed_step,
        )
    return status
