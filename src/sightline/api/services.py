"""What the API needs, built once from Settings: database, stores, analyzers, pools.

Everything here is created by :func:`build_services` (or handed in by tests) and closed
by :meth:`ApiServices.close`; routers receive this object, never a global.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from sightline.analyzers.base import AnalyzerPool
from sightline.api.pool import AnalysisPool
from sightline.auth.keys import AccessKeyStore
from sightline.auth.ratelimit import RateLimiter
from sightline.auth.secrets import load_cipher
from sightline.auth.tokens import TokenStore
from sightline.auth.verifier import KeyVerifier
from sightline.config import Settings
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade

log = logging.getLogger(__name__)


def open_engine(settings: Settings) -> Engine:
    """The configured database, migrated to every branch's head."""
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    return engine


@dataclass
class ApiServices:
    settings: Settings
    engine: Engine
    analyzers: AnalyzerPool
    keys: AccessKeyStore
    tokens: TokenStore
    verifier: KeyVerifier = field(init=False)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    analysis: AnalysisPool = field(init=False)

    def __post_init__(self) -> None:
        self.verifier = KeyVerifier(self.keys, self.settings.api)
        # Analysis runs on this pool, never on the event loop.
        self.analysis = AnalysisPool(
            self.settings.server.analysis_threads, self.settings.api.max_pending
        )

    def close(self) -> None:
        self.analysis.shutdown()


def build_services(
    settings: Settings, *, analyzers: AnalyzerPool | None = None, engine: Engine | None = None
) -> ApiServices:
    """Services for ``settings``; ``analyzers`` and ``engine`` may be shared (tests)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or open_engine(settings)
    return ApiServices(
        settings=settings,
        engine=engine,
        analyzers=analyzers or AnalyzerPool(settings),
        keys=AccessKeyStore(engine, load_cipher(settings)),
        tokens=TokenStore(engine),
    )
