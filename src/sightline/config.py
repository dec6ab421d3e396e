"""One Settings object for the whole system, passed down explicitly.

Sources, highest priority first: keyword arguments, ``SIGHTLINE_*`` environment
variables (``__`` separates nested sections, e.g. ``SIGHTLINE_LIMITS__MAX_SIDE``),
an optional ``sightline.toml`` (path from ``SIGHTLINE_CONFIG`` or the working
directory), then defaults. Unknown keys are refused so that a typo fails at start-up.

Nothing in the package imports a global settings instance: the CLI builds one with
:func:`load_settings` and hands it to app factories, executors and analyzers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Section(BaseModel):
    """Base for nested sections: unknown keys are an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ImageLimits(Section):
    """Rekognition's image limits by default, plus a decompression-bomb guard."""

    max_bytes: int = Field(5 * 1024 * 1024, description="Largest image passed as Bytes")
    max_object_bytes: int = Field(15 * 1024 * 1024, description="Largest image read from storage")
    min_side: int = Field(80, description="Smallest accepted width or height, in pixels")
    max_side: int = Field(10_000, description="Largest accepted width or height, in pixels")
    max_pixels: int = Field(
        80_000_000, description="Largest width*height, checked from the header before decoding"
    )


class ModelSettings(Section):
    """Where pulled and user-added models live, and how runtimes are configured."""

    model_dir: Path | None = Field(
        None, description="Installed models; default: $XDG_CACHE_HOME/sightline/models"
    )
    intra_op_threads: int = Field(
        1, description="Threads per ONNX Runtime session; processes give the parallelism"
    )

    def resolved_dir(self) -> Path:
        if self.model_dir is not None:
            return self.model_dir
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(cache) / "sightline" / "models"


class FaceDetectionSettings(Section):
    """dlib HOG face detection: upsampling finds small faces at a cost in time."""

    upsample: int = Field(1, ge=0, le=3)
    # HOG's SVM margin; dlib's own default is 0. A small positive margin drops the
    # weakest, mostly false, detections (see docs/decisions.md).
    min_score: float = 0.3


class PersonDetectionSettings(Section):
    """OpenCV HOG people detection (the Dalal-Triggs pedestrian SVM)."""

    # SVM margin below which a window is not a person; confidence is mapped from it.
    min_score: float = 0.3
    # Image pyramid step: 1.05 finds people HOG misses at 1.1, at about twice the cost.
    scale: float = Field(1.05, gt=1.0, le=1.5)


class ThumbnailSettings(Section):
    """Thumbnails written by the thumbnail analysis: bounded sizes, one format."""

    sizes: list[int] = Field(
        [256, 1024], description="Longest side of each thumbnail, in pixels (never upscaled)"
    )
    format: Literal["jpeg", "webp"] = "jpeg"
    quality: int = Field(85, ge=1, le=100, description="Encoder quality, 1-100")

    @field_validator("sizes")
    @classmethod
    def _sizes_in_range(cls, sizes: list[int]) -> list[int]:
        if not sizes:
            raise ValueError("give at least one thumbnail size")
        for size in sizes:
            if not 16 <= size <= 10_000:
                raise ValueError(f"thumbnail size {size} is outside 16-10000 pixels")
        return sorted(set(sizes))


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = 8400
    # Analysis runs in a bounded pool so the event loop never blocks.
    analysis_threads: int = Field(4, ge=1)
    max_body_bytes: int = Field(20 * 1024 * 1024, description="Largest accepted request body")


class Settings(BaseSettings):
    """The root of the configuration tree."""

    model_config = SettingsConfigDict(
        env_prefix="SIGHTLINE_",
        env_nested_delimiter="__",
        extra="forbid",
        toml_file=None,
    )

    data_dir: Path = Field(Path("sightline-data"), description="Embedded data: database, storage")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite in data_dir"
    )
    limits: ImageLimits = ImageLimits()
    models: ModelSettings = ModelSettings()
    face_detection: FaceDetectionSettings = FaceDetectionSettings()
    person_detection: PersonDetectionSettings = PersonDetectionSettings()
    thumbnails: ThumbnailSettings = ThumbnailSettings()
    server: ServerSettings = ServerSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        configured = settings_cls.model_config.get("toml_file")
        toml_path = Path(str(configured)) if configured else _toml_path()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sightline.db').resolve()}"


def _toml_path() -> Path | None:
    explicit = os.environ.get("SIGHTLINE_CONFIG")
    if explicit:
        return Path(explicit)
    local = Path("sightline.toml")
    return local if local.is_file() else None


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the Settings for a process; ``config`` names a TOML file explicitly."""
    if config is None:
        return Settings(**overrides)

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=config)

    return _FromFile(**overrides)
