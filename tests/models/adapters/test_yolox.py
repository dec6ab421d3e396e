"""The YOLOX adapter decodes a tiny real-layout ONNX model to known boxes and classes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sightline.analyzers.types import Box
from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.geometry import batched_nms, letterbox, nms
from sightline.models.adapters.yolox import (
    ObjectDetector,
    decode_yolox,
    validate_detector,
    yolox_anchor_count,
    yolox_grid,
)
from sightline.models.catalog import label_set
from sightline.models.sessions import Node, OrtSession, StaticSession
from tests.models.onnx_builders import constant_output_model

SIDE = 640
N = 80 * 80 + 40 * 40 + 20 * 20  # 8400 anchors: the catalog model's layout
C = 80


def _row(stride: int, cx: int, cy: int) -> int:
    """Index of the anchor at cell (cx, cy) of the ``stride`` grid."""
    offset = 0
    for s in (8, 16, 32):
        if s == stride:
            return offset + cy * (SIDE // s) + cx
        offset += (SIDE // s) ** 2
    raise ValueError(stride)


def yolox_output() -> np.ndarray:
    """Raw YOLOX rows whose decode is known (see ``expected`` in the tests)."""
    out = np.zeros((1, N, 5 + C), np.float32)

    def put(row: int, d: tuple[float, float, float, float], obj: float, cls: int, p: float) -> None:
        out[0, row, :4] = d
        out[0, row, 4] = obj
        out[0, row, 5 + cls] = p

    # car at stride 8, cell (10, 20): centre (84, 164), 32 x 64 -> (68, 132, 100, 196)
    put(_row(8, 10, 20), (0.5, 0.5, math.log(4), math.log(8)), 0.9, 2, 0.8)
    # a weaker car almost on top of it: suppressed by NMS
    put(_row(8, 11, 20), (-0.4, 0.5, math.log(4), math.log(8)), 0.9, 2, 0.5)
    # a dog on the same spot: another class, so NMS keeps it
    put(_row(16, 5, 10), (0.25, 0.25, math.log(2), math.log(4)), 0.8, 16, 0.5)
    # person at stride 32, cell (5, 3): centre (176, 112), 96 x 64 -> (128, 80, 224, 144)
    put(_row(32, 5, 3), (0.5, 0.5, math.log(3), math.log(2)), 1.0, 0, 0.95)
    # under the score threshold: dropped
    put(_row(32, 15, 15), (0.5, 0.5, 0.0, 0.0), 0.3, 5, 0.3)
    return out


@pytest.fixture(scope="module")
def yolox_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("yolox") / "tiny_yolox.onnx"
    return constant_output_model(path, yolox_output(), input_shape=(1, 3, SIDE, SIDE))


@pytest.fixture(scope="module")
def detector(yolox_path: Path) -> ObjectDetector:
    return ObjectDetector(OrtSession(yolox_path, Settings()), label_set("coco80"), name="tiny")


def test_grid_matches_the_catalog_layout() -> None:
    cells, steps = yolox_grid(SIDE, SIDE)
    assert cells.shape == (N, 2) and yolox_anchor_count(SIDE, SIDE) == N
    assert tuple(cells[_row(8, 10, 20)]) == (10, 20) and steps[_row(8, 10, 20), 0] == 8
    assert tuple(cells[_row(32, 5, 3)]) == (5, 3) and steps[_row(32, 5, 3), 0] == 32


def test_decode_yolox_rows() -> None:
    boxes, scores = decode_yolox(yolox_output()[0], (SIDE, SIDE))
    np.testing.assert_allclose(boxes[_row(8, 10, 20)], [68, 132, 100, 196], atol=1e-4)
    np.testing.assert_allclose(boxes[_row(32, 5, 3)], [128, 80, 224, 144], atol=1e-4)
    assert scores[_row(8, 10, 20), 2] == pytest.approx(0.72)  # objectness * class


def test_detects_known_boxes_in_original_pixels(detector: ObjectDetector) -> None:
    # 1280 x 960 fits 640 x 640 at ratio 0.5, top-left: image boxes are twice the input's.
    image = Image.from_array(np.zeros((960, 1280, 3), np.uint8))
    found = detector.detect(image)
    assert [(d.label, d.class_id) for d in found] == [("person", 0), ("car", 2), ("dog", 16)]
    person, car, dog = found
    assert person.box == Box(256, 160, 448, 288) and person.confidence == pytest.approx(0.95)
    assert car.box == Box(136, 264, 200, 392) and car.confidence == pytest.approx(0.72)
    assert dog.confidence == pytest.approx(0.4)


def test_boxes_land_in_the_full_resolution_frame(detector: ObjectDetector) -> None:
    full = Image.from_array(np.zeros((960, 1280, 3), np.uint8))
    small = full.fit(640)  # decoded at half scale, reported at full resolution
    assert [d.box for d in detector.detect(small)] == [d.box for d in detector.detect(full)]


def test_pre_process_is_bgr_letterboxed_top_left(detector: ObjectDetector) -> None:
    pixels = np.zeros((320, 640, 3), np.uint8)
    pixels[..., 0] = 200  # red
    blob, lb = detector.pre_process(pixels)
    assert blob.shape == (1, 3, 640, 640) and blob.dtype == np.float32
    assert (lb.ratio, lb.pad_x, lb.pad_y) == (1.0, 0, 0)
    assert blob[0, :, 0, 0].tolist() == [0, 0, 200]  # BGR, 0-255, no normalisation
    assert blob[0, :, 400, 0].tolist() == [114, 114, 114]  # the padding below the image


def test_fake_session_runs_the_same_path() -> None:
    session = StaticSession(
        [Node("images", [1, 3, SIDE, SIDE])], [Node("output", [1, N, 5 + C])], [yolox_output()]
    )
    found = ObjectDetector(session, label_set("coco80")).detect(
        Image.from_array(np.zeros((640, 640, 3), np.uint8))
    )
    assert [d.label for d in found] == ["person", "car", "dog"]
    assert session.calls[0]["images"].shape == (1, 3, SIDE, SIDE)


def test_label_count_must_match_the_model(yolox_path: Path) -> None:
    with pytest.raises(ModelError, match="80 classes but has 3 labels"):
        ObjectDetector(OrtSession(yolox_path, Settings()), ["a", "b", "c"])


def test_validate_reads_the_real_output(tmp_path: Path) -> None:
    # Dynamic input sides: only a forward pass shows the output's real row count.
    path = constant_output_model(
        tmp_path / "dyn.onnx", yolox_output(), input_shape=(1, 3, "height", "width")
    )
    session = OrtSession(path, Settings())
    assert session.get_outputs()[0].shape == [1, N, 5 + C]
    assert validate_detector(session, "yolox", (SIDE, SIDE)) == C
    with pytest.raises(ModelError, match=r"has 2100 rows .* gives 8400: not the yolox layout"):
        validate_detector(session, "yolox", (320, 320))  # a 320 input has 2100 anchors


@pytest.mark.parametrize(
    ("layout", "output", "expected"),
    [
        # yolov5: decoded centre/size in input pixels, objectness, classes
        (
            "yolov5",
            np.array([[[320, 320, 64, 32, 0.9, 0.1, 0.8]]], np.float32),
            (288, 304, 352, 336),
        ),
        # yolov8: channels first, no objectness
        (
            "yolov8",
            np.array([[[320], [320], [64], [32], [0.1], [0.7]]], np.float32),
            (288, 304, 352, 336),
        ),
    ],
)
def test_other_yolo_layouts(layout: str, output: np.ndarray, expected: tuple[int, ...]) -> None:
    shape = list(output.shape)
    session = StaticSession([Node("images", [1, 3, 640, 640])], [Node("out", shape)], [output])
    found = ObjectDetector(session, ["cat", "dog"], layout=layout).detect(
        Image.from_array(np.zeros((640, 640, 3), np.uint8))
    )
    assert len(found) == 1 and found[0].label == "dog"
    assert found[0].box == Box(*expected)
    assert found[0].confidence == pytest.approx(0.72 if layout == "yolov5" else 0.7)


def test_letterbox_centred_maps_back() -> None:
    canvas, lb = letterbox(np.zeros((100, 200, 3), np.uint8), (64, 64), center=True)
    assert canvas.shape == (64, 64, 3) and (lb.pad_x, lb.pad_y) == (0, 16)
    back = lb.to_image(np.array([[0, 16, 64, 48]], np.float32))
    np.testing.assert_allclose(back, [[0, 0, 200, 100]])


@pytest.mark.parametrize(
    ("boxes", "scores", "kept"),
    [
        ([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [0, 2]),  # overlap
        ([[0, 0, 10, 10], [0, 0, 10, 10]], [0.5, 0.9], [1]),  # identical: best wins
        ([[0, 0, 0, 0]], [0.5], [0]),  # zero area
        (np.zeros((0, 4)), [], []),  # empty
    ],
)
def test_nms(boxes: list[list[float]], scores: list[float], kept: list[int]) -> None:
    got = nms(np.asarray(boxes, np.float32), np.asarray(scores, np.float32), 0.5)
    assert got.tolist() == kept


def test_batched_nms_keeps_overlapping_boxes_of_other_classes() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8], np.float32)
    assert batched_nms(boxes, scores, np.array([1, 2]), 0.5).tolist() == [0, 1]
    assert batched_nms(boxes, scores, np.array([1, 1]), 0.5).tolist() == [0]


def test_a_flood_of_weak_boxes_is_capped(detector: ObjectDetector) -> None:
    # Every anchor over the threshold: at most max_detections come out, best first.
    flood = yolox_output()
    flood[0, :, 4] = 0.9
    flood[0, :, 5:] = np.random.default_rng(3).uniform(0.3, 1.0, (N, C))
    found = detector.post_process(
        flood, letterbox(np.zeros((640, 640, 3), np.uint8), (640, 640))[1]
    )
    assert len(found) == detector.max_detections
    scores = [d.confidence for d in found]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.89
    boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], np.float32)
    assert nms(boxes, np.array([0.1, 0.9, 0.5], np.float32), 0.5, max_keep=2).tolist() == [1, 2]
