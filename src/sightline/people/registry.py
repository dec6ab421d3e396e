"""Registered people: a name, notes and faces in the installation's people collection.

One collection per installation (``web.people_collection``, default ``people``),
created with the configured face model on the first registration. A person is:

- a Rekognition user of that collection whose ``UserId`` is the person's id, with
  its faces associated (at most 100, Rekognition's limit);
- a person record (:meth:`FaceService.put_person`) attached to that user: the name,
  the notes, and who registered the person and when (``attributes``);
- a JPEG crop of each face, ``people/{person id}/{face id}.jpg`` in the album bucket
  (a collection stores vectors, not pictures), for the people pages.

A registration or added face must show exactly one face that passes the collection's
``AUTO`` quality bar; anything else is refused with a message saying what was wrong,
and nothing is left behind. An added face must also look like the person's faces
(``AssociateFaces``' ``UserMatchThreshold``, 75), which stops a wrong photo from
joining someone's faces.

Anyone signed in may see and search the people; the user who registered a person (and
admins) may add faces to them or delete them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from PIL import Image as PILImage

from sightline.accounts.actor import Actor
from sightline.analyzers.types import Box
from sightline.errors import (
    AccessDeniedError,
    InvalidParameterError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
    SightlineError,
)
from sightline.faces.types import FaceRecord, IndexFacesResult, PersonRecord
from sightline.media.decode import decode_image
from sightline.media.image import Image
from sightline.runtime import Runtime

if TYPE_CHECKING:
    from sightline.faces.service import FaceService

log = logging.getLogger(__name__)

MAX_NAME = 255
MAX_NOTES = 2000
CROP_SIDE = 160  # pixels of the stored face crops (shown at 80 px; sharp on 2x screens)
CROP_MARGIN = 0.25  # of the face box, added on every side
ADD_FACE_THRESHOLD = 75.0  # AssociateFaces' default UserMatchThreshold

REASONS = {
    "EXTREME_POSE": "turned too far from the camera",
    "LOW_BRIGHTNESS": "too dark",
    "LOW_SHARPNESS": "too blurred",
    "LOW_CONFIDENCE": "not clearly a face",
    "SMALL_BOUNDING_BOX": "too small",
    "LOW_FACE_QUALITY": "of too low quality",
}


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    notes: str
    registered_by: str | None  # user name (None: registered with an API token)
    registered_at: dt.datetime | None
    face_ids: tuple[str, ...]  # in indexing order

    @property
    def face_count(self) -> int:
        return len(self.face_ids)

    @property
    def cover_face(self) -> str | None:
        return self.face_ids[0] if self.face_ids else None


def person_external_id(person_id: str) -> str:
    """The ``ExternalImageId`` of a person's registered faces."""
    return f"person-{person_id}"


def crop_key(person_id: str, face_id: str) -> str:
    return f"people/{person_id}/{face_id}.jpg"


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidParameterError("Give the person a name.")
    if len(cleaned) > MAX_NAME:
        raise InvalidParameterError(f"A name may have at most {MAX_NAME} characters.")
    return cleaned


def check_notes(notes: str) -> str:
    cleaned = notes.strip()
    if len(cleaned) > MAX_NOTES:
        raise InvalidParameterError(f"Notes may have at most {MAX_NOTES} characters.")
    return cleaned


class PeopleRegistry:
    """People over the face-collection service, the object store and the settings."""

    def __init__(
        self,
        runtime: Runtime,
        faces: Callable[[], FaceService],
        *,
        max_side: int | None = None,
    ) -> None:
        self.rt = runtime
        self._faces = faces
        self.collection = runtime.settings.web.people_collection
        self.bucket = runtime.settings.web.album_bucket
        self.max_side = max_side  # the decode size the face analyzer needs

    @property
    def faces(self) -> FaceService:
        return self._faces()

    # --- the collection -------------------------------------------------------------

    def exists(self) -> bool:
        try:
            self.faces.describe_collection({"CollectionId": self.collection})
        except ResourceNotFoundError:
            return False
        return True

    def ensure_collection(self) -> None:
        """Create the people collection unless it exists (first registration)."""
        ensure_collection(self.faces, self.collection)

    # --- reading --------------------------------------------------------------------

    def everyone(self) -> list[Person]:
        """Everyone registered, by name; [] before the first registration."""
        try:
            records = self.faces.list_persons(self.collection)
        except ResourceNotFoundError:
            return []
        return [self._person(r) for r in records if r.user_id == r.person_id]

    def get(self, person_id: str) -> Person:
        """Raises ``ResourceNotFoundError``: no such person (or no collection yet)."""
        try:
            record = self.faces.get_person(self.collection, person_id)
        except (ResourceNotFoundError, InvalidParameterError) as exc:
            raise ResourceNotFoundError(f"No person {person_id!r}.") from exc
        return self._person(record)

    def _person(self, record: PersonRecord) -> Person:
        attributes = record.attributes or {}
        at = attributes.get("registered_at")
        return Person(
            id=record.person_id,
            name=record.name,
            notes=record.notes,
            registered_by=attributes.get("registered_by"),
            registered_at=dt.datetime.fromisoformat(at) if isinstance(at, str) else None,
            face_ids=tuple(f.face_id for f in self.faces_of(record.person_id)),
        )

    def faces_of(self, person_id: str) -> list[FaceRecord]:
        """The person's faces in the people collection, in indexing order."""
        out: list[FaceRecord] = []
        token: str | None = None
        while True:
            request: dict[str, object] = {"CollectionId": self.collection, "UserId": person_id}
            if token:
                request["NextToken"] = token
            try:
                page, _ = self.faces.list_faces(request)
            except ResourceNotFoundError:
                return out
            out.extend(page.items)
            token = page.next_token
            if not token:
                return out

    def crop(self, person_id: str, face_id: str) -> BinaryIO:
        """The stored crop of one of the person's faces (the caller closes it).

        Raises:
            ResourceNotFoundError: no such person or face.
        """
        person = self.get(person_id)
        if face_id not in person.face_ids:
            raise ResourceNotFoundError(f"{person.name} has no face {face_id!r}.")
        try:
            return self.rt.store.open(self.bucket, crop_key(person_id, face_id))
        except SightlineError as exc:
            raise ResourceNotFoundError(f"The picture of face {face_id} is missing.") from exc

    @staticmethod
    def can_edit(actor: Actor, person: Person) -> bool:
        return actor.is_admin or (
            actor.user is not None and actor.user.username == person.registered_by
        )

    def for_edit(self, actor: Actor, person_id: str) -> Person:
        person = self.get(person_id)
        if not self.can_edit(actor, person):
            raise AccessDeniedError(
                f"Only {person.registered_by or 'an admin'}, who registered {person.name}, "
                "and admins can change or delete this person."
            )
        return person

    # --- changing -------------------------------------------------------------------

    def decode(self, data: bytes) -> Image:
        """The photo, upright, at the size the face models need.

        Raises:
            InvalidImageFormatError, ImageTooLargeError, ImageTooSmallError.
        """
        if not data:
            raise InvalidParameterError(
                "Choose a photo of the person, or capture one with the camera."
            )
        limits = self.rt.settings.limits
        return decode_image(data, limits, max_side=self.max_side, max_bytes=limits.max_object_bytes)

    def register(self, actor: Actor, name: str, notes: str, data: bytes) -> Person:
        """A new person from a photo showing exactly their face.

        Raises:
            InvalidParameterError: a bad name or notes; no face, several faces, or a
                face too poor to search (the message says which).
            InvalidImageFormatError, ImageTooLargeError: the photo cannot be used.
        """
        name, notes = check_name(name), check_notes(notes)
        image = self.decode(data)
        self.ensure_collection()
        person_id = str(uuid.uuid4())
        faces = self.faces
        faces.create_user({"CollectionId": self.collection, "UserId": person_id})
        face_id: str | None = None
        try:
            face_id, box = self._index_one(image, person_id, name)
            faces.associate_faces(
                {"CollectionId": self.collection, "UserId": person_id, "FaceIds": [face_id]}
            )
            self._store_crop(image, box, person_id, face_id)
            faces.put_person(
                self.collection,
                person_id=person_id,
                user_id=person_id,
                name=name,
                notes=notes,
                attributes={
                    "registered_by": actor.user.username if actor.user else None,
                    "registered_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                },
            )
        except BaseException:
            self._undo(person_id, [face_id] if face_id else [], user=True)
            raise
        log.info("registered person %s (%s) by %s", person_id, name, actor.name)
        return self.get(person_id)

    def add_face(self, actor: Actor, person_id: str, data: bytes) -> Person:
        """Another face of a person (another angle, another year).

        Raises:
            ResourceNotFoundError, AccessDeniedError: as :meth:`for_edit`.
            InvalidParameterError: as :meth:`register`, or the face does not look like
                the person's other faces.
            ServiceQuotaExceededError: the person has 100 faces.
        """
        person = self.for_edit(actor, person_id)
        image = self.decode(data)
        face_id, box = self._index_one(image, person_id, person.name)
        try:
            result = self.faces.associate_faces(
                {
                    "CollectionId": self.collection,
                    "UserId": person_id,
                    "FaceIds": [face_id],
                    "UserMatchThreshold": ADD_FACE_THRESHOLD,
                }
            )
            if face_id not in result.associated:
                failed = result.unsuccessful[0] if result.unsuccessful else None
                if failed is not None and "LOW_MATCH_CONFIDENCE" in failed.reasons:
                    similarity = (
                        f" (similarity {failed.confidence:.1f})" if failed.confidence else ""
                    )
                    raise InvalidParameterError(
                        f"This face does not look like {person.name}{similarity}: a new face "
                        f"must reach {ADD_FACE_THRESHOLD:.0f} against their other faces. "
                        "Use a clearer photo of them."
                    )
                why = ", ".join(failed.reasons) if failed else "unknown"
                raise InvalidParameterError(f"The face could not be added ({why}).")
            self._store_crop(image, box, person_id, face_id)
        except BaseException:
            self._undo(person_id, [face_id], user=False)
            raise
        return self.get(person_id)

    def delete(self, actor: Actor, person_id: str) -> None:
        """Delete the person: their faces leave the index, then the user, the record and
        the crops go. Deleting again finishes a deletion that was interrupted."""
        person = self.for_edit(actor, person_id)
        # Faces first, the record next, the user last: an interrupted deletion leaves
        # the person listed (with fewer faces) until it is deleted again.
        self._undo(person_id, [f.face_id for f in self.faces_of(person_id)], user=False)
        self.faces.delete_person(self.collection, person.id)
        with contextlib.suppress(ResourceNotFoundError):
            self.faces.delete_user({"CollectionId": self.collection, "UserId": person_id})
        log.info("deleted person %s (%s) by %s", person.id, person.name, actor.name)

    # --- helpers --------------------------------------------------------------------

    def _index_one(self, image: Image, person_id: str, name: str) -> tuple[str, Box]:
        """Index the photo's one face for ``person_id``; its FaceId and box.

        Raises:
            InvalidParameterError: no usable face, or more than one.
        """
        result = self.faces.index_faces(
            {
                "CollectionId": self.collection,
                "Image": image,
                "ExternalImageId": person_external_id(person_id),
                "MaxFaces": 1,
                "QualityFilter": "AUTO",
            }
        )
        extra = [r for r in result.unindexed if "EXCEEDS_MAX_FACES" in r.reasons]
        if result.indexed and extra:
            self._delete_faces([f.record.face_id for f in result.indexed])
            raise InvalidParameterError(
                f"This photo shows {len(extra) + 1} faces: use one where only {name}'s face "
                "can be seen."
            )
        if not result.indexed:
            raise InvalidParameterError(no_face_message(result))
        face = result.indexed[0]
        return face.record.face_id, face.detection.box

    def _store_crop(self, image: Image, box: Box, person_id: str, face_id: str) -> None:
        self.rt.store.ensure_bucket(self.bucket)
        self.rt.store.put(
            self.bucket,
            crop_key(person_id, face_id),
            face_crop(image, box),
            content_type="image/jpeg",
        )

    def _delete_faces(self, face_ids: list[str]) -> None:
        for start in range(0, len(face_ids), 4096):
            self.faces.delete_faces(
                {"CollectionId": self.collection, "FaceIds": face_ids[start : start + 4096]}
            )

    def _undo(self, person_id: str, face_ids: list[str], *, user: bool) -> None:
        """Remove faces (disassociated first: DeleteFaces refuses a user's faces), their
        crops and, with ``user``, the person's user."""
        faces = self.faces
        for start in range(0, len(face_ids), 100):
            try:
                faces.disassociate_faces(
                    {
                        "CollectionId": self.collection,
                        "UserId": person_id,
                        "FaceIds": face_ids[start : start + 100],
                    }
                )
            except ResourceNotFoundError:
                break  # the user is gone already: its faces were released with it
        if face_ids:
            self._delete_faces(face_ids)
        for face_id in face_ids:
            self.rt.store.delete(self.bucket, crop_key(person_id, face_id))
        if user:
            with contextlib.suppress(ResourceNotFoundError):
                faces.delete_user({"CollectionId": self.collection, "UserId": person_id})


def ensure_collection(faces: FaceService, name: str) -> None:
    """Create the collection ``name`` unless it exists (concurrent creators agree)."""
    try:
        faces.describe_collection({"CollectionId": name})
        return
    except ResourceNotFoundError:
        pass
    try:
        faces.create_collection({"CollectionId": name})
        log.info("created face collection %s", name)
    except ResourceAlreadyExistsError:
        pass


def no_face_message(result: IndexFacesResult) -> str:
    """Why IndexFaces indexed nothing, for a person at a form."""
    if not result.unindexed:
        return (
            "No face was found in this photo. Use one where the face is in view, facing "
            "the camera and well lit."
        )
    words = sorted(
        {REASONS.get(r, r.lower().replace("_", " ")) for f in result.unindexed for r in f.reasons}
    )
    return (
        f"The face in this photo is {' and '.join(words)} to be recognised reliably. Use a "
        "sharper, closer photo facing the camera."
    )


def face_crop(image: Image, box: Box, side: int = CROP_SIDE) -> bytes:
    """A square JPEG around ``box`` (pixels of the full-resolution upright frame)."""
    sx, sy = image.scale_x, image.scale_y
    cx, cy = (box.x0 + box.x1) / 2 * sx, (box.y0 + box.y1) / 2 * sy
    half = max(box.width * sx, box.height * sy) * (0.5 + CROP_MARGIN)
    x0, y0 = max(0, round(cx - half)), max(0, round(cy - half))
    x1, y1 = min(image.width, round(cx + half)), min(image.height, round(cy + half))
    picture = PILImage.fromarray(image.pixels[y0:y1, x0:x1])
    picture.thumbnail((side, side), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=88)
    return buf.getvalue()
