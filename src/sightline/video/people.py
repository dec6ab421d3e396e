"""People over time: person tracking (GetPersonTracking) and face search (GetFaceSearch).

Both give each person a stable ``Index`` across frames from a tracker
(:mod:`sightline.video.tracking`): person tracking tracks HOG people boxes; face
search tracks the faces it found, so one person seen in many frames keeps one index.
Face search reports, per sampled frame, each face that matched someone in the
collection (``FaceMatches``, most similar first), as Rekognition's GetFaceSearch does;
the ``Person.BoundingBox`` is the person's body box when the person detector found
one around the face, and is left out otherwise (a face box is not a body box).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sightline.analyzers.types import Box
from sightline.api.rekognition.shapes.collections import face_matches
from sightline.api.rekognition.shapes.common import bounding_box
from sightline.api.rekognition.shapes.faces import face_detail
from sightline.errors import InvalidParameterError
from sightline.faces.similarity import DEFAULT_THRESHOLD
from sightline.media.video import VideoFrame
from sightline.video.analysis import FrameStats, PersonGate
from sightline.video.apis import FACE_SEARCH, PEOPLE, TIMESTAMPS, VideoApi
from sightline.video.records import Record
from sightline.video.tracking import PersonTracker, TrackerOptions

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool
    from sightline.faces.service import FaceService


class PersonTrackingAnalysis:
    """HOG people on every sampled frame, tracked into stable indices."""

    api: VideoApi = PEOPLE

    def __init__(self, pool: AnalyzerPool) -> None:
        self.pool = pool
        self.tracker = PersonTracker()
        self.stats = FrameStats()
        self._size = (1, 1)

    def frame(self, frame: VideoFrame) -> None:
        self.stats.frames += 1
        self.stats.analysed += 1
        people = self.pool.analyze("person", frame.image).people
        self.tracker.update(
            frame.timestamp_ms, [p.box for p in people], [p.confidence for p in people]
        )
        self._size = (frame.image.info.width, frame.image.info.height)

    def results(self, interval_ms: int, duration_ms: int) -> dict[str, list[Record]]:
        # The whole video at once: a person's path starts where they first appeared,
        # not where the tracker confirmed them.
        w, h = self._size
        records = [
            Record(
                sample.timestamp_ms,
                {
                    "Timestamp": sample.timestamp_ms,
                    "Person": {"Index": p.index, "BoundingBox": bounding_box(p.box, w, h)},
                },
                person=p.index,
            )
            for sample in self.tracker.finish()
            for p in sample.people
        ]
        return {TIMESTAMPS: records}

    def model_version(self) -> str | None:
        return None

    def versions(self) -> dict[str, str]:
        return dict(self.pool.get("person").versions())


class FaceSearchAnalysis:
    """Every face of every (person-filtered) frame searched in one collection."""

    api: VideoApi = FACE_SEARCH

    def __init__(
        self,
        request: Mapping[str, Any],
        pool: AnalyzerPool,
        faces: FaceService,
        *,
        person_filter: bool,
    ) -> None:
        self.pool = pool
        self.faces = faces
        self.collection = str(request["CollectionId"])
        threshold = request.get("FaceMatchThreshold")
        self.threshold = float(DEFAULT_THRESHOLD if threshold is None else threshold)
        self.gate = PersonGate(pool) if person_filter else None
        # A face that matched someone is no false positive: one sighting is a person.
        self.tracker = PersonTracker(TrackerOptions(min_hits=1))
        self.stats = FrameStats()
        # Per sample: (timestamp, each face's record parts, by detection order).
        self._samples: list[list[tuple[dict[str, Any], list[dict[str, Any]]]]] = []
        self._model: str | None = None

    def frame(self, frame: VideoFrame) -> None:
        self.stats.frames += 1
        image = frame.image
        found = []
        if self.gate is None or self.gate(image):
            self.stats.analysed += 1
            request = {
                "CollectionId": self.collection,
                "Image": image,
                "FaceMatchThreshold": self.threshold,
            }
            try:
                found = self.faces.search_all_faces_by_image(request)
            except InvalidParameterError:  # no face in this frame
                found = []
        self.tracker.update(
            frame.timestamp_ms,
            [r.searched.box for r in found],
            [r.searched.confidence for r in found],
        )
        w, h = image.info.width, image.info.height
        bodies = [p.box for p in self.pool.analyze("person", image).people] if found else []
        parts = []
        for result in found:
            self._model = result.face_model_version
            person: dict[str, Any] = {}
            body = _body_around(result.searched.box, bodies)
            if body is not None:
                person["BoundingBox"] = bounding_box(body, w, h)
            person["Face"] = face_detail(result.searched, w, h)
            parts.append((person, face_matches(result.matches)))
        self._samples.append(parts)

    def results(self, interval_ms: int, duration_ms: int) -> dict[str, list[Record]]:
        records = []
        for sample, parts in zip(self.tracker.finish(), self._samples, strict=True):
            for tracked in sample.people:
                person, matches = parts[tracked.detection]
                if not matches:  # only faces that matched someone are reported
                    continue
                records.append(
                    Record(
                        sample.timestamp_ms,
                        {
                            "Timestamp": sample.timestamp_ms,
                            "Person": {"Index": tracked.index, **person},
                            "FaceMatches": matches,
                        },
                        person=tracked.index,
                    )
                )
        records.sort(key=lambda r: (r.timestamp_ms, r.person))
        return {TIMESTAMPS: records}

    def model_version(self) -> str | None:
        return self._model

    def versions(self) -> dict[str, str]:
        return dict(self.pool.get("faces").versions())


def _body_around(face: Box, bodies: list[Box]) -> Box | None:
    """The smallest person box holding the face's centre in its upper half."""
    c = face.center
    holding = [b for b in bodies if b.contains(c) and c.y <= b.y0 + b.height / 2]
    return min(holding, key=lambda b: b.area) if holding else None
