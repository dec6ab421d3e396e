"""YOLO-family object detectors on ONNX Runtime: the YOLOX layout, and YOLOv5/YOLOv8.

Layouts (``layout`` in a model's manifest) say how to feed the model and read its output:

``yolox``
    The catalog's YOLOX-S (opencv_zoo) and YOLOX exports without in-graph decoding.
    Input 1x3xHxW BGR 0-255, letterboxed top-left with grey 114. Output 1xNx(5+C), one row
    per anchor of the stride 8, 16 and 32 grids (N = sum of H/s * W/s), row-major within
    each grid: ``dx, dy, log w, log h`` relative to the cell (in strides), objectness, C
    class scores. Box centre = (cell + d) * stride, size = exp(log) * stride; score =
    objectness * class score.
``yolov5``
    Output 1xNx(5+C) already decoded: centre x, centre y, w, h in input pixels, objectness,
    C class scores. Input RGB 0-1, letterboxed centred.
``yolov8``
    Output 1x(4+C)xN (channels first): centre x, centre y, w, h, C class scores, no
    objectness. Input RGB 0-1, letterboxed centred.

After decoding: the best class per box, a score threshold, class-aware NMS, boxes mapped
back through the letterbox to the image, then to its full-resolution frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sightline.analyzers.types import Box
from sightline.config import Settings
from sightline.errors import ModelError
from sightline.media.image import Image
from sightline.models.adapters.base import Detection
from sightline.models.adapters.geometry import (
    F32,
    Letterbox,
    batched_nms,
    cxcywh_to_xyxy,
    letterbox,
)
from sightline.models.registry import InstalledModel
from sightline.models.sessions import ModelSession, input_hw, load_session

STRIDES = (8, 16, 32)
# Boxes over the score threshold that enter NMS at most (greedy NMS is quadratic).
MAX_CANDIDATES = 1000

Decoder = Callable[[NDArray[np.float32], tuple[int, int]], tuple[F32, F32]]


def yolox_grid(height: int, width: int, strides: Sequence[int] = STRIDES) -> tuple[F32, F32]:
    """Cell origins ``(N, 2)`` (x, y in cells) and strides ``(N, 1)`` of YOLOX's anchors.

    Anchors run over the stride-8 grid first, then 16, then 32; row-major in each.
    """
    cells: list[F32] = []
    steps: list[F32] = []
    for s in strides:
        ys, xs = np.mgrid[0 : height // s, 0 : width // s]
        cells.append(np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32))
        steps.append(np.full((xs.size, 1), s, dtype=np.float32))
    return np.concatenate(cells), np.concatenate(steps)


def yolox_anchor_count(height: int, width: int, strides: Sequence[int] = STRIDES) -> int:
    return sum((height // s) * (width // s) for s in strides)


def decode_yolox(out: NDArray[np.float32], hw: tuple[int, int]) -> tuple[F32, F32]:
    """``(N, 5+C)`` raw YOLOX rows -> xyxy boxes in input pixels ``(N, 4)``, scores ``(N, C)``."""
    cells, steps = yolox_grid(*hw)
    centre = (out[:, 0:2] + cells) * steps
    # Clamp the exponent: a wild logit must give a huge box, not an overflow to inf.
    size = np.exp(np.clip(out[:, 2:4], -20.0, 20.0)) * steps
    boxes = cxcywh_to_xyxy(np.concatenate([centre, size], axis=1))
    return boxes, (out[:, 4:5] * out[:, 5:]).astype(np.float32)


def decode_yolov5(out: NDArray[np.float32], hw: tuple[int, int]) -> tuple[F32, F32]:
    return cxcywh_to_xyxy(out[:, 0:4]), (out[:, 4:5] * out[:, 5:]).astype(np.float32)


def decode_yolov8(out: NDArray[np.float32], hw: tuple[int, int]) -> tuple[F32, F32]:
    rows = out.T  # (4+C, N) -> (N, 4+C)
    return cxcywh_to_xyxy(rows[:, 0:4]), np.ascontiguousarray(rows[:, 4:], dtype=np.float32)


@dataclass(frozen=True)
class DetectorLayout:
    name: str
    rgb: bool  # channel order the model reads
    scale: float  # pixel multiplier: 1.0 feeds 0-255, 1/255 feeds 0-1
    center: bool  # letterbox placement
    channels_first_output: bool  # (4+C) x N rather than N x (5+C)
    has_objectness: bool
    decode: Decoder

    def classes_in(self, shape: Sequence[Any], hw: tuple[int, int]) -> int:
        """The class count an output of ``shape`` implies; ModelError if it cannot be ours."""
        dims = list(shape)
        if len(dims) != 3 or (dims[0] not in (1, None) and not isinstance(dims[0], str)):
            raise ModelError(
                f"The {self.name} layout needs a 3-d output (1 x rows x values), got {dims}."
            )
        values = dims[1] if self.channels_first_output else dims[2]
        rows = dims[2] if self.channels_first_output else dims[1]
        if not isinstance(values, int):
            raise ModelError(f"The {self.name} layout needs a static per-box size, got {dims}.")
        classes = values - (5 if self.has_objectness else 4)
        if classes < 1:
            raise ModelError(f"Output {dims} leaves no class scores in the {self.name} layout.")
        if self.name == "yolox" and isinstance(rows, int):
            expected = yolox_anchor_count(*hw)
            if rows != expected:
                raise ModelError(
                    f"A YOLOX output for a {hw[1]}x{hw[0]} input has {expected} rows (strides "
                    f"8/16/32), this model gives {rows}: not the yolox layout."
                )
        return classes


DETECTOR_LAYOUTS: dict[str, DetectorLayout] = {
    "yolox": DetectorLayout("yolox", False, 1.0, False, False, True, decode_yolox),
    "yolov5": DetectorLayout("yolov5", True, 1 / 255, True, False, True, decode_yolov5),
    "yolov8": DetectorLayout("yolov8", True, 1 / 255, True, True, False, decode_yolov8),
}


def detector_layout(name: str) -> DetectorLayout:
    found = DETECTOR_LAYOUTS.get(name)
    if found is None:
        raise ModelError(
            f"Unknown detector layout {name!r}; choose from {', '.join(DETECTOR_LAYOUTS)}."
        )
    return found


class ObjectDetector:
    """A YOLO-family detector behind a :class:`ModelSession`.

    ``labels`` are the class names in output order; their count must match the model's.
    Safe to call from several threads: it keeps no per-call state, and ONNX Runtime
    sessions run concurrently.
    """

    def __init__(
        self,
        session: ModelSession,
        labels: Sequence[str],
        *,
        layout: str = "yolox",
        name: str = "detector",
        score_threshold: float = 0.25,
        iou_threshold: float = 0.45,
        max_detections: int = 100,
    ) -> None:
        self.session = session
        self.name = name
        self.layout = detector_layout(layout)
        self.labels = tuple(labels)
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.max_detections = max_detections
        self.input_name = session.get_inputs()[0].name
        self.input_hw = input_hw(session, (640, 640))
        classes = self.layout.classes_in(session.get_outputs()[0].shape, self.input_hw)
        if classes != len(self.labels):
            raise ModelError(
                f"Model {name!r} scores {classes} classes but has {len(self.labels)} labels."
            )

    @classmethod
    def from_installed(cls, model: InstalledModel, settings: Settings) -> ObjectDetector:
        """Load an installed ``object-detection`` model with its labels and layout."""
        return cls(
            load_session(model.path, settings),
            model.label_names(),
            layout=model.layout or "yolox",
            name=model.name,
        )

    def pre_process(self, pixels: NDArray[np.uint8]) -> tuple[NDArray[np.float32], Letterbox]:
        """RGB ``H x W x 3`` -> the model's ``1x3xHxW`` float blob and the letterbox map."""
        boxed, lb = letterbox(pixels, self.input_hw, center=self.layout.center)
        if not self.layout.rgb:
            boxed = boxed[:, :, ::-1]
        blob = boxed.transpose(2, 0, 1)[None].astype(np.float32)
        if self.layout.scale != 1.0:
            blob *= self.layout.scale
        return np.ascontiguousarray(blob), lb

    def forward(self, blob: NDArray[np.float32]) -> NDArray[np.float32]:
        out = self.session.run(None, {self.input_name: blob})[0]
        return np.asarray(out, dtype=np.float32)

    def post_process(self, output: NDArray[np.float32], lb: Letterbox) -> list[Detection]:
        """Raw output -> detections in the pixel frame of the pre-processed image."""
        if output.ndim != 3 or output.shape[0] != 1:
            raise ModelError(f"Model {self.name!r} returned an output of shape {output.shape}.")
        boxes, scores = self.layout.decode(output[0], self.input_hw)
        if scores.shape[1] != len(self.labels):
            raise ModelError(
                f"Model {self.name!r} returned {scores.shape[1]} class scores, "
                f"expected {len(self.labels)}."
            )
        classes = scores.argmax(axis=1)
        best = scores[np.arange(len(scores)), classes]
        ok = (best >= self.score_threshold) & np.isfinite(best) & np.isfinite(boxes).all(axis=1)
        idx = np.flatnonzero(ok)
        if idx.size > MAX_CANDIDATES:  # a flood of weak boxes: NMS only the strongest
            idx = idx[np.argsort(-best[idx], kind="stable")[:MAX_CANDIDATES]]
        boxes, best, classes = lb.to_image(boxes[idx]), best[idx], classes[idx]
        keep = batched_nms(
            boxes, best, classes.astype(np.int64), self.iou_threshold, self.max_detections
        )
        return [
            Detection(
                box=Box(*(float(v) for v in boxes[i])),
                confidence=float(min(best[i], 1.0)),
                class_id=int(classes[i]),
                label=self.labels[int(classes[i])],
            )
            for i in keep
        ]

    def detect(self, image: Image) -> list[Detection]:
        """Objects in ``image``, boxes in its full-resolution frame, best first."""
        blob, lb = self.pre_process(image.pixels)
        found = self.post_process(self.forward(blob), lb)
        sx, sy = 1 / image.scale_x, 1 / image.scale_y
        if sx == 1 and sy == 1:
            return found
        w, h = image.info.width, image.info.height
        return [
            Detection(d.box.scaled(sx, sy).clipped(w, h), d.confidence, d.class_id, d.label)
            for d in found
        ]


def validate_detector(session: ModelSession, layout: str, hw: tuple[int, int]) -> int:
    """Run a blank image through ``session``; the class count its output implies.

    Checks the real output, not the declared one: dynamic dimensions hide mistakes that
    only a forward pass shows.
    """
    spec = detector_layout(layout)
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise ModelError(f"A detector takes one image input; this model takes {len(inputs)}.")
    blank = np.zeros((1, 3, *hw), dtype=np.float32)
    out = session.run(None, {inputs[0].name: blank})[0]
    return spec.classes_in(np.asarray(out).shape, hw)
