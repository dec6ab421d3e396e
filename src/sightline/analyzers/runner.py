"""Decode a file once and run several analyzers on it.

The decode size is the largest ``max_side`` among the chosen analyzers (each shrinks
further itself); when none of them reads pixels (metadata alone), the header is read
and nothing is decoded. One analyzer failing does not stop the others; an analyzer
whose module or models cannot be loaded fails every file with the same clear error.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sightline.analyzers.base import ANALYZERS, Analyzer, AnalyzerPool
from sightline.errors import (
    InternalError,
    ModelError,
    SightlineError,
    UnsupportedError,
    wire_error,
)
from sightline.media.decode import decode_image, probe_image
from sightline.media.image import Image, ImageInfo


@dataclass(frozen=True)
class ErrorInfo:
    """A failure as reported to people and written to records (picklable, JSON-able)."""

    type: str  # the exception class, e.g. "InvalidImageFormatError"
    code: str  # its Rekognition error code, e.g. "InvalidImageFormatException"
    message: str

    @classmethod
    def of(cls, exc: SightlineError) -> ErrorInfo:
        return cls(type=type(exc).__name__, code=wire_error(exc).code, message=exc.message)

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "code": self.code, "message": self.message}


@dataclass(frozen=True)
class Outcome:
    """One analysis of one file: its typed result, or the error that replaced it."""

    analysis: str
    result: Any = None
    error: ErrorInfo | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FileResult:
    """Every analysis of one file; ``error`` set when the file itself is unusable."""

    info: ImageInfo | None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    error: ErrorInfo | None = None
    decode_seconds: float = 0.0
    image: Image | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and all(o.ok for o in self.outcomes.values())

    @property
    def analyzer_seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes.values())


class AnalysisRunner:
    """Runs ``analyses`` over file bytes with the analyzers of one :class:`AnalyzerPool`.

    Args:
        pool: the process's pool (models loaded once, on first use).
        analyses: analysis names from :data:`ANALYZERS`, run in this order.
        options: analysis name -> request members passed to that analyzer.
        max_bytes: the byte limit for a file; default ``limits.max_object_bytes``
            (files are objects read from storage, not inline request bytes).
    """

    def __init__(
        self,
        pool: AnalyzerPool,
        analyses: Sequence[str],
        options: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        max_bytes: int | None = None,
    ) -> None:
        self.pool = pool
        self.analyses = list(analyses)
        self.options = {k: dict(v) for k, v in (options or {}).items()}
        self.limits = pool.settings.limits
        self.max_bytes = pool.settings.limits.max_object_bytes if max_bytes is None else max_bytes
        self._failed: dict[str, ErrorInfo] = {}
        # Seconds spent creating each analyzer (loading its models), once per process.
        self.load_seconds: dict[str, float] = {}
        classes: dict[str, Any] = {}
        for name in self.analyses:
            try:
                classes[name] = analyzer_class(name)
            except SightlineError as exc:
                self._failed[name] = ErrorInfo.of(exc)
        sides = [cls.max_side for cls in classes.values()]
        self.max_side: int | None = (
            None if any(s is None for s in sides) else max((s for s in sides if s), default=1)
        )
        self.needs_pixels = any(getattr(cls, "needs_pixels", True) for cls in classes.values())

    def unavailable(self) -> dict[str, ErrorInfo]:
        """Analyses that cannot run in this process, with the reason."""
        return dict(self._failed)

    def run(self, data: bytes, *, keep_image: bool = False) -> FileResult:
        """Decode ``data`` once and run every analysis on it."""
        started = time.perf_counter()
        try:
            if self.needs_pixels:
                image = decode_image(
                    data, self.limits, max_side=self.max_side, max_bytes=self.max_bytes
                )
            else:
                info = probe_image(data, self.limits, max_bytes=self.max_bytes)
                # No analyzer reads pixels: an empty array stands for them.
                image = Image(pixels=np.empty((0, 0, 3), np.uint8), info=info, source=data)
        except SightlineError as exc:
            return FileResult(
                info=None, error=ErrorInfo.of(exc), decode_seconds=time.perf_counter() - started
            )
        decoded = time.perf_counter()
        # Labels build on the other analyses: run them first so labels reuse their
        # results for this image (the pool remembers them) instead of computing again.
        order = sorted(self.analyses, key=lambda name: name == "labels")
        done = {name: self._run_one(name, image) for name in order}
        outcomes = {name: done[name] for name in self.analyses}
        return FileResult(
            info=image.info,
            outcomes=outcomes,
            decode_seconds=decoded - started,
            image=image if keep_image else None,
        )

    def _run_one(self, name: str, image: Image) -> Outcome:
        failed = self._failed.get(name)
        if failed is not None:
            return Outcome(name, error=failed)
        try:
            self.analyzer(name)
        except SightlineError as exc:
            # Loading failed (missing model, broken install): it will fail the same way
            # for every file, so remember it rather than retrying per file.
            self._failed[name] = ErrorInfo.of(exc)
            return Outcome(name, error=self._failed[name])
        started = time.perf_counter()
        try:
            # Through the pool, so that an analyzer building on this one (labels on
            # faces) reuses the result for this image instead of computing it again.
            result = self.pool.analyze(name, image, self.options.get(name))
        except SightlineError as exc:
            return Outcome(name, error=ErrorInfo.of(exc), seconds=time.perf_counter() - started)
        except Exception as exc:  # a bug or a library failure on this one image
            error = InternalError(f"The {name} analysis failed: {type(exc).__name__}: {exc}")
            return Outcome(name, error=ErrorInfo.of(error), seconds=time.perf_counter() - started)
        return Outcome(name, result=result, seconds=time.perf_counter() - started)

    def analyzer(self, name: str) -> Analyzer:
        """The pool's analyzer for ``name``, created (models loaded) on first use."""
        if name in self.load_seconds:
            return self.pool.get(name)
        started = time.perf_counter()
        try:
            found = self.pool.get(name)
        except SightlineError:
            raise
        except Exception as exc:
            raise ModelError(
                f"The {name} analyzer could not be loaded: {type(exc).__name__}: {exc}"
            ) from exc
        self.load_seconds[name] = time.perf_counter() - started
        return found


def analyzer_class(name: str) -> Any:
    """The analyzer class registered as ``name``, imported now.

    Raises:
        UnsupportedError: no such analysis, or its module is not part of this
            installation (or fails to import).
    """
    target = ANALYZERS.get(name)
    if target is None:
        raise UnsupportedError(
            f"Unknown analysis {name!r}; choose from {', '.join(sorted(ANALYZERS))}."
        )
    module_name, _, class_name = target.partition(":")
    if importlib.util.find_spec(module_name) is None:
        raise UnsupportedError(
            f"The {name} analysis is not available in this installation: "
            f"module {module_name} is missing."
        )
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except Exception as exc:
        raise UnsupportedError(
            f"The {name} analysis is not available: importing {target} failed "
            f"({type(exc).__name__}: {exc})."
        ) from exc
