"""The embedded system behind ``sightline serve``, minus the HTTP server.

Starts, around one :class:`Runtime`: the worker processes (``LocalExecutor``), the
folder watcher on the input bucket (local storage), and the scheduler with the
pipeline's periodic jobs — expired-lease sweeps, delivery-stream flushes, pollers of
buckets without events, the purge of old finished tasks, and notification delivery
(the outbox, :mod:`sightline.notify`). ``stop()`` takes them down in the reverse
order, letting workers finish their task in hand.

Embedded layout (``--data-dir``, default ``./sightline-data``)::

    sightline-data/
      sightline.db                      the SQLite database (catalog, queue, results)
      storage/content/                  the watched input bucket
      storage/output/sync/{key}-analysis/{itemId}/response.json
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from sightline.config import Settings
from sightline.notify.dispatcher import Dispatcher
from sightline.notify.outbox import Outbox
from sightline.pipeline.delivery import DeliveryStreams
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.lister import Lister
from sightline.pipeline.scheduler import Scheduler
from sightline.pipeline.worker import WorkerRegistry
from sightline.runtime import Runtime
from sightline.storage.local import LocalStore

if TYPE_CHECKING:
    from sightline.executors.local import LocalExecutor
    from sightline.pipeline.watcher import FolderWatcher

log = logging.getLogger(__name__)


class EmbeddedSystem:
    def __init__(
        self,
        settings: Settings,
        *,
        runtime: Runtime | None = None,
        workers: int | None = None,
        watch: bool | None = None,
        kinds: tuple[str, ...] = ("image", "video", "video-job", "workflow"),
    ) -> None:
        self.settings = settings
        self._owned = runtime is None
        self.runtime = runtime or Runtime.open(settings)
        p = settings.pipeline
        self.workers = p.workers if workers is None else workers
        self.watch = p.watch if watch is None else watch
        self.kinds = kinds
        self.executor: LocalExecutor | None = None
        self.watcher: FolderWatcher | None = None
        self.scheduler = Scheduler()
        self.ingestor = Ingestor(self.runtime.store, self.runtime.catalog)

    def start(self) -> None:
        rt = self.runtime
        rt.ensure_buckets()
        rt.apply_limits()
        self._schedule()
        self.scheduler.start()
        if self.workers > 0:
            from sightline.executors.local import LocalExecutor

            self.executor = LocalExecutor(self.settings, workers=self.workers, kinds=self.kinds)
            self.executor.start()
        if self.watch:
            if isinstance(rt.store, LocalStore):
                from sightline.pipeline.watcher import FolderWatcher

                self.watcher = FolderWatcher(
                    rt.store,
                    self.settings.pipeline.input_bucket,
                    self.ingestor,
                    quiet=self.settings.pipeline.watch_quiet_seconds,
                )
                self.watcher.start()
            else:
                log.info(
                    "storage is not local: no folder watcher; use POST /events/s3 or "
                    "[[pipeline.poll]] for bucket %s",
                    self.settings.pipeline.input_bucket,
                )

    def _schedule(self) -> None:
        rt = self.runtime
        p = self.settings.pipeline
        s = self.scheduler
        s.every(min(5.0, p.lease_seconds / 2), "requeue-expired", rt.tasks.requeue_expired)
        if p.delivery_streams:
            streams = DeliveryStreams(rt.engine, rt.store, p)
            s.every(1.0, "delivery-flush", streams.flush)
        if p.task_retention_seconds > 0:
            s.every(
                3600.0,
                "purge-tasks",
                lambda: rt.tasks.purge(older_than=p.task_retention_seconds),
                first=60.0,
            )
        dispatcher = Dispatcher(rt.engine, self.settings)
        s.every(self.settings.notify.poll_seconds, "notify-deliver", dispatcher.deliver_due)
        kept = self.settings.notify.retention_seconds
        if kept > 0:
            outbox = Outbox(rt.engine)
            s.every(
                3600.0, "purge-notifications", lambda: outbox.purge(older_than=kept), first=90.0
            )
        retention = self.settings.video.job_retention_seconds
        if retention > 0:
            from sightline.video.jobs import jobs_of

            video_jobs = jobs_of(rt)
            s.every(3600.0, "purge-video-jobs", lambda: video_jobs.purge(retention), first=120.0)
        registry = WorkerRegistry(rt.engine)
        s.every(3600.0, "prune-workers", lambda: registry.prune(86400.0), first=60.0)
        lister = Lister(rt.store, self.ingestor, rt.engine)
        for poll in p.poll:
            s.every(
                poll.interval,
                f"poll:{poll.bucket}/{poll.prefix}",
                functools.partial(lister.poll, poll.bucket, poll.prefix),
                first=0.0,
            )

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.executor is not None:
            self.executor.stop()
        self.scheduler.stop()
        if self._owned:
            self.runtime.close()

    def __enter__(self) -> EmbeddedSystem:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
