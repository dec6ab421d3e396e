"""Fixtures for face-collection tests: a service over the fake analyzer, on both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sightline.config import Settings
from sightline.faces.service import FaceService
from tests.faces.fakes import FakePool

MakeService = Callable[..., FaceService]


@pytest.fixture
def make_service(database_url: str, tmp_path: Path) -> Iterator[MakeService]:
    """Builds services over one database and data folder (call it again to 'restart')."""
    made: list[FaceService] = []
    pool = FakePool()

    def make(**face_search: Any) -> FaceService:
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            face_search=face_search,
        )
        service = FaceService(settings, pool=pool)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def service(make_service: MakeService) -> FaceService:
    return make_service()
