"""Photos: uploaded into an album's folder of the album bucket, analysed by the
pipeline, listed with their status, and deleted with everything derived from them.

A photo's object is ``{album_id}/{photo_id}/{file name}`` in ``web.album_bucket``;
the router's built-in rule for that bucket gives it ``web.album_analyses``. Each
upload is a new object (the photo id is in its key), so its item, results and outputs
belong to that photo alone and go when it is deleted:

- the face-index entries indexed from it (``ExternalImageId`` = :func:`face_external_id`),
- its queued task, its item (the results rows, their delivery records, its workflow
  executions and their steps go with the item), its photo row,
- its object and every output object under its analysis folders (documents,
  thumbnails).

A photo a worker is processing right now cannot be deleted (``ConflictError``): the
worker would write its outputs after we removed them.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import Connection, delete, insert, select

from sightline.accounts.actor import Actor
from sightline.albums.status import ExecutionSummary, PhotoStatus, item_status, photo_status
from sightline.albums.store import AlbumInfo
from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.models.accounts import User
from sightline.db.models.albums import Photo
from sightline.db.models.faces import FaceCollection, StoredFace
from sightline.db.models.pipeline import Item, Result, TaskState
from sightline.db.models.workflows import ExecutionStatus, StepState
from sightline.errors import ConflictError, InternalError, InvalidParameterError
from sightline.pipeline.catalog import new_item_id, task_key
from sightline.pipeline.ingest import upload
from sightline.pipeline.outputs import analysis_prefix
from sightline.pipeline.queue import T
from sightline.pipeline.router import IMAGE_WORKFLOW, VIDEO_WORKFLOW, WORKFLOW_KIND
from sightline.pipeline.workflows.executions import S, X
from sightline.runtime import Runtime

if TYPE_CHECKING:
    from sightline.faces.service import FaceService

log = logging.getLogger(__name__)
MAX_FILE_NAME = 255
_UNFAILED = (ExecutionStatus.RUNNING.value, ExecutionStatus.SUCCEEDED.value)


def face_external_id(photo_id: str) -> str:
    """The ``ExternalImageId`` of faces indexed from a photo (a face collection entry
    made from it); deleting the photo deletes them."""
    return f"photo-{photo_id}"


@dataclass(frozen=True)
class IncomingFile:
    """An uploaded file: its name (the last part only), type, and a readable stream."""

    name: str
    stream: BinaryIO
    content_type: str | None = None


@dataclass(frozen=True)
class PhotoInfo:
    id: str
    album_id: str
    item_id: str
    file_name: str
    uploaded_by: str | None  # user name; None when uploaded with an API token
    uploaded_at: dt.datetime
    bucket: str
    key: str
    media_type: str | None  # sniffed from the bytes
    size: int
    workflow: str | None  # the workflow definition it runs through (or the task kind)
    analyses: tuple[str, ...]  # what the router planned for it (none for a workflow)
    status: PhotoStatus


_PHOTOS = (
    select(
        Photo.id,
        Photo.album_id,
        Photo.item_id,
        Photo.file_name,
        User.username,
        Photo.uploaded_at,
        Item.bucket,
        Item.key,
        Item.media_type,
        Item.size,
        Item.workflow,
        Item.analyses,
        Item.status,
        Item.error,
        Item.reason,
        Item.attempts,
        Item.updated_at,
    )
    .join(Item, Item.id == Photo.item_id)
    .outerjoin(User, User.id == Photo.uploaded_by)
)


def _info(r: Any, executions: dict[str, ExecutionSummary]) -> PhotoInfo:
    status = item_status(r.item_id, r.status, r.error, r.reason, r.attempts, r.updated_at)
    return PhotoInfo(
        id=r.id,
        album_id=r.album_id,
        item_id=r.item_id,
        file_name=r.file_name,
        uploaded_by=r.username,
        uploaded_at=r.uploaded_at,
        bucket=r.bucket,
        key=r.key,
        media_type=r.media_type,
        size=r.size,
        workflow=r.workflow,
        analyses=tuple(r.analyses or ()),
        status=photo_status(status, executions.get(r.item_id)),
    )


def _photos(conn: Connection, query: Any) -> list[PhotoInfo]:
    rows = conn.execute(query).all()
    executions = latest_executions(conn, [r.item_id for r in rows])
    return [_info(r, executions) for r in rows]


def latest_executions(conn: Connection, item_ids: Sequence[str]) -> dict[str, ExecutionSummary]:
    """item id -> its latest workflow execution, with the first step that failed."""
    if not item_ids:
        return {}
    rows = conn.execute(
        select(X.c.id, X.c.item_id, X.c.workflow, X.c.status, X.c.error, X.c.cause)
        .where(X.c.item_id.in_(list(item_ids)))
        .order_by(X.c.id)
    ).all()
    latest = {r.item_id: r for r in rows}  # ids are time-ordered: the last one wins
    ended = [r.id for r in latest.values() if r.status not in _UNFAILED]
    first_failed: dict[str, str] = {}
    if ended:
        for execution_id, name in conn.execute(
            select(S.c.execution_id, S.c.name)
            .where(S.c.execution_id.in_(ended), S.c.state == StepState.FAILED.value)
            .order_by(S.c.id.desc())
        ):
            first_failed[execution_id] = name  # descending: the earliest is kept
    return {
        item_id: ExecutionSummary(
            r.id, r.workflow, r.status, r.error, r.cause, first_failed.get(r.id)
        )
        for item_id, r in latest.items()
    }


class PhotoStore:
    """Photos over the runtime's database, store and catalog."""

    def __init__(self, runtime: Runtime, faces: Callable[[], FaceService]) -> None:
        self.rt = runtime
        self.bucket = runtime.settings.web.album_bucket
        self._faces = faces

    # --- reading ----------------------------------------------------------------

    def in_album(self, album_id: str) -> list[PhotoInfo]:
        """The album's photos in upload order."""
        query = _PHOTOS.where(Photo.album_id == album_id).order_by(Photo.id)
        with tx.read(self.rt.engine) as conn:
            return _photos(conn, query)

    def in_albums(self, album_ids: Sequence[str]) -> list[PhotoInfo]:
        """The photos of these albums (a library search's candidates), newest first."""
        out: list[PhotoInfo] = []
        ids = list(album_ids)
        with tx.read(self.rt.engine) as conn:
            for start in range(0, len(ids), 500):
                query = _PHOTOS.where(Photo.album_id.in_(ids[start : start + 500]))
                out.extend(_photos(conn, query))
        return sorted(out, key=lambda p: p.id, reverse=True)

    def get(self, album_id: str, photo_id: str) -> PhotoInfo | None:
        query = _PHOTOS.where(Photo.album_id == album_id, Photo.id == photo_id)
        with tx.read(self.rt.engine) as conn:
            found = _photos(conn, query)
        return found[0] if found else None

    # --- uploading --------------------------------------------------------------

    def add(self, album: AlbumInfo, actor: Actor, files: Sequence[IncomingFile]) -> list[PhotoInfo]:
        """Store each file, record it in the catalog (queued for analysis at once), and
        add it to the album. Bad media are recorded too: they show as failed, with why.

        Raises:
            InvalidParameterError: a file without a usable name.
            StorageError: the store failed (photos stored before it stay).
        """
        names = [check_file_name(f.name) for f in files]
        self.rt.store.ensure_bucket(self.bucket)
        added = []
        for f, name in zip(files, names, strict=True):
            photo_id = new_item_id()
            recorded = upload(
                self.rt.store,
                self.rt.catalog,
                self.bucket,
                f"{album.id}/{photo_id}/{name}",
                f.stream,
                content_type=f.content_type,
                source="web",
            )
            if recorded.item_id is None:
                raise InternalError(f"The catalog recorded no item for {recorded.key!r}.")
            with tx.write(self.rt.engine) as conn:
                conn.execute(
                    insert(Photo).values(
                        id=photo_id,
                        album_id=album.id,
                        item_id=recorded.item_id,
                        file_name=name,
                        uploaded_by=actor.user_id,
                        uploaded_at=utcnow(),
                    )
                )
            photo = self.get(album.id, photo_id)
            if photo is not None:
                added.append(photo)
        return added

    # --- deleting ---------------------------------------------------------------

    def delete(self, photo: PhotoInfo) -> None:
        """Delete the photo and everything derived from it (see the module docstring).

        Raises:
            ConflictError: a worker is processing it now; try again when it is done.
            StorageError: an object could not be removed; nothing in the database
                changed, and deleting again finishes the job.
        """
        self._delete_faces(photo)
        pipeline = self.rt.settings.pipeline
        with tx.write(self.rt.engine) as conn:
            workflow = conn.scalar(select(Item.workflow).where(Item.id == photo.item_id))
            # Its task: under the item's workflow, or the kind it was first routed to.
            kinds = {k for k in (workflow, IMAGE_WORKFLOW, VIDEO_WORKFLOW, WORKFLOW_KIND) if k}
            task_query = select(T.c.id, T.c.state).where(
                T.c.key.in_([task_key(k, photo.item_id) for k in sorted(kinds)])
            )
            if conn.dialect.name == "postgresql":
                task_query = task_query.with_for_update()  # no worker claims it meanwhile
            tasks = conn.execute(task_query).all()
            if any(t.state == TaskState.RUNNING.value for t in tasks):
                raise ConflictError(
                    f"{photo.file_name} is being processed right now; delete it once it "
                    "has completed or failed."
                )
            prefix = analysis_prefix(pipeline.output_prefix, photo.key, photo.item_id)
            folders = {(pipeline.output_bucket, prefix)}
            for bucket, key in conn.execute(
                select(Result.output_bucket, Result.output_key).where(
                    Result.item_id == photo.item_id
                )
            ):
                folders.add((bucket, posixpath.dirname(key) + "/"))
            if tasks:
                conn.execute(delete(T).where(T.c.id.in_([t.id for t in tasks])))
            conn.execute(delete(Photo).where(Photo.id == photo.id))
            conn.execute(delete(Item).where(Item.id == photo.item_id))
            # Objects last, still inside the transaction: if the store fails, the rows
            # stay and a second delete removes what is left.
            for bucket, folder in sorted(folders):
                for obj in list(self.rt.store.list(bucket, folder)):
                    self.rt.store.delete(bucket, obj.key)
            self.rt.store.delete(photo.bucket, photo.key)

    def _delete_faces(self, photo: PhotoInfo) -> None:
        query = (
            select(FaceCollection.name, StoredFace.face_id)
            .join(FaceCollection, FaceCollection.id == StoredFace.collection_pk)
            .where(StoredFace.external_image_id == face_external_id(photo.id))
        )
        with tx.read(self.rt.engine) as conn:
            rows = conn.execute(query).all()
        by_collection: dict[str, list[str]] = {}
        for name, face_id in rows:
            by_collection.setdefault(name, []).append(face_id)
        for name, face_ids in by_collection.items():
            service = self._faces()
            for start in range(0, len(face_ids), 4096):  # DeleteFaces takes 4096 at most
                service.delete_faces(
                    {"CollectionId": name, "FaceIds": face_ids[start : start + 4096]}
                )
            log.info("deleted %d faces of photo %s from %s", len(face_ids), photo.id, name)


def check_file_name(name: str) -> str:
    """The last part of ``name`` (browsers send a bare name, other clients a path), so
    a file can never choose its own folder.

    Raises:
        InvalidParameterError: no name, or longer than 255 characters.
    """
    base = posixpath.basename(name.replace("\\", "/")).strip()
    if not base or base in (".", ".."):
        raise InvalidParameterError("Every uploaded file needs a file name.")
    if len(base) > MAX_FILE_NAME:
        raise InvalidParameterError(
            f"The file name {base[:40]!r}... is longer than {MAX_FILE_NAME} characters."
        )
    return base
