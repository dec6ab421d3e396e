"""A small, real analyzer for pipeline tests: image size and mean colour, optionally slow.

It follows the Analyzer contract (constructor ``(settings, pool)``, ``name``,
``max_side``, ``analyze``, ``versions``) plus ``document()``, the hook configured
analyses use for their JSON. Tests register it with
``pipeline.analyses.probe = {analyzer = "tests.pipeline.probe_analyzer:ProbeAnalyzer"}``
so spawned worker processes import it too. ``options["sleep"]`` makes each call take
that many seconds (rate and concurrency tests need work that takes time).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sightline.config import Settings
from sightline.media.image import Image, ImageInfo

TARGET = "tests.pipeline.probe_analyzer:ProbeAnalyzer"


@dataclass(frozen=True)
class ProbeResult:
    width: int
    height: int
    mean: tuple[float, float, float]
    started: float
    ended: float
    model_version: str = "probe-1"


class ProbeAnalyzer:
    name: ClassVar[str] = "probe"
    max_side: ClassVar[int | None] = 256

    def __init__(self, settings: Settings, pool: Any = None) -> None:
        self.settings = settings

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> ProbeResult:
        started = time.time()
        sleep = float((options or {}).get("sleep", 0.0))
        if sleep:
            time.sleep(sleep)
        mean = image.pixels.reshape(-1, 3).mean(axis=0)
        return ProbeResult(
            image.info.width,
            image.info.height,
            (float(mean[0]), float(mean[1]), float(mean[2])),
            started,
            time.time(),
        )

    def versions(self) -> dict[str, str]:
        return {"probe": "1"}

    def document(
        self, result: ProbeResult, info: ImageInfo, options: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "Width": result.width,
            "Height": result.height,
            "Mean": list(result.mean),
            "Started": result.started,
            "Ended": result.ended,
        }


def probe_settings(**extra: Any) -> dict[str, Any]:
    """``pipeline`` settings with the probe registered as ``probe`` (and ``slowprobe``)."""
    sleep = float(extra.pop("sleep", 0.0))
    analyses = {
        "probe": {"analyzer": TARGET},
        "slowprobe": {"analyzer": TARGET, "options": {"sleep": sleep}},
    }
    return {"analyses": analyses, **extra}
