"""Getting objects into the catalog: by key, from listings, from uploads.

Every source (folder watcher, S3 events, the polling lister, backfills, API uploads)
ends here, so they share one behaviour: the object's facts and first bytes are read
(one ranged GET on S3, one small read locally), the version is recorded once, and new
versions are routed and queued in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from sightline.errors import ObjectNotFoundError, SightlineError
from sightline.pipeline.catalog import Catalog, Discovered, Recorded
from sightline.storage.base import PROBE_BYTES, ObjectInfo, ObjectStore

log = logging.getLogger(__name__)
# Probes are network round trips on S3: overlap them.
_PROBE_THREADS = 16


@dataclass(frozen=True)
class Missing:
    """A key that could not be read, and why."""

    bucket: str
    key: str
    error: SightlineError


class Ingestor:
    """Reads object facts from a store and records them in the catalog."""

    def __init__(self, store: ObjectStore, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog

    def probe_many(
        self, refs: Sequence[tuple[str, str]], source: str
    ) -> tuple[list[Discovered], list[Missing]]:
        """Probe ``(bucket, key)`` pairs (facts and first bytes), in parallel."""

        def one(ref: tuple[str, str]) -> Discovered | Missing:
            bucket, key = ref
            try:
                info, head = self.store.probe(bucket, key, PROBE_BYTES)
            except SightlineError as exc:
                return Missing(bucket, key, exc)
            return Discovered(info, head, source)

        if len(refs) <= 1:
            results = [one(r) for r in refs]
        else:
            with ThreadPoolExecutor(min(_PROBE_THREADS, len(refs))) as pool:
                results = list(pool.map(one, refs))
        found = [r for r in results if isinstance(r, Discovered)]
        missing = [r for r in results if isinstance(r, Missing)]
        return found, missing

    def ingest_keys(
        self, bucket: str, keys: Iterable[str], source: str
    ) -> tuple[list[Recorded], list[Missing]]:
        """Ingest objects by key (events, the watcher). Missing keys are returned, not
        raised: an object deleted before we looked is not an error of the batch."""
        found, missing = self.probe_many([(bucket, k) for k in keys], source)
        for m in missing:
            log.info("skipped s3://%s/%s: %s", m.bucket, m.key, m.error)
        return self.catalog.record(found), missing

    def ingest_listed(
        self, infos: Sequence[ObjectInfo], source: str
    ) -> tuple[list[Recorded], list[Missing]]:
        """Ingest objects from a listing. Those whose size and mtime match a known item
        are skipped unread; the rest are probed (their ETag may need the content) and
        recorded, so an unchanged file re-saved is recognised by its content."""
        skip = self.catalog.unchanged(infos)
        todo = [(i.bucket, i.key) for i in infos if (i.bucket, i.key) not in skip]
        found, missing = self.probe_many(todo, source)
        return self.catalog.record(found), missing

    def ingest_infos(self, infos: Sequence[ObjectInfo], source: str) -> list[Recorded]:
        """Record objects whose facts the caller trusts (an S3 Inventory row, an event
        with its ETag) without reading them; the image task sniffs the bytes later."""
        return self.catalog.record([Discovered(i, None, source) for i in infos])


def upload(
    store: ObjectStore,
    catalog: Catalog,
    bucket: str,
    key: str,
    data: bytes | BinaryIO,
    *,
    content_type: str | None = None,
    source: str = "upload",
) -> Recorded:
    """Store an uploaded object and ingest it at once: the API's and web app's entry.

    ``data`` may be bytes or a readable stream (streamed to storage). The returned
    :class:`Recorded` says whether the version is new, its item id and its status
    (``REJECTED`` with the reason when the bytes are not a supported medium). Raises
    ``InvalidKeyError`` for a key the store refuses and ``StorageError`` when the write
    fails; the folder watcher seeing the same file later records nothing new.
    """
    info = store.put(bucket, key, data, content_type=content_type)
    if isinstance(data, (bytes, bytearray)):
        head = bytes(data[:PROBE_BYTES])
    else:
        try:
            info, head = store.probe(bucket, key, PROBE_BYTES)
        except ObjectNotFoundError:
            head = b""
    (recorded,) = catalog.record([Discovered(info, head, source)])
    return recorded
