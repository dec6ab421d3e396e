"""A photo's analyses, read back from what the pipeline stored (never recomputed).

Documents come from the ``results`` table (inline JSON) or, for documents over the
inline limit, from the output objects the rows name. :class:`PhotoAnalyses` turns them
into what the pages and the JSON API show: labels, faces, text, moderation, metadata,
thumbnails, and the boxes to draw over the image (ratios of the upright image, as
Rekognition reports them).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from sightline.db import tx
from sightline.db.models.pipeline import Result
from sightline.errors import SightlineError
from sightline.storage.base import ObjectStore

# Documents are found by the Rekognition operation they answer, or for Sightline's own
# analyses by the analysis name.
OPERATIONS = ("DetectLabels", "DetectFaces", "DetectText", "DetectModerationLabels")
OWN = ("metadata", "thumbnail")


@dataclass(frozen=True)
class StoredDocument:
    analysis: str  # the analysis that wrote it (labels, faces, metadata, ...)
    document: dict[str, Any]
    bucket: str
    key: str  # the object holding exactly this document


@dataclass(frozen=True)
class Box:
    """A region to draw: ratios of the upright image's width and height."""

    kind: str  # "label", "face" or "text"
    name: str
    confidence: float  # 0-100
    left: float
    top: float
    width: float
    height: float

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "confidence": self.confidence,
            "bounding_box": {
                "Left": self.left,
                "Top": self.top,
                "Width": self.width,
                "Height": self.height,
            },
        }


@dataclass(frozen=True)
class Thumbnail:
    bucket: str
    key: str
    format: str
    width: int
    height: int


def read_documents(
    engine: Engine, store: ObjectStore, item_ids: Sequence[str], *, which: Sequence[str] = ()
) -> dict[str, dict[str, StoredDocument]]:
    """item id -> document name (operation, or ``metadata``/``thumbnail``) -> document.

    ``which`` limits the names read (empty: all). With several model versions of one
    analysis, the latest result wins. A document whose object is gone is left out.
    """
    if not item_ids:
        return {}
    table = Result.__table__
    query = (
        select(
            table.c.item_id,
            table.c.analysis,
            table.c.operation,
            table.c.output_bucket,
            table.c.output_key,
            table.c.response,
        )
        .where(table.c.item_id.in_(list(item_ids)))
        .order_by(table.c.id)
    )
    with tx.read(engine) as conn:
        rows = conn.execute(query).all()
    out: dict[str, dict[str, StoredDocument]] = {}
    for r in rows:
        name = r.operation or r.analysis
        if which and name not in which:
            continue
        document = r.response
        if document is None:  # over the inline limit: stored only as an object
            try:
                document = json.loads(store.get(r.output_bucket, r.output_key))
            except (SightlineError, ValueError):
                continue
        out.setdefault(r.item_id, {})[name] = StoredDocument(
            r.analysis, document, r.output_bucket, r.output_key
        )
    return out


def _box(kind: str, name: str, confidence: float, box: Mapping[str, Any] | None) -> Box | None:
    if not box:
        return None
    try:
        return Box(
            kind,
            name,
            float(confidence),
            float(box["Left"]),
            float(box["Top"]),
            float(box["Width"]),
            float(box["Height"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class PhotoAnalyses:
    """What the stored documents of one photo say."""

    documents: Mapping[str, StoredDocument] = field(default_factory=dict)

    def doc(self, name: str) -> dict[str, Any] | None:
        found = self.documents.get(name)
        return found.document if found is not None else None

    @property
    def labels(self) -> list[dict[str, Any]]:
        """DetectLabels' ``Labels``, most confident first."""
        labels = (self.doc("DetectLabels") or {}).get("Labels", [])
        return sorted(labels, key=lambda label: -float(label.get("Confidence", 0)))

    @property
    def faces(self) -> list[dict[str, Any]]:
        """DetectFaces' ``FaceDetails``."""
        return list((self.doc("DetectFaces") or {}).get("FaceDetails", []))

    @property
    def text_lines(self) -> list[dict[str, Any]]:
        """DetectText's LINE detections."""
        found = (self.doc("DetectText") or {}).get("TextDetections", [])
        return [t for t in found if t.get("Type") == "LINE"]

    @property
    def moderation(self) -> list[dict[str, Any]]:
        return list((self.doc("DetectModerationLabels") or {}).get("ModerationLabels", []))

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self.doc("metadata")

    def ran(self, name: str) -> bool:
        """Whether the document ``name`` (an operation, metadata or thumbnail) exists."""
        return name in self.documents

    def analyses_done(self) -> set[str]:
        """The analyses (labels, faces, ...) whose documents are stored."""
        return {d.analysis for d in self.documents.values()}

    def tags(self, limit: int = 6) -> list[str]:
        """Short tags for a gallery tile: the top labels, plus ``Face`` when DetectFaces
        found faces the labels do not already name."""
        names = [str(label["Name"]) for label in self.labels if "Name" in label][:limit]
        if self.face_boxes() and "Face" not in names:
            names.insert(0, "Face")
        return names[:limit]

    def face_boxes(self) -> list[Box]:
        """The faces: DetectFaces' when it ran, else the instances of DetectLabels'
        ``Face`` label (the labels analyzer boxes each face it finds)."""
        if self.ran("DetectFaces"):
            found = [
                _box("face", f"Face {n}", face.get("Confidence", 0), face.get("BoundingBox"))
                for n, face in enumerate(self.faces, 1)
            ]
        else:
            instances = [
                inst
                for label in self.labels
                if label.get("Name") == "Face"
                for inst in label.get("Instances", [])
            ]
            found = [
                _box("face", f"Face {n}", inst.get("Confidence", 0), inst.get("BoundingBox"))
                for n, inst in enumerate(instances, 1)
            ]
        return [b for b in found if b is not None]

    @property
    def face_count(self) -> int | None:
        """How many faces were found; None when neither DetectFaces nor DetectLabels ran."""
        if not (self.ran("DetectFaces") or self.ran("DetectLabels")):
            return None
        return len(self.face_boxes())

    def boxes(self) -> list[Box]:
        """Every box to draw: label instances, faces, text lines. A ``Face`` label's
        instances are drawn once, as faces."""
        out: list[Box] = []
        for label in self.labels:
            if label.get("Name") == "Face":
                continue
            for inst in label.get("Instances", []):
                b = _box(
                    "label",
                    str(label.get("Name", "")),
                    inst.get("Confidence", 0),
                    inst.get("BoundingBox"),
                )
                if b is not None:
                    out.append(b)
        out.extend(self.face_boxes())
        for line in self.text_lines:
            b = _box(
                "text",
                str(line.get("DetectedText", "")),
                line.get("Confidence", 0),
                (line.get("Geometry") or {}).get("BoundingBox"),
            )
            if b is not None:
                out.append(b)
        return out

    def thumbnails(self) -> list[Thumbnail]:
        """The thumbnail files, smallest first."""
        found = self.documents.get("thumbnail")
        if found is None:
            return []
        folder = posixpath.dirname(found.key)
        thumbs = [
            Thumbnail(
                found.bucket,
                f"{folder}/{t['file']}" if folder else str(t["file"]),
                str(t.get("format", "jpeg")),
                int(t.get("width", 0)),
                int(t.get("height", 0)),
            )
            for t in found.document.get("thumbnails", [])
            if "file" in t
        ]
        return sorted(thumbs, key=lambda t: t.width * t.height)
