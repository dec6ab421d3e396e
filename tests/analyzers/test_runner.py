"""Decode once, run several analyzers, isolate their failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pytest

from sightline.analyzers.base import ANALYZERS, AnalyzerPool
from sightline.analyzers.runner import AnalysisRunner
from sightline.config import Settings
from sightline.media.image import Image
from tests.conftest import encode, rgb


class SizeProbe:
    """Reports the size of the pixels it was given."""

    name: ClassVar[str] = "size_probe"
    max_side: ClassVar[int | None] = 300

    def __init__(self, settings: Settings, pool: Any) -> None:
        pass

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> Any:
        return (image.width, image.height, dict(options or {}))

    def versions(self) -> dict[str, str]:
        return {"probe": "1"}


class Exploding(SizeProbe):
    name: ClassVar[str] = "exploding"

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> Any:
        raise ZeroDivisionError("boom")


class Unloadable(SizeProbe):
    name: ClassVar[str] = "unloadable"
    loads = 0

    def __init__(self, settings: Settings, pool: Any) -> None:
        Unloadable.loads += 1
        raise OSError("weights file is damaged")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, cls in [("size_probe", "SizeProbe"), ("exploding", "Exploding")]:
        monkeypatch.setitem(ANALYZERS, name, f"tests.analyzers.test_runner:{cls}")
    monkeypatch.setitem(ANALYZERS, "unloadable", "tests.analyzers.test_runner:Unloadable")
    monkeypatch.setitem(ANALYZERS, "ghost", "sightline.analyzers.no_such_module:Ghost")


def _jpeg() -> bytes:
    return encode(np.repeat(np.repeat(rgb("chelsea.png"), 2, axis=0), 2, axis=1))  # 902x600


@pytest.mark.usefixtures("fakes")
def test_decodes_once_at_the_largest_need() -> None:
    runner = AnalysisRunner(
        AnalyzerPool(Settings()),
        ["size_probe", "thumbnail"],
        {"size_probe": {"MinConfidence": 80}},
    )
    assert runner.max_side == 1024  # thumbnail's need beats the probe's 300
    result = runner.run(_jpeg())
    assert result.ok
    assert result.outcomes["size_probe"].result == (902, 600, {"MinConfidence": 80})
    assert result.info is not None and (result.info.width, result.info.height) == (902, 600)


@pytest.mark.usefixtures("fakes")
def test_failures_are_isolated_and_typed() -> None:
    runner = AnalysisRunner(
        AnalyzerPool(Settings()), ["ghost", "exploding", "unloadable", "size_probe"]
    )
    assert set(runner.unavailable()) == {"ghost"}
    Unloadable.loads = 0
    for _ in range(2):
        result = runner.run(_jpeg())
        assert not result.ok and result.error is None
        ghost = result.outcomes["ghost"].error
        assert ghost is not None and ghost.type == "UnsupportedError"
        assert "sightline.analyzers.no_such_module is missing" in ghost.message
        exploding = result.outcomes["exploding"].error
        assert exploding is not None and exploding.type == "InternalError"
        assert "ZeroDivisionError: boom" in exploding.message
        unloadable = result.outcomes["unloadable"].error
        assert unloadable is not None and unloadable.type == "ModelError"
        assert "weights file is damaged" in unloadable.message
        assert result.outcomes["size_probe"].ok
    assert Unloadable.loads == 1  # a broken analyzer is not reloaded for every file


def test_bad_file_is_a_file_error() -> None:
    result = AnalysisRunner(AnalyzerPool(Settings()), ["metadata", "thumbnail"]).run(b"")
    assert result.error is not None
    assert (result.error.type, result.error.code) == (
        "InvalidImageFormatError",
        "InvalidImageFormatException",
    )
    assert result.outcomes == {}


def test_metadata_alone_reads_only_the_header() -> None:
    runner = AnalysisRunner(AnalyzerPool(Settings()), ["metadata"])
    assert not runner.needs_pixels
    data = _jpeg()
    # The header is intact, the pixels are not: metadata still answers, as it
    # never decodes them.
    result = runner.run(data[: len(data) // 2], keep_image=True)
    assert result.ok
    assert result.image is not None and result.image.pixels.size == 0
    assert result.outcomes["metadata"].result.width == 902


def test_files_use_the_object_byte_limit() -> None:
    settings = Settings(limits={"max_bytes": 1000, "max_object_bytes": 10_000_000})
    result = AnalysisRunner(AnalyzerPool(settings), ["metadata"]).run(_jpeg())
    assert result.ok  # over the inline-bytes limit, under the object limit
