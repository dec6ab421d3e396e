"""Video jobs: Start* records a job and queues it; workers settle it; Get* reads it.

A job moves ``IN_PROGRESS -> SUCCEEDED | FAILED``, as Rekognition's do; while it waits
for a slot (at most ``video.max_concurrent_jobs`` run at once, enforced by the queue's
concurrency cap on the ``video`` kind) it is IN_PROGRESS with no frames done.

The job row and its task are written in one transaction, and so are its results, its
final status, its completion notification (the outbox) and the task's completion: a
crash at any point either leaves the job to run again or finished with its message
waiting for delivery; it never loses the notification or stores results twice.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.faces import FaceCollection
from sightline.db.models.video import VideoJob
from sightline.errors import (
    IdempotentParameterMismatchError,
    InvalidParameterError,
    InvalidS3ObjectError,
    LimitExceededError,
    ObjectNotFoundError,
    ResourceNotFoundError,
    VideoTooLargeError,
)
from sightline.pipeline.queue import NewTask, TaskStore
from sightline.storage import ObjectStore
from sightline.video.apis import VideoApi, api_named
from sightline.video.records import R, Record, insert_records

if TYPE_CHECKING:
    from sightline.runtime import Runtime

log = logging.getLogger(__name__)
J = cast(Table, VideoJob.__table__)
FC = cast(Table, FaceCollection.__table__)
VIDEO_KIND = "video-job"  # job tasks; "video" is the pipeline's item workflow
IN_PROGRESS, SUCCEEDED, FAILED = "IN_PROGRESS", "SUCCEEDED", "FAILED"


@dataclass(frozen=True)
class JobRow:
    job_id: str
    api: str
    status: str
    status_message: str | None
    client_token: str | None
    job_tag: str | None
    request: dict[str, Any]
    bucket: str
    name: str
    version: str | None
    item_id: str | None
    owner: str | None
    topic_arn: str | None
    video_metadata: dict[str, Any] | None
    audio_metadata: list[Any] | None
    details: dict[str, Any] | None
    frames_done: int
    frames_total: int | None
    partial: bool
    record_count: int
    output_bucket: str | None
    output_key: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None

    @property
    def video(self) -> VideoApi:
        return api_named(self.api)

    @property
    def finished(self) -> bool:
        return self.status != IN_PROGRESS


_FIELDS = tuple(f.name for f in fields(JobRow))


def job_row(r: Any) -> JobRow:
    """A ``video_jobs`` row as a :class:`JobRow`."""
    return JobRow(**{f: getattr(r, f) for f in _FIELDS})


def new_job_id() -> str:
    """64 hex characters, within Rekognition's JobId pattern and length."""
    return secrets.token_hex(32)


def task_key(job_id: str) -> str:
    return f"video-job:{job_id}"


def completion_message(job: JobRow, status: str, finished_at: float) -> dict[str, Any]:
    """Rekognition's completion notification (the SNS message body).

    ``API`` names the Start operation (``StartLabelDetection``), as Rekognition's
    messages do; ``Message`` carries the status message when there is one.
    """
    message: dict[str, Any] = {
        "JobId": job.job_id,
        "Status": status,
        "API": job.video.start_operation,
    }
    if job.job_tag:
        message["JobTag"] = job.job_tag
    message["Timestamp"] = int(finished_at * 1000)
    message["Video"] = {"S3ObjectName": job.name, "S3Bucket": job.bucket}
    return message


class VideoJobs:
    """Start, read, progress and settle video jobs."""

    def __init__(
        self, engine: Engine, tasks: TaskStore, store: ObjectStore, settings: Settings
    ) -> None:
        self.engine = engine
        self.tasks = tasks
        self.store = store
        self.settings = settings

    # --- Start* ---------------------------------------------------------------------

    def start(
        self,
        api: VideoApi,
        request: Mapping[str, Any],
        *,
        owner: str | None = None,
        item_id: str | None = None,
        priority: int = 0,
    ) -> str:
        """Record a job for ``request`` (a Start* request) and queue it; its JobId.

        Raises:
            IdempotentParameterMismatchError: the ClientRequestToken was used for a
                different request.
            InvalidS3ObjectError: the video object does not exist (or not that version).
            VideoTooLargeError: the object is over ``video.max_object_bytes``.
            ResourceNotFoundError: StartFaceSearch names an unknown collection.
            InvalidParameterError: an unknown notification channel.
            LimitExceededError: ``video.refuse_over_limit`` and too many unfinished jobs.
        """
        bucket, name, version = video_object(request)
        token = request.get("ClientRequestToken")
        if token:
            found = self._by_token(api, str(token))
            if found is not None:
                return self._same_request(found, request)
        self._check_object(bucket, name, version)
        topic_arn = self._check_channel(request)
        if api.name == "FaceSearch":
            self._check_collection(str(request.get("CollectionId", "")))
        job_id = new_job_id()
        now = time.time()
        try:
            with tx.write(self.engine) as conn:
                if self.settings.video.refuse_over_limit:
                    self._check_limit(conn)
                conn.execute(
                    J.insert().values(
                        job_id=job_id,
                        api=api.name,
                        status=IN_PROGRESS,
                        client_token=str(token) if token else None,
                        job_tag=request.get("JobTag"),
                        request=_storable(request),
                        bucket=bucket,
                        name=name,
                        version=version,
                        item_id=item_id,
                        owner=owner,
                        topic_arn=topic_arn,
                        frames_done=0,
                        partial=False,
                        record_count=0,
                        created_at=now,
                    )
                )
                self.tasks.enqueue_many(
                    [NewTask(VIDEO_KIND, task_key(job_id), {"job": job_id}, priority)],
                    conn=conn,
                )
        except IntegrityError:
            # Another request with the same token won the race: answer with its job.
            found = self._by_token(api, str(token)) if token else None
            if found is None:
                raise
            return self._same_request(found, request)
        return job_id

    def _by_token(self, api: VideoApi, token: str) -> JobRow | None:
        with tx.read(self.engine) as conn:
            r = conn.execute(
                select(J).where(J.c.api == api.name, J.c.client_token == token)
            ).first()
        return job_row(r) if r is not None else None

    @staticmethod
    def _same_request(job: JobRow, request: Mapping[str, Any]) -> str:
        if job.request != _storable(request):
            raise IdempotentParameterMismatchError(
                f"ClientRequestToken {job.client_token!r} was used for a different "
                f"Start{job.api} request (job {job.job_id}); use a new token."
            )
        return job.job_id

    def _check_object(self, bucket: str, name: str, version: str | None) -> None:
        where = f"s3://{bucket}/{name}"
        try:
            info = self.store.head(bucket, name)
        except ObjectNotFoundError as exc:
            raise InvalidS3ObjectError(f"Unable to get object metadata from {where}.") from exc
        if version is not None and info.version_id != version:
            raise InvalidS3ObjectError(
                f"Version {version!r} of {where} cannot be read: Sightline reads the current "
                f"version of an object, which is {info.version_id!r}."
            )
        limit = self.settings.video.max_object_bytes
        if info.size > limit:
            raise VideoTooLargeError(
                f"{where} is {info.size:,} bytes; stored videos may be at most {limit:,} bytes "
                "(settings.video.max_object_bytes)."
            )

    def _check_channel(self, request: Mapping[str, Any]) -> str | None:
        channel = request.get("NotificationChannel")
        if not channel:
            return None
        from sightline.notify.channels import resolve_channel

        arn = str(channel.get("SNSTopicArn", ""))
        resolve_channel(self.settings.notify, arn)  # refuses unknown channels now
        return arn

    def _check_collection(self, collection_id: str) -> None:
        with tx.read(self.engine) as conn:
            exists = conn.scalar(select(FC.c.id).where(FC.c.name == collection_id))
        if exists is None:
            raise ResourceNotFoundError(f"The collection id: {collection_id} does not exist")

    def _check_limit(self, conn: Connection) -> None:
        limit = self.settings.video.max_concurrent_jobs
        unfinished = conn.scalar(
            select(func.count()).select_from(J).where(J.c.status == IN_PROGRESS)
        )
        if int(unfinished or 0) >= limit:
            raise LimitExceededError(
                f"{unfinished} video jobs are unfinished and at most {limit} may run at once "
                "(settings.video.max_concurrent_jobs); start this one when one has finished."
            )

    # --- reading --------------------------------------------------------------------

    def get(self, job_id: str, api: VideoApi | None = None) -> JobRow:
        """The job ``job_id`` (of ``api``, when given), or ``ResourceNotFoundError``."""
        with tx.read(self.engine) as conn:
            r = conn.execute(select(J).where(J.c.job_id == job_id)).first()
        if r is None or (api is not None and r.api != api.name):
            kind = f" {api.name}" if api is not None else ""
            raise ResourceNotFoundError(f"No{kind} job with JobId {job_id!r} exists.")
        return job_row(r)

    def list(
        self, *, status: str | None = None, item_id: str | None = None, limit: int = 100
    ) -> list[JobRow]:
        """Newest first."""
        q = select(J).order_by(J.c.created_at.desc(), J.c.job_id).limit(limit)
        if status is not None:
            q = q.where(J.c.status == status)
        if item_id is not None:
            q = q.where(J.c.item_id == item_id)
        with tx.read(self.engine) as conn:
            return [job_row(r) for r in conn.execute(q)]

    def counts(self) -> dict[str, int]:
        """Jobs by status."""
        with tx.read(self.engine) as conn:
            rows = conn.execute(select(J.c.status, func.count()).group_by(J.c.status)).all()
        return {str(s): int(n) for s, n in rows}

    # --- while running --------------------------------------------------------------

    def begin(self, job_id: str) -> None:
        """The job's analysis starts now (a retry starts it again from nothing)."""
        with tx.write(self.engine, durable=False) as conn:
            conn.execute(
                update(J)
                .where(J.c.job_id == job_id)
                .values(started_at=time.time(), frames_done=0, frames_total=None)
            )

    def progress(self, job_id: str, frames_done: int, frames_total: int | None = None) -> None:
        values: dict[str, Any] = {"frames_done": frames_done}
        if frames_total is not None:
            values["frames_total"] = frames_total
        with tx.write(self.engine, durable=False) as conn:
            conn.execute(update(J).where(J.c.job_id == job_id).values(**values))

    # --- settling (inside the caller's transaction) ----------------------------------

    def succeed(
        self,
        conn: Connection,
        job: JobRow,
        records: Mapping[str, Sequence[Record]],
        *,
        details: Mapping[str, Any],
        message: str | None,
        partial: bool,
        output: tuple[str, str] | None,
        video_metadata: Mapping[str, Any] | None = None,
        audio_metadata: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Store the records (per aggregation), mark SUCCEEDED, queue the notification."""
        for aggregation, rows in records.items():
            insert_records(conn, job.job_id, aggregation, rows)
        main = next(iter(records.values()), ())
        self._settle(
            conn,
            job,
            SUCCEEDED,
            message,
            details=dict(details),
            partial=partial,
            record_count=len(main),
            output_bucket=output[0] if output else None,
            output_key=output[1] if output else None,
            video_metadata=dict(video_metadata) if video_metadata else None,
            audio_metadata=[dict(a) for a in audio_metadata],
        )

    def fail(self, conn: Connection, job: JobRow, message: str) -> None:
        """Mark FAILED with ``message`` and queue the notification."""
        self._settle(conn, job, FAILED, message)

    def _settle(
        self, conn: Connection, job: JobRow, status: str, message: str | None, **values: Any
    ) -> None:
        now = time.time()
        done = conn.execute(
            update(J)
            .where(J.c.job_id == job.job_id, J.c.status == IN_PROGRESS)
            .values(status=status, status_message=message, finished_at=now, **values)
        ).rowcount
        if not done:
            return  # settled already (a task that ran twice): one notification only
        if job.topic_arn:
            from sightline.notify.channels import resolve_channel
            from sightline.notify.outbox import Outbox

            try:
                targets = resolve_channel(self.settings.notify, job.topic_arn)
            except InvalidParameterError as exc:
                # The channel was valid at Start* but has been removed from the settings
                # since: the job's result stands; the message has nowhere to go.
                log.error("job %s: no notification sent: %s", job.job_id, exc.message)
                return
            Outbox(self.engine).add(
                conn, targets, completion_message(job, status, now), topic_arn=job.topic_arn
            )

    def purge(self, older_than: float) -> int:
        """Forget finished jobs (and their records) older than ``older_than`` seconds."""
        cutoff = time.time() - older_than
        with tx.write(self.engine) as conn:
            old = select(J.c.job_id).where(J.c.status != IN_PROGRESS, J.c.finished_at < cutoff)
            conn.execute(delete(R).where(R.c.job_id.in_(old)))
            return int(
                conn.execute(
                    delete(J).where(J.c.status != IN_PROGRESS, J.c.finished_at < cutoff)
                ).rowcount
            )


def video_object(request: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """``(bucket, name, version)`` of a Start* request's ``Video.S3Object``."""
    obj = (request.get("Video") or {}).get("S3Object") or {}
    bucket, name = obj.get("Bucket"), obj.get("Name")
    if not bucket or not name:
        raise InvalidParameterError("Video.S3Object needs both Bucket and Name.")
    version = obj.get("Version")
    return str(bucket), str(name), str(version) if version is not None else None


def _storable(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request as stored and compared for idempotency (JSON values only)."""
    return {k: v for k, v in request.items() if v is not None}


def jobs_of(runtime: Runtime) -> VideoJobs:
    """The job store over ``runtime``'s database, queue and object store."""
    return VideoJobs(runtime.engine, runtime.tasks, runtime.store, runtime.settings)
