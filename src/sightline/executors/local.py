"""LocalExecutor: N spawned worker processes on this machine, supervised.

Each process opens its own runtime (database connections do not survive a fork, and
spawn keeps model libraries' threads sane), holds one :class:`AnalyzerPool` for its
whole life (models load once), and runs a :class:`WorkerLoop`. The executor restarts
a process that dies unexpectedly (with a growing delay if it keeps dying) and, on
:meth:`stop`, asks each to finish its task and release the rest (SIGTERM), killing any
that outlive the grace period — their leases expire and the tasks run again elsewhere.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType

from sightline.config import Settings

log = logging.getLogger(__name__)


def portable(settings: Settings) -> Settings:
    """``settings`` as a plain :class:`Settings` that pickles into a spawned process."""
    if type(settings) is Settings:
        return settings
    return Settings(**settings.model_dump())


def run_worker(settings: Settings, kinds: Sequence[str]) -> None:
    """A worker process's whole life: open the runtime, load stages, loop until told to
    stop (SIGTERM or SIGINT), then close."""
    from sightline.analyzers.base import AnalyzerPool
    from sightline.pipeline.stages import build_stages
    from sightline.pipeline.worker import WorkerLoop, WorkerRegistry
    from sightline.runtime import Runtime

    p = settings.pipeline
    runtime = Runtime.open(settings, migrate=False)
    try:
        stages = build_stages(runtime, AnalyzerPool(settings), list(kinds))
        loop = WorkerLoop(
            runtime.tasks,
            stages,
            batch_size=p.batch_size,
            lease=p.lease_seconds,
            heartbeat=p.heartbeat_interval(),
            idle_poll=p.idle_poll_seconds,
            registry=WorkerRegistry(runtime.engine),
        )

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("worker %s: %s, finishing", loop.owner, signal.Signals(signum).name)
            loop.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        log.info("worker %s started for %s", loop.owner, ", ".join(kinds))
        stats = loop.run()
        log.info("worker %s stopped after %d task(s)", loop.owner, stats.processed)
    finally:
        runtime.close()


def _process_main(settings: Settings, kinds: list[str]) -> None:
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s worker[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    run_worker(settings, kinds)


class LocalExecutor:
    """Runs ``workers`` worker processes for ``kinds`` until :meth:`stop`."""

    def __init__(
        self, settings: Settings, *, workers: int | None = None, kinds: Sequence[str] = ("image",)
    ) -> None:
        self.settings = portable(settings)
        self.count = settings.pipeline.workers if workers is None else workers
        self.kinds = list(kinds)
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: list[multiprocessing.process.BaseProcess | None] = [None] * self.count
        self._deaths = [0] * self.count
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._lock = threading.Lock()

    def _spawn(self, slot: int) -> None:
        proc = self._ctx.Process(
            target=_process_main,
            args=(self.settings, self.kinds),
            name=f"sightline-worker-{slot}",
            daemon=False,
        )
        proc.start()
        self._procs[slot] = proc

    def start(self) -> None:
        with self._lock:
            for slot in range(self.count):
                self._spawn(slot)
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            return [p.pid for p in self._procs if p is not None and p.pid and p.is_alive()]

    def _supervise(self) -> None:
        restart_at: dict[int, float] = {}
        while not self._stopping.wait(0.5):
            with self._lock:
                for slot, proc in enumerate(self._procs):
                    if proc is None or proc.is_alive() or self._stopping.is_set():
                        continue
                    if slot not in restart_at:
                        self._deaths[slot] += 1
                        delay = min(30.0, 0.5 * 2 ** min(self._deaths[slot] - 1, 6))
                        log.warning(
                            "worker process %s exited with %s; restarting in %.1fs",
                            proc.pid,
                            proc.exitcode,
                            delay,
                        )
                        restart_at[slot] = time.monotonic() + delay
                    elif time.monotonic() >= restart_at[slot]:
                        del restart_at[slot]
                        self._spawn(slot)

    def stop(self, grace: float | None = None) -> None:
        """Ask every worker to finish its task and release the rest; kill stragglers
        after ``grace`` seconds (default ``pipeline.shutdown_grace_seconds``)."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        grace = self.settings.pipeline.shutdown_grace_seconds if grace is None else grace
        with self._lock:
            procs = [p for p in self._procs if p is not None]
        for proc in procs:
            if proc.is_alive() and proc.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
        for proc in procs:
            if proc.is_alive():
                log.warning("worker process %s did not stop in %.0fs; killing it", proc.pid, grace)
                proc.kill()
                proc.join(5)

    def __enter__(self) -> LocalExecutor:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
