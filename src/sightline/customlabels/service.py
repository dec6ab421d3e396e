"""Custom labels as one service object: the version host, the batch runner, their jobs.

One :class:`CustomLabelsService` exists per server process (``sightline serve`` builds
it around its runtime; the API receives it through its services): the API's
``StartProjectVersion`` / ``StopProjectVersion`` record the wish and :meth:`nudge` the
host, ``DetectCustomLabels`` goes to :attr:`host`, and :meth:`schedule` puts the two
periodic jobs on the server's scheduler:

- ``customlabels-reconcile`` (every second): start, stop, supervise and idle-stop
  versions (:meth:`.host.VersionHost.reconcile`);
- ``customlabels-batches`` (every ``customlabels.scheduler_poll_seconds``): run the
  batches whose cron time has come (:meth:`.batch_runner.BatchRunner.run_due`). Batch
  runs take minutes, so they run on their own thread, one at a time, never on the
  scheduler's;
- ``customlabels-training`` (every 2 s, and at once after CreateProjectVersion): when a
  training task waits and no trainer process is alive, spawn one. It trains queued
  versions one after another (:class:`.trainer.TrainingStage`) and exits when none is
  left, so training never occupies the API's process or the image workers, and costs
  nothing while there is nothing to train.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Protocol

from sightline.config import Settings
from sightline.customlabels.batch_runner import BatchRunner
from sightline.customlabels.host import VersionHost
from sightline.customlabels.unit_handle import portable
from sightline.customlabels.versions import TRAIN_KIND
from sightline.pipeline.queue import QUEUED, RUNNING
from sightline.runtime import Runtime

log = logging.getLogger(__name__)

RECONCILE_EVERY = 1.0
TRAINING_POLL = 2.0
TRAINER_LEASE = 300.0


class PeriodicScheduler(Protocol):
    """What :meth:`CustomLabelsService.schedule` needs of a scheduler (the pipeline's)."""

    def every(
        self, seconds: float, name: str, fn: Callable[[], object], *, first: float | None = None
    ) -> None: ...


class CustomLabelsService:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.host = VersionHost(runtime)
        self.runner = BatchRunner(self.host)
        self._batches: threading.Thread | None = None
        self._trainer: BaseProcess | None = None
        self._lock = threading.Lock()

    def nudge(self) -> None:
        """Reconcile now, off the caller's thread (after a start or stop request)."""
        threading.Thread(target=self._reconcile, name="cl-nudge", daemon=True).start()

    def _reconcile(self) -> None:
        try:
            self.host.reconcile()
        except Exception:
            log.exception("custom-labels reconcile failed")

    def run_due_batches(self) -> None:
        """Start due batch runs on their own thread, unless a previous pass still runs."""
        with self._lock:
            if self._batches is not None and self._batches.is_alive():
                return
            self._batches = threading.Thread(
                target=self.runner.run_due, name="cl-batches", daemon=True
            )
            self._batches.start()

    def train_queued(self) -> bool:
        """Spawn a trainer process if a training waits and none is alive; whether one
        is now running."""
        with self._lock:
            if self._trainer is not None and self._trainer.is_alive():
                return True
            if not self.runtime.tasks.depth().get((TRAIN_KIND, QUEUED), 0):
                return False
            ctx = multiprocessing.get_context("spawn")
            self._trainer = ctx.Process(
                target=train_until_idle,
                args=(portable(self.runtime.settings),),
                name="sightline-cl-trainer",
                daemon=True,
            )
            self._trainer.start()
            return True

    def _train_queued(self) -> None:
        try:
            self.train_queued()
        except Exception:
            log.exception("could not start the custom-labels trainer")

    def schedule(self, scheduler: PeriodicScheduler) -> None:
        """Register the reconcile, training and batch jobs on ``scheduler``."""
        poll = self.runtime.settings.customlabels.scheduler_poll_seconds
        scheduler.every(RECONCILE_EVERY, "customlabels-reconcile", self._reconcile, first=0.0)
        scheduler.every(TRAINING_POLL, "customlabels-training", self._train_queued, first=0.0)
        scheduler.every(poll, "customlabels-batches", self.run_due_batches, first=poll)

    def close(self, timeout: float = 60.0) -> None:
        """Stop every hosted version's units, then let a batch pass in progress finish
        its bookkeeping (its units are gone, so it ends at once; what it did not process
        stays queued for the next run)."""
        self.host.close()
        with self._lock:
            running = self._batches
        if running is not None:
            running.join(timeout)
        # A training in progress is not lost: it is given back to the queue and runs
        # again when a server next starts a trainer.
        trainer = self._trainer
        if trainer is not None and trainer.is_alive():
            trainer.terminate()
            trainer.join(10)
            tasks = self.runtime.tasks
            owner = trainer_owner(int(trainer.pid or 0))
            held = [
                t.id
                for t in tasks.list(states=[RUNNING], kinds=[TRAIN_KIND])
                if t.lease_owner == owner
            ]
            tasks.release(owner, held)


def trainer_owner(pid: int) -> str:
    return f"trainer:{pid}"


def train_until_idle(settings: Settings) -> None:
    """A trainer process: train every queued version, then exit."""
    import os

    from sightline.customlabels.trainer import TrainingStage

    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s trainer[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = Runtime.open(settings, migrate=False)
    owner = trainer_owner(os.getpid())
    held: set[int] = set()
    done = threading.Event()

    def heartbeat() -> None:
        # A crashed trainer's task runs again once its lease ends, minutes later.
        while not done.wait(TRAINER_LEASE / 5):
            if held:
                runtime.tasks.heartbeat(owner, set(held), TRAINER_LEASE)

    beat = threading.Thread(target=heartbeat, name="heartbeat", daemon=True)
    beat.start()
    try:
        stage = TrainingStage(runtime)
        while True:
            claim = runtime.tasks.claim([TRAIN_KIND], 1, owner=owner, lease=TRAINER_LEASE)
            if not claim.tasks:
                return
            task = claim.tasks[0]
            held.add(task.id)
            stage.run(task, owner)
            held.discard(task.id)
    finally:
        done.set()
        runtime.close()
