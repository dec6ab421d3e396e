"""The host's side of an inference unit: its process, its pipe, and what waits on it.

:meth:`UnitHandle.spawn` starts the process (:func:`sightline.customlabels.unit.unit_main`)
and a reader thread that turns the unit's messages into results of futures: ``ready``,
each ``detect`` request, ``drained``, ``stopped``. When the pipe closes (the unit exited
or was killed), everything still waiting fails with :class:`WorkerLostError` naming the
exit code, and the host's ``on_exit`` callback runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from typing import Any

import sightline.errors as errors_module
from sightline.config import Settings
from sightline.customlabels.unit import unit_main
from sightline.errors import SightlineError, WorkerLostError

log = logging.getLogger(__name__)

STOP_TIMEOUT = 30.0

OnProgress = Callable[[str, str, "str | None"], None]  # (outcome, key, error)


def portable(settings: Settings) -> Settings:
    """``settings`` as a plain :class:`Settings` that pickles into a spawned process."""
    return settings if type(settings) is Settings else Settings(**settings.model_dump())


@dataclass
class DrainReport:
    """What draining a batch queue through a version's units did."""

    processed: int = 0
    failed: int = 0
    lost: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    units_lost: list[str] = field(default_factory=list)

    def count(self, outcome: str, key: str, error: str | None) -> None:
        if outcome == "succeeded":
            self.processed += 1
        elif outcome == "failed":
            self.failed += 1
            self.failures.append({"key": key, "error": error or ""})
        elif outcome == "lost":
            self.lost += 1


@dataclass
class UnitHandle:
    slot: int
    owner: str  # the lease owner of the batch tasks it claims
    process: BaseProcess
    conn: Connection
    ready: Future[dict[str, Any]] = field(default_factory=Future)
    stopped: Future[dict[str, Any]] = field(default_factory=Future)
    drained: Future[dict[str, Any]] | None = None
    pending: dict[int, Future[list[tuple[str, float]]]] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    dead: bool = False
    stopping: bool = False
    on_progress: OnProgress | None = None
    on_exit: Callable[[UnitHandle], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def spawn(
        cls,
        ctx: SpawnContext,
        settings: Settings,
        version_id: int,
        slot: int,
        owner: str,
        *,
        on_progress: OnProgress,
        on_exit: Callable[[UnitHandle], None],
    ) -> UnitHandle:
        here, there = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=unit_main,
            args=(settings, version_id, owner, there),
            name=f"sightline-cl-unit-{version_id}-{slot}",
            daemon=True,
        )
        process.start()
        there.close()
        unit = cls(slot, owner, process, here, on_progress=on_progress, on_exit=on_exit)
        threading.Thread(target=unit._read, name=f"cl-unit-{process.pid}", daemon=True).start()
        return unit

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def send(self, *message: Any) -> None:
        with self.lock:
            self.conn.send(message)

    def shut(self) -> dict[str, Any]:
        """Ask the unit to unload and exit; its last memory report (with ``exitcode``)."""
        self.stopping = True
        memory = dict(self.memory)
        if not self.dead:
            try:
                self.send("stop")
                memory.update(self.stopped.result(timeout=STOP_TIMEOUT))
            except (OSError, FutureTimeout, SightlineError) as e:
                log.warning("unit %s did not stop cleanly: %s", self.pid, e)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        memory["exitcode"] = self.process.exitcode
        self.memory = memory
        return memory

    def _read(self) -> None:
        """Dispatch the unit's messages until its pipe closes; then fail what waits."""
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            verb = message[0]
            if verb == "ready":
                self.ready.set_result(message[1])
            elif verb == "failed":
                self.ready.set_exception(errors_module.ModelError(message[1]))
            elif verb in ("result", "error"):
                found = self.pending.pop(message[1], None)
                if found is not None and verb == "result":
                    found.set_result(message[2])
                elif found is not None:
                    found.set_exception(_rebuild(message[2], message[3]))
            elif verb == "progress" and self.on_progress is not None:
                _, _, outcome, key, error = message
                self.on_progress(outcome, key, error)
            elif verb == "drained":
                if self.drained is not None and not self.drained.done():
                    self.drained.set_result(message[2])
            elif verb == "stopped":
                self.stopped.set_result(message[1])
        self.dead = True
        self.process.join(1)
        lost = WorkerLostError(
            f"the inference unit (pid {self.pid}) exited with code {self.process.exitcode}"
        )
        waiting: list[Future[Any]] = [self.ready, self.stopped, *self.pending.values()]
        if self.drained is not None:
            waiting.append(self.drained)
        for future in waiting:
            if not future.done():
                future.set_exception(lost)
        self.pending.clear()
        if self.on_exit is not None:
            self.on_exit(self)


def _rebuild(name: str, message: str) -> SightlineError:
    """The error a unit reported, as the same class of Sightline's tree."""
    cls = getattr(errors_module, name, None)
    if isinstance(cls, type) and issubclass(cls, SightlineError):
        return cls(message)
    return errors_module.InternalError(message)
