"""Searching the library: the photos a user may see, by tag, text, person and date.

Candidates are the completed photos of every album the caller may see (their own,
those shared with them; every album for admins), read in one query; filters combine
(all must hold):

- **tag**: a DetectLabels label of the photo, its parents or aliases (``Animal``
  finds the cat), or ``Face`` when faces were found; case does not matter;
- **text**: words in the photo's DetectText lines (when the workflow detects text);
- **person**: a registered person whose face matches one in the photo
  (:class:`sightline.people.PhotoFaces`; photos with a face are scanned on first need);
- **date range**: the capture date (EXIF ``DateTimeOriginal``, as the camera recorded
  it; photos without one are left out) or the upload date.

Everything is read from what the pipeline stored, never recomputed: a search reads
the candidates' DetectLabels, DetectFaces, DetectText, metadata and thumbnail
documents (one query): 70-145 ms for 1,000 photos on SQLite on the CI machine's
shared cores (docs/decisions.md), so tens of thousands of photos would want a search
index, which is left for then.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from sightline.accounts.actor import Actor
from sightline.albums.photos import PhotoInfo
from sightline.albums.results import PhotoAnalyses
from sightline.albums.service import AlbumService
from sightline.albums.status import PhotoState
from sightline.albums.store import AlbumInfo
from sightline.errors import InvalidParameterError
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.people.registry import Person
from sightline.people.scan import PhotoFaces, ScanReport

SEARCH_DOCUMENTS = ("DetectLabels", "DetectFaces", "DetectText", "metadata", "thumbnail")
TAG_DOCUMENTS = ("DetectLabels", "DetectFaces")
MAX_QUERY = 200
DateOf = Literal["taken", "uploaded"]


@dataclass(frozen=True)
class LibraryQuery:
    tag: str = ""
    text: str = ""
    person: str = ""  # a person's id
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    date_of: DateOf = "taken"
    threshold: float = DEFAULT_THRESHOLD  # person matches

    def __post_init__(self) -> None:
        for name in ("tag", "text", "person"):
            if len(getattr(self, name)) > MAX_QUERY:
                raise InvalidParameterError(f"The {name} may have at most {MAX_QUERY} characters.")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidParameterError("The start date is after the end date.")
        if not 0 <= self.threshold <= 100:
            raise InvalidParameterError("The similarity threshold must be between 0 and 100.")

    @property
    def empty(self) -> bool:
        return not (
            self.tag.strip() or self.text.strip() or self.person or self.date_from or self.date_to
        )


@dataclass(frozen=True)
class Hit:
    photo: PhotoInfo
    album: AlbumInfo
    tags: list[str]
    has_thumbnail: bool
    taken_on: dt.date | None
    similarity: float | None = None  # person searches: the best face match, 0-100
    text: list[str] = field(default_factory=list)  # the matching text lines


@dataclass(frozen=True)
class LibraryResult:
    query: LibraryQuery
    hits: list[Hit]
    searched: int  # completed photos looked at
    person: Person | None = None
    scan: ScanReport | None = None  # person searches: the face scan this search did


def tag_names(analyses: PhotoAnalyses) -> set[str]:
    """Every name a tag search matches for a photo, case-folded."""
    names: set[str] = set()
    for label in analyses.labels:
        names.add(str(label.get("Name", "")))
        for group in ("Parents", "Aliases"):
            names.update(str(p.get("Name", "")) for p in label.get(group) or [])
    if analyses.face_boxes():
        names.add("Face")
    return {n.casefold() for n in names if n}


def taken_on(analyses: PhotoAnalyses) -> dt.date | None:
    """The capture date the camera recorded (EXIF DateTimeOriginal), if any."""
    value = (analyses.metadata or {}).get("taken_at")
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _in_range(day: dt.date | None, query: LibraryQuery) -> bool:
    if query.date_from is None and query.date_to is None:
        return True
    if day is None:
        return False
    return (query.date_from is None or day >= query.date_from) and (
        query.date_to is None or day <= query.date_to
    )


class LibrarySearch:
    def __init__(
        self, albums: AlbumService, photo_faces: PhotoFaces, *, scan_seconds: float
    ) -> None:
        self.albums = albums
        self.photo_faces = photo_faces
        self.scan_seconds = scan_seconds

    def candidates(self, actor: Actor) -> tuple[dict[str, AlbumInfo], list[PhotoInfo]]:
        """The albums ``actor`` may see and their completed photos, newest first."""
        albums = {s.album.id: s.album for s in self.albums.visible(actor)}
        photos = self.albums.photos.in_albums(list(albums))
        return albums, [p for p in photos if p.status.state is PhotoState.COMPLETED]

    def tags(self, actor: Actor, limit: int = 200) -> list[tuple[str, int]]:
        """The library's label names with how many photos carry each, most common
        first (for the search form's suggestions)."""
        _, photos = self.candidates(actor)
        counts: Counter[str] = Counter()
        for analyses in self.albums.analyses(photos, TAG_DOCUMENTS).values():
            counts.update(analyses.tags(limit=1000))
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[:limit]

    def search(
        self, actor: Actor, query: LibraryQuery, person: Person | None = None
    ) -> LibraryResult:
        """The photos matching every filter of ``query`` (``person``: the person
        ``query.person`` names, looked up by the caller)."""
        albums, photos = self.candidates(actor)
        if query.date_of == "uploaded":
            photos = [p for p in photos if _in_range(p.uploaded_at.date(), query)]
        analyses = self.albums.analyses(photos, SEARCH_DOCUMENTS)
        tag = query.tag.strip().casefold()
        text = " ".join(query.text.split()).casefold()
        hits: list[Hit] = []
        for photo in photos:
            a = analyses[photo.id]
            day = taken_on(a)
            if query.date_of == "taken" and not _in_range(day, query):
                continue
            if tag and tag not in tag_names(a):
                continue
            lines: list[str] = []
            if text:
                lines = [
                    str(line.get("DetectedText", ""))
                    for line in a.text_lines
                    if text in " ".join(str(line.get("DetectedText", "")).split()).casefold()
                ]
                if not lines:
                    continue
            hits.append(
                Hit(photo, albums[photo.album_id], a.tags(), bool(a.thumbnails()), day, text=lines)
            )
        if person is None:
            return LibraryResult(query, hits, len(photos))
        # Only photos with a face can show the person: scan those not scanned yet.
        with_faces = [h.photo for h in hits if analyses[h.photo.id].face_boxes()]
        report = self.photo_faces.scan(with_faces, budget=self.scan_seconds)
        similar = self.photo_faces.photos_showing(person.id, threshold=query.threshold)
        matched = [
            Hit(
                h.photo,
                h.album,
                h.tags,
                h.has_thumbnail,
                h.taken_on,
                similarity=similar[h.photo.id],
                text=h.text,
            )
            for h in hits
            if h.photo.id in similar
        ]
        matched.sort(key=lambda h: (-(h.similarity or 0.0), h.photo.id))
        return LibraryResult(query, matched, len(photos), person, report)
