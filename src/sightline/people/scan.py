"""The faces of album photos, and which photos show a registered person.

A photo's faces are indexed once into the photo-faces collection
(``web.photo_faces_collection``, default ``album-faces``), with ``ExternalImageId`` =
``photo-{photo id}`` (:func:`sightline.albums.photos.face_external_id`, so deleting
the photo deletes them), and the scan is remembered in ``photo_face_scans`` — also
when it found nothing indexable, so a photo is decoded for this at most once.

When: lazily, by the first person search that needs the photo, and only for completed
photos whose stored labels already show a face (the labels analyzer boxes each face
it finds, so most photos are skipped without reading a byte). Indexing costs a decode,
a detection and an embedding: 0.2 s for a 512 px photo, 0.55 s for 12 MP on one core
of the CI machine, so a search scans for at most ``web.face_scan_seconds`` and says
how many photos are left; the next search continues. Keeping the vectors (rather than
storing who matched at scan time) means a person registered later is found in photos
scanned earlier, with no rescan.

Which photos show a person: each of the person's registered faces is searched in the
photo-faces collection (``SearchFaces`` with the face taken from the people collection,
:meth:`FaceService.search_faces` ``source_collection``); a photo matches with its best
similarity. Two collections, not one, so the people collection holds nothing but
people: a face search there never has its candidates crowded out by thousands of
photo faces of the same person.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from sightline.albums.photos import PhotoInfo, face_external_id
from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.bulk import insert_ignore
from sightline.db.models.albums import PhotoFaceScan
from sightline.errors import InvalidInputError, ResourceNotFoundError
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.people.registry import PeopleRegistry, ensure_collection
from sightline.runtime import Runtime

if TYPE_CHECKING:
    from sightline.faces.service import FaceService

log = logging.getLogger(__name__)
SCANS = cast(Table, PhotoFaceScan.__table__)
PHOTO_PREFIX = "photo-"
MAX_MATCHES = 4096  # photo faces per searched face (Rekognition's MaxFaces bound)


@dataclass(frozen=True)
class ScanReport:
    scanned: int  # photos whose faces this call indexed (or found unusable)
    pending: int  # photos with faces still to scan (the time ran out)
    faces: int  # faces indexed by this call


class PhotoFaces:
    def __init__(
        self,
        runtime: Runtime,
        faces: Callable[[], FaceService],
        people: PeopleRegistry,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt = runtime
        self._faces = faces
        self.people = people
        self.collection = runtime.settings.web.photo_faces_collection
        self.clock = clock
        self._lock = threading.Lock()  # one scan at a time in this process

    def unscanned(self, photo_ids: Iterable[str]) -> set[str]:
        """Those of ``photo_ids`` whose faces have not been scanned yet."""
        wanted = set(photo_ids)
        if not wanted:
            return set()
        done: set[str] = set()
        ids = sorted(wanted)
        with tx.read(self.rt.engine) as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                done.update(
                    conn.execute(
                        select(SCANS.c.photo_id).where(SCANS.c.photo_id.in_(chunk))
                    ).scalars()
                )
        return wanted - done

    def scan(self, photos: Sequence[PhotoInfo], *, budget: float) -> ScanReport:
        """Index the faces of those ``photos`` not scanned yet, for at most ``budget``
        seconds (one photo always, so every call makes progress)."""
        todo = [p for p in photos if p.id in self.unscanned(p.id for p in photos)]
        if not todo:
            return ScanReport(0, 0, 0)
        deadline = self.clock() + budget
        if not self._lock.acquire(timeout=budget):
            return ScanReport(0, len(todo), 0)
        try:
            todo = [p for p in todo if p.id in self.unscanned(p.id for p in todo)]
            ensure_collection(self._faces(), self.collection)
            scanned = indexed = 0
            for photo in todo:
                if scanned and self.clock() >= deadline:
                    break
                indexed += self._scan_one(photo)
                scanned += 1
            return ScanReport(scanned, len(todo) - scanned, indexed)
        finally:
            self._lock.release()

    def _scan_one(self, photo: PhotoInfo) -> int:
        faces = self._faces()
        external = face_external_id(photo.id)
        error: str | None = None
        face_ids: list[str] = []
        try:
            result = faces.index_faces(
                {
                    "CollectionId": self.collection,
                    "Image": {"S3Object": {"Bucket": photo.bucket, "Name": photo.key}},
                    "ExternalImageId": external,
                    "QualityFilter": "AUTO",
                }
            )
            face_ids = [f.record.face_id for f in result.indexed]
            if not face_ids:
                error = " ".join(result.notes) or "No face could be indexed."
        except InvalidInputError as exc:  # undecodable, too large, gone from the store
            error = f"{type(exc).__name__}: {exc.message}"
        try:
            with tx.write(self.rt.engine) as conn:
                insert_ignore(
                    conn,
                    SCANS,
                    [
                        {
                            "photo_id": photo.id,
                            "faces": len(face_ids),
                            "error": error,
                            "scanned_at": utcnow(),
                        }
                    ],
                    conflict=("photo_id",),
                )
        except IntegrityError:
            # The photo was deleted meanwhile: its faces must not outlive it.
            if face_ids:
                faces.delete_faces({"CollectionId": self.collection, "FaceIds": face_ids})
            return 0
        if error:
            log.info("photo %s: no face indexed (%s)", photo.id, error)
        return len(face_ids)

    def photos_showing(
        self, person_id: str, *, threshold: float = DEFAULT_THRESHOLD
    ) -> dict[str, float]:
        """photo id -> best similarity (0-100) of each scanned photo in which one of
        the person's registered faces reaches ``threshold``."""
        person_faces = self.people.faces_of(person_id)
        found: dict[str, float] = {}
        faces = self._faces()
        for face in person_faces:
            try:
                result = faces.search_faces(
                    {
                        "CollectionId": self.collection,
                        "FaceId": face.face_id,
                        "MaxFaces": MAX_MATCHES,
                        "FaceMatchThreshold": threshold,
                    },
                    source_collection=self.people.collection,
                )
            except ResourceNotFoundError:
                return {}  # no photo has been scanned yet (no collection)
            for match in result.matches:
                external = match.face.external_image_id or ""
                if not external.startswith(PHOTO_PREFIX):
                    continue
                photo_id = external[len(PHOTO_PREFIX) :]
                found[photo_id] = max(found.get(photo_id, 0.0), match.similarity)
        return found
