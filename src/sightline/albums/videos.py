"""Videos in the web app: uploads that start stored-video jobs, who sees which job, and
the timeline of a video's finished jobs.

**Ownership.** A job belongs to a web user when that user started it from the videos
page: its ``owner`` column (for Rekognition callers, their access key) is then
``web-user:{user id}``. Members see their own jobs; admins see every job, also those
started through the Rekognition API or by the pipeline for ingested videos, whose
owners are access keys or nobody. A job someone may not see answers 404, as an album
does.

**Uploads** go to the album bucket at ``videos/{upload id}/{file name}`` (a key the
album rule never sees ingested: the page stores the object, then starts the chosen
jobs on it), one job per chosen analysis: LabelDetection, FaceDetection,
PersonTracking, and FaceSearch against the people collection once someone is
registered. ``JobTag`` is the analysis name, as for the jobs the pipeline starts, so
each job's stored document has its own ``async/{key}-analysis/{JobTag}/`` folder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import select

from sightline.accounts.actor import Actor
from sightline.albums.photos import check_file_name
from sightline.db import tx
from sightline.errors import InvalidParameterError, ResourceNotFoundError, VideoTooLargeError
from sightline.media.sniff import SNIFF_BYTES, describe_unknown, sniff
from sightline.pipeline.catalog import new_item_id
from sightline.runtime import Runtime
from sightline.video.apis import FACE_SEARCH, FACES, LABELS, PEOPLE, SEGMENTS, TIMESTAMPS, VideoApi
from sightline.video.jobs import FC, SUCCEEDED, J, JobRow, job_row, jobs_of
from sightline.video.records import R
from sightline.video.timeline import (
    Timeline,
    TrackGroup,
    face_tracks,
    label_tracks,
    match_tracks,
    person_tracks,
)

log = logging.getLogger(__name__)

VIDEO_PREFIX = "videos/"
OWNER_PREFIX = "web-user:"
MAX_RECORDS = 50_000  # per job read for a timeline (a 6 h video at 2 fps is 43,200 samples)


@dataclass(frozen=True)
class Analysis:
    key: str  # form value and JobTag
    api: VideoApi
    label: str  # what the page calls it


ANALYSES: dict[str, Analysis] = {
    a.key: a
    for a in (
        Analysis("labels", LABELS, "Labels (objects, scenes, activities)"),
        Analysis("faces", FACES, "Faces"),
        Analysis("people", PEOPLE, "People tracking"),
        Analysis("face-search", FACE_SEARCH, "Registered people (face search)"),
    )
}
DEFAULT_ANALYSES = ("labels", "faces", "people")


def owner_of(actor: Actor) -> str | None:
    """The ``owner`` of jobs ``actor`` starts (None for the operator, as the API does)."""
    return f"{OWNER_PREFIX}{actor.user.id}" if actor.user is not None else None


def can_see(actor: Actor, job: JobRow) -> bool:
    return actor.is_admin or (job.owner is not None and job.owner == owner_of(actor))


@dataclass(frozen=True)
class Video:
    """One video and the jobs run on it that the viewer may see, newest job first."""

    bucket: str
    name: str
    jobs: tuple[JobRow, ...]

    @property
    def file_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def created_at(self) -> float:
        return min(j.created_at for j in self.jobs)

    @property
    def uploaded_here(self) -> bool:
        return self.name.startswith(VIDEO_PREFIX)

    @property
    def finished(self) -> bool:
        return all(j.finished for j in self.jobs)

    @property
    def status(self) -> str:
        """The jobs together: IN_PROGRESS while one runs, else FAILED if one failed."""
        states = {j.status for j in self.jobs}
        if "IN_PROGRESS" in states:
            return "IN_PROGRESS"
        return "FAILED" if "FAILED" in states else "SUCCEEDED"

    @property
    def duration_ms(self) -> int | None:
        for j in self.jobs:
            value = (j.video_metadata or {}).get("DurationMillis")
            if isinstance(value, int):
                return value
        return None


class VideoLibrary:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.bucket = runtime.settings.web.album_bucket
        self.jobs = jobs_of(runtime)

    # --- reading --------------------------------------------------------------------

    def visible(self, actor: Actor, limit: int = 300) -> list[Video]:
        """The videos with jobs ``actor`` may see, newest first."""
        query = select(J).order_by(J.c.created_at.desc(), J.c.job_id).limit(limit)
        if not actor.is_admin:
            query = query.where(J.c.owner == owner_of(actor))
        with tx.read(self.rt.engine) as conn:
            rows = [job_row(r) for r in conn.execute(query)]
        videos: dict[tuple[str, str], list[JobRow]] = {}
        for job in rows:
            videos.setdefault((job.bucket, job.name), []).append(job)
        return [Video(b, n, tuple(jobs)) for (b, n), jobs in videos.items()]

    def job(self, actor: Actor, job_id: str) -> JobRow:
        """Raises ``ResourceNotFoundError``: no such job, or not ``actor``'s to see."""
        job = self.jobs.get(job_id)
        if not can_see(actor, job):
            raise ResourceNotFoundError(f"No job with JobId {job_id!r} exists.")
        return job

    def video_of(self, actor: Actor, job: JobRow) -> Video:
        """The job's video with every job on it ``actor`` may see."""
        query = (
            select(J)
            .where(J.c.bucket == job.bucket, J.c.name == job.name)
            .order_by(J.c.created_at.desc(), J.c.job_id)
        )
        with tx.read(self.rt.engine) as conn:
            rows = [job_row(r) for r in conn.execute(query)]
        return Video(job.bucket, job.name, tuple(j for j in rows if can_see(actor, j)))

    def has_collection(self, name: str) -> bool:
        with tx.read(self.rt.engine) as conn:
            return conn.scalar(select(FC.c.id).where(FC.c.name == name)) is not None

    # --- starting -------------------------------------------------------------------

    def upload(
        self, actor: Actor, file_name: str, stream: BinaryIO, analyses: Sequence[str]
    ) -> list[JobRow]:
        """Store the video and start one job per analysis; the jobs.

        Raises:
            InvalidParameterError: no analysis chosen, an unknown one, face search with
                nobody registered, a file that is no video, a bad file name.
            VideoTooLargeError: over ``video.max_object_bytes``.
        """
        chosen = list(dict.fromkeys(analyses))
        if not chosen:
            raise InvalidParameterError("Choose at least one analysis to run on the video.")
        unknown = [a for a in chosen if a not in ANALYSES]
        if unknown:
            raise InvalidParameterError(f"Unknown analysis {unknown[0]!r}.")
        name = check_file_name(file_name)
        head = stream.read(SNIFF_BYTES)
        kind = sniff(head)
        if kind is None or not kind.is_video:
            what = f"a {kind.format.upper()} image" if kind is not None else describe_unknown(head)
            raise InvalidParameterError(
                f"{name} is not a video: the bytes are {what}. Upload an MP4, MOV, MKV, WebM "
                "or AVI file."
            )
        size = stream.seek(0, 2)
        limit = self.rt.settings.video.max_object_bytes
        if size > limit:
            raise VideoTooLargeError(
                f"{name} is {size:,} bytes; videos may be at most {limit:,} bytes."
            )
        stream.seek(0)
        people = self.rt.settings.web.people_collection
        if "face-search" in chosen and not self.has_collection(people):
            raise InvalidParameterError(
                "Nobody is registered yet: register people before searching videos for them."
            )
        key = f"{VIDEO_PREFIX}{new_item_id()}/{name}"
        self.rt.store.ensure_bucket(self.bucket)
        self.rt.store.put(self.bucket, key, stream, content_type=kind.mime)
        started: list[JobRow] = []
        for analysis in chosen:
            request: dict[str, Any] = {
                "Video": {"S3Object": {"Bucket": self.bucket, "Name": key}},
                "JobTag": analysis,
            }
            api = ANALYSES[analysis].api
            if api is FACE_SEARCH:
                request["CollectionId"] = people
            job_id = self.jobs.start(api, request, owner=owner_of(actor))
            started.append(self.jobs.get(job_id))
        log.info("video %s uploaded by %s: jobs %s", key, actor.name, [j.job_id for j in started])
        return started

    # --- the timeline ---------------------------------------------------------------

    def timeline(self, video: Video, person_names: Mapping[str, str]) -> Timeline | None:
        """Tracks from the video's finished jobs (the newest job of each kind); None
        while none has succeeded. ``person_names``: a registered face's
        ``ExternalImageId`` -> the person's name."""
        latest: dict[str, JobRow] = {}
        for job in video.jobs:  # newest first
            if job.status == SUCCEEDED:
                latest.setdefault(job.api, job)
        if not latest:
            return None
        duration = video.duration_ms
        groups: list[TrackGroup] = []
        with tx.read(self.rt.engine) as conn:

            def records(job: JobRow, aggregation: str) -> list[dict[str, Any]]:
                rows = conn.execute(
                    select(R.c.record)
                    .where(R.c.job_id == job.job_id, R.c.aggregation == aggregation)
                    .order_by(R.c.timestamp_ms, R.c.seq)
                    .limit(MAX_RECORDS)
                ).scalars()
                return [dict(r) for r in rows]

            if (labels := latest.get(LABELS.name)) is not None:
                groups.append(label_tracks(records(labels, SEGMENTS)))
            if (search := latest.get(FACE_SEARCH.name)) is not None:
                groups.append(
                    match_tracks(
                        records(search, TIMESTAMPS),
                        self.interval_of(search),
                        duration,
                        lambda face: person_names.get(str(face.get("ExternalImageId", ""))),
                    )
                )
            if (faces := latest.get(FACES.name)) is not None:
                groups.append(
                    face_tracks(records(faces, TIMESTAMPS), self.interval_of(faces), duration)
                )
            if (people := latest.get(PEOPLE.name)) is not None:
                groups.append(
                    person_tracks(records(people, TIMESTAMPS), self.interval_of(people), duration)
                )
        end = duration or max(
            (s.end_ms for g in groups for t in g.tracks for s in t.segments), default=0
        )
        return Timeline(max(end, 1), tuple(groups))

    def interval_of(self, job: JobRow) -> int:
        """The time one sample of the job stands for: its sampling plan's interval (the
        configured one for jobs that did not record theirs)."""
        sampling = (job.details or {}).get("sampling") or {}
        fps = sampling.get("fps")
        if not (isinstance(fps, (int, float)) and fps > 0):
            fps = self.rt.settings.video.sample_fps
        return max(1, round(1000 / fps))
