"""The composition root: everything built from Settings, once, in one place.

The API, the CLI commands, ``sightline serve`` and each worker process call
:meth:`Runtime.open` and get the same wiring: the (migrated) database engine, the object
store, the task queue, the router and the catalog. Nothing here is global; a process
may hold several runtimes (tests do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from sightline.config import Settings
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.errors import WorkerLostError
from sightline.pipeline.analyses import analysis_table
from sightline.pipeline.catalog import Catalog
from sightline.pipeline.queue import TaskRow, TaskStore
from sightline.pipeline.router import IMAGE_WORKFLOW, VIDEO_WORKFLOW, WORKFLOW_KIND, Router
from sightline.storage import ObjectStore, open_store


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    store: ObjectStore
    tasks: TaskStore
    router: Router
    catalog: Catalog

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        store: ObjectStore | None = None,
        migrate: bool = True,
    ) -> Runtime:
        """Build the runtime for ``settings``; ``engine`` and ``store`` may be shared.

        ``migrate`` brings the database to every branch's head first (idempotent).
        """
        if engine is None:
            if settings.database_url is None:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
            engine = make_engine(settings.resolved_database_url())
        if migrate:
            upgrade(engine)
        p = settings.pipeline
        tasks = TaskStore(
            engine,
            max_attempts=p.max_attempts,
            backoff_base=p.backoff_seconds,
            backoff_max=p.backoff_max_seconds,
        )
        router = Router(p, analysis_table(p), [settings.web.album_rule()])
        runtime = cls(
            settings=settings,
            engine=engine,
            store=store if store is not None else open_store(settings),
            tasks=tasks,
            router=router,
            catalog=Catalog(engine, tasks, router),
        )
        # An item whose task died (its worker crashed on every attempt) is FAILED.
        for kind in (IMAGE_WORKFLOW, VIDEO_WORKFLOW):
            tasks.on_dead(kind, _fail_items)
        from sightline.video.jobs import VIDEO_KIND
        from sightline.video.settle import fail_dead_jobs

        tasks.on_dead(VIDEO_KIND, fail_dead_jobs(runtime))
        from sightline.pipeline.workflows.records import fail_dead_workflows

        tasks.on_dead(WORKFLOW_KIND, fail_dead_workflows)
        return runtime

    def apply_limits(self) -> None:
        """Write the configured per-kind limits to the database, where claims read them."""
        from sightline.video.jobs import VIDEO_KIND

        limits = self.settings.pipeline.limits
        for kind, lim in limits.items():
            self.tasks.set_limit(kind, rate=lim.rate, burst=lim.burst, max_running=lim.concurrency)
        if VIDEO_KIND not in limits:
            # At most max_concurrent_jobs video jobs run at once, across every worker.
            self.tasks.set_limit(VIDEO_KIND, max_running=self.settings.video.max_concurrent_jobs)

    def ensure_buckets(self) -> None:
        p = self.settings.pipeline
        for bucket in (p.input_bucket, p.output_bucket):
            self.store.ensure_bucket(bucket)

    def close(self) -> None:
        self.engine.dispose()


def _fail_items(conn: Connection, rows: Sequence[TaskRow]) -> None:
    for row in rows:
        if "item" in row.payload:
            error = WorkerLostError(
                f"The worker stopped responding (crashed or was killed) on each of "
                f"{row.attempts} attempts; the task is dead. Retry it with "
                f"`sightline tasks retry {row.id}`."
            )
            Catalog.fail_unfinished(conn, [str(row.payload["item"])], error)
