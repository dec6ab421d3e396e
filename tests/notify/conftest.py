"""Fixtures of the notification tests: a migrated database, a hand-moved clock, settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from sightline.config import Settings
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from tests.notify.receiver import Receiver, receiving
from tests.pipeline.test_queue import Clock


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    e = make_engine(database_url)
    upgrade(e)
    yield e
    e.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def notify_settings(tmp_path: Path, database_url: str, **notify: Any) -> Settings:
    """Settings in ``tmp_path`` whose ``notify`` section is the defaults plus ``notify``."""
    base: dict[str, Any] = {"secret": "test-secret", "max_attempts": 3, "timeout_seconds": 5.0}
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, notify={**base, **notify}
    )
