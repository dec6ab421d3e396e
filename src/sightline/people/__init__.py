"""People: registered faces with a name and notes, face search, and people in photos.

- :mod:`.registry`: :class:`PeopleRegistry`: register a person from a photo (one face,
  indexed into the installation's people collection, ``web.people_collection``), add
  faces, list and delete people; each face's crop is kept for the pages.
- :mod:`.search`: who is in a query image (largest face, or every face).
- :mod:`.scan`: :class:`PhotoFaces`: the faces of album photos, indexed once per photo
  into ``web.photo_faces_collection`` when a person search first needs them, and which
  photos show a registered person.

A person is a Rekognition *user* of the people collection (``UserId`` = the person's
id) with its faces associated, plus a person record (name, notes, who registered it)
attached to that user: the face-collection service's own concepts, so the people are
also reachable through the Rekognition API (``SearchUsersByImage`` on ``people``).
"""

from sightline.people.registry import PeopleRegistry, Person
from sightline.people.scan import PhotoFaces, ScanReport
from sightline.people.search import FaceHit, FaceSearchResult, PersonMatch

__all__ = [
    "FaceHit",
    "FaceSearchResult",
    "PeopleRegistry",
    "Person",
    "PersonMatch",
    "PhotoFaces",
    "ScanReport",
]
