"""The service's jobs on the pipeline's scheduler: reconcile starts and stops what was
asked, due batches run."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import update

from sightline.customlabels.batches import create_batch, list_runs
from sightline.customlabels.db import writing
from sightline.customlabels.service import CustomLabelsService
from sightline.customlabels.versions import (
    RUNNING,
    STOPPED,
    describe_version,
    request_start,
    request_stop,
)
from sightline.db.models.customlabels import ClBatch
from sightline.pipeline.scheduler import Scheduler
from sightline.runtime import Runtime
from tests.customlabels.fixtures import Trained, clone_version


def wait_for(check: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_jobs_start_stop_and_run_due_batches(trained: Trained) -> None:
    base = trained.runtime
    settings = base.settings.model_copy(
        update={
            "customlabels": base.settings.customlabels.model_copy(
                update={"scheduler_poll_seconds": 0.2}
            )
        }
    )
    runtime = Runtime.open(settings, engine=base.engine, store=base.store, migrate=False)
    service = CustomLabelsService(runtime)
    arn = clone_version(runtime, trained.version_arn, "service")
    base.store.ensure_bucket("svc-src")
    create_batch(runtime, "service", arn, source_bucket="svc-src", final_bucket="svc-final")
    with writing(runtime.engine) as s:
        s.execute(
            update(ClBatch).where(ClBatch.name == "service").values(next_run_at=time.time() - 1)
        )
    scheduler = Scheduler()
    service.schedule(scheduler)
    scheduler.start()
    try:
        request_start(runtime, arn, 1)  # recorded only: the job loop's reconcile starts it
        wait_for(lambda: describe_version(runtime, arn).status == RUNNING)
        wait_for(lambda: bool(list_runs(runtime, "service")))
        (run,) = list_runs(runtime, "service")
        assert run.trigger == "schedule" and run.status == "EMPTY"
        request_stop(runtime, arn)
        wait_for(lambda: describe_version(runtime, arn).status == STOPPED)
    finally:
        scheduler.stop()
        service.close()
    assert not service.host.running(arn)
