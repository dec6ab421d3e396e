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

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
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


class FaceSearchSettings(Section):
    """Face collections: the embedding model of new collections and the vector index."""

    default_model: Literal["dlib", "sface"] = Field(
        "dlib", description="Face model of new collections (sface needs `models pull sface`)"
    )
    exact_max: int = Field(
        50_000, ge=0, description="Collections larger than this search an HNSW graph"
    )
    # Measured at a million faces (bench/faces_index.py, README "Face search"):
    # recall@1 0.994 at p99 3.4 ms and 0.73 GB resident on two shared cores.
    hnsw_connectivity: int = Field(32, ge=4, le=64, description="HNSW graph degree M")
    hnsw_expansion_add: int = Field(64, ge=8, description="HNSW efConstruction")
    hnsw_expansion_search: int = Field(256, ge=8, description="HNSW ef at search time")
    hnsw_dtype: Literal["f32", "f16"] = "f16"
    save_after: int = Field(
        1000, ge=1, description="Write a collection's index file after this many changes"
    )
    arn_region: str = Field("us-east-1", description="Region shown in collection ARNs")
    arn_account: str = Field("000000000000", description="Account shown in collection ARNs")


class TextSettings(Section):
    """OCR (RapidOCR's PP-OCRv4 models): working sizes and thresholds.

    Detection runs on a rescaled copy of the image: small images are upscaled until
    their shorter side reaches ``det_min_side`` (the size PP-OCR's detector is tuned
    for; small text is otherwise missed), large ones are shrunk to ``det_max_pixels``.
    Recognition always reads each line from the decoded image, warped to the
    recogniser's 48-pixel height. Measurements are in docs/decisions.md.
    """

    det_min_side: int = Field(736, ge=32, description="Upscale for detection up to this short side")
    det_max_upscale: float = Field(4.5, ge=1.0, description="Largest detection upscale factor")
    det_max_pixels: int = Field(
        2_000_000, ge=65_536, description="Detection input pixel budget (cost grows with it)"
    )
    det_pixel_threshold: float = Field(0.2, gt=0, lt=1, description="Text-probability map cut")
    det_box_threshold: float = Field(0.3, gt=0, lt=1, description="Mean probability for a box")
    min_line_confidence: float = Field(
        0.5, ge=0, le=1, description="Lines read with less confidence are dropped"
    )
    angle_classifier: bool = Field(True, description="Detect and turn upside-down lines")


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


class S3Settings(Section):
    """An S3-compatible endpoint (AWS, MinIO, Ceph, ...) reached through boto3.

    Credentials left unset fall back to boto3's own chain (environment, profile, role).
    """

    endpoint_url: str | None = Field(None, description="e.g. http://127.0.0.1:9000; None: AWS")
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    path_style: bool = Field(
        False, description="Path-style addressing (http://host/bucket/key), as MinIO needs"
    )
    multipart_threshold: int = Field(
        16 * 1024 * 1024, ge=5 * 1024 * 1024, description="Uploads this large go multipart"
    )
    multipart_chunksize: int = Field(16 * 1024 * 1024, ge=5 * 1024 * 1024)
    max_pool_connections: int = Field(32, ge=1)
    presign_seconds: int = Field(3600, ge=1, description="Lifetime of URLs from url()")


class StorageSettings(Section):
    """Where objects live: folders under ``root`` (one per bucket) or an S3 endpoint."""

    backend: Literal["local", "s3"] = "local"
    root: Path | None = Field(None, description="Local buckets; default: <data_dir>/storage")
    fsync: bool = Field(
        False, description="fsync local writes before the rename (power-loss durability)"
    )
    s3: S3Settings = S3Settings()

    def resolved_root(self, data_dir: Path) -> Path:
        return self.root if self.root is not None else data_dir / "storage"


class QueueLimitSettings(Section):
    """Limits on one task kind, enforced in the claim across every worker and machine."""

    rate: float | None = Field(None, gt=0, description="Tasks started per second, at most")
    burst: float | None = Field(
        None, ge=1, description="Token bucket size: tasks startable at once; default max(1, rate)"
    )
    concurrency: int | None = Field(None, ge=1, description="Tasks running at once, at most")


class RouteRule(Section):
    """Which analyses (and workflow, priority) an object gets, by where it is.

    ``match`` is a glob on the key: ``*`` and ``?`` stay within one folder, ``**``
    crosses folders (``invoices/**``, ``**/*.png``). ``prefix`` is a plain key prefix.
    The first rule whose bucket, prefix and match all fit wins; then the folder
    convention (``labels/``, ``faces/``, ``text/``, ``moderation/``) applies.
    """

    match: str | None = None
    prefix: str | None = None
    bucket: str | None = Field(None, description="Only objects of this bucket")
    analyses: list[str] = Field(default_factory=list)
    workflow: str | None = Field(
        None,
        description="A workflow definition to run (image-album, or one of "
        "pipeline.workflows), or a task kind; default by media type: image or video",
    )
    priority: int = 0


class AnalysisSettings(Section):
    """A named analysis: an analyzer, the options it runs with, what it produces.

    ``analyzer`` is a registered analyzer name or ``module:Class`` for your own (same
    contract as the built-ins; add a ``document(result, info, options)`` method for
    its JSON). ``operation`` names the Rekognition operation whose response it writes.
    """

    analyzer: str
    operation: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class PollSettings(Section):
    """A bucket listed periodically for stores that cannot send events."""

    bucket: str
    prefix: str = ""
    interval: float = Field(60.0, gt=0, description="Seconds between passes")


class DeliveryStreamSettings(Section):
    """Result records batched into JSON Lines files, like a Firehose delivery stream."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    bucket: str = "output"
    prefix: str = "firehose/"
    max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Flush when a file is this big")
    max_seconds: float = Field(60.0, gt=0, description="Flush records this old")
    analyses: list[str] = Field(default_factory=list, description="Only these; empty: all")


class PipelineSettings(Section):
    """Ingest, routing, the queue, workers and outputs."""

    input_bucket: str = Field("content", description="The bucket the folder watcher watches")
    output_bucket: str = Field("output", description="Where response.json files go")
    output_prefix: str = Field("sync/", description="sync/{key}-analysis/{itemId}/response.json")
    watch: bool = Field(True, description="Watch the input bucket's folder (local storage)")
    watch_quiet_seconds: float = Field(
        0.3, ge=0, description="A file is ingested once unchanged this long"
    )
    workers: int = Field(2, ge=0, description="Worker processes started by serve")
    batch_size: int = Field(4, ge=1, description="Tasks a worker claims at once")
    lease_seconds: float = Field(60.0, gt=0, description="A claim lasts this long unrenewed")
    heartbeat_seconds: float | None = Field(
        None, gt=0, description="Lease renewal interval; default a third of the lease"
    )
    idle_poll_seconds: float = Field(0.5, gt=0, description="Claim interval of an idle worker")
    max_attempts: int = Field(5, ge=1)
    backoff_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles")
    backoff_max_seconds: float = Field(300.0, gt=0)
    shutdown_grace_seconds: float = Field(
        30.0, ge=0, description="A stopping worker finishes its task this long, then releases"
    )
    task_retention_seconds: float = Field(
        7 * 86400.0, ge=0, description="Finished tasks are purged after this long"
    )
    limits: dict[str, QueueLimitSettings] = Field(
        default_factory=dict, description="Per task kind, e.g. limits.image.rate = 5"
    )
    rules: list[RouteRule] = Field(default_factory=list)
    default_analyses: list[str] = Field(
        default_factory=list,
        description="Analyses for keys no rule or folder names; empty: such keys are rejected",
    )
    analyses: dict[str, AnalysisSettings] = Field(
        default_factory=dict, description="Extra named analyses, or overrides of built-ins"
    )
    events_token: SecretStr | None = Field(
        None, description="Shared secret for POST /events/s3; unset: the endpoint is off"
    )
    poll: list[PollSettings] = Field(default_factory=list)
    delivery_streams: list[DeliveryStreamSettings] = Field(default_factory=list)
    inline_result_bytes: int = Field(
        256 * 1024, ge=0, description="Responses larger than this live only in storage"
    )
    workflows: dict[str, Path] = Field(
        default_factory=dict,
        description="Workflow definitions (TOML files) by name, beside the packaged "
        "image-album; a rule's workflow names one",
    )
    workflow_threads: bool = Field(
        False,
        description="Run a parallel step's branches in threads of the worker (each worker "
        "is sized to one core; helps only when workers leave cores idle)",
    )

    def heartbeat_interval(self) -> float:
        return self.heartbeat_seconds or self.lease_seconds / 3


class ApiSettings(Section):
    """The Rekognition-compatible and native REST APIs: authentication and limits."""

    auth: bool = Field(
        True,
        description="Verify SigV4 signatures and bearer tokens; false only for local development",
    )
    encryption_key: SecretStr | None = Field(
        None,
        description="Fernet key encrypting stored access-key secrets; "
        "default: generated once into data_dir/secret.key (mode 0600)",
    )
    clock_skew_seconds: int = Field(
        900, ge=1, description="Largest accepted difference between X-Amz-Date and our clock"
    )
    key_cache_seconds: float = Field(
        2.0, ge=0, description="How long a looked-up access key is reused before re-reading it"
    )
    rate_per_key: float = Field(
        50.0, ge=0, description="Sustained requests per second per access key; 0: unlimited"
    )
    rate_burst: int = Field(100, ge=1, description="Requests a key may send at once")
    max_pending: int = Field(
        256, ge=1, description="Requests waiting for an analysis thread before ThrottlingException"
    )
    max_images_per_request: int = Field(
        32, ge=1, description="Files accepted in one multipart upload"
    )
    max_upload_bytes: int = Field(
        2 * 1024**3, ge=1, description="Largest single uploaded file, streamed to storage"
    )


class CustomLabelsSettings(Section):
    """Custom labels: datasets, training, running versions, scheduled batches."""

    arn_region: str = Field("us-east-1", description="Region shown in project and version ARNs")
    arn_account: str = Field(
        "000000000000", pattern=r"^\d{12}$", description="Account shown in ARNs (12 digits)"
    )
    bucket: str = Field(
        "customlabels", description="Imported dataset images and default training outputs"
    )
    # Rekognition Custom Labels accepts images from 64 px a side.
    min_image_side: int = Field(64, ge=16)
    extractor: Literal["auto", "handcrafted", "mobilenetv2"] = Field(
        "auto",
        description="Features new versions train on: auto (mobilenetv2 when it has been "
        "pulled, else handcrafted), handcrafted, or mobilenetv2",
    )
    classifiers: list[Literal["logistic", "boosting"]] = Field(
        ["logistic", "boosting"],
        min_length=1,
        description="Candidates; the one with the best cross-validated F1 is kept",
    )
    test_fraction: float = Field(
        0.2, gt=0, lt=1, description="Share of each label held out when the test set is automatic"
    )
    split_seed: int = Field(0, description="Seed of the automatic train/test split")
    min_label_images: int = Field(
        4, ge=2, description="Usable images a label needs; labels with fewer are left out"
    )
    max_error_fraction: float = Field(
        0.2, ge=0, le=1, description="Training stops when more entries than this are unusable"
    )
    max_inference_units: int = Field(8, ge=1, description="Worker processes per running version")
    start_timeout_seconds: float = Field(120.0, gt=0)
    idle_stop_seconds: float | None = Field(
        None, gt=0, description="Stop a running version unused this long; None: never"
    )
    batch_lease_seconds: float = Field(60.0, gt=0)
    scheduler_poll_seconds: float = Field(5.0, gt=0)


class VideoSettings(Section):
    """Stored-video jobs (Start*/Get*): sampling, concurrency, limits, outputs."""

    # Two samples a second: an appearance of one second spans at least two samples
    # whatever its phase, so it is never missed (the floor), at a quarter of the
    # decode-and-analyse cost of a 8 fps plan.
    sample_fps: float = Field(2.0, gt=0, le=60, description="Frames analysed per second")
    keyframes_only: bool = Field(
        False, description="Decode only keyframes (fast, coarse; the GOP sets the rate)"
    )
    max_side: int = Field(1280, ge=160, description="Sampled frames are shrunk to this side")
    decode_threads: int = Field(0, ge=0, description="FFmpeg decoder threads; 0: automatic")
    decode_workers: int = Field(
        0,
        ge=0,
        description="Threads decoding GOP-aligned spans of a video at once (same frames); "
        "0: one per core, at most 4; 1: a single pass",
    )
    fast_decode: bool = Field(
        False,
        description="Skip the deblocking filter when decoding (about 17% less CPU; frames "
        "near-identical, not bit-exact: 42-47 dB PSNR)",
    )
    max_concurrent_jobs: int = Field(2, ge=1, description="Video jobs running at once")
    refuse_over_limit: bool = Field(
        False,
        description="Start* beyond max_concurrent_jobs unfinished jobs fails with "
        "LimitExceededException (Rekognition's behaviour) instead of waiting in the queue",
    )
    max_object_bytes: int = Field(10 * 1024**3, ge=1, description="Largest video (10 GB)")
    max_duration_seconds: float = Field(6 * 3600.0, gt=0, description="Longest video (6 h)")
    person_filter: bool = Field(
        True, description="Face analyses look only at frames where a person is detected"
    )
    output_prefix: str = Field("async/", description="async/{key}-analysis/{JobTag}/...")
    pipeline_topic: str | None = Field(
        None,
        description="NotificationChannel.SNSTopicArn of the jobs the pipeline starts for "
        "videos it ingests (a notify.topics name, an http(s):// or mqtt:// URL)",
    )
    job_retention_seconds: float = Field(
        7 * 86400.0, ge=0, description="Finished jobs and their results are kept this long"
    )


class NotificationTopic(Section):
    """Where an SNS-style topic name (``NotificationChannel.SNSTopicArn``) delivers."""

    webhook: str | None = Field(None, description="http(s) URL receiving an SNS-style POST")
    mqtt_topic: str | None = Field(None, description="MQTT topic the message is published on")
    secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 key for this topic's webhook; default notify.secret"
    )


class NotifySettings(Section):
    """Notifications (video job completion, ...): an outbox delivered with retries."""

    topics: dict[str, NotificationTopic] = Field(
        default_factory=dict,
        description="SNS topic name or ARN -> webhook and/or MQTT topic",
    )
    allow_url_channels: bool = Field(
        True,
        description="Accept an http(s):// or mqtt:// URL as SNSTopicArn directly",
    )
    secret: SecretStr | None = Field(
        None,
        description="HMAC-SHA256 key signing webhooks; default: generated once into "
        "data_dir/notify.key (mode 0600)",
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_qos: int = Field(1, ge=0, le=2)
    timeout_seconds: float = Field(10.0, gt=0, description="Per delivery attempt")
    max_attempts: int = Field(20, ge=1, description="Then the message is dead (kept, logged)")
    backoff_seconds: float = Field(1.0, gt=0, description="First retry delay; doubles")
    backoff_max_seconds: float = Field(600.0, gt=0)
    poll_seconds: float = Field(1.0, gt=0, description="How often serve delivers due messages")
    retention_seconds: float = Field(
        7 * 86400.0,
        ge=0,
        description="Delivered messages are forgotten after this long (0: kept); "
        "dead ones stay until retried or purged by hand",
    )


class WebSettings(Section):
    """The photo-album web app: accounts, sessions, albums and their processing."""

    album_bucket: str = Field(
        "albums", description="Bucket holding uploaded album photos (owned by the web app)"
    )
    album_workflow: str | None = Field(
        "image-album",
        description="Workflow definition album photos run through (the packaged "
        "image-album, or one of pipeline.workflows); empty: the image task with "
        "album_analyses",
    )
    album_analyses: list[str] = Field(
        ["labels", "faces", "metadata", "thumbnail"],
        min_length=1,
        description="Analyses of album photos when album_workflow is empty",
    )
    session_hours: float = Field(
        14 * 24.0, gt=0, description="A login lasts this long, then the user signs in again"
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Mark the session cookie Secure: auto does so for https requests "
        "(behind a proxy, uvicorn's forwarded headers decide)",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Wrong passwords per user and address before a pause"
    )
    login_lockout_seconds: float = Field(
        300.0, gt=0, description="How long logins for that user and address are refused"
    )
    status_poll_seconds: float = Field(
        0.5, gt=0, description="How often a live status stream reads the photos' states"
    )
    stream_seconds: float = Field(
        25.0, gt=0, description="A status stream ends after this long; browsers reconnect"
    )
    people_collection: str = Field(
        "people",
        pattern=r"^[a-zA-Z0-9_.\-]{1,255}$",
        description="Face collection of the registered people (created on first use)",
    )
    photo_faces_collection: str = Field(
        "album-faces",
        pattern=r"^[a-zA-Z0-9_.\-]{1,255}$",
        description="Face collection of the faces found in album photos, searched for "
        "registered people (created on first use)",
    )
    face_scan_seconds: float = Field(
        20.0,
        gt=0,
        description="A person search indexes the faces of photos not scanned yet for at "
        "most this long; the rest are scanned by the next search",
    )

    def album_rule(self) -> RouteRule:
        """The routing rule of album photos (checked before the configured rules):
        every object of the album bucket runs the album workflow, or without one, gets
        the album analyses."""
        if self.album_workflow:
            return RouteRule(bucket=self.album_bucket, workflow=self.album_workflow)
        return RouteRule(bucket=self.album_bucket, analyses=list(self.album_analyses))


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
    text: TextSettings = TextSettings()
    person_detection: PersonDetectionSettings = PersonDetectionSettings()
    thumbnails: ThumbnailSettings = ThumbnailSettings()
    server: ServerSettings = ServerSettings()
    face_search: FaceSearchSettings = FaceSearchSettings()
    storage: StorageSettings = StorageSettings()
    pipeline: PipelineSettings = PipelineSettings()
    api: ApiSettings = ApiSettings()
    customlabels: CustomLabelsSettings = CustomLabelsSettings()
    video: VideoSettings = VideoSettings()
    notify: NotifySettings = NotifySettings()
    web: WebSettings = WebSettings()

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
