"""Ground Truth manifests: what is read, what is refused (with its line), what is kept aside."""

from __future__ import annotations

import json

import pytest

from sightline.customlabels.manifest import (
    ERROR_MULTIPLE_LABELS,
    classification_line,
    dump_manifest,
    parse_manifest,
    parse_source_ref,
)
from sightline.errors import InvalidManifestError

GOOD = {
    "source-ref": "s3://bucket/dogs/1.jpg",
    "animal": 0,
    "animal-metadata": {
        "class-name": "dog",
        "confidence": 1,
        "type": "groundtruth/image-classification",
        "human-annotated": "yes",
        "creation-date": "2024-01-01T00:00:00",
        "job-name": "labels",
    },
}


def line(doc: object) -> str:
    return json.dumps(doc)


def test_reads_classification_lines_and_keeps_line_numbers() -> None:
    unlabelled = {"source-ref": "s3://bucket/x.png"}
    text = "\n".join([line(GOOD), "", line(unlabelled)]) + "\n"
    entries = parse_manifest(text)
    assert [(e.line, e.label) for e in entries] == [(1, "dog"), (3, None)]
    assert entries[0].source_ref == "s3://bucket/dogs/1.jpg"
    assert json.loads(entries[0].json_line) == GOOD


def test_multilabel_with_one_class_is_a_label() -> None:
    doc = {
        "source-ref": "s3://b/1.jpg",
        "tags": [1],
        "tags-metadata": {
            "type": "groundtruth/image-classification-multilabel",
            "class-map": {"1": "cat", "2": "dog"},
        },
    }
    assert parse_manifest(line(doc))[0].label == "cat"


def test_two_labels_on_one_image_are_an_entry_error() -> None:
    doc = dict(GOOD)
    doc["colour"] = 1
    doc["colour-metadata"] = {"class-name": "brown", "type": "groundtruth/image-classification"}
    (entry,) = parse_manifest(line(doc))
    assert entry.label is None and entry.error is not None
    assert entry.error.code == ERROR_MULTIPLE_LABELS
    assert "brown, dog" in entry.error.message


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("{not json", "not valid JSON"),  # broken JSON
        ("[1, 2]", "expected a JSON object"),  # an array
        (line({"animal": 0}), "'source-ref' is missing"),  # no source-ref
        (line({"source-ref": "/local/file.jpg"}), "not an s3://bucket/key URI"),  # a path
        (line({"source-ref": "s3://bucket"}), "needs both a bucket and a key"),  # no key
        (line({"source-ref": "s3://b/k", "animal": 0}), "has no 'animal-metadata'"),
        (
            line(
                {
                    "source-ref": "s3://b/k",
                    "a": 0,
                    "a-metadata": {"type": "groundtruth/image-classification"},
                }
            ),
            "non-empty 'class-name'",
        ),
        (
            line({"source-ref": "s3://b/k", "a": "x", "a-metadata": {"class-name": "dog"}}),
            "class index (an integer)",
        ),
        (
            line(
                {
                    "source-ref": "s3://b/k",
                    "b": {"annotations": []},
                    "b-metadata": {"type": "groundtruth/object-detection"},
                }
            ),
            "object-detection",
        ),
        (line({"source-ref": "s3://b/k", "x-metadata": {}}), "has no label attribute 'x'"),
    ],
)
def test_malformed_lines_name_their_line(bad_line: str, fragment: str) -> None:
    text = line(GOOD) + "\n" + line(GOOD) + "\n" + bad_line + "\n"
    with pytest.raises(InvalidManifestError) as info:
        parse_manifest(text, name="s3://bucket/train.manifest")
    assert "s3://bucket/train.manifest line 3:" in str(info.value)
    assert fragment in str(info.value)


def test_empty_manifest_is_refused() -> None:
    with pytest.raises(InvalidManifestError, match="no JSON lines"):
        parse_manifest("\n\n")


def test_written_lines_read_back() -> None:
    docs = [classification_line("s3://b/a/1.jpg", "a"), classification_line("s3://b/u.jpg", None)]
    entries = parse_manifest(dump_manifest(docs))
    assert [(e.source_ref, e.label) for e in entries] == [
        ("s3://b/a/1.jpg", "a"),
        ("s3://b/u.jpg", None),
    ]


def test_source_ref() -> None:
    assert parse_source_ref("s3://bucket/a/b c.jpg") == ("bucket", "a/b c.jpg")
