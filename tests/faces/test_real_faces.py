"""Face collections on real photos and the real dlib models (the issue's must-holds).

astronaut.png and grace_hopper.jpg are indexed; copies of each, transformed here
(scaled down, rotated 10 degrees, darkened, blurred, mirrored, recompressed at JPEG
quality 10), must find their own identity at similarity >= 80 and never the other's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageFilter

from sightline.analyzers.base import AnalyzerPool
from sightline.api.rekognition.shapes import collections as shapes
from sightline.config import Settings
from sightline.faces.service import FaceService
from tests.botocore_shapes import assert_valid_output
from tests.conftest import encode, rgb

PEOPLE = {"astronaut.png": "astronaut", "grace_hopper.jpg": "grace_hopper"}


def _pil(pixels: np.ndarray) -> PILImage.Image:
    return PILImage.fromarray(pixels)


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "scaled-down": lambda p: np.asarray(
        _pil(p).resize((p.shape[1] // 2, p.shape[0] // 2), PILImage.Resampling.LANCZOS)
    ),
    "rotated-10": lambda p: np.asarray(_pil(p).rotate(10, resample=PILImage.Resampling.BICUBIC)),
    "darkened": lambda p: (p * 0.4).astype(np.uint8),
    "blurred": lambda p: np.asarray(_pil(p).filter(ImageFilter.GaussianBlur(2))),
    "mirrored": lambda p: np.ascontiguousarray(p[:, ::-1]),
    "jpeg-q10": lambda p: np.asarray(
        PILImage.open(io.BytesIO(encode(p, "JPEG", quality=10))).convert("RGB")
    ),
}


def copy_of(sample: str, transform: str) -> dict[str, bytes]:
    """The transformed sample as an ``Image`` member (PNG bytes, like a client sends)."""
    return {"Bytes": encode(TRANSFORMS[transform](rgb(sample)), "PNG")}


def original(sample: str) -> dict[str, bytes]:
    return {"Bytes": encode(rgb(sample), "PNG")}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("real-faces")
    return Settings(data_dir=root / "data", database_url=f"sqlite:///{root / 'faces.db'}")


@pytest.fixture(scope="module")
def service(settings: Settings, analyzer_pool: AnalyzerPool) -> Iterator[FaceService]:
    """A collection holding the two people, indexed from their original photos."""
    service = FaceService(settings, pool=analyzer_pool)
    service.create_collection({"CollectionId": "people"})
    for sample, name in PEOPLE.items():
        result = service.index_faces(
            {"CollectionId": "people", "Image": original(sample), "ExternalImageId": name}
        )
        assert_valid_output("IndexFaces", shapes.index_faces_response(result))
        assert len(result.indexed) == 1, result.unindexed
    yield service
    service.close()


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("sample", list(PEOPLE))
def test_a_transformed_copy_finds_its_own_identity_only(
    service: FaceService, sample: str, transform: str
) -> None:
    result = service.search_faces_by_image(
        {"CollectionId": "people", "Image": copy_of(sample, transform)}
    )
    assert_valid_output("SearchFacesByImage", shapes.search_faces_by_image_response(result))
    found = {m.face.external_image_id: m.similarity for m in result.matches}
    assert found.get(PEOPLE[sample], 0.0) >= 80.0, found
    assert set(found) == {PEOPLE[sample]}, found  # the other person is not a match
    # and the other person's similarity really is under the threshold
    everyone = service.search_faces_by_image(
        {"CollectionId": "people", "Image": copy_of(sample, transform), "FaceMatchThreshold": 0}
    )
    other = next(m for m in everyone.matches if m.face.external_image_id != PEOPLE[sample])
    assert other.similarity < 80.0


def test_coffee_indexes_no_face_and_says_why(service: FaceService) -> None:
    result = service.index_faces({"CollectionId": "people", "Image": original("coffee.png")})
    assert_valid_output("IndexFaces", shapes.index_faces_response(result))
    assert result.indexed == () and result.unindexed == ()
    assert result.notes == ("No face was detected in the image.",)
    assert service.describe_collection({"CollectionId": "people"}).face_count == 2


@pytest.mark.parametrize("transform", ["rotated-10", "jpeg-q10"])
def test_compare_faces(service: FaceService, transform: str) -> None:
    same = service.compare_faces(
        {
            "SourceImage": original("astronaut.png"),
            "TargetImage": copy_of("astronaut.png", transform),
        }
    )
    assert_valid_output("CompareFaces", shapes.compare_faces_response(same))
    assert len(same.matches) == 1 and same.matches[0].similarity >= 80.0
    other = service.compare_faces(
        {"SourceImage": original("astronaut.png"), "TargetImage": original("grace_hopper.jpg")}
    )
    assert_valid_output("CompareFaces", shapes.compare_faces_response(other))
    assert other.matches == () and len(other.unmatched) == 1


def test_quality_filter_and_max_faces_reasons(service: FaceService) -> None:
    service.create_collection({"CollectionId": "quality"})
    q = {"CollectionId": "quality"}

    def reasons(image: dict[str, bytes], **members: object) -> list[tuple[str, ...]]:
        result = service.index_faces({**q, "Image": image, **members})
        assert_valid_output("IndexFaces", shapes.index_faces_response(result))
        return [u.reasons for u in result.unindexed]

    assert reasons(copy_of("astronaut.png", "darkened"), QualityFilter="HIGH") == [
        ("LOW_BRIGHTNESS",)
    ]
    assert reasons(copy_of("astronaut.png", "blurred"), QualityFilter="HIGH") == [
        ("LOW_SHARPNESS",)
    ]
    assert reasons(copy_of("astronaut.png", "scaled-down"), QualityFilter="HIGH") == [
        ("SMALL_BOUNDING_BOX",)
    ]
    # NONE (and AUTO, for these) index the same faces
    assert reasons(copy_of("astronaut.png", "blurred"), QualityFilter="NONE") == []
    assert reasons(copy_of("astronaut.png", "scaled-down")) == []
    # two people in one picture, MaxFaces 1: the larger face (grace_hopper's) is kept
    a, g = rgb("astronaut.png"), rgb("grace_hopper.jpg")
    both = np.zeros((600, 1024, 3), np.uint8)
    both[:512, :512], both[:, 512:] = a, g
    result = service.index_faces({**q, "Image": {"Bytes": encode(both, "PNG")}, "MaxFaces": 1})
    assert [u.reasons for u in result.unindexed] == [("EXCEEDS_MAX_FACES",)]
    assert result.indexed[0].detection.box.x0 > 512


def test_delete_restart_and_rebuild(
    service: FaceService, settings: Settings, analyzer_pool: AnalyzerPool
) -> None:
    c = {"CollectionId": "lifecycle"}
    service.create_collection(c)
    (record,) = service.index_faces({**c, "Image": original("astronaut.png")}).indexed
    query = {**c, "Image": copy_of("astronaut.png", "mirrored")}
    assert [m.face.face_id for m in service.search_faces_by_image(query).matches] == [
        record.record.face_id
    ]
    service.flush()
    index_file = Path(settings.data_dir) / "indexes" / "lifecycle.npz"
    assert index_file.is_file()
    # a restart: a new service over the same database and data folder
    with FaceService(settings, pool=analyzer_pool) as restarted:
        assert restarted.describe_collection(c).face_count == 1
        assert len(restarted.search_faces_by_image(query).matches) == 1
    # the index file deleted: rebuilt from the database
    index_file.unlink()
    with FaceService(settings, pool=analyzer_pool) as rebuilt:
        assert len(rebuilt.search_faces_by_image(query).matches) == 1
        assert index_file.is_file()
        deleted = rebuilt.delete_faces({**c, "FaceIds": [record.record.face_id]})
        assert deleted.deleted == (record.record.face_id,)
        assert rebuilt.search_faces_by_image(query).matches == ()
