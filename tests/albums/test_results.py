"""Stored documents read back as labels, faces, boxes, tags and thumbnails."""

from __future__ import annotations

from typing import Any

from sightline.albums.results import PhotoAnalyses, StoredDocument


def _doc(analysis: str, document: dict[str, Any], key: str) -> StoredDocument:
    return StoredDocument(analysis, document, "output", key)


PREFIX = "sync/a/p/astro.png-analysis/item1/"
LABELS = {
    "Labels": [
        {"Name": "Head", "Confidence": 90.0, "Instances": []},
        {
            "Name": "Person",
            "Confidence": 99.0,
            "Instances": [
                {
                    "Confidence": 98.0,
                    "BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.5, "Height": 0.7},
                }
            ],
        },
    ]
}
FACES = {
    "FaceDetails": [
        {
            "Confidence": 99.9,
            "BoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.2, "Height": 0.25},
        }
    ]
}
THUMBS = {
    "thumbnails": [
        {"file": "thumbnail-1024.jpg", "format": "jpeg", "width": 512, "height": 512},
        {"file": "thumbnail-256.jpg", "format": "jpeg", "width": 256, "height": 256},
    ]
}


def analyses() -> PhotoAnalyses:
    return PhotoAnalyses(
        {
            "DetectLabels": _doc("labels", LABELS, PREFIX + "labels.json"),
            "DetectFaces": _doc("faces", FACES, PREFIX + "faces.json"),
            "thumbnail": _doc("thumbnail", THUMBS, PREFIX + "thumbnail.json"),
        }
    )


def test_labels_come_most_confident_first_and_faces_add_a_tag() -> None:
    a = analyses()
    assert [label["Name"] for label in a.labels] == ["Person", "Head"]
    assert a.tags() == ["Face", "Person", "Head"]
    assert a.analyses_done() == {"labels", "faces", "thumbnail"}
    assert a.ran("DetectFaces") and not a.ran("DetectText")


def test_boxes_are_label_instances_and_faces() -> None:
    boxes = analyses().boxes()
    assert [(b.kind, b.name) for b in boxes] == [("label", "Person"), ("face", "Face 1")]
    assert analyses().face_count == 1
    face = boxes[1]
    assert (face.left, face.top, face.width, face.height) == (0.3, 0.1, 0.2, 0.25)
    assert face.to_json()["bounding_box"]["Width"] == 0.2


def test_thumbnails_sit_beside_their_document_smallest_first() -> None:
    thumbs = analyses().thumbnails()
    assert [t.key for t in thumbs] == [PREFIX + "thumbnail-256.jpg", PREFIX + "thumbnail-1024.jpg"]


def test_a_malformed_box_is_skipped() -> None:
    broken = {"FaceDetails": [{"Confidence": 50, "BoundingBox": {"Left": "x"}}]}
    assert PhotoAnalyses({"DetectFaces": _doc("faces", broken, PREFIX + "f.json")}).boxes() == []


def test_no_documents_mean_no_tags_boxes_or_thumbnails() -> None:
    empty = PhotoAnalyses()
    assert (empty.tags(), empty.boxes(), empty.thumbnails(), empty.metadata) == ([], [], [], None)


def test_without_detect_faces_the_face_label_boxes_the_faces() -> None:
    face = {"Left": 0.3, "Top": 0.1, "Width": 0.2, "Height": 0.25}
    labels = {
        "Labels": [
            {
                "Name": "Face",
                "Confidence": 99.0,
                "Instances": [{"Confidence": 99.0, "BoundingBox": face}],
            },
            {"Name": "Person", "Confidence": 99.0, "Instances": []},
        ]
    }
    only_labels = PhotoAnalyses({"DetectLabels": _doc("labels", labels, PREFIX + "labels.json")})
    boxes = only_labels.boxes()
    assert [(b.kind, b.name) for b in boxes] == [("face", "Face 1")]  # drawn once, as a face
    assert only_labels.face_count == 1 and only_labels.tags() == ["Face", "Person"]
    assert PhotoAnalyses().face_count is None
