"""Batch runs: the model runs only while there is work.

One run of a batch:

1. records the run (``RUNNING``; one live run per batch: a second is refused);
2. queues what arrived under the source prefix (:func:`~.batches.enqueue_source`) and
   reads the queue depth; **nothing waiting: the run ends (``EMPTY``) without loading
   the model**;
3. starts the version on the batch's units (unless it is already running here, e.g.
   for live DetectCustomLabels traffic, in which case it is used and left running);
4. drains the queue through the units (:meth:`.host.VersionHost.drain`): each image's
   results are written beside a copy of it in the final bucket before the source is
   deleted (:mod:`.batch_stage`);
5. stops the version it started, and records start, stop, counts and failures
   (``SUCCEEDED``, ``PARTIAL`` when some images failed, ``FAILED`` when the run could
   not complete, e.g. a unit died; whatever is left runs next time).

The run's row is heartbeated while it runs, so a run whose process died is recognised
(and marked ``FAILED``) by the next one instead of blocking the batch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import select, update

from sightline.customlabels.batches import (
    Batch,
    BatchRun,
    depth,
    enqueue_source,
    get_batch,
    next_time,
    run_record,
)
from sightline.customlabels.db import reading, writing
from sightline.customlabels.host import VersionHost
from sightline.customlabels.versions import (
    RUNNING,
    STARTING,
    describe_version,
    request_start,
    request_stop,
)
from sightline.db.models.customlabels import ClBatch, ClBatchRun
from sightline.errors import ResourceInUseError, SightlineError

log = logging.getLogger(__name__)

RUN_STALE_SECONDS = 30.0
_HEARTBEAT_EVERY = 5.0

Progress = Callable[[str, str], None]


class BatchRunner:
    """Runs batches on a :class:`VersionHost` (one per ``sightline serve`` or CLI run)."""

    def __init__(self, host: VersionHost) -> None:
        self.host = host
        self.runtime = host.runtime

    def run(
        self, name: str, *, trigger: str = "manual", on_progress: Progress | None = None
    ) -> BatchRun:
        """Run the batch now; its record.

        Raises:
            ResourceInUseError: a run of this batch is in progress.
            ResourceNotFoundError: there is no such batch.
        """
        batch = get_batch(self.runtime, name)
        run_id = self._begin(batch.id, trigger)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run_id, done), daemon=True)
        beat.start()
        values: dict[str, object] = {}
        started_here = False
        try:
            enqueue_source(self.runtime, batch)
            waiting = depth(self.runtime, batch)
            values["queued"] = waiting
            if waiting == 0:
                values["status"] = "EMPTY"  # and the model is never loaded
            else:
                started_here = self._ensure_running(batch.version_arn, batch.units, values)
                self._drain(batch, values, on_progress)
        except SightlineError as e:
            values.update(status="FAILED", error=e.message)
        except Exception as e:
            log.exception("batch %s run %s failed", name, run_id)
            values.update(status="FAILED", error=f"{type(e).__name__}: {e}")
        finally:
            if started_here:
                try:
                    request_stop(self.runtime, batch.version_arn)
                    self.host.stop(batch.version_arn)
                except SightlineError as e:
                    log.error("batch %s: could not stop %s: %s", name, batch.version_arn, e)
                values["model_stopped_at"] = time.time()
            done.set()
            beat.join(timeout=10)
        return self._end(run_id, values)

    def _ensure_running(self, arn: str, units: int, values: dict[str, object]) -> bool:
        """Start the version unless it already runs here; whether this run started it."""
        if self.host.running(arn):
            return False
        was = describe_version(self.runtime, arn).status
        if was == RUNNING:
            raise ResourceInUseError(
                f"The version {arn} is running in another process; run the batch there."
            )
        loads = self.host.loads
        request_start(self.runtime, arn, units)
        values["model_started_at"] = time.time()
        try:
            status = self.host.start(arn)
        except BaseException:
            request_stop(self.runtime, arn)
            self.host.stop(arn)
            raise
        values["model_loads"] = self.host.loads - loads
        if status != RUNNING:
            message = describe_version(self.runtime, arn).status_message
            raise SightlineError(f"The version did not start ({status}): {message}")
        # Someone had asked for it to run already: it stays running after the batch.
        return was != STARTING

    def _drain(self, batch: Batch, values: dict[str, object], on_progress: Progress | None) -> None:
        report = self.host.drain(batch.version_arn, batch.kind, on_progress=on_progress)
        values.update(processed=report.processed, failed=report.failed + len(report.units_lost))
        values["failures"] = list(report.failures)
        if report.units_lost:
            values["status"] = "FAILED"
            values["error"] = "Inference unit(s) died: " + "; ".join(report.units_lost)
        else:
            values["status"] = "PARTIAL" if report.failed else "SUCCEEDED"
        left = depth(self.runtime, batch)
        if left:
            note = f"{left} image(s) are left for the next run."
            values["error"] = f"{values.get('error') or ''} {note}".strip()

    def run_due(self, now: float | None = None) -> list[BatchRun]:
        """Run every enabled batch whose scheduled time has come (the scheduler's job).
        A missed time is not made up: the next one is the first after now."""
        now = time.time() if now is None else now
        with reading(self.runtime.engine) as s:
            due = list(
                s.execute(
                    select(ClBatch.id, ClBatch.name, ClBatch.schedule, ClBatch.next_run_at).where(
                        ClBatch.enabled.is_(True), ClBatch.next_run_at <= now
                    )
                )
            )
        runs = []
        for batch_id, name, schedule, at in due:
            with writing(self.runtime.engine) as s:
                won = s.execute(
                    update(ClBatch)
                    .where(ClBatch.id == batch_id, ClBatch.next_run_at == at)
                    .values(next_run_at=next_time(schedule, now))
                )
            if not getattr(won, "rowcount", 0):
                continue  # another scheduler took this one
            try:
                runs.append(self.run(name, trigger="schedule"))
            except ResourceInUseError as e:
                log.info("batch %s: %s", name, e.message)
        return runs

    # --- run records ------------------------------------------------------------------

    def _begin(self, batch_id: int, trigger: str) -> int:
        now = time.time()
        with writing(self.runtime.engine) as s:
            s.scalar(select(ClBatch.id).where(ClBatch.id == batch_id).with_for_update())
            for other in s.scalars(
                select(ClBatchRun).where(
                    ClBatchRun.batch_id == batch_id, ClBatchRun.status == "RUNNING"
                )
            ):
                if other.heartbeat_at >= now - RUN_STALE_SECONDS:
                    raise ResourceInUseError(
                        f"Run {other.id} of this batch is in progress (started by {other.host})."
                    )
                other.status, other.ended_at = "FAILED", other.heartbeat_at
                other.error = "Interrupted: the process running it stopped responding."
            row = ClBatchRun(
                batch_id=batch_id,
                trigger=trigger,
                status="RUNNING",
                started_at=now,
                queued=0,
                processed=0,
                failed=0,
                model_loads=0,
                host=self.host.id,
                heartbeat_at=now,
                failures=[],
            )
            s.add(row)
            s.flush()
            return row.id

    def _heartbeat(self, run_id: int, done: threading.Event) -> None:
        while not done.wait(_HEARTBEAT_EVERY):
            try:
                with writing(self.runtime.engine) as s:
                    s.execute(
                        update(ClBatchRun)
                        .where(ClBatchRun.id == run_id)
                        .values(heartbeat_at=time.time())
                    )
            except Exception:
                log.exception("batch run %s: heartbeat failed", run_id)

    def _end(self, run_id: int, values: dict[str, object]) -> BatchRun:
        with writing(self.runtime.engine) as s:
            row = s.get(ClBatchRun, run_id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
            if row.status == "RUNNING":
                row.status = "FAILED"
            row.ended_at = row.heartbeat_at = time.time()
            batch = s.get(ClBatch, row.batch_id)
            return run_record(batch.name if batch else "", row)
