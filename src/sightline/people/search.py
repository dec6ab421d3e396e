"""Who is in a photo: its faces searched in the people collection.

``SearchFacesByImage`` on the people collection, for the largest face or (Sightline's
extension) every face, with the caller's ``FaceMatchThreshold``. The collection holds
only registered people's faces, so each match names a person; a person with several
faces counts once, with their best similarity. Boxes are ratios of the upright image,
as Rekognition reports them, ready to draw over it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sightline.errors import InvalidParameterError, ResourceNotFoundError
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.faces.types import ImageSearchResult
from sightline.media.image import Image
from sightline.people.registry import PeopleRegistry

MAX_CANDIDATES = 4096  # stored faces per searched face (Rekognition's MaxFaces bound)


@dataclass(frozen=True)
class PersonMatch:
    person_id: str
    name: str
    notes: str
    similarity: float  # 0-100
    face_id: str  # the person's stored face that matched best


@dataclass(frozen=True)
class FaceHit:
    """A face of the query image: where it is (ratios) and who it may be."""

    left: float
    top: float
    width: float
    height: float
    confidence: float  # 0-100
    matches: tuple[PersonMatch, ...]  # most similar first; () = nobody reaches the bar


@dataclass(frozen=True)
class FaceSearchResult:
    width: int  # the upright image's size, the frame of the boxes
    height: int
    faces: tuple[FaceHit, ...]  # largest first
    threshold: float
    every_face: bool

    @property
    def matched(self) -> bool:
        return any(f.matches for f in self.faces)


def search_people(
    registry: PeopleRegistry,
    image: Image,
    *,
    every_face: bool = False,
    threshold: float = DEFAULT_THRESHOLD,
) -> FaceSearchResult:
    """Search the people collection with the image's largest face (or every face).

    Raises:
        ResourceNotFoundError: nobody has been registered yet (no collection).
        InvalidParameterError: no face in the image; a threshold outside 0-100.
    """
    if not 0 <= threshold <= 100:
        raise InvalidParameterError("The similarity threshold must be between 0 and 100.")
    request = {
        "CollectionId": registry.collection,
        "Image": image,
        "MaxFaces": MAX_CANDIDATES,
        "FaceMatchThreshold": threshold,
        "QualityFilter": "NONE",
    }
    faces = registry.faces
    try:
        if every_face:
            results = faces.search_all_faces_by_image(request)
        else:
            results = [faces.search_faces_by_image(request)]
    except ResourceNotFoundError as exc:
        raise ResourceNotFoundError(
            "Nobody is registered yet: register people first, then search for them."
        ) from exc
    except InvalidParameterError as exc:
        if "no faces" in exc.message:
            raise InvalidParameterError(
                "No face was found in this photo. Use one where the face is in view and well lit."
            ) from exc
        raise
    width, height = image.info.width, image.info.height
    return FaceSearchResult(
        width, height, tuple(_hit(r, width, height) for r in results), threshold, every_face
    )


def _hit(result: ImageSearchResult, width: int, height: int) -> FaceHit:
    best: dict[str, PersonMatch] = {}
    for match in result.matches:
        person = match.person
        if person is None or person.person_id != match.face.user_id:
            continue  # a face of no registered person (a registration left half-done)
        if person.person_id not in best or match.similarity > best[person.person_id].similarity:
            best[person.person_id] = PersonMatch(
                person.person_id, person.name, person.notes, match.similarity, match.face.face_id
            )
    box = result.searched.box
    return FaceHit(
        left=box.x0 / width,
        top=box.y0 / height,
        width=box.width / width,
        height=box.height / height,
        confidence=result.searched.confidence * 100,
        matches=tuple(sorted(best.values(), key=lambda m: -m.similarity)),
    )
