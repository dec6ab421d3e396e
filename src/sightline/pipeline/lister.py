"""The polling lister: finds new and changed objects in stores that send no events.

Each pass lists the bucket (under a prefix) in key order and ingests every page; the
catalog recognises known versions (unchanged size and mtime are not even read), so only
new ones become work. The last key of each ingested page is saved as the cursor, so an
interrupted pass resumes where it stopped instead of starting over; a finished pass
resets it and records when it ended.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine

from sightline.pipeline.cursors import get_cursor, put_cursor
from sightline.pipeline.ingest import Ingestor
from sightline.storage.base import ObjectInfo, ObjectStore


@dataclass
class PassStats:
    listed: int = 0
    new: int = 0
    missing: int = 0
    resumed_after: str = ""


def cursor_name(bucket: str, prefix: str) -> str:
    return f"list:{bucket}/{prefix}"


class Lister:
    def __init__(
        self, store: ObjectStore, ingestor: Ingestor, engine: Engine, *, page: int = 1000
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.engine = engine
        self.page = page

    def poll(self, bucket: str, prefix: str = "", *, source: str = "lister") -> PassStats:
        """One pass over ``bucket``/``prefix``, resuming an interrupted one."""
        name = cursor_name(bucket, prefix)
        state = get_cursor(self.engine, name) or {}
        stats = PassStats(resumed_after=str(state.get("after", "")))
        batch: list[ObjectInfo] = []
        for info in self.store.list(bucket, prefix, stats.resumed_after):
            batch.append(info)
            if len(batch) >= self.page:
                self._ingest(batch, stats, name, state, source)
                batch = []
        if batch:
            self._ingest(batch, stats, name, state, source)
        put_cursor(
            self.engine,
            name,
            {
                "after": "",
                "passes": int(state.get("passes", 0)) + 1,
                "completed_at": time.time(),
                "last_listed": stats.listed,
                "last_new": stats.new,
            },
        )
        return stats

    def _ingest(
        self,
        batch: list[ObjectInfo],
        stats: PassStats,
        name: str,
        state: dict[str, object],
        source: str,
    ) -> None:
        recorded, missing = self.ingestor.ingest_listed(batch, source)
        stats.listed += len(batch)
        stats.new += sum(1 for r in recorded if r.new)
        stats.missing += len(missing)
        put_cursor(self.engine, name, {**state, "after": batch[-1].key})
