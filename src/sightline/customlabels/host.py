"""The version host: runs versions' inference units (processes) and routes work to them.

The database says what should run (:mod:`sightline.customlabels.versions` records
``STARTING`` and ``STOPPING``); :meth:`VersionHost.reconcile` makes it so, and is called
every second by ``sightline serve`` and at once by the API after a start or stop:

- a ``STARTING`` version nobody hosts is claimed (a conditional update of its row, so
  one host wins), its ``MinInferenceUnits`` processes are spawned, each loads the model
  and says ``ready``; the version becomes ``RUNNING`` (or ``FAILED`` with the reason);
- a ``STOPPING`` version hosted here has its units unload and exit; it becomes
  ``STOPPED``;
- a hosted unit that dies is replaced; a version whose host stopped heartbeating
  (``host_seen_at``) is taken over; a version unused for ``idle_stop_seconds`` stops.

:meth:`detect` answers DetectCustomLabels on a free unit of a running version;
:meth:`drain` has every unit of a running version process a batch queue until it is
empty (see :mod:`sightline.customlabels.batch_stage`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update

from sightline.customlabels.db import reading, writing
from sightline.customlabels.model import CustomLabel
from sightline.customlabels.unit_handle import DrainReport, UnitHandle, portable
from sightline.customlabels.versions import (
    FAILED,
    RUNNING,
    STARTING,
    STOPPED,
    STOPPING,
    find_version,
    request_stop,
    set_status,
    version_arn,
)
from sightline.db.models.customlabels import ClProject, ClVersion
from sightline.errors import (
    ResourceInUseError,
    ResourceNotReadyError,
    SightlineError,
    WorkerLostError,
)
from sightline.pipeline.queue import RUNNING as TASK_RUNNING
from sightline.runtime import Runtime

log = logging.getLogger(__name__)

HOST_STALE_SECONDS = 30.0  # a host silent this long has died; its versions are taken over
STOP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 60.0

Progress = Callable[[str, str], None]  # (outcome, key)


@dataclass
class _Hosted:
    version_id: int
    arn: str
    units: list[UnitHandle]
    free: queue.Queue[UnitHandle]
    started_at: float
    last_used: float
    loads: int = 0
    draining: int = 0
    on_progress: Progress | None = None
    report: DrainReport | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)


class VersionHost:
    """Hosts running versions in this process tree (one per ``sightline serve``)."""

    def __init__(self, runtime: Runtime, *, host_id: str | None = None) -> None:
        self.runtime = runtime
        self.settings = portable(runtime.settings)
        self.id = host_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._ctx = multiprocessing.get_context("spawn")
        self._hosted: dict[int, _Hosted] = {}
        self._busy: set[int] = set()  # versions a background thread is starting/stopping
        self._version_locks: dict[int, threading.Lock] = {}  # one start/stop at a time
        self._lock = threading.RLock()
        self._requests = 0
        self._generation = 0
        self.loads = 0  # model loads (unit starts) since this host was created

    # --- what callers use ---------------------------------------------------------------

    def running(self, arn: str) -> bool:
        with self._lock:
            return any(h.arn == arn for h in self._hosted.values())

    def memory(self, arn: str) -> list[dict[str, Any]]:
        """The RSS measurements of a hosted version's units (see :mod:`.unit`)."""
        with self._lock:
            hosted = next((h for h in self._hosted.values() if h.arn == arn), None)
        return [dict(u.memory) for u in hosted.units] if hosted else []

    def pids(self, arn: str) -> list[int]:
        with self._lock:
            hosted = next((h for h in self._hosted.values() if h.arn == arn), None)
        return [u.pid for u in hosted.units if not u.dead] if hosted else []

    def detect(
        self,
        arn: str,
        image: bytes,
        *,
        min_confidence: float | None = None,
        max_results: int | None = None,
    ) -> list[CustomLabel]:
        """DetectCustomLabels on a running version.

        Raises:
            ResourceNotReadyError: the version is not running (here), as Rekognition
                answers for a model that is not started.
        """
        hosted = self._hosted_or_refuse(arn)
        hosted.last_used = time.time()
        try:
            unit = hosted.free.get(timeout=REQUEST_TIMEOUT)
        except queue.Empty:
            raise ResourceNotReadyError(
                f"No inference unit of {arn} became free within {REQUEST_TIMEOUT:.0f} s."
            ) from None
        try:
            with self._lock:
                self._requests += 1
                request_id = self._requests
            future: Future[list[tuple[str, float]]] = Future()
            unit.pending[request_id] = future
            unit.send("detect", request_id, image, min_confidence, max_results)
            found = future.result(timeout=REQUEST_TIMEOUT)
        except (OSError, FutureTimeout) as e:
            raise WorkerLostError(f"The inference unit {unit.pid} of {arn} failed: {e}") from e
        finally:
            if not unit.dead:
                hosted.free.put(unit)
        return [CustomLabel(name, conf) for name, conf in found]

    def drain(self, arn: str, kind: str, *, on_progress: Progress | None = None) -> DrainReport:
        """Have every unit of a running version process queue ``kind`` until it is empty.

        A unit that dies while draining ends its part: the image it held is failed
        (retryable, so it runs again, and a poison image is retired after the queue's
        attempts) and the unit is reported in ``units_lost``.
        """
        hosted = self._hosted_or_refuse(arn)
        report = DrainReport()
        with hosted.lock:
            if hosted.draining:
                raise ResourceInUseError(f"The version {arn} is already draining a batch.")
            hosted.draining += 1
            hosted.on_progress = on_progress
            hosted.report = report  # counted from each image's progress message
            units = [u for u in hosted.units if not u.dead]
            for unit in units:
                unit.drained = Future()
                unit.send("drain", kind)
        try:
            for unit in units:
                assert unit.drained is not None
                try:
                    stats = unit.drained.result()
                except WorkerLostError as e:
                    report.units_lost.append(f"{unit.owner} (pid {unit.pid}): {e.message}")
                    for failure in self._fail_held(unit, kind):
                        report.count("failed", failure["key"], failure["error"])
                    continue
                # Failures of the loop itself (its database went away) have no image.
                report.failures.extend(f for f in stats["failures"] if not f.get("key"))
        finally:
            with hosted.lock:
                hosted.draining -= 1
                hosted.on_progress = None
                hosted.report = None
                hosted.last_used = time.time()
        return report

    def start(self, arn: str) -> str:
        """Start a version already marked ``STARTING`` now, in this thread; its status.
        (``reconcile`` does the same for every such version, in background threads.)"""
        with reading(self.runtime.engine) as s:
            _, row = find_version(s, arn)
        self._start(row.id)
        return self._status(row.id)

    def stop(self, arn: str) -> str:
        """Stop a version marked ``STOPPING`` now, in this thread; its status."""
        with reading(self.runtime.engine) as s:
            _, row = find_version(s, arn)
        self._stop(row.id, expect=[STOPPING])
        return self._status(row.id)

    def close(self) -> None:
        """Stop every hosted version's units (serve is shutting down). Their rows go back
        to ``STARTING`` so that the next host to run starts them again."""
        with self._lock:
            ids = list(self._hosted)
        for version_id in ids:
            self._stop(version_id, final=STARTING, message="The server stopped; restarting.")

    # --- reconciliation --------------------------------------------------------------

    def reconcile(self) -> None:
        """Make the running processes match the database (see the module docstring)."""
        now = time.time()
        stale = now - HOST_STALE_SECONDS
        with reading(self.runtime.engine) as s:
            rows = list(
                s.scalars(
                    select(ClVersion).where(ClVersion.status.in_([STARTING, RUNNING, STOPPING]))
                )
            )
        wanted = {r.id for r in rows if r.status in (STARTING, RUNNING)}
        with self._lock:
            hosted_ids = set(self._hosted)
            busy = set(self._busy)
        for r in rows:
            if r.id in busy:
                continue
            mine = r.host == self.id
            orphan = r.host is None or (not mine and (r.host_seen_at or 0) < stale)
            if r.status == STARTING and (orphan or (mine and r.id not in hosted_ids)):
                self._spawn_thread(self._start, r.id)
            elif r.status == STOPPING and r.id in hosted_ids:
                self._spawn_thread(self._stop, r.id)
            elif r.status == STOPPING and (orphan or mine):
                set_status(self.runtime, r.id, STOPPED, "Stopped.", expect=[STOPPING], host=None)
            elif r.status == RUNNING and (orphan or (mine and r.id not in hosted_ids)):
                # Its host died (or lost its units): start it again, here or elsewhere.
                set_status(
                    self.runtime,
                    r.id,
                    STARTING,
                    "Restarting: the server running it stopped responding.",
                    expect=[RUNNING],
                    host=None,
                )
        for version_id in hosted_ids - wanted - busy:
            self._spawn_thread(self._stop, version_id)
        self._heartbeat(now)
        self._supervise()
        self._stop_idle(now)

    def _spawn_thread(self, target: Callable[[int], None], version_id: int) -> None:
        with self._lock:
            if version_id in self._busy:
                return
            self._busy.add(version_id)

        def run() -> None:
            try:
                target(version_id)
            except Exception:
                log.exception("custom-label version %s: %s failed", version_id, target.__name__)
            finally:
                with self._lock:
                    self._busy.discard(version_id)

        threading.Thread(target=run, name=f"cl-version-{version_id}", daemon=True).start()

    def _heartbeat(self, now: float) -> None:
        with self._lock:
            hosted = list(self._hosted.values())
        if not hosted:
            return
        with writing(self.runtime.engine) as s:
            for h in hosted:
                s.execute(
                    update(ClVersion)
                    .where(ClVersion.id == h.version_id, ClVersion.host == self.id)
                    .values(host_seen_at=now, last_used_at=h.last_used)
                )

    def _supervise(self) -> None:
        """Replace units that died while their version runs."""
        with self._lock:
            hosted = list(self._hosted.values())
        for h in hosted:
            with h.lock:
                for i, unit in enumerate(h.units):
                    if unit.dead and not unit.stopping:
                        log.warning("inference unit %s of %s died; replacing it", unit.pid, h.arn)
                        try:
                            fresh = self._spawn_unit(h.version_id, unit.slot)
                            fresh.memory = fresh.ready.result(
                                timeout=self.settings.customlabels.start_timeout_seconds
                            )
                        except Exception as e:
                            log.error("could not replace unit %s of %s: %s", unit.slot, h.arn, e)
                            continue
                        h.units[i] = fresh
                        h.loads += 1
                        h.free.put(fresh)

    def _stop_idle(self, now: float) -> None:
        idle = self.settings.customlabels.idle_stop_seconds
        if idle is None:
            return
        with self._lock:
            hosted = list(self._hosted.values())
        for h in hosted:
            if h.draining == 0 and now - h.last_used >= idle:
                log.info("stopping %s: unused for %.0f s", h.arn, now - h.last_used)
                request_stop(self.runtime, h.arn)
                self._spawn_thread(self._stop, h.version_id)

    # --- starting and stopping ---------------------------------------------------------

    def _version_lock(self, version_id: int) -> threading.Lock:
        with self._lock:
            return self._version_locks.setdefault(version_id, threading.Lock())

    def _start(self, version_id: int) -> None:
        with self._version_lock(version_id):
            with self._lock:
                if version_id in self._hosted:
                    return
            self._start_locked(version_id)

    def _start_locked(self, version_id: int) -> None:
        rt = self.runtime
        stale = time.time() - HOST_STALE_SECONDS
        with writing(rt.engine) as s:
            claimed = s.execute(
                update(ClVersion)
                .where(
                    ClVersion.id == version_id,
                    ClVersion.status == STARTING,
                    or_(
                        ClVersion.host.is_(None),
                        ClVersion.host == self.id,
                        ClVersion.host_seen_at < stale,
                    ),
                )
                .values(host=self.id, host_seen_at=time.time())
            )
            if not getattr(claimed, "rowcount", 0):
                return
            row = s.get(ClVersion, version_id)
            project = s.get(ClProject, row.project_id) if row is not None else None
            assert row is not None and project is not None
            arn = version_arn(rt, project, row)
            count = int(row.min_units or 1)
        units = [self._spawn_unit(version_id, slot) for slot in range(count)]
        timeout = self.settings.customlabels.start_timeout_seconds
        problems = []
        for unit in units:
            try:
                unit.memory = unit.ready.result(timeout=timeout)
            except FutureTimeout:
                problems.append(f"unit {unit.slot} did not load the model within {timeout:.0f} s")
            except SightlineError as e:
                problems.append(f"unit {unit.slot}: {e.message}")
        if problems:
            for unit in units:
                unit.shut()
            set_status(
                rt,
                version_id,
                FAILED,
                "The model failed to start: " + "; ".join(problems),
                expect=[STARTING, STOPPING],
                host=None,
            )
            return
        now = time.time()
        free: queue.Queue[UnitHandle] = queue.Queue()
        for unit in units:
            free.put(unit)
        hosted = _Hosted(version_id, arn, units, free, now, now, loads=len(units))
        with self._lock:
            self._hosted[version_id] = hosted
            self.loads += len(units)
        memory = {"units": [u.memory for u in units]}
        if not set_status(
            rt,
            version_id,
            RUNNING,
            f"Running on {count} inference unit(s).",
            expect=[STARTING],
            memory=memory,
            last_used_at=now,
        ):
            # A stop was asked while the units loaded.
            self._stop_locked(version_id, [STOPPING, RUNNING, STARTING], STOPPED, "Stopped.")

    def _stop(
        self,
        version_id: int,
        *,
        expect: list[str] | None = None,
        final: str = STOPPED,
        message: str = "Stopped.",
    ) -> None:
        with self._version_lock(version_id):
            self._stop_locked(version_id, expect or [STOPPING, RUNNING, STARTING], final, message)

    def _stop_locked(self, version_id: int, expect: list[str], final: str, message: str) -> None:
        with self._lock:
            hosted = self._hosted.pop(version_id, None)
        memory: list[dict[str, Any]] = []
        if hosted is not None:
            with hosted.lock:
                for unit in hosted.units:
                    unit.stopping = True
                for unit in hosted.units:
                    memory.append(unit.shut())
        values: dict[str, Any] = {"host": None}
        if memory:
            values["memory"] = {"units": memory}
        set_status(self.runtime, version_id, final, message, expect=expect, **values)

    def _fail_held(self, unit: UnitHandle, kind: str) -> list[dict[str, str]]:
        """Fail (retryably) the batch tasks a dead unit still held; their failures."""
        tasks = self.runtime.tasks
        failures = []
        for row in tasks.list(states=[TASK_RUNNING], kinds=[kind], limit=1000):
            if row.lease_owner != unit.owner:
                continue
            error = f"the inference unit (pid {unit.pid}) died while processing it"
            tasks.fail(unit.owner, row.id, error, retryable=True)
            failures.append({"key": str(row.payload.get("key", "")), "error": error})
        return failures

    def _spawn_unit(self, version_id: int, slot: int) -> UnitHandle:
        with self._lock:
            self._generation += 1
            owner = f"{self.id}/v{version_id}u{slot}g{self._generation}"

        def progress(outcome: str, key: str, error: str | None) -> None:
            hosted = self._hosted.get(version_id)
            if hosted is None:
                return
            if hosted.report is not None:
                hosted.report.count(outcome, key, error)
            if hosted.on_progress is not None:
                hosted.on_progress(outcome, key)

        def exited(unit: UnitHandle) -> None:
            with self._lock:
                hosted = self._hosted.get(version_id)
            if hosted is not None and not unit.stopping:
                # Take it out of the free units; the supervisor replaces it.
                kept = [u for u in list(hosted.free.queue) if u is not unit]
                with hosted.free.mutex:
                    hosted.free.queue.clear()
                    hosted.free.queue.extend(kept)

        return UnitHandle.spawn(
            self._ctx, self.settings, version_id, slot, owner, on_progress=progress, on_exit=exited
        )

    # --- helpers ------------------------------------------------------------------------

    def _hosted_or_refuse(self, arn: str) -> _Hosted:
        with self._lock:
            hosted = next((h for h in self._hosted.values() if h.arn == arn), None)
        if hosted is not None:
            return hosted
        with reading(self.runtime.engine) as s:
            _, row = find_version(s, arn)
        if row.status == RUNNING:
            raise ResourceNotReadyError(
                f"The version {arn} is RUNNING on another server ({row.host}), not this one."
            )
        raise ResourceNotReadyError(
            f"The version {arn} is {row.status}; start it with StartProjectVersion and wait "
            "for RUNNING."
        )

    def _status(self, version_id: int) -> str:
        with reading(self.runtime.engine) as s:
            row = s.get(ClVersion, version_id)
        return row.status if row is not None else "DELETED"
