"""Face attributes measured from dlib's 68 landmarks: pure numpy and OpenCV geometry.

Every function takes ``points``, a ``(68, 2)`` float array in the iBUG 300-W order that
dlib's shape predictor produces (0-16 jawline, 17-26 brows, 27-35 nose, 36-47 eyes,
48-67 lips), in pixel coordinates of one frame (x right, y down). "Left" and "right"
are the viewer's, as in Rekognition's responses: ``eyeLeft`` has the smaller x.

Boolean attributes come with an honest confidence: the feature's distance to its
decision threshold divided by its uncertainty, ``z = (x - t) / sigma``, turned into a
probability with the normal CDF. ``sigma`` combines how much the feature varies between
people at one expression (``spread``) with the landmark noise (about one pixel) in the
feature's units, so a small or blurred face gets confidences near 50, never a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import BoolAttribute, Box, FaceQuality, Landmark, Point, Pose

Points = NDArray[np.float64]

# Rekognition landmark type -> the dlib points whose mean locates it. Rekognition
# reports its pupils at the eye centres, and so do we (no iris model here).
LANDMARK_POINTS: dict[str, tuple[int, ...]] = {
    "eyeLeft": (36, 37, 38, 39, 40, 41),
    "eyeRight": (42, 43, 44, 45, 46, 47),
    "mouthLeft": (48,),
    "mouthRight": (54,),
    "nose": (30,),
    "leftEyeBrowLeft": (17,),
    "leftEyeBrowRight": (21,),
    "leftEyeBrowUp": (19,),
    "rightEyeBrowLeft": (22,),
    "rightEyeBrowRight": (26,),
    "rightEyeBrowUp": (24,),
    "leftEyeLeft": (36,),
    "leftEyeRight": (39,),
    "leftEyeUp": (37, 38),
    "leftEyeDown": (40, 41),
    "rightEyeLeft": (42,),
    "rightEyeRight": (45,),
    "rightEyeUp": (43, 44),
    "rightEyeDown": (46, 47),
    "noseLeft": (31,),
    "noseRight": (35,),
    "mouthUp": (51,),
    "mouthDown": (57,),
    "leftPupil": (36, 37, 38, 39, 40, 41),
    "rightPupil": (42, 43, 44, 45, 46, 47),
    # Rekognition's upper jawline points sit at eye level, the mid ones at mouth level.
    "upperJawlineLeft": (0,),
    "midJawlineLeft": (4,),
    "chinBottom": (8,),
    "midJawlineRight": (12,),
    "upperJawlineRight": (16,),
}

# A generic adult face in millimetres, in camera axes for a frontal face (x to the
# viewer's right, y down, z away from the camera), origin at the nose tip. Values are
# rounded anthropometric averages; jawline points are left out because they lie on the
# silhouette and slide around the face as it turns.
_MODEL_3D: dict[int, tuple[float, float, float]] = {
    30: (0.0, 0.0, 0.0),  # nose tip
    27: (0.0, -40.0, 25.0),  # nasion
    31: (-16.0, 7.0, 20.0),  # nostril wings
    35: (16.0, 7.0, 20.0),
    36: (-45.0, -35.0, 38.0),  # outer eye corners
    45: (45.0, -35.0, 38.0),
    39: (-20.0, -35.0, 28.0),  # inner eye corners
    42: (20.0, -35.0, 28.0),
    17: (-50.0, -50.0, 45.0),  # outer brow ends
    26: (50.0, -50.0, 45.0),
    21: (-12.0, -50.0, 28.0),  # inner brow ends
    22: (12.0, -50.0, 28.0),
    48: (-28.0, 30.0, 30.0),  # mouth corners
    54: (28.0, 30.0, 30.0),
    51: (0.0, 25.0, 15.0),  # upper lip
    8: (0.0, 78.0, 30.0),  # chin
}
_MODEL_INDEX = np.array(list(_MODEL_3D), dtype=np.intp)
_MODEL_POINTS = np.array(list(_MODEL_3D.values()), dtype=np.float64)

# Landmark noise of dlib's 68-point predictor, in pixels of the frame it ran on.
LANDMARK_NOISE_PX = 1.0


@dataclass(frozen=True)
class Threshold:
    """A decision ``feature > threshold`` with the feature's between-people spread."""

    threshold: float
    spread: float


# Eye aspect ratio (lid gap over eye width): open eyes sit near 0.25-0.4, closed
# eyes under 0.15.
EYES_OPEN = Threshold(threshold=0.20, spread=0.035)
# Inner-lip gap over mouth width: closed lips measure 0-0.03.
MOUTH_OPEN = Threshold(threshold=0.06, spread=0.02)
# Smile index: corner lift over mouth width, plus half the widening of the mouth
# relative to the outer eye corners beyond a neutral 0.62 (see smile()).
SMILE = Threshold(threshold=0.08, spread=0.04)


def landmarks(points: Points) -> tuple[Landmark, ...]:
    """All of Rekognition's landmark types, in Rekognition's order, from 68 points."""
    return tuple(
        Landmark(
            name, Point(float(points[list(idx), 0].mean()), float(points[list(idx), 1].mean()))
        )
        for name, idx in LANDMARK_POINTS.items()
    )


def head_pose(points: Points, center: Point, focal: float) -> Pose:
    """Roll, yaw and pitch in degrees by ``cv2.solvePnP`` against a generic 3-D face.

    ``center`` is the principal point and ``focal`` the focal length in pixels of the
    frame ``points`` are in. Callers pass the face's own centre as principal point, so
    the angles are relative to the line of sight to the face (a face looking straight at
    the camera reads 0 wherever it sits in the frame), like a crop-based estimator.

    Signs follow Rekognition's responses: Roll > 0 turns the face clockwise as the
    viewer sees it, Yaw > 0 turns the nose towards the viewer's right, Pitch > 0 lifts
    the nose (looking up).
    """
    image_points = np.ascontiguousarray(points[_MODEL_INDEX], dtype=np.float64)
    camera = np.array(
        [[focal, 0.0, center.x], [0.0, focal, center.y], [0.0, 0.0, 1.0]], dtype=np.float64
    )
    # Start from a frontal face at the distance its eye span implies: without a guess
    # the solver may settle on the mirror solution behind the camera (roll ~180).
    span_px = max(_dist(points[36], points[45]), 1.0)
    distance = focal * (_MODEL_3D[45][0] - _MODEL_3D[36][0]) / span_px
    ok, rvec, tvec = cv2.solvePnP(
        _MODEL_POINTS,
        image_points,
        camera,
        None,
        np.zeros((3, 1), dtype=np.float64),
        np.array([[0.0], [0.0], [distance]], dtype=np.float64),
        useExtrinsicGuess=True,
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok or float(tvec[2, 0]) <= 0:
        return _pose_from_eyes(points)
    rotation = np.asarray(cv2.Rodrigues(rvec)[0], dtype=np.float64)
    # R = Rz(g) @ Ry(b) @ Rx(a): rotations about the camera's axes.
    b = math.asin(max(-1.0, min(1.0, -float(rotation[2, 0]))))
    a = math.atan2(float(rotation[2, 1]), float(rotation[2, 2]))
    g = math.atan2(float(rotation[1, 0]), float(rotation[0, 0]))
    # +b about y (down) swings the nose (-z) to the viewer's left; +a about x swings it
    # down; +g about z (into the image) turns x towards y, clockwise on screen.
    return Pose(
        roll=_wrap(math.degrees(g)), yaw=_wrap(-math.degrees(b)), pitch=_wrap(-math.degrees(a))
    )


def _pose_from_eyes(points: Points) -> Pose:
    """Roll alone, from the eye line, when the PnP solver does not converge."""
    left, right = _eye_centres(points)
    return Pose(
        roll=math.degrees(math.atan2(right[1] - left[1], right[0] - left[0])), yaw=0.0, pitch=0.0
    )


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _eye_centres(points: Points) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return points[36:42].mean(axis=0), points[42:48].mean(axis=0)


def _aligned(points: Points) -> Points:
    """The points rotated so the eye line is horizontal, origin between the eyes."""
    left, right = _eye_centres(points)
    angle = math.atan2(right[1] - left[1], right[0] - left[0])
    c, s = math.cos(-angle), math.sin(-angle)
    rot = np.array([[c, -s], [s, c]])
    return np.asarray((points - (left + right) / 2) @ rot.T, dtype=np.float64)


def _dist(p: NDArray[np.float64], q: NDArray[np.float64]) -> float:
    return float(np.hypot(*(p - q)))


def decide(value: float, rule: Threshold, scale_px: float) -> BoolAttribute:
    """``value > rule.threshold`` with confidence from the distance to the threshold.

    ``scale_px`` is the length in pixels that normalises the feature (eye width, mouth
    width), so one pixel of landmark noise is ``LANDMARK_NOISE_PX / scale_px`` of it.
    """
    noise = LANDMARK_NOISE_PX / max(scale_px, 1e-6)
    sigma = math.hypot(rule.spread, noise)
    z = (value - rule.threshold) / sigma
    confidence = 0.5 * (1.0 + math.erf(abs(z) / math.sqrt(2.0)))
    return BoolAttribute(value=z > 0, confidence=confidence)


def eye_aspect_ratio(points: Points) -> tuple[float, float]:
    """Mean eye aspect ratio of both eyes and the mean eye width in pixels."""
    ratios, widths = [], []
    for start in (36, 42):
        e = points[start : start + 6]
        width = _dist(e[0], e[3])
        gap = (_dist(e[1], e[5]) + _dist(e[2], e[4])) / 2
        ratios.append(gap / max(width, 1e-6))
        widths.append(width)
    return float(np.mean(ratios)), float(np.mean(widths))


def eyes_open(points: Points) -> BoolAttribute:
    ratio, width = eye_aspect_ratio(points)
    return decide(ratio, EYES_OPEN, width)


def mouth_gap(points: Points) -> tuple[float, float]:
    """Inner-lip gap over mouth width, and the mouth width in pixels."""
    width = _dist(points[48], points[54])
    gap = (
        _dist(points[61], points[67])
        + _dist(points[62], points[66])
        + _dist(points[63], points[65])
    ) / 3
    return gap / max(width, 1e-6), width


def mouth_open(points: Points) -> BoolAttribute:
    ratio, width = mouth_gap(points)
    return decide(ratio, MOUTH_OPEN, width)


def smile_index(points: Points) -> tuple[float, float]:
    """Smile index and mouth width in pixels.

    In the eye-aligned frame: how far the mouth corners rise above the centre of the
    lips (over the mouth width), plus half of how much wider the mouth is than a
    neutral 0.62 of the outer eye-corner distance. Smiles lift and widen the mouth.
    """
    a = _aligned(points)
    width = _dist(a[48], a[54])
    lips_y = (a[62, 1] + a[66, 1]) / 2
    corners_y = (a[48, 1] + a[54, 1]) / 2
    lift = (lips_y - corners_y) / max(width, 1e-6)
    widen = width / max(_dist(a[36], a[45]), 1e-6)
    return float(lift + 0.5 * (widen - 0.62)), width


def smile(points: Points) -> BoolAttribute:
    index, width = smile_index(points)
    return decide(index, SMILE, width)


# Laplacian variance of a face normalised to this size at which sharpness reads 63.
_SHARPNESS_SIZE = 112
_SHARPNESS_SCALE = 150.0


def face_quality(gray: NDArray[np.uint8], box: Box) -> FaceQuality:
    """Brightness and sharpness (0-100) of the face region of a grey image.

    Brightness is the mean grey level. Sharpness is the variance of the Laplacian of the
    face resized to 112x112 (so it measures detail relative to the face, not the
    image), mapped by ``100 * (1 - exp(-var / 150))``: monotone, 0 for a flat patch.
    """
    h, w = gray.shape[:2]
    b = box.clipped(w, h)
    x0, y0 = math.floor(b.x0), math.floor(b.y0)
    x1, y1 = max(math.ceil(b.x1), x0 + 1), max(math.ceil(b.y1), y0 + 1)
    crop = gray[y0:y1, x0:x1]
    if crop.size == 0:
        return FaceQuality(brightness=0.0, sharpness=0.0)
    brightness = float(crop.mean()) / 255.0 * 100.0
    shrink = crop.shape[0] > _SHARPNESS_SIZE
    resized = cv2.resize(
        crop,
        (_SHARPNESS_SIZE, _SHARPNESS_SIZE),
        interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
    )
    variance = float(cv2.Laplacian(resized, cv2.CV_64F).var())
    sharpness = 100.0 * (1.0 - math.exp(-variance / _SHARPNESS_SCALE))
    return FaceQuality(brightness=brightness, sharpness=sharpness)
