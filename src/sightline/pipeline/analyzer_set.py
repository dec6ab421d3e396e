"""Running a task's analyses on one image: decode once, analyse, shape the documents.

One :class:`AnalyzerSet` lives in each worker process; analyzers are created once and
reused for every image (their models stay loaded). The image is decoded once, at the
largest ``max_side`` the requested analyses need (JPEG DCT scaling makes that cheap),
or not at all when none of them reads pixels (metadata alone).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sightline.analyzers.base import ANALYZERS, AnalyzerPool
from sightline.config import AnalysisSettings, Settings
from sightline.errors import UnsupportedError
from sightline.media.decode import decode_image, probe_image
from sightline.media.image import Image, ImageInfo
from sightline.pipeline.analyses import analysis_table


@dataclass(frozen=True)
class AnalysisOutput:
    """One analysis of one image, ready to store.

    ``document`` is the JSON response (the Rekognition operation's response when
    ``operation`` is set); ``files`` are extra objects written beside it (thumbnails),
    as name -> bytes.
    """

    analysis: str
    operation: str | None
    model_version: str
    document: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


class AnalyzerSet:
    """The analyses of one worker process: analyzers loaded once, run per image.

    Built-in analyzers come from the process's :class:`AnalyzerPool`; configured ones
    (``analyzer = "module:Class"``) are imported and constructed the same way, once.
    """

    def __init__(self, settings: Settings, pool: AnalyzerPool) -> None:
        self.settings = settings
        self.pool = pool
        self.table = analysis_table(settings.pipeline)
        self._custom: dict[str, Any] = {}
        self._versions: dict[str, str] = {}
        self._overrides: dict[str, Any] = {}

    def override(self, name: str, analyzer: Any) -> None:
        """Run ``analyzer`` (an already built instance) for analysis ``name``."""
        self._overrides[name] = analyzer

    def spec(self, name: str) -> AnalysisSettings:
        found = self.table.get(name)
        if found is None:
            raise UnsupportedError(
                f"Unknown analysis {name!r}; configured: {', '.join(sorted(self.table))}."
            )
        return found

    def analyzer_class(self, name: str) -> Any:
        target = self.spec(name).analyzer
        if ":" not in target:
            return _import(ANALYZERS.get(target) or f"{target}:?", name)
        return _import(target, name)

    def analyzer(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        target = self.spec(name).analyzer
        if ":" not in target:
            self.analyzer_class(name)  # a clear error when the module is not installed
            return self.pool.get(target)
        found = self._custom.get(target)
        if found is None:
            found = self.analyzer_class(name)(self.settings, self.pool)
            self._custom[target] = found
        return found

    def decode_plan(self, names: Sequence[str]) -> tuple[bool, int | None]:
        """Whether any of ``names`` reads pixels, and the decode size serving them all."""
        classes = [self.analyzer_class(n) for n in names]
        needs = [c for c in classes if getattr(c, "needs_pixels", True)]
        sides = [c.max_side for c in needs]
        side = None if any(s is None for s in sides) else max((s for s in sides if s), default=1)
        return bool(needs), side

    def run(self, data: bytes, names: Sequence[str]) -> tuple[ImageInfo, list[AnalysisOutput]]:
        """Decode ``data`` once, at the largest size the analyses need, and run them.

        Raises the decoder's typed errors (``InvalidImageFormatError``,
        ``ImageTooLargeError``, ...) and whatever an analyzer raises.
        """
        image = self.decode(data, names)
        return image.info, [self.analyze(image, name) for name in names]

    def decode(self, data: bytes, names: Sequence[str]) -> Image:
        """``data`` decoded once for all of ``names``: at the largest size they need, or
        only its header read (empty pixels) when none of them reads pixels."""
        limits = self.settings.limits
        needs_pixels, side = self.decode_plan(names)
        if needs_pixels:
            return decode_image(data, limits, max_side=side, max_bytes=limits.max_object_bytes)
        info = probe_image(data, limits, max_bytes=limits.max_object_bytes)
        return Image(pixels=np.empty((0, 0, 3), np.uint8), info=info, source=data)

    def analyze(
        self, image: Image, name: str, options: Mapping[str, Any] | None = None
    ) -> AnalysisOutput:
        """Run analysis ``name`` on an image decoded for it; ``options`` (request
        members) replace the analysis's configured ones when given."""
        spec = self.spec(name)
        analyzer = self.analyzer(name)
        used = spec.options if options is None else options
        result = analyzer.analyze(image, used)
        document, files = self.document(analyzer, name, result, image.info, used)
        return AnalysisOutput(
            analysis=name,
            operation=spec.operation,
            model_version=self._model_version(name, analyzer, result),
            document=document,
            files=files,
        )

    def _model_version(self, name: str, analyzer: Any, result: Any) -> str:
        version = getattr(result, "model_version", None)
        if isinstance(version, str) and version:
            return version[:255]
        found = self._versions.get(name)
        if found is None:
            versions = analyzer.versions() if hasattr(analyzer, "versions") else {}
            found = "+".join(f"{k}={v}" for k, v in sorted(versions.items()))[:255] or "none"
            self._versions[name] = found
        return found

    def document(
        self, analyzer: Any, name: str, result: Any, info: ImageInfo, options: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        """The JSON document of one result, and extra files to write beside it.

        An analyzer's own ``document(result, info, options)`` wins; built-ins use
        ``sightline.api.documents`` (Rekognition responses, metadata, thumbnails).
        """
        own = getattr(analyzer, "document", None)
        if callable(own):
            document: dict[str, Any] = own(result, info, options)
            return document, {}
        analysis = self.spec(name).analyzer if ":" not in self.spec(name).analyzer else name
        from sightline.api import documents

        files: dict[str, bytes] = {}
        if name == "thumbnail" or self.spec(name).analyzer == "thumbnail":
            config = getattr(analyzer, "config", None)
            sizes: list[int] = list(
                getattr(config, "sizes", None) or getattr(analyzer, "sizes", None) or ()
            )
            names = documents.thumbnail_file_names(result, sizes)
            files = {n: t.data for n, t in zip(names, result.thumbnails, strict=True)}
            return documents.analysis_document(
                "thumbnail", result, info, options, thumbnail_files=names
            ), files
        return documents.analysis_document(analysis, result, info, options), files


def _import(target: str, analysis: str) -> Any:
    module_name, _, attr = target.partition(":")
    if importlib.util.find_spec(module_name) is None:
        raise UnsupportedError(
            f"The {analysis} analysis is not available in this installation: "
            f"module {module_name} is missing."
        )
    try:
        return getattr(importlib.import_module(module_name), attr)
    except AttributeError as exc:
        raise UnsupportedError(
            f"The {analysis} analysis is not available: {target} does not exist."
        ) from exc
