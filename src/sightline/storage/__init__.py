"""Object storage: buckets of objects in local folders, in memory, or on an S3 endpoint.

``open_store(settings)`` builds the store the settings name; everything else takes an
:class:`ObjectStore` and never asks which backend it has.
"""

from __future__ import annotations

from sightline.config import Settings
from sightline.storage.base import PROBE_BYTES, ObjectInfo, ObjectStore, check_bucket, check_key
from sightline.storage.local import LocalStore
from sightline.storage.memory import MemoryStore

__all__ = [
    "PROBE_BYTES",
    "LocalStore",
    "MemoryStore",
    "ObjectInfo",
    "ObjectStore",
    "check_bucket",
    "check_key",
    "open_store",
]


def open_store(settings: Settings) -> ObjectStore:
    """The object store configured by ``settings.storage``.

    ``local``: folders under ``storage.root`` (default ``<data_dir>/storage``);
    ``s3``: the endpoint in ``storage.s3`` (boto3 is imported only then).
    """
    cfg = settings.storage
    if cfg.backend == "s3":
        from sightline.storage.s3 import S3Store

        return S3Store(cfg.s3)
    return LocalStore(cfg.resolved_root(settings.data_dir), fsync=cfg.fsync)
