"""The ``workflow`` stage: an item routed to a workflow definition runs through it.

For each task: the item names its workflow (a rule's ``workflow = "image-album"``).
A video found by its bytes (sources that did not read them) is handed to the video
workflow, as the image stage does. Otherwise a new execution starts, after marking any
execution of the item still RUNNING as TIMED_OUT: only an earlier attempt whose worker
died mid-way leaves one (its lease expired, so the task was claimed again). The
execution runs; then, in one transaction, the execution is settled, the item follows
it (SUCCEEDED, or FAILED with ``error`` = the execution's error name and ``reason`` =
``"<error>: <cause>"``) and the task completes.

An execution's verdict is final: steps retry by their ``retry`` policies inside the
execution and cost no queue attempt. Only failures outside the steps (the database,
a broken definition file) retry the task with backoff, each retry a new execution.
"""

from __future__ import annotations

import logging

from sightline.analyzers.base import AnalyzerPool
from sightline.db import tx
from sightline.db.models.pipeline import ItemStatus
from sightline.db.models.workflows import ExecutionStatus
from sightline.errors import (
    InternalError,
    InvalidInputError,
    ResourceNotFoundError,
    SightlineError,
)
from sightline.media.sniff import sniff
from sightline.pipeline.analyzer_set import AnalyzerSet
from sightline.pipeline.catalog import Catalog, ItemRow, new_item_id
from sightline.pipeline.image_task import hand_to_video
from sightline.pipeline.outputs import OutputWriter
from sightline.pipeline.queue import DEAD, ClaimedTask
from sightline.pipeline.router import WORKFLOW_KIND
from sightline.pipeline.workflows.actions import ACTIONS, ItemContext, ItemRef, analyses_of
from sightline.pipeline.workflows.engine import Action, Outcome, WorkflowEngine
from sightline.pipeline.workflows.library import WorkflowLibrary
from sightline.pipeline.workflows.records import ExecutionRecorder, abandon_running
from sightline.runtime import Runtime
from sightline.storage.base import PROBE_BYTES

log = logging.getLogger(__name__)
# No retry helps: the definition is missing or broken, or the item unusable.
PERMANENT = (InvalidInputError, ResourceNotFoundError)


class WorkflowStage:
    kind = WORKFLOW_KIND

    def __init__(
        self,
        runtime: Runtime,
        pool: AnalyzerPool,
        *,
        actions: dict[str, Action] | None = None,
        engine: WorkflowEngine | None = None,
    ) -> None:
        self.rt = runtime
        self.actions = dict(ACTIONS) if actions is None else actions
        self.analyzers = AnalyzerSet(runtime.settings, pool)
        self.writer = OutputWriter(runtime.store, runtime.settings.pipeline)
        self.library = WorkflowLibrary(runtime.settings.pipeline, self.actions)
        self.engine = engine or WorkflowEngine(
            self.actions, threads=runtime.settings.pipeline.workflow_threads
        )

    def begin(self, tasks: list[ClaimedTask]) -> None:
        """Mark the items of a claimed batch IN_PROGRESS with their attempt numbers."""
        with tx.write(self.rt.engine, durable=False) as conn:
            for task in tasks:
                Catalog.start(conn, str(task.payload["item"]), task.attempts)

    def run(self, task: ClaimedTask, owner: str) -> str:
        item_id = str(task.payload["item"])
        item = self.rt.catalog.get(item_id)
        if item is None:  # deleted meanwhile: nothing left to do
            self.rt.tasks.complete(owner, [task.id])
            return "succeeded"
        try:
            return self._process(task, owner, item)
        except PERMANENT as exc:
            with tx.write(self.rt.engine, durable=False) as conn:
                Catalog.finish(conn, item_id, ItemStatus.FAILED, exc)
                self.rt.tasks.complete(owner, [task.id], conn=conn)
            return "failed"
        except SightlineError as exc:
            return self._retry(task, owner, exc, None)
        except Exception as exc:
            log.exception("workflow task %s (item %s) failed", task.id, item_id)
            error = InternalError(f"{type(exc).__name__}: {exc}".strip())
            return self._retry(task, owner, error, None)

    def _process(self, task: ClaimedTask, owner: str, item: ItemRow) -> str:
        definition = self.library.get(str(item.workflow))
        media_type = item.media_type
        if media_type is None:
            # No source read the bytes (a bulk backfill): a video goes to its workflow;
            # anything else is the definition's to judge.
            _, head = self.rt.store.probe(item.bucket, item.key, PROBE_BYTES)
            media = sniff(head)
            if media is not None and media.is_video:
                hand_to_video(self.rt, task, owner, media.mime)
                return "handed-off"
        input = {
            "item": {
                "id": item.id,
                "bucket": item.bucket,
                "key": item.key,
                "size": item.size,
                "media_type": media_type,
            }
        }
        execution_id = new_item_id()
        with tx.write(self.rt.engine, durable=False) as conn:
            abandon_running(
                conn,
                [item.id],
                f"The worker running this execution stopped renewing its lease (it crashed "
                f"or was killed) before the execution finished; attempt {task.attempts} "
                f"started execution {execution_id}.",
            )
            ExecutionRecorder.create(
                conn,
                definition.name,
                input,
                execution_id=execution_id,
                item_id=item.id,
                attempt=task.attempts,
                owner=owner,
            )
        recorder = ExecutionRecorder(self.rt.engine, execution_id)
        context = ItemContext(
            self.rt,
            self.analyzers,
            self.writer,
            ItemRef(item.id, item.bucket, item.key, item.size),
            analyses_of(definition),
        )
        try:
            outcome = self.engine.run(definition, input, context, recorder)
        except Exception as exc:
            log.exception("workflow execution %s (item %s) failed", execution_id, item.id)
            error = (
                exc
                if isinstance(exc, SightlineError)
                else InternalError(f"{type(exc).__name__}: {exc}".strip())
            )
            return self._retry(task, owner, error, recorder)
        if context.media is not None:
            media_type = context.media.mime
        return self._settle(task, owner, item.id, recorder, outcome, media_type)

    def _settle(
        self,
        task: ClaimedTask,
        owner: str,
        item_id: str,
        recorder: ExecutionRecorder,
        outcome: Outcome,
        media_type: str | None,
    ) -> str:
        with tx.write(self.rt.engine, durable=False) as conn:
            failure = outcome.failure
            if failure is None:
                settled = recorder.finish(conn, ExecutionStatus.SUCCEEDED, output=outcome.output)
            else:
                settled = recorder.finish(
                    conn, ExecutionStatus.FAILED, error=failure.error, cause=failure.cause
                )
            if not settled:
                # Another attempt took the task over (this worker lost its lease) and
                # marked this execution abandoned: the item is that attempt's now.
                return "abandoned"
            if failure is None:
                Catalog.finish(conn, item_id, ItemStatus.SUCCEEDED, media_type=media_type)
            else:
                Catalog.finish_as(
                    conn,
                    item_id,
                    ItemStatus.FAILED,
                    failure.error,
                    f"{failure.error}: {failure.cause}",
                    media_type=media_type,
                )
            self.rt.tasks.complete(owner, [task.id], conn=conn)
        return "succeeded" if failure is None else "failed"

    def _retry(
        self,
        task: ClaimedTask,
        owner: str,
        error: SightlineError,
        recorder: ExecutionRecorder | None,
    ) -> str:
        item_id = str(task.payload["item"])
        reason = f"{type(error).__name__}: {error.message}"
        with tx.write(self.rt.engine, durable=False) as conn:
            if recorder is not None:
                recorder.finish(
                    conn, ExecutionStatus.FAILED, error=type(error).__name__, cause=error.message
                )
            state = self.rt.tasks.fail(owner, task.id, reason, retryable=True, conn=conn)
            if state == DEAD:
                Catalog.finish(conn, item_id, ItemStatus.FAILED, error)
            elif state is not None:
                Catalog.finish(conn, item_id, ItemStatus.PENDING, error)
        return "failed" if state == DEAD else "retry"
