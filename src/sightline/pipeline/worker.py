"""The worker loop: claim a batch, run each task's stage, keep the leases alive.

One loop runs per worker process (``LocalExecutor`` starts them; ``sightline worker``
runs them on other machines). A heartbeat thread renews the leases the loop holds and
records the worker's liveness in ``workers``. ``stop()`` (SIGTERM, SIGINT) lets the task
in hand finish and releases the rest of the batch untouched, so a restart loses nothing
and counts no attempt for work that never started.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Engine, Table, delete, select, update

from sightline.db import tx
from sightline.db.models.pipeline import Worker
from sightline.errors import InternalError
from sightline.pipeline.queue import QUEUED, RUNNING, ClaimedTask, TaskStore

log = logging.getLogger(__name__)
W = cast(Table, Worker.__table__)


def worker_id() -> str:
    """``host:pid``: unique among live workers, readable in ``sightline status``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    host: str
    pid: int
    kinds: list[str]
    state: str
    started_at: float
    heartbeat_at: float
    processed: int
    failed: int
    current: int


class WorkerRegistry:
    """Heartbeats of worker processes, for status and metrics."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(self, wid: str, kinds: Sequence[str]) -> None:
        now = time.time()
        host, _, pid = wid.rpartition(":")
        with tx.write(self.engine) as conn:
            conn.execute(delete(W).where(W.c.id == wid))
            conn.execute(
                W.insert().values(
                    id=wid,
                    host=host,
                    pid=int(pid) if pid.isdigit() else 0,
                    kinds=list(kinds),
                    state="running",
                    started_at=now,
                    heartbeat_at=now,
                    processed=0,
                    failed=0,
                    current=0,
                )
            )

    def beat(self, wid: str, *, processed: int, failed: int, current: int, state: str) -> None:
        with tx.write(self.engine) as conn:
            conn.execute(
                update(W)
                .where(W.c.id == wid)
                .values(
                    heartbeat_at=time.time(),
                    processed=processed,
                    failed=failed,
                    current=current,
                    state=state,
                )
            )

    def workers(self, *, alive_within: float | None = None) -> list[WorkerInfo]:
        q = select(W).order_by(W.c.id)
        if alive_within is not None:
            q = q.where(W.c.heartbeat_at >= time.time() - alive_within, W.c.state != "stopped")
        with tx.read(self.engine) as conn:
            return [
                WorkerInfo(**{f: getattr(r, f) for f in WorkerInfo.__dataclass_fields__})
                for r in conn.execute(q)
            ]

    def prune(self, older_than: float) -> int:
        """Forget workers silent for ``older_than`` seconds."""
        with tx.write(self.engine) as conn:
            result = conn.execute(delete(W).where(W.c.heartbeat_at < time.time() - older_than))
            return int(result.rowcount)


@dataclass
class WorkerStats:
    processed: int = 0
    failed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class WorkerLoop:
    """Claims and runs tasks of ``stages``' kinds until stopped (or idle, if asked)."""

    def __init__(
        self,
        tasks: TaskStore,
        stages: Mapping[str, Any],
        *,
        owner: str | None = None,
        batch_size: int = 4,
        lease: float = 60.0,
        heartbeat: float = 20.0,
        idle_poll: float = 0.5,
        registry: WorkerRegistry | None = None,
    ) -> None:
        self.tasks = tasks
        self.stages = dict(stages)
        self.kinds = sorted(self.stages)
        # A stage may cap how many of its tasks one claim takes (``claim_limit``).
        self.per_kind = {
            kind: int(stage.claim_limit)
            for kind, stage in self.stages.items()
            if getattr(stage, "claim_limit", None) is not None
        }
        self.owner = owner or worker_id()
        self.batch_size = batch_size
        self.lease = lease
        self.heartbeat_every = heartbeat
        self.idle_poll = idle_poll
        self.registry = registry
        self.stats = WorkerStats()
        self._stop = threading.Event()
        self._held: set[int] = set()
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Finish the task in hand, release the rest, return from :meth:`run`."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, until_idle: bool = False) -> WorkerStats:
        """Loop until :meth:`stop`; with ``until_idle``, also return once no task of
        these kinds is queued or running."""
        if self.registry is not None:
            self.registry.register(self.owner, self.kinds)
        beat = threading.Thread(target=self._heartbeats, name="heartbeat", daemon=True)
        beat.start()
        try:
            while not self._stop.is_set():
                claim = self.tasks.claim(
                    self.kinds,
                    self.batch_size,
                    owner=self.owner,
                    lease=self.lease,
                    per_kind=self.per_kind,
                )
                if not claim.tasks:
                    if until_idle and self._idle():
                        break
                    self._stop.wait(min(self.idle_poll, claim.wait or self.idle_poll))
                    continue
                self._run_batch(claim.tasks)
        finally:
            self._stop.set()
            beat.join(timeout=5)
            if self.registry is not None:
                self._beat("stopped")
        return self.stats

    def _idle(self) -> bool:
        depth = self.tasks.depth()
        return not any(depth.get((k, s), 0) for k in self.kinds for s in (QUEUED, RUNNING))

    def _run_batch(self, batch: list[ClaimedTask]) -> None:
        with self._lock:
            self._held = {t.id for t in batch}
        for kind in sorted({t.kind for t in batch}):
            begin = getattr(self.stages[kind], "begin", None)
            if callable(begin):
                try:
                    begin([t for t in batch if t.kind == kind])
                except Exception:  # bookkeeping only: the tasks still run
                    log.exception("recording the start of a %s batch failed", kind)
        for n, task in enumerate(batch):
            if self._stop.is_set():
                rest = [t.id for t in batch[n:]]
                released = self.tasks.release(self.owner, rest)
                log.info("worker %s released %d task(s) on shutdown", self.owner, released)
                break
            outcome = self._run_one(task)
            self.stats.processed += 1
            self.stats.outcomes[outcome] = self.stats.outcomes.get(outcome, 0) + 1
            if outcome in ("failed", "retry"):
                self.stats.failed += 1
            with self._lock:
                self._held.discard(task.id)
        with self._lock:
            self._held = set()

    def _run_one(self, task: ClaimedTask) -> str:
        stage = self.stages[task.kind]
        try:
            return str(stage.run(task, self.owner))
        except Exception as exc:  # the stage could not even settle its task
            log.exception("task %s (%s) escaped its stage", task.id, task.kind)
            error = InternalError(f"{type(exc).__name__}: {exc}")
            try:
                self.tasks.fail(self.owner, task.id, error.message, retryable=True)
            except Exception:  # the database is gone too: the lease will expire
                log.exception("could not record the failure of task %s", task.id)
            return "retry"

    def _heartbeats(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            with self._lock:
                held = set(self._held)
            try:
                if held:
                    kept = self.tasks.heartbeat(self.owner, held, self.lease)
                    lost = held - kept
                    if lost:
                        log.warning("worker %s lost the lease of tasks %s", self.owner, lost)
                if self.registry is not None:
                    self._beat("running")
            except Exception:  # a busy database must not kill the worker
                log.exception("heartbeat failed")

    def _beat(self, state: str) -> None:
        if self.registry is None:
            return
        with self._lock:
            current = len(self._held)
        try:
            self.registry.beat(
                self.owner,
                processed=self.stats.processed,
                failed=self.stats.failed,
                current=current,
                state=state,
            )
        except Exception:
            log.exception("could not record the heartbeat of worker %s", self.owner)
