"""The sync image stage: one object in, its analyses stored, its item settled.

For each ``image`` task: mark the item IN_PROGRESS (recording the attempt; once per
claimed batch), sniff the
bytes if no source did (a video is handed to the video workflow, anything else that is
not an image is REJECTED), read the object, decode it once, run the analyses, write the
documents to the output bucket, then - in one transaction - store the results, mark
the item SUCCEEDED and complete the task. A crash anywhere before that commit leaves
the task leased; it is claimed again when the lease expires and rewrites the same
objects.

Failures are typed on the item (``error`` is the exception class, ``reason`` its
message). Bad input (unreadable, truncated, too large, missing, unsupported) fails the
item at once; failures that may pass (storage, internal errors) are retried with
backoff, and the item fails when the task's attempts run out.
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from sightline.analyzers.base import AnalyzerPool
from sightline.db import tx
from sightline.db.models.pipeline import ItemStatus
from sightline.errors import (
    ImageTooLargeError,
    InternalError,
    InvalidInputError,
    ModelError,
    SightlineError,
    UnsupportedError,
)
from sightline.pipeline.analyzer_set import AnalyzerSet
from sightline.pipeline.catalog import Catalog, I, task_key
from sightline.pipeline.outputs import OutputWriter
from sightline.pipeline.queue import DEAD, ClaimedTask, NewTask
from sightline.pipeline.router import VIDEO_WORKFLOW
from sightline.runtime import Runtime
from sightline.storage.base import PROBE_BYTES

log = logging.getLogger(__name__)
# Errors that will not go away by trying again.
PERMANENT = (InvalidInputError, UnsupportedError, ModelError)


class ImageStage:
    kind = "image"

    def __init__(self, runtime: Runtime, pool: AnalyzerPool) -> None:
        self.rt = runtime
        self.analyzers = AnalyzerSet(runtime.settings, pool)
        self.writer = OutputWriter(runtime.store, runtime.settings.pipeline)
        self.limits = runtime.settings.limits

    def begin(self, tasks: list[ClaimedTask]) -> None:
        """Mark the items of a freshly claimed batch IN_PROGRESS, with their attempt
        numbers, in one transaction (a worker holds them from now on)."""
        with tx.write(self.rt.engine, durable=False) as conn:
            for task in tasks:
                Catalog.start(conn, str(task.payload["item"]), task.attempts)

    def run(self, task: ClaimedTask, owner: str) -> str:
        """Process one task; :meth:`begin` has marked its item IN_PROGRESS."""
        item_id = str(task.payload["item"])
        try:
            return self._process(task, owner)
        except PERMANENT as exc:
            self._settle(task, owner, ItemStatus.FAILED, exc)
            return "failed"
        except SightlineError as exc:
            return self._retry(task, owner, exc)
        except Exception as exc:  # a library or a bug failed on this image
            log.exception("image task %s (item %s) failed", task.id, item_id)
            return self._retry(task, owner, InternalError(f"{type(exc).__name__}: {exc}".strip()))

    def _process(self, task: ClaimedTask, owner: str) -> str:
        p = task.payload
        item_id, bucket, key = str(p["item"]), str(p["bucket"]), str(p["key"])
        analyses = [str(a) for a in p.get("analyses", [])]
        media_type = p.get("media_type")
        size = int(p.get("size") or 0)
        if media_type is None:
            # No source read the bytes (a bulk backfill): route by them now.
            info, head = self.rt.store.probe(bucket, key, PROBE_BYTES)
            size = info.size
            route = self.rt.router.route_media(tuple(analyses), None, task.priority, head)
            if route.rejected is not None:
                self._settle(task, owner, ItemStatus.REJECTED, route.rejected)
                return "rejected"
            media_type = route.media_type
            if route.workflow == VIDEO_WORKFLOW:
                hand_to_video(self.rt, task, owner, media_type)
                return "handed-off"
        if size > self.limits.max_object_bytes:
            raise ImageTooLargeError(
                f"The object is {size:,} bytes; images read from storage may be at most "
                f"{self.limits.max_object_bytes:,} bytes."
            )
        data = self.rt.store.get(bucket, key)
        _, outputs = self.analyzers.run(data, analyses)
        stored = self.writer.write(item_id, key, outputs)
        with tx.write(self.rt.engine, durable=False) as conn:
            self.writer.record(conn, item_id, stored)
            Catalog.finish(conn, item_id, ItemStatus.SUCCEEDED, media_type=media_type)
            self.rt.tasks.complete(owner, [task.id], conn=conn)
        return "succeeded"

    def _settle(
        self, task: ClaimedTask, owner: str, status: ItemStatus, error: SightlineError
    ) -> None:
        with tx.write(self.rt.engine, durable=False) as conn:
            Catalog.finish(conn, str(task.payload["item"]), status, error)
            self.rt.tasks.complete(owner, [task.id], conn=conn)

    def _retry(self, task: ClaimedTask, owner: str, error: SightlineError) -> str:
        item_id = str(task.payload["item"])
        with tx.write(self.rt.engine, durable=False) as conn:
            state = self.rt.tasks.fail(
                owner,
                task.id,
                f"{type(error).__name__}: {error.message}",
                retryable=True,
                conn=conn,
            )
            if state == DEAD:
                Catalog.finish(conn, item_id, ItemStatus.FAILED, error)
            elif state is not None:
                # Waiting for its next attempt; the reason says why.
                Catalog.finish(conn, item_id, ItemStatus.PENDING, error)
        return "failed" if state == DEAD else "retry"


def hand_to_video(rt: Runtime, task: ClaimedTask, owner: str, media_type: str | None) -> None:
    """Re-route a task's item, found to be a video by its bytes, to the video workflow:
    the item becomes PENDING with workflow ``video``, a ``video`` task is queued, and
    ``task`` completes, in one transaction."""
    p = task.payload
    item_id = str(p["item"])
    payload = dict(p, media_type=media_type)
    with tx.write(rt.engine, durable=False) as conn:
        conn.execute(
            update(I)
            .where(I.c.id == item_id)
            .values(
                workflow=VIDEO_WORKFLOW,
                media_type=media_type,
                status=ItemStatus.PENDING.value,
            )
        )
        rt.tasks.enqueue_many(
            [NewTask(VIDEO_WORKFLOW, task_key(VIDEO_WORKFLOW, item_id), payload, task.priority)],
            conn=conn,
        )
        rt.tasks.complete(owner, [task.id], conn=conn)
