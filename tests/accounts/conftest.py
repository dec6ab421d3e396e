from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()
