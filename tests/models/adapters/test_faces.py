"""YuNet, SFace and FER adapters on tiny models with the real input/output layouts."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from sightline.analyzers.types import Box, Landmark, Point
from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.fer import ExpressionRecognizer
from sightline.models.adapters.geometry import (
    FIVE_POINT_TEMPLATE,
    align_face,
    five_points_from_ibug68,
    five_points_from_landmarks,
    similarity_transform,
    softmax,
)
from sightline.models.adapters.sface import SFaceEmbedder, cosine
from sightline.models.adapters.yunet import YunetDetector
from sightline.models.sessions import OrtSession
from tests.models.onnx_builders import channel_linear_model, constant_output_model, yunet_like_model

YUNET_SIDE = 320


def _yunet_outputs() -> dict[str, np.ndarray]:
    """One face at stride 32, cell (5, 5): box (144, 144, 64, 64) in a 320 input, score 0.9."""
    outputs: dict[str, np.ndarray] = {}
    for kind, width in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10)):
        for s in (8, 16, 32):
            outputs[f"{kind}_{s}"] = np.zeros((1, (YUNET_SIDE // s) ** 2, width), np.float32)
    row = 5 * (YUNET_SIDE // 32) + 5
    outputs["cls_32"][0, row] = outputs["obj_32"][0, row] = 0.9
    outputs["bbox_32"][0, row] = [0.5, 0.5, math.log(2), math.log(2)]
    # right eye, left eye, nose, right mouth corner, left mouth corner (cell units)
    outputs["kps_32"][0, row] = [0.2, 0.3, 0.8, 0.3, 0.5, 0.5, 0.3, 0.7, 0.7, 0.7]
    return outputs


def test_yunet_reports_boxes_and_landmarks_at_full_resolution(tmp_path: Path) -> None:
    path = yunet_like_model(tmp_path / "yunet.onnx", _yunet_outputs(), YUNET_SIDE)
    detector = YunetDetector(path, max_side=YUNET_SIDE)
    # 1280 px analysed at 320: everything OpenCV reports is scaled by 4.
    faces = detector.detect(Image.from_array(np.zeros((1280, 1280, 3), np.uint8)))
    assert len(faces) == 1
    face = faces[0]
    assert face.box == Box(576, 576, 832, 832)
    # sqrt(cls * obj), OpenCV's YuNet score
    assert face.confidence == pytest.approx(0.9, abs=1e-6)
    expected = [(5.2, 5.3), (5.8, 5.3), (5.5, 5.5), (5.3, 5.7), (5.7, 5.7)]
    for p, (cx, cy) in zip(face.landmarks, expected, strict=True):
        assert (p.x, p.y) == (pytest.approx(cx * 128, abs=1e-3), pytest.approx(cy * 128, abs=1e-3))
    assert face.landmarks[0].x < face.landmarks[1].x  # image-left eye first


def test_yunet_refuses_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(ModelError, match=r"bad\.onnx"):
        YunetDetector(bad)


def _template_face(
    scale: float, angle: float, shift: tuple[float, float]
) -> tuple[np.ndarray, list[Point]]:
    """A 400x400 RGB image with 5 coloured dots: the template moved by a similarity."""
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    pts = (FIVE_POINT_TEMPLATE @ rot.T) * scale + np.array(shift)
    pixels = np.zeros((400, 400, 3), np.uint8)
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)]
    for (x, y), c in zip(pts, colours, strict=True):
        cv2.circle(pixels, (round(x), round(y)), 6, c, -1)
    return pixels, [Point(float(x), float(y)) for x, y in pts]


def test_similarity_transform_recovers_a_known_one() -> None:
    _, pts = _template_face(2.0, 30.0, (150, 60))
    m = similarity_transform(np.array([[p.x, p.y] for p in pts]), FIVE_POINT_TEMPLATE)
    back = np.array([[p.x, p.y, 1.0] for p in pts]) @ m.T
    np.testing.assert_allclose(back, FIVE_POINT_TEMPLATE, atol=1e-3)


def test_align_face_puts_the_landmarks_on_the_template() -> None:
    pixels, pts = _template_face(2.0, 30.0, (150, 60))
    crop = align_face(pixels, pts)
    assert crop.shape == (112, 112, 3)
    for (x, y), colour in zip(
        FIVE_POINT_TEMPLATE,
        [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)],
        strict=True,
    ):
        assert tuple(crop[round(y), round(x)]) == colour


def test_five_points_from_dlib_68() -> None:
    pts = [Point(float(i), float(2 * i)) for i in range(68)]
    eye_l, eye_r, nose, mouth_l, mouth_r = five_points_from_ibug68(pts)
    assert (eye_l, eye_r) == (Point(38.5, 77.0), Point(44.5, 89.0))
    assert (nose, mouth_l, mouth_r) == (pts[30], pts[48], pts[54])


@pytest.fixture(scope="module")
def sface(tmp_path_factory: pytest.TempPathFactory) -> SFaceEmbedder:
    weights = np.random.default_rng(7).normal(size=(3, 128)).astype(np.float32)
    path = channel_linear_model(
        tmp_path_factory.mktemp("sface") / "sface.onnx",
        weights,
        size=112,
        input_name="data",
        output_name="fc1",
    )
    return SFaceEmbedder(path)


def test_sface_alignment_matches_opencvs_own(sface: SFaceEmbedder) -> None:
    pixels, pts = _template_face(2.5, -15.0, (120, 140))
    pixels = cv2.GaussianBlur(pixels, (0, 0), 3)  # smooth, so resampling noise stays small
    image = Image.from_array(pixels)
    row = np.array([[0, 0, 0, 0, *[c for p in pts for c in (p.x, p.y)], 1.0]], np.float32)
    theirs = sface._recognizer.alignCrop(image.bgr(), row)
    ours = sface.align(image, pts)
    assert ours.shape == theirs.shape == (112, 112, 3)
    assert np.abs(ours.astype(int) - theirs.astype(int)).mean() < 1.0


def test_sface_features_are_unit_length_and_compare_by_cosine(sface: SFaceEmbedder) -> None:
    pixels, pts = _template_face(2.0, 0.0, (100, 100))
    image = Image.from_array(pixels)
    a = sface.embed(image, pts)
    assert a.shape == (128,) and a.dtype == np.float32
    assert float(np.linalg.norm(a)) == pytest.approx(1.0, abs=1e-5)
    # The same face found on a half-scale decode embeds the same.
    assert cosine(a, sface.embed(image.fit(200), pts)) > 0.99
    other = Image.from_array(np.full((400, 400, 3), (0, 40, 250), np.uint8))
    assert cosine(a, sface.embed(other, pts)) < 0.99


def test_fer_maps_scores_onto_rekognition_emotions(tmp_path: Path) -> None:
    logits = np.array([[0.0, 0.0, 1.0, 5.0, 2.0, 0.0, 0.0]], np.float32)
    path = constant_output_model(
        tmp_path / "fer.onnx",
        logits,
        input_shape=(1, 3, 112, 112),
        input_name="data",
        output_name="label",
    )
    fer = ExpressionRecognizer(OrtSession(path, Settings()))
    pixels, pts = _template_face(2.0, 10.0, (100, 100))
    emotions = fer.emotions(Image.from_array(pixels), pts)
    probs = softmax(logits[0])
    assert [e.type for e in emotions[:3]] == ["HAPPY", "CALM", "FEAR"]
    assert emotions[0].confidence == pytest.approx(float(probs[3]), rel=1e-5)
    assert {e.type for e in emotions} == {
        "ANGRY",
        "DISGUSTED",
        "FEAR",
        "HAPPY",
        "CALM",
        "SAD",
        "SURPRISED",
    }  # CONFUSED: no class in the model, never reported
    assert sum(e.confidence for e in emotions) == pytest.approx(1.0, abs=1e-5)


def test_fer_pre_process_is_aligned_and_scaled_to_minus_one_one(tmp_path: Path) -> None:
    path = constant_output_model(
        tmp_path / "fer.onnx", np.zeros((1, 7), np.float32), input_shape=(1, 3, 112, 112)
    )
    fer = ExpressionRecognizer(OrtSession(path, Settings()))
    pixels, pts = _template_face(2.0, 10.0, (100, 100))
    blob = fer.pre_process(pixels, pts)
    assert blob.shape == (1, 3, 112, 112)
    x, y = (round(v) for v in FIVE_POINT_TEMPLATE[0])
    np.testing.assert_allclose(blob[0, :, y, x], [1.0, -1.0, -1.0])  # the red dot, RGB
    assert blob.min() >= -1.0 and blob.max() <= 1.0


def test_five_points_from_rekognition_landmarks() -> None:
    names = ["mouthRight", "nose", "eyeLeft", "chinBottom", "mouthLeft", "eyeRight"]
    landmarks = [Landmark(n, Point(float(i), 0.0)) for i, n in enumerate(names)]
    # eyeLeft, eyeRight, nose, mouthLeft, mouthRight: the template order
    assert [p.x for p in five_points_from_landmarks(landmarks)] == [2, 5, 1, 4, 0]
    with pytest.raises(ValueError, match="eyeRight"):
        five_points_from_landmarks(landmarks[:5])
