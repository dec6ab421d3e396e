"""SageMaker Ground Truth manifests (JSON Lines), as Rekognition Custom Labels reads them.

One JSON object per line: ``source-ref`` (``s3://bucket/key`` of the image) and zero or
more *label attributes*, each a value plus a ``<attribute>-metadata`` object::

    {"source-ref": "s3://bucket/dogs/1.jpg",
     "animal": 0,
     "animal-metadata": {"class-name": "dog", "confidence": 1, "type":
                         "groundtruth/image-classification", "human-annotated": "yes",
                         "creation-date": "2024-01-01T00:00:00", "job-name": "labels"}}

Image-level classification (``groundtruth/image-classification``: the value is the class
index, ``class-name`` names it) and its multi-label form (``...-multilabel``: a list of
indexes, ``class-map`` names them) are read. A line that is not a JSON object, has no
valid ``source-ref``, or has a malformed label attribute makes the whole manifest
invalid (:class:`InvalidManifestError` naming the line), as does an object-detection
attribute: Sightline trains image-level classifiers. A line whose image carries more
than one distinct label is kept as an *entry error* (Sightline's classifiers give one
label per image) and left out of training, like an unreadable image.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sightline.errors import InvalidManifestError

CLASSIFICATION = "groundtruth/image-classification"
MULTILABEL = "groundtruth/image-classification-multilabel"
DETECTION_TYPES = ("groundtruth/object-detection",)
SOURCE_REF = "source-ref"
DEFAULT_ATTRIBUTE = "sightline-label"
MAX_LINE_BYTES = 1024 * 1024

# Entry error codes, in Rekognition's vocabulary where it has one.
ERROR_INVALID_IMAGE = "ERROR_INVALID_IMAGE"
ERROR_MISSING_IMAGE = "ERROR_INVALID_SOURCE_REF"
ERROR_MULTIPLE_LABELS = "ERROR_MULTIPLE_LABELS"
ERROR_TOO_FEW_IMAGES = "ERROR_INSUFFICIENT_IMAGES_PER_LABEL"


@dataclass(frozen=True)
class EntryError:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class ManifestEntry:
    """One line of a manifest: where the image is, its label, and the line as stored.

    ``label`` is None for an unlabelled image (kept in the dataset, not trained on).
    """

    line: int  # 1-based line number in its manifest
    source_ref: str
    label: str | None
    document: dict[str, Any]
    error: EntryError | None = None

    @property
    def json_line(self) -> str:
        return json.dumps(self.document, separators=(",", ":"), ensure_ascii=False)


def parse_source_ref(ref: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; ValueError for anything else."""
    if not ref.startswith("s3://"):
        raise ValueError(f"source-ref {ref!r} is not an s3://bucket/key URI")
    bucket, _, key = ref[5:].partition("/")
    if not bucket or not key:
        raise ValueError(f"source-ref {ref!r} needs both a bucket and a key")
    return bucket, key


def source_ref(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def parse_manifest(text: str | bytes, *, name: str = "manifest") -> list[ManifestEntry]:
    """Every entry of a manifest; blank lines are skipped, line numbers kept.

    Raises:
        InvalidManifestError: naming the first bad line and what is wrong with it.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InvalidManifestError(f"{name} is not UTF-8 text: {e}") from e
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            raise InvalidManifestError(
                f"{name} line {number}: the line is {len(raw)} characters long; the limit "
                f"is {MAX_LINE_BYTES}."
            )
        entries.append(parse_line(raw, number, name=name))
    if not entries:
        raise InvalidManifestError(f"{name} has no JSON lines.")
    return entries


def parse_line(raw: str, number: int, *, name: str = "manifest") -> ManifestEntry:
    """One manifest line (see the module docstring for what is accepted)."""

    def bad(why: str) -> InvalidManifestError:
        return InvalidManifestError(f"{name} line {number}: {why}")

    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as e:
        raise bad(f"not valid JSON ({e.msg} at column {e.colno}).") from e
    if not isinstance(doc, dict):
        raise bad(f"expected a JSON object, got {type(doc).__name__}.")
    ref = doc.get(SOURCE_REF)
    if not isinstance(ref, str):
        raise bad(f"'{SOURCE_REF}' is missing or not a string.")
    try:
        parse_source_ref(ref)
    except ValueError as e:
        raise bad(str(e) + ".") from e
    labels: list[str] = []
    for attribute in sorted(k for k in doc if k != SOURCE_REF and not k.endswith("-metadata")):
        labels.extend(_attribute_labels(doc, attribute, bad))
    for key in doc:
        if key.endswith("-metadata") and key[: -len("-metadata")] not in doc:
            raise bad(f"'{key}' has no label attribute '{key[: -len('-metadata')]}'.")
    distinct = sorted(set(labels))
    if len(distinct) > 1:
        error = EntryError(
            ERROR_MULTIPLE_LABELS,
            f"line {number}: the image has {len(distinct)} labels ({', '.join(distinct)}); "
            "Sightline trains single-label classifiers, so it is left out.",
        )
        return ManifestEntry(number, ref, None, doc, error)
    return ManifestEntry(number, ref, distinct[0] if distinct else None, doc)


def _attribute_labels(doc: dict[str, Any], attribute: str, bad: Any) -> list[str]:
    meta = doc.get(f"{attribute}-metadata")
    if meta is None:
        raise bad(f"label attribute '{attribute}' has no '{attribute}-metadata' object.")
    if not isinstance(meta, dict):
        raise bad(f"'{attribute}-metadata' must be an object.")
    kind = meta.get("type", CLASSIFICATION)
    value = doc[attribute]
    if kind in DETECTION_TYPES:
        raise bad(
            f"'{attribute}' is an object-detection label ({kind}); Sightline trains "
            "image-level classifiers only."
        )
    if kind == CLASSIFICATION:
        name = meta.get("class-name")
        if not isinstance(name, str) or not name.strip():
            raise bad(f"'{attribute}-metadata' needs a non-empty 'class-name' string.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(f"'{attribute}' must be the class index (an integer).")
        return [name.strip()]
    if kind == MULTILABEL:
        class_map = meta.get("class-map")
        if not isinstance(value, list) or not isinstance(class_map, dict):
            raise bad(f"multi-label '{attribute}' needs a list value and a 'class-map' object.")
        names = []
        for index in value:
            found = class_map.get(str(index))
            if not isinstance(found, str) or not found.strip():
                raise bad(f"'{attribute}' class {index!r} is not named in its 'class-map'.")
            names.append(found.strip())
        return names
    raise bad(f"'{attribute}-metadata' has an unsupported type {kind!r}.")


def classification_line(
    ref: str,
    label: str | None,
    *,
    class_index: int = 0,
    attribute: str = DEFAULT_ATTRIBUTE,
    created: dt.datetime | None = None,
) -> dict[str, Any]:
    """A manifest line in Ground Truth's image-classification format (no label: only
    ``source-ref``)."""
    doc: dict[str, Any] = {SOURCE_REF: ref}
    if label is not None:
        when = (created or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        doc[attribute] = class_index
        doc[f"{attribute}-metadata"] = {
            "confidence": 1,
            "class-name": label,
            "human-annotated": "yes",
            "creation-date": when.replace(tzinfo=None).isoformat(timespec="seconds"),
            "type": CLASSIFICATION,
        }
    return doc


def dump_manifest(documents: Iterable[dict[str, Any]]) -> bytes:
    """JSON Lines bytes, one compact object per line."""
    lines = [json.dumps(d, separators=(",", ":"), ensure_ascii=False) for d in documents]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
