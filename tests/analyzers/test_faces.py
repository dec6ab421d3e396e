"""The faces analyzer on real photos: detection, landmarks, pose, attributes, embeddings."""

from __future__ import annotations

import dataclasses
from typing import cast

import cv2
import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.analyzers.face_geometry import LANDMARK_POINTS
from sightline.analyzers.faces import FaceAnalyzer, hog_confidence
from sightline.analyzers.types import Face, FacesResult
from sightline.errors import InvalidParameterError
from sightline.media.image import Image
from tests.botocore_shapes import rekognition_model
from tests.conftest import rgb

# The astronaut's face in the 512x512 astronaut.png as dlib's HOG box (one upsampling);
# our box then extends down to her chin, as Rekognition's does.
ASTRONAUT_BOX = (175, 76, 265, 166)


@pytest.fixture(scope="module")
def faces(analyzer_pool: AnalyzerPool) -> FaceAnalyzer:
    return cast(FaceAnalyzer, analyzer_pool.get("faces"))


@pytest.fixture(scope="module")
def astronaut(faces: FaceAnalyzer) -> FacesResult:
    return faces.analyze(Image.from_array(rgb("astronaut.png")), {"Attributes": ["ALL"]})


def _only(result: FacesResult | list[Face]) -> Face:
    found = list(result.faces if isinstance(result, FacesResult) else result)
    assert len(found) == 1, found
    return found[0]


def test_astronaut_has_exactly_one_confident_face(astronaut: FacesResult) -> None:
    # At upsample 1 dlib also scores a patch of her suit at ~0.12; min_score drops it.
    face = _only(astronaut)
    assert face.confidence > 0.95
    x0, y0, x1, y1 = ASTRONAUT_BOX
    assert (face.box.x0, face.box.y0) == pytest.approx((x0, y0), abs=6)
    assert x1 - 6 <= face.box.x1 <= x1 + 20
    assert y1 - 6 <= face.box.y1 <= y1 + 20


def test_astronaut_landmarks_cover_every_type_inside_the_box(astronaut: FacesResult) -> None:
    face = _only(astronaut)
    enum = rekognition_model().shape_for("LandmarkType").enum
    assert sorted(lm.type for lm in face.landmarks) == sorted(enum)
    assert set(LANDMARK_POINTS) == set(enum)
    for lm in face.landmarks:
        assert face.box.contains(lm.point), lm


def test_landmarks_are_on_the_viewers_sides(astronaut: FacesResult) -> None:
    at = {lm.type: lm.point for lm in _only(astronaut).landmarks}
    assert at["eyeLeft"].x < at["nose"].x < at["eyeRight"].x
    assert at["mouthLeft"].x < at["mouthRight"].x
    assert at["leftEyeLeft"].x < at["leftEyeRight"].x < at["rightEyeLeft"].x
    assert at["leftEyeBrowUp"].y < at["eyeLeft"].y < at["nose"].y < at["mouthUp"].y
    assert at["mouthUp"].y < at["mouthDown"].y < at["chinBottom"].y
    assert at["leftPupil"] == at["eyeLeft"]  # as Rekognition reports pupils


def test_astronaut_pose_is_plausible(astronaut: FacesResult) -> None:
    pose = _only(astronaut).pose
    assert pose is not None
    assert abs(pose.roll) < 30 and abs(pose.yaw) < 30 and abs(pose.pitch) < 30


def test_astronaut_quality_and_geometry_attributes(astronaut: FacesResult) -> None:
    face = _only(astronaut)
    assert face.quality is not None
    assert 30 < face.quality.brightness < 90
    assert face.quality.sharpness > 50
    # A broad smile with teeth showing, eyes open.
    assert face.eyes_open is not None and face.eyes_open.value
    assert face.smile is not None and face.smile.value
    assert face.mouth_open is not None and face.mouth_open.value
    for attribute in (face.eyes_open, face.smile, face.mouth_open):
        assert 0.5 < attribute.confidence < 1.0


def test_grace_hopper_has_one_face_not_smiling(faces: FaceAnalyzer) -> None:
    result = faces.analyze(Image.from_array(rgb("grace_hopper.jpg")), {"Attributes": ["ALL"]})
    face = _only(result)
    assert face.confidence > 0.95
    assert face.smile is not None and not face.smile.value
    assert face.mouth_open is not None and not face.mouth_open.value
    assert face.eyes_open is not None and face.eyes_open.value


def test_no_face_on_coffee(faces: FaceAnalyzer) -> None:
    assert faces.analyze(Image.from_array(rgb("coffee.png"))).faces == ()


@pytest.mark.parametrize(
    ("attributes", "measured"),
    [
        (None, set()),
        (["DEFAULT"], set()),
        (["SMILE"], {"smile"}),
        (["DEFAULT", "EYES_OPEN", "GENDER"], {"eyes_open"}),  # GENDER: no model, nothing
        (["ALL"], {"smile", "eyes_open", "mouth_open"}),
    ],
)
def test_geometry_attributes_only_when_asked(
    faces: FaceAnalyzer, attributes: list[str] | None, measured: set[str]
) -> None:
    options = None if attributes is None else {"Attributes": attributes}
    face = _only(faces.analyze(Image.from_array(rgb("astronaut.png")), options))
    present = {n for n in ("smile", "eyes_open", "mouth_open") if getattr(face, n) is not None}
    assert present == measured
    assert face.pose is not None and face.quality is not None and face.landmarks
    assert face.emotions is None  # no expression model installed


def test_unknown_attribute_is_refused(faces: FaceAnalyzer) -> None:
    with pytest.raises(InvalidParameterError, match="'FREKLES'"):
        faces.analyze(Image.from_array(rgb("astronaut.png")), {"Attributes": ["FREKLES"]})


@pytest.mark.parametrize(
    "factor",
    [
        0.6,  # smaller than the working size: detected as is
        3.0,  # 1536 px: detected at 1280 and mapped back to the full frame
    ],
)
def test_rescaled_copy_finds_the_face_at_the_same_relative_place(
    faces: FaceAnalyzer, astronaut: FacesResult, factor: float
) -> None:
    pixels = rgb("astronaut.png")
    size = round(512 * factor)
    resized = cv2.resize(pixels, (size, size), interpolation=cv2.INTER_AREA)
    face = _only(faces.analyze(Image.from_array(resized)))
    ref = _only(astronaut)
    assert face.box.x0 / size == pytest.approx(ref.box.x0 / 512, abs=0.02)
    assert face.box.y0 / size == pytest.approx(ref.box.y0 / 512, abs=0.02)
    assert face.box.width / size == pytest.approx(ref.box.width / 512, abs=0.03)
    nose = next(lm.point for lm in face.landmarks if lm.type == "nose")
    ref_nose = next(lm.point for lm in ref.landmarks if lm.type == "nose")
    assert nose.x / size == pytest.approx(ref_nose.x / 512, abs=0.01)
    assert face.pose is not None and ref.pose is not None
    assert face.pose.roll == pytest.approx(ref.pose.roll, abs=3)


def test_pose_signs_follow_the_image(faces: FaceAnalyzer, astronaut: FacesResult) -> None:
    pixels = rgb("astronaut.png")
    ref = _only(astronaut).pose
    assert ref is not None
    # Mirrored: roll and yaw change sign, pitch stays.
    mirrored = _only(faces.detect(Image.from_array(np.ascontiguousarray(pixels[:, ::-1])))).pose
    assert mirrored is not None
    assert mirrored.roll == pytest.approx(-ref.roll, abs=2)
    assert mirrored.yaw == pytest.approx(-ref.yaw, abs=4)
    # Turned 15 degrees clockwise about the face: roll grows by 15.
    turn = cv2.getRotationMatrix2D((220.0, 121.0), -15.0, 1.0)  # OpenCV: negative = clockwise
    turned = _only(faces.detect(Image.from_array(cv2.warpAffine(pixels, turn, (512, 512))))).pose
    assert turned is not None
    assert turned.roll - ref.roll == pytest.approx(15, abs=4)


def test_detect_matches_analyze_defaults(faces: FaceAnalyzer, astronaut: FacesResult) -> None:
    face = _only(faces.detect(Image.from_array(rgb("astronaut.png"))))
    ref = _only(astronaut)
    assert (face.box, face.landmarks, face.pose) == (ref.box, ref.landmarks, ref.pose)
    assert face.smile is None


def test_embeddings_separate_people(faces: FaceAnalyzer) -> None:
    pixels = rgb("astronaut.png")
    # Cropped, shrunk, brightened and mirrored: the same person.
    other = cv2.resize(pixels[40:472, 60:492], (360, 360), interpolation=cv2.INTER_AREA)
    other = np.clip(other.astype(np.float32) * 1.1 + 10, 0, 255).astype(np.uint8)
    other = np.ascontiguousarray(other[:, ::-1])

    def embed(p: np.ndarray) -> np.ndarray:
        image = Image.from_array(p)
        [vector] = faces.embed(image, faces.detect(image))
        return vector

    a, a2, g = embed(pixels), embed(other), embed(rgb("grace_hopper.jpg"))
    assert a.dtype == np.float32 and a.shape == (128,)
    same = float(np.linalg.norm(a - a2))
    different = float(np.linalg.norm(a - g))
    assert same < 0.4 < 0.6 < different  # dlib's same-person threshold is 0.6
    assert faces.embedding_model_version.startswith("dlib-face-recognition-resnet-v1:")


def test_embed_without_the_detection_shape_repredicts_it(faces: FaceAnalyzer) -> None:
    image = Image.from_array(rgb("grace_hopper.jpg"))
    [face] = faces.detect(image)
    rebuilt = dataclasses.replace(face, confidence=0.5)  # a new object the cache never saw
    [cached] = faces.embed(image, [face])
    [again] = faces.embed(image, [face])
    [fresh] = faces.embed(image, [rebuilt])
    assert np.array_equal(cached, again)
    # From Face.box rather than the detector's box: the same face, a hair apart.
    assert float(np.linalg.norm(cached - fresh)) < 0.1
    assert faces.embed(image, []) == []


def test_hog_confidence_is_monotone_and_centred_on_the_svm_boundary() -> None:
    scores = [-1.0, 0.0, 0.12, 0.3, 1.0, 2.0]
    values = [hog_confidence(s) for s in scores]
    assert values == sorted(values)
    assert hog_confidence(0.0) == pytest.approx(0.5)
    assert values[0] > 0.0 and values[-1] < 1.0


def test_versions_name_the_models(faces: FaceAnalyzer) -> None:
    versions = faces.versions()
    assert set(versions) == {
        "dlib-hog-frontal-face",
        "dlib-shape-predictor-68",
        "dlib-face-recognition-resnet-v1",
    }
    assert all(versions.values())
