"""Fixtures shared by the whole suite: real sample images, settings, databases.

Sample images come from scikit-image and matplotlib (test-only dependencies); nothing
is committed to the repository. Everything else is built in code.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image as PILImage

from sightline.config import Settings

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool

# Session fixtures of areas that other areas' tests share (a trained custom-label model).
pytest_plugins = ["tests.customlabels.fixtures"]


def _skimage_file(name: str) -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent / name


def _matplotlib_file(name: str) -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / name


SAMPLES = {
    "astronaut.png": lambda: _skimage_file("astronaut.png"),
    "camera.png": lambda: _skimage_file("camera.png"),
    "page.png": lambda: _skimage_file("page.png"),
    "text.png": lambda: _skimage_file("text.png"),
    "chelsea.png": lambda: _skimage_file("chelsea.png"),
    "coffee.png": lambda: _skimage_file("coffee.png"),
    "rocket.jpg": lambda: _skimage_file("rocket.jpg"),
    "grace_hopper.jpg": lambda: _matplotlib_file("grace_hopper.jpg"),
}


def sample_path(name: str) -> Path:
    return SAMPLES[name]()


def sample_bytes(name: str) -> bytes:
    return sample_path(name).read_bytes()


def encode(pixels: np.ndarray, fmt: str = "JPEG", **params: object) -> bytes:
    """Encode an RGB array with Pillow; ``params`` go to ``save`` (quality, exif...)."""
    buf = io.BytesIO()
    PILImage.fromarray(pixels).save(buf, fmt, **params)
    return buf.getvalue()


def rgb(name: str) -> np.ndarray:
    with PILImage.open(sample_path(name)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated in a temporary data folder and model folder."""
    return Settings(
        data_dir=tmp_path / "data",
        models={"model_dir": tmp_path / "models"},
    )


# --- databases -------------------------------------------------------------------

POSTGRES_ADMIN_URL = os.environ.get(
    "SIGHTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not _postgres_available():
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} (.ci/run starts it)")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"sightline_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sightline.db'}"
    return str(request.getfixturevalue("postgres_url"))


# --- analyzers -------------------------------------------------------------------


@pytest.fixture(scope="session")
def analyzer_pool(tmp_path_factory: pytest.TempPathFactory) -> AnalyzerPool:
    """One pool for the session: each real model is loaded once for the whole suite."""
    from sightline.analyzers.base import AnalyzerPool

    root = tmp_path_factory.mktemp("pool")
    return AnalyzerPool(Settings(data_dir=root / "data", models={"model_dir": root / "models"}))


# --- S3-compatible storage -------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server (moto's server mode) on a free local port, for the session.

    Any access key works; use a fresh bucket name per test (``s3_settings``).
    """
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(s3_endpoint: str) -> dict[str, object]:
    """``storage.s3`` settings pointing at :func:`s3_endpoint`, path-style."""
    return {
        "endpoint_url": s3_endpoint,
        "region": "us-east-1",
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "path_style": True,
        "multipart_threshold": 5 * 1024 * 1024,
        "multipart_chunksize": 5 * 1024 * 1024,
    }
