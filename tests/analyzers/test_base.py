"""The analyzer pool: one instance per analyzer, results shared per image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pytest

from sightline.analyzers.base import ANALYZERS, AnalyzerPool
from sightline.config import Settings
from sightline.media.image import Image


class Counting:
    name: ClassVar[str] = "counting"
    max_side: ClassVar[int | None] = None
    calls = 0

    def __init__(self, settings: Settings, pool: Any) -> None:
        pass

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> int:
        Counting.calls += 1
        return Counting.calls

    def versions(self) -> dict[str, str]:
        return {}


def test_results_are_shared_per_image_and_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ANALYZERS, "counting", "tests.analyzers.test_base:Counting")
    pool = AnalyzerPool(Settings())
    first = Image.from_array(np.zeros((90, 90, 3), np.uint8))
    second = Image.from_array(np.zeros((90, 90, 3), np.uint8))  # equal pixels, other image
    Counting.calls = 0
    assert pool.analyze("counting", first) == 1
    assert pool.analyze("counting", first, {}) == 1  # no options and empty options agree
    assert pool.analyze("counting", first, {"MinConfidence": 80}) == 2
    assert pool.analyze("counting", first, {"MinConfidence": 80}) == 2
    assert pool.analyze("counting", second) == 3  # identity, not equality
    assert pool.analyze("counting", first) == 4  # only the latest image is remembered
    assert pool.get("counting") is pool.get("counting")
