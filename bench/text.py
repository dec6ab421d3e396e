"""Sightline's OCR pipeline against RapidOCR's own, on the same models and images.

``RapidOCR.__call__`` crops lines at native size and batches them with padding; the
text analyzer warps each line to the recogniser's height, reads one line per run and
recovers words from the CTC columns. Both run here on generated pages of small print
(Hershey fonts, 12-15 px text, so no sample files are needed). Printed: the share of
the page's words each reads exactly, and time per page. Goal: more words read, at no
more than 1.5x the time.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from sightline.analyzers.text import TextAnalyzer
from sightline.config import Settings
from sightline.media.image import Image

LINES = [
    "Region-based segmentation of the coins",
    "markers are pixels that we can label",
    "unambiguously as either object or background",
    "the histogram of grey values shows two peaks",
    "seven quick foxes jumped over lazy dogs",
]


def _page(scale: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((230, 520, 3), 235, dtype=np.uint8)
    page = cv2.add(page, rng.integers(0, 12, page.shape, dtype=np.uint8))
    for i, line in enumerate(LINES):
        cv2.putText(
            page,
            line,
            (10, 35 + 42 * i),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (30, 30, 30),
            1,
            cv2.LINE_AA,
        )
    return page


def _words_found(found: list[str]) -> float:
    truth = [w for line in LINES for w in line.split()]
    pool = [w for text in found for w in text.split()]
    hits = 0
    for word in truth:
        if word in pool:
            pool.remove(word)
            hits += 1
    return hits / len(truth)


def main() -> None:
    from rapidocr_onnxruntime import RapidOCR

    settings = Settings()
    ours = TextAnalyzer(settings)
    theirs = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    pages = [_page(scale, seed) for seed, scale in enumerate((0.45, 0.5, 0.55))]
    results: dict[str, tuple[float, float]] = {}
    for name, read in (
        ("rapidocr", lambda px: [r[1] for r in (theirs(px[:, :, ::-1].copy())[0] or [])]),
        (
            "sightline",
            lambda px: [
                d.text for d in ours.analyze(Image.from_array(px)).detections if d.type == "WORD"
            ],
        ),
    ):
        read(pages[0])  # warm up
        start = time.perf_counter()
        found = [read(px) for px in pages]
        elapsed = (time.perf_counter() - start) / len(pages) * 1000
        results[name] = (float(np.mean([_words_found(f) for f in found])), elapsed)
        print(f"{name:10s} words read exactly: {results[name][0]:6.1%}   {elapsed:7.0f} ms/page")
    (acc_o, t_o), (acc_t, t_t) = results["sightline"], results["rapidocr"]
    print(
        f"words: {acc_o / max(acc_t, 1e-9):.2f}x RapidOCR's; time: {t_o / t_t:.2f}x  (goal: >= 1x words, <= 1.5x time)"
    )
