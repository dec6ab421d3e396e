"""Landmark geometry without models: pose on synthetic projections, decisions, quality."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from sightline.analyzers import face_geometry as geometry
from sightline.analyzers.face_geometry import EYES_OPEN, Threshold, decide
from sightline.analyzers.types import Box, Point

FOCAL = 800.0
CENTER = Point(320.0, 240.0)


def _rotation(axis: str, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return {
        "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def _project(rotation: np.ndarray) -> np.ndarray:
    """68 points with the generic model's points projected at 600 mm after ``rotation``
    (about the head's centre, 90 mm behind the nose tip); the rest are unused."""
    points = np.zeros((68, 2))
    centre = np.array([0.0, 0.0, 90.0])
    for index, xyz in geometry._MODEL_3D.items():
        p = rotation @ (np.array(xyz) - centre) + centre + np.array([0.0, 0.0, 600.0])
        points[index] = (FOCAL * p[0] / p[2] + CENTER.x, FOCAL * p[1] / p[2] + CENTER.y)
    return points


def test_frontal_face_has_zero_pose() -> None:
    pose = geometry.head_pose(_project(np.eye(3)), CENTER, FOCAL)
    assert (pose.roll, pose.yaw, pose.pitch) == pytest.approx((0, 0, 0), abs=0.5)


def test_nose_turned_to_the_viewers_right_is_positive_yaw() -> None:
    # About the vertical axis (y down), a negative angle swings the nose (-z) to +x.
    points = _project(_rotation("y", -20))
    assert points[30, 0] > (points[36, 0] + points[45, 0]) / 2  # the nose moved right
    pose = geometry.head_pose(points, CENTER, FOCAL)
    assert pose.yaw == pytest.approx(20, abs=1)
    assert abs(pose.roll) < 1 and abs(pose.pitch) < 1


def test_nose_lifted_is_positive_pitch() -> None:
    points = _project(_rotation("x", -15))  # swings the nose (-z) towards -y, up
    eyes_y = (points[36, 1] + points[45, 1]) / 2
    frontal = _project(np.eye(3))
    assert points[30, 1] - eyes_y < frontal[30, 1] - (frontal[36, 1] + frontal[45, 1]) / 2
    pose = geometry.head_pose(points, CENTER, FOCAL)
    assert pose.pitch == pytest.approx(15, abs=1)
    assert abs(pose.yaw) < 1 and abs(pose.roll) < 1


def test_clockwise_turn_is_positive_roll() -> None:
    points = _project(_rotation("z", 25))  # x towards y (down): clockwise on screen
    assert points[45, 1] > points[36, 1]  # the viewer's right eye dropped
    pose = geometry.head_pose(points, CENTER, FOCAL)
    assert pose.roll == pytest.approx(25, abs=1)


def test_combined_pose_is_recovered() -> None:
    rotation = _rotation("z", -10) @ _rotation("y", 15) @ _rotation("x", 10)
    pose = geometry.head_pose(_project(rotation), CENTER, FOCAL)
    assert (pose.roll, pose.yaw, pose.pitch) == pytest.approx((-10, -15, -10), abs=1.5)


def test_decide_confidence_grows_with_distance_to_threshold() -> None:
    rule = Threshold(threshold=0.2, spread=0.03)
    at = decide(0.2, rule, scale_px=50)
    assert at.confidence == pytest.approx(0.5)
    near, far = decide(0.23, rule, scale_px=50), decide(0.35, rule, scale_px=50)
    assert near.value and far.value
    assert 0.5 < near.confidence < far.confidence < 1.0
    closed = decide(0.05, rule, scale_px=50)
    assert not closed.value and closed.confidence > 0.9


def test_small_faces_get_less_confident_decisions() -> None:
    big = decide(0.3, EYES_OPEN, scale_px=40)
    small = decide(0.3, EYES_OPEN, scale_px=6)
    assert big.value and small.value
    assert small.confidence < big.confidence


def _eye_points(gap: float) -> np.ndarray:
    """A face whose eyes are 30 px wide and ``gap`` px tall, mouth closed and flat."""
    p = np.zeros((68, 2))
    for start, x0 in ((36, 100.0), (42, 160.0)):
        p[start : start + 6] = [
            (x0, 100),
            (x0 + 10, 100 - gap / 2),
            (x0 + 20, 100 - gap / 2),
            (x0 + 30, 100),
            (x0 + 20, 100 + gap / 2),
            (x0 + 10, 100 + gap / 2),
        ]
    # Lips: outer 48-59 round the mouth, inner 60-67 closed on the lip line.
    outer = [(115 + 10 * i, 180 - (5 if 0 < i < 6 else 0)) for i in range(7)]
    outer += [(165 - 10 * i, 185) for i in range(5)]
    inner = [(120 + 10 * i, 180) for i in range(5)] + [(150 - 10 * i, 180) for i in range(3)]
    p[48:60] = outer
    p[60:68] = inner
    return p


def test_eyes_open_and_closed() -> None:
    assert geometry.eyes_open(_eye_points(10)).value
    closed = geometry.eyes_open(_eye_points(1))
    assert not closed.value and closed.confidence > 0.9


def test_flat_closed_mouth_is_neither_open_nor_smiling() -> None:
    points = _eye_points(10)
    assert not geometry.mouth_open(points).value
    assert not geometry.smile(points).value


def test_landmarks_follow_rekognition_order_and_means() -> None:
    points = _eye_points(10)
    marks = geometry.landmarks(points)
    assert [m.type for m in marks][:5] == ["eyeLeft", "eyeRight", "mouthLeft", "mouthRight", "nose"]
    eye_left = marks[0].point
    assert (eye_left.x, eye_left.y) == pytest.approx(tuple(points[36:42].mean(axis=0)))


def test_quality_brightness_and_sharpness() -> None:
    box = Box(10, 10, 90, 90)
    flat = np.full((100, 100), 255, np.uint8)
    q = geometry.face_quality(flat, box)
    assert q.brightness == pytest.approx(100)
    assert q.sharpness == pytest.approx(0)
    rng = np.random.default_rng(1)
    detailed = rng.integers(0, 256, (100, 100), dtype=np.uint8)
    blurred = cv2.GaussianBlur(detailed, (0, 0), 2)
    sharp_q, blur_q = geometry.face_quality(detailed, box), geometry.face_quality(blurred, box)
    assert 0 <= blur_q.sharpness < sharp_q.sharpness <= 100


def test_quality_of_a_box_outside_the_image_is_zero() -> None:
    q = geometry.face_quality(np.zeros((50, 50), np.uint8), Box(60, 60, 80, 80))
    assert (q.brightness, q.sharpness) == (0.0, 0.0)
