"""The worker stages of stored video: pipeline items become jobs; jobs run.

- ``video`` (the pipeline's video workflow): an ingested video's analyses (the folder
  convention or a rule picked them) become one job each — ``labels`` ->
  LabelDetection, ``faces`` -> FaceDetection, ``text`` -> TextDetection, ``moderation``
  -> ContentModeration, ``person`` -> PersonTracking — started exactly as Start* starts
  them (JobTag = the analysis name, ``video.pipeline_topic`` as the notification
  channel), so they queue under the same concurrency cap and Get* reads them. The item
  stays IN_PROGRESS until its last job settles it.
- ``video-job``: one job, from download to its records, output document, status and
  notification, the last four in one transaction with the task's completion.

Bad input (not a video, truncated before the first frame, too long, missing) fails the
job at once with a clear ``StatusMessage``; anything else is retried with backoff and
fails the job when the task's attempts run out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table

from sightline.analyzers.base import AnalyzerPool
from sightline.api.rekognition.shapes.video import get_response
from sightline.db import tx
from sightline.db.models.pipeline import ItemStatus
from sightline.db.models.video import VideoJob
from sightline.errors import (
    InternalError,
    InvalidInputError,
    ModelError,
    ResourceNotFoundError,
    SightlineError,
    UnsupportedError,
)
from sightline.pipeline.catalog import Catalog
from sightline.pipeline.outputs import OutputWriter, StoredResult
from sightline.pipeline.queue import DEAD, ClaimedTask
from sightline.runtime import Runtime
from sightline.storage import ObjectStore
from sightline.storage.local import LocalStore
from sightline.video.apis import ANALYZER_APIS, TIMESTAMPS, api_named
from sightline.video.jobs import SUCCEEDED, JobRow, VideoJobs, jobs_of
from sightline.video.runner import VideoOutput, analyze_video
from sightline.video.settle import settle_item

if TYPE_CHECKING:
    from sightline.faces.service import FaceService

log = logging.getLogger(__name__)
J = cast(Table, VideoJob.__table__)
# Failures that will not pass by trying again.
PERMANENT = (InvalidInputError, UnsupportedError, ModelError, ResourceNotFoundError)
RESPONSE = "response.json"


def output_key(prefix: str, key: str, tag: str) -> str:
    """``async/{key}-analysis/{JobTag}/response.json``."""
    return f"{prefix}{key}-analysis/{tag}/{RESPONSE}"


@contextlib.contextmanager
def local_copy(store: ObjectStore, bucket: str, key: str) -> Iterator[str]:
    """A local path holding the object: the file itself on local storage, else a
    temporary copy streamed from the store (videos are too large to hold in memory)."""
    if isinstance(store, LocalStore):
        yield str(store.path(bucket, key))
        return
    suffix = os.path.splitext(key)[1][:16]
    with tempfile.NamedTemporaryFile(prefix="sightline-video-", suffix=suffix) as tmp:
        with store.open(bucket, key) as stream:
            shutil.copyfileobj(stream, tmp, 1024 * 1024)
        tmp.flush()
        yield tmp.name


class VideoJobStage:
    """Runs ``video-job`` tasks."""

    kind = "video-job"
    # One job at a time per worker: a job can take minutes, and a second one claimed
    # with it would hold a concurrency slot while it waits.
    claim_limit = 1

    def __init__(self, runtime: Runtime, pool: AnalyzerPool) -> None:
        self.rt = runtime
        self.pool = pool
        self.jobs = jobs_of(runtime)
        self._faces: FaceService | None = None

    def faces(self) -> FaceService:
        if self._faces is None:
            from sightline.faces.service import FaceService

            rt = self.rt
            self._faces = FaceService(rt.settings, engine=rt.engine, pool=self.pool, migrate=False)
        return self._faces

    def run(self, task: ClaimedTask, owner: str) -> str:
        job = self.jobs.get(str(task.payload["job"]))
        if job.finished:  # settled by an earlier attempt whose completion was lost
            self.rt.tasks.complete(owner, [task.id])
            return "succeeded"
        try:
            output = self._analyse(job)
            stored = self._write(job, output)
        except PERMANENT as exc:
            self._fail(task, owner, job, exc.message)
            return "failed"
        except SightlineError as exc:
            return self._retry(task, owner, job, exc)
        except Exception as exc:  # a library or a bug failed on this video
            log.exception("video job %s failed", job.job_id)
            return self._retry(
                task, owner, job, InternalError(f"{type(exc).__name__}: {exc}".strip())
            )
        with tx.write(self.rt.engine) as conn:
            self.jobs.succeed(
                conn,
                job,
                output.records,
                details=output.details,
                message=output.partial,
                partial=output.partial is not None,
                output=(self.rt.settings.pipeline.output_bucket, stored.output_key),
                video_metadata=output.video_metadata,
                audio_metadata=output.audio,
            )
            if job.item_id is not None:
                self._record_item_result(conn, job, stored)
                settle_item(conn, job.item_id)
            self.rt.tasks.complete(owner, [task.id], conn=conn)
        return "succeeded"

    def _analyse(self, job: JobRow) -> VideoOutput:
        def progress(done: int, total: int) -> None:
            self.jobs.progress(job.job_id, done, total)

        self.jobs.begin(job.job_id)
        with local_copy(self.rt.store, job.bucket, job.name) as path:
            output = analyze_video(
                path,
                job.video,
                job.request,
                self.rt.settings,
                self.pool,
                faces=self.faces,
                progress=progress,
            )
        return output

    def _write(self, job: JobRow, output: VideoOutput) -> StoredResult:
        """The whole Get* document (every record, by timestamp) beside the video's key."""
        settings = self.rt.settings
        finished = _finished_view(job, output)
        document = get_response(job.video, finished, [r.record for r in output.records[TIMESTAMPS]])
        key = output_key(settings.video.output_prefix, job.name, job.job_tag or job.job_id)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        self.rt.store.put(
            settings.pipeline.output_bucket, key, body, content_type="application/json"
        )
        inline = len(body) <= settings.pipeline.inline_result_bytes
        return StoredResult(
            job.job_tag or job.api,
            job.video.get_operation,
            str(output.details.get("ModelVersion") or job.api),
            key,
            document if inline else None,
        )

    def _record_item_result(self, conn: Connection, job: JobRow, stored: StoredResult) -> None:
        OutputWriter(self.rt.store, self.rt.settings.pipeline).record(
            conn, str(job.item_id), [stored]
        )

    def _fail(self, task: ClaimedTask, owner: str, job: JobRow, message: str) -> None:
        with tx.write(self.rt.engine) as conn:
            self.jobs.fail(conn, job, message)
            if job.item_id is not None:
                settle_item(conn, job.item_id)
            self.rt.tasks.complete(owner, [task.id], conn=conn)

    def _retry(self, task: ClaimedTask, owner: str, job: JobRow, error: SightlineError) -> str:
        with tx.write(self.rt.engine) as conn:
            state = self.rt.tasks.fail(
                owner,
                task.id,
                f"{type(error).__name__}: {error.message}",
                retryable=True,
                conn=conn,
            )
            if state == DEAD:
                self.jobs.fail(conn, job, error.message)
                if job.item_id is not None:
                    settle_item(conn, job.item_id)
        return "failed" if state == DEAD else "retry"


def _finished_view(job: JobRow, output: VideoOutput) -> JobRow:
    """``job`` as it reads once settled, for the document written before the commit."""
    return replace(
        job,
        status=SUCCEEDED,
        status_message=output.partial,
        video_metadata=output.video_metadata,
        audio_metadata=output.audio,
        details=output.details,
    )


class VideoItemStage:
    """Runs the pipeline's ``video`` tasks: one job per analysis of an ingested video."""

    kind = "video"

    def __init__(self, runtime: Runtime, pool: AnalyzerPool) -> None:
        self.rt = runtime
        self.jobs: VideoJobs = jobs_of(runtime)

    def begin(self, tasks: list[ClaimedTask]) -> None:
        with tx.write(self.rt.engine, durable=False) as conn:
            for task in tasks:
                Catalog.start(conn, str(task.payload["item"]), task.attempts)

    def run(self, task: ClaimedTask, owner: str) -> str:
        p = task.payload
        item_id, bucket, key = str(p["item"]), str(p["bucket"]), str(p["key"])
        plans = self._plans([str(a) for a in p.get("analyses", [])])
        if not plans:
            self._settle(
                task,
                owner,
                item_id,
                ItemStatus.REJECTED,
                UnsupportedError(
                    f"None of the analyses {p.get('analyses')} has a stored-video "
                    f"equivalent; videos take {', '.join(sorted(ANALYZER_APIS))}."
                ),
            )
            return "rejected"
        try:
            for analysis, api_name, extra in plans:
                request: dict[str, Any] = {
                    "Video": {"S3Object": {"Bucket": bucket, "Name": key}},
                    "JobTag": analysis,
                    # The same item and analysis always names the same job.
                    "ClientRequestToken": f"{item_id}-{analysis}"[:64],
                    **extra,
                }
                topic = self.rt.settings.video.pipeline_topic
                if topic:
                    request["NotificationChannel"] = {
                        "SNSTopicArn": topic,
                        "RoleArn": "arn:aws:iam::000000000000:role/sightline",
                    }
                self.jobs.start(
                    api_named(api_name), request, item_id=item_id, priority=task.priority
                )
        except PERMANENT as exc:
            self._settle(task, owner, item_id, ItemStatus.FAILED, exc)
            return "failed"
        with tx.write(self.rt.engine, durable=False) as conn:
            settle_item(conn, item_id)  # jobs that were already finished (a re-run)
            self.rt.tasks.complete(owner, [task.id], conn=conn)
        return "handed-off"

    def _plans(self, analyses: Sequence[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(analysis, video API, extra Start members) for each analysis with a video API."""
        out = []
        for name in analyses:
            spec = self.rt.router.analyses.get(name)
            analyzer = spec.analyzer if spec is not None else name
            api = ANALYZER_APIS.get(analyzer)
            if api is None:
                log.info("analysis %s has no stored-video equivalent; skipped", name)
                continue
            options = dict(spec.options) if spec is not None else {}
            extra: dict[str, Any] = {}
            if api == "FaceDetection" and "ALL" in (options.get("Attributes") or []):
                extra["FaceAttributes"] = "ALL"
            if options.get("MinConfidence") is not None and api in (
                "LabelDetection",
                "ContentModeration",
            ):
                extra["MinConfidence"] = options["MinConfidence"]
            out.append((name, api, extra))
        return out

    def _settle(
        self,
        task: ClaimedTask,
        owner: str,
        item_id: str,
        status: ItemStatus,
        error: SightlineError,
    ) -> None:
        with tx.write(self.rt.engine, durable=False) as conn:
            Catalog.finish(conn, item_id, status, error)
            self.rt.tasks.complete(owner, [task.id], conn=conn)
