"""What the API needs, built once from Settings: the runtime, analyzers, keys, pools.

Everything here is created by :func:`build_services` (or handed in by tests) and closed
by :meth:`ApiServices.close`; routers receive this object, never a global. Database,
object store and catalog come from the composition root, :class:`sightline.runtime.Runtime`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from sightline.analyzers.base import AnalyzerPool
from sightline.api.pool import AnalysisPool
from sightline.api.rekognition.images import read_object
from sightline.auth.keys import AccessKeyStore
from sightline.auth.ratelimit import RateLimiter
from sightline.auth.secrets import load_cipher
from sightline.auth.tokens import TokenStore
from sightline.auth.verifier import KeyVerifier
from sightline.config import Settings
from sightline.runtime import Runtime
from sightline.storage import ObjectStore

if TYPE_CHECKING:
    from sightline.customlabels.service import CustomLabelsService
    from sightline.faces.service import FaceService


@dataclass
class ApiServices:
    settings: Settings
    runtime: Runtime
    analyzers: AnalyzerPool
    keys: AccessKeyStore
    tokens: TokenStore
    owns_runtime: bool = True  # False when the caller shares its runtime (serve)
    verifier: KeyVerifier = field(init=False)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    analysis: AnalysisPool = field(init=False)
    # Built on first use; serve hands in the one its scheduler also drives.
    custom_labels: CustomLabelsService | None = None
    face_service: FaceService | None = None  # built on first use, by faces()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.verifier = KeyVerifier(self.keys, self.settings.api)
        # Analysis runs on this pool, never on the event loop.
        self.analysis = AnalysisPool(
            self.settings.server.analysis_threads, self.settings.api.max_pending
        )

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def store(self) -> ObjectStore:
        return self.runtime.store

    def customlabels(self) -> CustomLabelsService:
        """The custom-labels service (projects, versions, the version host)."""
        with self._lock:
            if self.custom_labels is None:
                from sightline.customlabels.service import CustomLabelsService

                self.custom_labels = CustomLabelsService(self.runtime)
            return self.custom_labels

    def faces(self) -> FaceService:
        """The face-collection service both APIs call: the runtime's engine, the API's
        analyzers, and ``Image.S3Object`` read through the runtime's object store."""
        with self._lock:
            if self.face_service is None:
                from sightline.faces.service import FaceService

                self.face_service = FaceService(
                    self.settings,
                    engine=self.engine,
                    pool=self.analyzers,
                    image_resolver=self._read_image_object,
                    migrate=False,  # Runtime.open migrated every branch
                )
            return self.face_service

    def _read_image_object(self, obj: Mapping[str, Any]) -> bytes:
        return read_object(obj, self.store, self.settings.limits.max_object_bytes)

    def close(self) -> None:
        """Stop the analysis pool (finishing running work), the custom-label units, write
        the face indexes, and release the database."""
        self.analysis.shutdown()
        if self.custom_labels is not None:
            self.custom_labels.close()
        if self.face_service is not None:
            self.face_service.close()
        if self.owns_runtime:
            self.runtime.close()


def build_services(
    settings: Settings, *, analyzers: AnalyzerPool | None = None, runtime: Runtime | None = None
) -> ApiServices:
    """Services for ``settings``; ``analyzers`` and ``runtime`` may be shared (tests)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    owns_runtime = runtime is None
    runtime = runtime or Runtime.open(settings)
    return ApiServices(
        settings=settings,
        runtime=runtime,
        analyzers=analyzers or AnalyzerPool(settings),
        keys=AccessKeyStore(runtime.engine, load_cipher(settings)),
        tokens=TokenStore(runtime.engine),
        owns_runtime=owns_runtime,
    )
