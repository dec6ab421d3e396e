"""Settling what a finished video job leaves behind: its pipeline item, dead tasks.

Kept apart from the stages so the runtime can register the dead-task hook without
importing the decoders and models the stages need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, select

from sightline.db.models.pipeline import ItemStatus
from sightline.db.models.video import VideoJob
from sightline.errors import InvalidInputError, WorkerLostError
from sightline.pipeline.catalog import Catalog
from sightline.pipeline.queue import TaskRow
from sightline.video.jobs import FAILED, SUCCEEDED, job_row, jobs_of

if TYPE_CHECKING:
    from sightline.runtime import Runtime

J = cast(Table, VideoJob.__table__)


def settle_item(conn: Connection, item_id: str) -> None:
    """Finish a pipeline item once every job it started has finished: SUCCEEDED when
    all succeeded, else FAILED with the first failure's message."""
    rows = conn.execute(
        select(J.c.api, J.c.job_tag, J.c.status, J.c.status_message).where(J.c.item_id == item_id)
    ).all()
    if not rows or any(r.status not in (SUCCEEDED, FAILED) for r in rows):
        return
    failed = [r for r in rows if r.status == FAILED]
    if not failed:
        Catalog.finish(conn, item_id, ItemStatus.SUCCEEDED)
        return
    first = failed[0]
    Catalog.finish(
        conn,
        item_id,
        ItemStatus.FAILED,
        InvalidInputError(f"{first.job_tag or first.api}: {first.status_message}"),
    )


def fail_dead_jobs(runtime: Runtime) -> Any:
    """The queue's dead-task hook for ``video-job``: a job whose worker died on every
    attempt is FAILED (with its notification), and so, once settled, is its item."""
    jobs = jobs_of(runtime)

    def hook(conn: Connection, rows: Sequence[TaskRow]) -> None:
        for row in rows:
            r = conn.execute(select(J).where(J.c.job_id == str(row.payload.get("job")))).first()
            if r is None:
                continue
            job = job_row(r)
            error = WorkerLostError(
                f"The worker stopped responding on each of {row.attempts} attempts."
            )
            jobs.fail(conn, job, error.message)
            if job.item_id is not None:
                settle_item(conn, job.item_id)

    return hook
