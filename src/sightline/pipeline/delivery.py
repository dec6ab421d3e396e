"""Delivery streams: result records batched into JSON Lines files, like Firehose.

A result joins each matching stream's outbox in the transaction that stores it, so a
crash never loses a record. The scheduler flushes each stream: records become files
of at most ``max_bytes`` (a file is written when full, or when its oldest record has
waited ``max_seconds``), named by the outbox id range they hold::

    <bucket>/<prefix>YYYY/MM/DD/HH/<stream>-<firstId>-<lastId>.jsonl

and the outbox rows are deleted only after the file is stored. A flush interrupted
between the two rewrites the same file (same ids, same name, same bytes) next time.

Each line: ``{"itemId", "bucket", "key", "version", "analysis", "operation",
"modelVersion", "outputBucket", "outputKey", "createdAt", "response"}`` (``response``
is null when it was too large to keep inline; read ``outputKey`` then).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, select

from sightline.config import DeliveryStreamSettings, PipelineSettings
from sightline.db import tx
from sightline.db.models.pipeline import DeliveryRecord, Item, Result
from sightline.storage.base import ObjectStore

O = cast(Table, DeliveryRecord.__table__)  # noqa: E741
R = cast(Table, Result.__table__)
I = cast(Table, Item.__table__)  # noqa: E741
_PAGE = 5000


def enqueue_records(
    conn: Connection, results: Sequence[tuple[int, str]], settings: PipelineSettings
) -> None:
    """Queue ``(result id, analysis)`` pairs for every stream that wants them."""
    now = time.time()
    rows = [
        {"stream": s.name, "result_id": rid, "created_at": now}
        for s in settings.delivery_streams
        for rid, analysis in results
        if not s.analyses or analysis in s.analyses
    ]
    if rows:
        conn.execute(O.insert(), rows)


class DeliveryStreams:
    """Flushes every configured stream's outbox to its files."""

    def __init__(
        self,
        engine: Engine,
        store: ObjectStore,
        settings: PipelineSettings,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.store = store
        self.streams = settings.delivery_streams
        self.clock = clock

    def flush(self, *, force: bool = False) -> list[str]:
        """Write due files for every stream; ``force`` writes partial files now. The keys
        written."""
        written: list[str] = []
        for stream in self.streams:
            written.extend(self._flush_stream(stream, force))
        return written

    def _flush_stream(self, stream: DeliveryStreamSettings, force: bool) -> list[str]:
        written: list[str] = []
        while True:
            batch = self._pending(stream)
            if not batch:
                return written
            lines: list[bytes] = []
            size = 0
            ids: list[int] = []
            full = False
            for oid, _created, record in batch:
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
                if lines and size + len(line) + 1 > stream.max_bytes:
                    full = True
                    break
                lines.append(line)
                ids.append(oid)
                size += len(line) + 1
            oldest = batch[0][1]
            if not (full or force or self.clock() - oldest >= stream.max_seconds):
                return written
            stamp = time.strftime("%Y/%m/%d/%H", time.gmtime(oldest))
            key = f"{stream.prefix}{stamp}/{stream.name}-{ids[0]:012d}-{ids[-1]:012d}.jsonl"
            self.store.put(
                stream.bucket, key, b"\n".join(lines) + b"\n", content_type="application/x-ndjson"
            )
            with tx.write(self.engine) as conn:
                conn.execute(delete(O).where(O.c.stream == stream.name, O.c.id.in_(ids)))
            written.append(key)

    def _pending(self, stream: DeliveryStreamSettings) -> list[tuple[int, float, dict[str, Any]]]:
        q = (
            select(
                O.c.id.label("oid"),
                O.c.created_at.label("queued_at"),
                I.c.id.label("item_id"),
                I.c.bucket,
                I.c.key,
                I.c.version,
                R.c.analysis,
                R.c.operation,
                R.c.model_version,
                R.c.output_bucket,
                R.c.output_key,
                R.c.created_at,
                R.c.response,
            )
            .join(R, R.c.id == O.c.result_id)
            .join(I, I.c.id == R.c.item_id)
            .where(O.c.stream == stream.name)
            .order_by(O.c.id)
            .limit(_PAGE)
        )
        with tx.read(self.engine) as conn:
            rows = conn.execute(q).all()
        return [
            (
                int(r.oid),
                float(r.queued_at),
                {
                    "itemId": r.item_id,
                    "bucket": r.bucket,
                    "key": r.key,
                    "version": r.version,
                    "analysis": r.analysis,
                    "operation": r.operation,
                    "modelVersion": r.model_version,
                    "outputBucket": r.output_bucket,
                    "outputKey": r.output_key,
                    "createdAt": r.created_at.isoformat() if r.created_at else None,
                    "response": r.response,
                },
            )
            for r in rows
        ]
