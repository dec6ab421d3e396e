"""The OCR models behind a small seam: RapidOCR's PP-OCRv4 detector, angle classifier
and recogniser, each called on its own.

We do not use ``RapidOCR.__call__``: it crops lines at their native size, batches
crops of different widths with zero padding (which costs the recogniser its spaces on
small text) and only exposes decoded strings. Calling the three models directly lets
:mod:`sightline.analyzers.text` choose the working sizes and read the recogniser's
per-column CTC output, from which words and their geometry are recovered.

:class:`OcrEngine` is what the text analyzer needs; tests substitute a fake.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.errors import ModelError

# The recogniser's input height; every line crop is warped to it.
REC_HEIGHT = 48


@dataclass(frozen=True)
class CtcColumns:
    """The recogniser's output for one line crop, reduced per CTC time step.

    ``best``: index of the most probable class per column (0 is the CTC blank);
    ``best_prob``: its probability; ``space_prob``: the probability of the space class,
    which greedy decoding loses whenever the blank outscores it. ``column_width`` is
    the width of one column in crop pixels (column ``t`` is centred at
    ``(t + 0.5) * column_width``).
    """

    best: NDArray[np.int64]
    best_prob: NDArray[np.float32]
    space_prob: NDArray[np.float32]
    column_width: float


class OcrEngine(Protocol):
    """Detection, orientation and recognition for BGR ``uint8`` images."""

    charset: tuple[str, ...]  # class index -> character; 0 is the blank
    space_index: int
    model_version: str  # reported as DetectText's TextModelVersion

    def detect(self, bgr: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
        """Text-line quadrilaterals (4 x 2, clockwise from top-left) in ``bgr``'s pixels."""
        ...

    def upside_down(self, crops: list[NDArray[np.uint8]]) -> list[bool]:
        """For each horizontal line crop: is its text rotated by 180 degrees?"""
        ...

    def recognize(self, crop: NDArray[np.uint8]) -> CtcColumns:
        """The recogniser's columns for one crop ``REC_HEIGHT`` pixels high."""
        ...

    def versions(self) -> dict[str, str]: ...


class RapidOcrEngine:
    """RapidOCR's ONNX models (shipped in the wheel) on the CPU, a few threads each."""

    def __init__(self, settings: Settings) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as e:  # pragma: no cover - a broken install
            raise ModelError("rapidocr-onnxruntime is not installed") from e
        text = settings.text
        threads = settings.models.intra_op_threads
        try:
            ocr = RapidOCR(
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
                det_use_cuda=False,
                cls_use_cuda=False,
                rec_use_cuda=False,
                det_box_thresh=text.det_box_threshold,
                det_thresh=text.det_pixel_threshold,
            )
        except Exception as e:  # RapidOCR raises its own untyped errors
            raise ModelError(f"RapidOCR's models could not be loaded: {e}") from e
        self._det = ocr.text_det
        self._cls = ocr.text_cls
        self._rec = ocr.text_rec
        self.charset = tuple(self._rec.postprocess_op.character)
        self.space_index = len(self.charset) - 1
        if self.charset[self.space_index] != " ":
            raise ModelError("RapidOCR's recogniser has no space class where expected")
        self._version = version("rapidocr-onnxruntime")
        self.model_version = f"rapidocr-{self._version}/PP-OCRv4"

    def detect(self, bgr: NDArray[np.uint8]) -> list[NDArray[np.float32]]:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        # TextDetector.__call__ stores its preprocessor on the shared instance, a race
        # between threads; a per-call one (sides rounded to multiples of 32, no other
        # resize: the caller chose the size) keeps detection reentrant.
        height, width = bgr.shape[:2]
        blob = DetPreProcess(max(height, width), "max", self._det.mean, self._det.std)(bgr)
        if blob is None:
            return []
        preds = self._det.infer(blob)[0]
        boxes, _ = self._det.postprocess_op(preds, (height, width))
        boxes = self._det.filter_tag_det_res(boxes, (height, width))
        return [np.asarray(b, dtype=np.float32).reshape(4, 2) for b in boxes]

    def upside_down(self, crops: list[NDArray[np.uint8]]) -> list[bool]:
        if not crops:
            return []
        _, results, _ = self._cls(crops)
        thresh = float(self._cls.cls_thresh)
        return [("180" in str(label)) and float(score) > thresh for label, score in results]

    def recognize(self, crop: NDArray[np.uint8]) -> CtcColumns:
        # One crop per run: padding a batch to its widest member changes what the
        # recogniser reads (measured: it drops spaces), and costs more than it saves.
        ratio = crop.shape[1] / crop.shape[0]
        _, height, min_width = self._rec.rec_image_shape
        max_ratio = max(min_width / height, ratio)
        norm: Any = self._rec.resize_norm_img(crop, max_ratio)
        probs: NDArray[np.float32] = self._rec.session(norm[np.newaxis].astype(np.float32))[0][0]
        padded_width = norm.shape[2]
        resized_width = min(padded_width, math.ceil(height * ratio))
        column_width = padded_width / probs.shape[0] * crop.shape[1] / resized_width
        return CtcColumns(
            best=probs.argmax(axis=1).astype(np.int64),
            best_prob=probs.max(axis=1).astype(np.float32),
            space_prob=probs[:, self.space_index].astype(np.float32),
            column_width=float(column_width),
        )

    def versions(self) -> dict[str, str]:
        engine = f"rapidocr-onnxruntime {self._version}"
        return {
            "ch_PP-OCRv4_det": engine,
            "ch_ppocr_mobile_v2.0_cls": engine,
            "ch_PP-OCRv4_rec": engine,
        }
