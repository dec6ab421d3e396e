"""The analyzer contract and the per-process pool that owns loaded analyzers.

An analyzer is pure with respect to I/O: an upright :class:`Image` and typed options
in, a typed result in pixel coordinates out. Its models are loaded in ``__init__``
and live as long as the instance, which a worker process creates once.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any, ClassVar, Protocol, TypeVar, cast, runtime_checkable

from sightline.config import Settings
from sightline.errors import InvalidParameterError
from sightline.media.image import Image

_T = TypeVar("_T")

# name -> "module:Class", imported lazily so that importing the package never loads
# dlib, ONNX Runtime or OpenCV models.
ANALYZERS: dict[str, str] = {
    "faces": "sightline.analyzers.faces:FaceAnalyzer",
    "text": "sightline.analyzers.text:TextAnalyzer",
    "moderation": "sightline.analyzers.moderation:ModerationAnalyzer",
    "labels": "sightline.analyzers.labels:LabelAnalyzer",
    "person": "sightline.analyzers.person:PersonAnalyzer",
    "metadata": "sightline.analyzers.metadata:MetadataAnalyzer",
    "thumbnail": "sightline.analyzers.thumbnail:ThumbnailAnalyzer",
}


@runtime_checkable
class Analyzer(Protocol):
    """What every analyzer provides.

    ``name`` is its key in :data:`ANALYZERS`; ``max_side`` is the longest image side it
    needs (None: full resolution), so a caller decoding once for several analyzers can
    decode at the largest of their needs and each analyzer shrinks further itself.
    """

    name: ClassVar[str]
    max_side: ClassVar[int | None]

    def analyze(self, image: Image, options: Mapping[str, Any] | None = None) -> Any:
        """Analyse one image; ``options`` are the operation's request members."""
        ...

    def versions(self) -> dict[str, str]:
        """Model name -> version string for every model this analyzer uses."""
        ...


class AnalyzerPool:
    """Creates each analyzer once per process, on first use, and hands it out.

    Analyzers that build on others (labels uses faces, people, text and moderation)
    receive the pool and ask it for their dependencies, so a model is never loaded twice.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._instances: dict[str, Analyzer] = {}
        self._lock = threading.RLock()
        # Results for the image analysed last, so that an analyzer building on another
        # (labels on faces) reuses what was already computed for this image.
        self._memo_image: Image | None = None
        self._memo: dict[Hashable, Any] = {}

    def get(self, name: str) -> Analyzer:
        with self._lock:
            found = self._instances.get(name)
            if found is None:
                found = _load_class(name)(self.settings, self)
                self._instances[name] = found
            return found

    def analyze(self, name: str, image: Image, options: Mapping[str, Any] | None = None) -> Any:
        """``get(name).analyze(image, options)``, computed once per image and options."""
        key = ("analyze", name, _freeze(options or {}))
        return self.cached(image, key, lambda: self.get(name).analyze(image, options))

    def cached(self, image: Image, key: Hashable, compute: Callable[[], _T]) -> _T:
        """``compute()``, remembered for ``image`` (the latest image only) under ``key``.

        Identity, not equality, decides what "the same image" is; the memo holds the
        image, so its identity cannot be reused while remembered.
        """
        with self._lock:
            if self._memo_image is image and key in self._memo:
                return cast(_T, self._memo[key])
        value = compute()
        with self._lock:
            if self._memo_image is not image:
                self._memo_image, self._memo = image, {}
            self._memo[key] = value
        return value

    def loaded(self) -> list[str]:
        with self._lock:
            return sorted(self._instances)

    def max_side(self, names: list[str]) -> int | None:
        """The decode size that serves every analyzer in ``names``."""
        sides = [_load_class(n).max_side for n in names]
        return None if any(s is None for s in sides) else max(s for s in sides if s is not None)


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in for request members (dicts and lists nested)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return cast(Hashable, value)


def _load_class(name: str) -> Any:
    target = ANALYZERS.get(name)
    if target is None:
        raise InvalidParameterError(
            f"Unknown analysis {name!r}; choose from {', '.join(sorted(ANALYZERS))}."
        )
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
