"""The catalog: one item per object version, and the task that processes it.

An object version is identified by ``(bucket, key, version)`` where the version is the
store's version id, else its ETag (the content's MD5 for single-part uploads and for
local files), else size and modification time. Recording a version that is already
known creates nothing, so re-uploading an unchanged object is free; changed content
is a new version with its own item and task. The item and its task are inserted in one
transaction, so a crash never leaves an item without work or work without an item.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, or_, select, tuple_, update

from sightline.db import tx
from sightline.db.base import utcnow
from sightline.db.bulk import insert_ignore
from sightline.db.models.pipeline import Item, ItemStatus
from sightline.errors import SightlineError
from sightline.pipeline.queue import NewTask, TaskStore
from sightline.pipeline.router import Route, Router
from sightline.storage.base import ObjectInfo

I = cast(Table, Item.__table__)  # noqa: E741 (the items table, as T is the tasks table)
_CHUNK = 5000  # rows per transaction when recording in bulk


def new_item_id() -> str:
    """32 hex digits: milliseconds since the epoch, then 80 random bits (UUIDv7's idea).

    Ids sort by creation time, so a page of items by id is a page in arrival order and
    bulk inserts append to the primary-key index instead of scattering across it.
    """
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def version_of(info: ObjectInfo) -> str:
    """The version identity of an object: ``v:<id>``, ``e:<etag>`` or ``s:<size>:<mtime>``."""
    if info.version_id and info.version_id != "null":
        return f"v:{info.version_id}"
    if info.etag:
        return f"e:{info.etag}"
    return f"s:{info.size}:{info.mtime:.6f}"


def task_key(workflow: str, item_id: str) -> str:
    return f"{workflow}:{item_id}"


@dataclass(frozen=True)
class Discovered:
    """An object a source found; ``head`` is its first bytes when the source read them."""

    info: ObjectInfo
    head: bytes | None = None
    source: str = "api"


@dataclass(frozen=True)
class Recorded:
    """What recording one object did."""

    bucket: str
    key: str
    item_id: str | None  # the item of this version (new or already known)
    new: bool  # a new version: an item (and, unless rejected, a task) was created
    status: str  # the item's status as recorded: PENDING or REJECTED
    workflow: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ItemRow:
    id: str
    bucket: str
    key: str
    version: str
    etag: str | None
    version_id: str | None
    size: int
    mtime: float
    media_type: str | None
    workflow: str | None
    analyses: list[str]
    priority: int
    source: str
    status: str
    error: str | None
    reason: str | None
    attempts: int
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


def item_row(r: Any) -> ItemRow:
    return ItemRow(**{f: getattr(r, f) for f in ItemRow.__dataclass_fields__})


class Catalog:
    """Records object versions as items and enqueues their tasks."""

    def __init__(self, engine: Engine, tasks: TaskStore, router: Router) -> None:
        self.engine = engine
        self.tasks = tasks
        self.router = router
        self._pg = engine.dialect.name == "postgresql"

    # --- recording ------------------------------------------------------------------

    def record(self, objects: Sequence[Discovered]) -> list[Recorded]:
        """Record each object version, route new ones, enqueue their tasks.

        Returns one :class:`Recorded` per input, in order. Duplicates within the batch
        count once (the first wins).
        """
        out: list[Recorded] = []
        for start in range(0, len(objects), _CHUNK):
            out.extend(self._record_chunk(objects[start : start + _CHUNK]))
        return out

    def _record_chunk(self, objects: Sequence[Discovered]) -> list[Recorded]:
        now = utcnow()
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        routes: dict[tuple[str, str, str], Route] = {}
        for obj in objects:
            info = obj.info
            ident = (info.bucket, info.key, version_of(info))
            if ident in rows:
                continue
            route = self.router.route(info.bucket, info.key, obj.head)
            routes[ident] = route
            rejected = route.rejected
            rows[ident] = {
                "id": new_item_id(),
                "bucket": info.bucket,
                "key": info.key,
                "version": ident[2],
                "etag": info.etag,
                "version_id": info.version_id,
                "size": info.size,
                "mtime": info.mtime,
                "media_type": route.media_type,
                "workflow": route.workflow,
                "analyses": list(route.analyses),
                "priority": route.priority,
                "source": obj.source,
                "status": (ItemStatus.REJECTED if rejected else ItemStatus.PENDING).value,
                "error": type(rejected).__name__ if rejected else None,
                "reason": rejected.message if rejected else None,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "finished_at": now if rejected else None,
            }
        with tx.write(self.engine) as conn:
            insert_ignore(conn, I, list(rows.values()))
            # Our ids are fresh, unique and time-ordered: the rows holding them are the ones
            # we inserted, and they lie in one key range (others' rows in it are ignored).
            mine = {row["id"]: ident for ident, row in rows.items()}
            in_range = conn.execute(
                select(I.c.id).where(I.c.id.between(min(mine), max(mine)))
            ).scalars()
            created = {mine[i] for i in in_range if i in mine}
            known = self._existing_ids(conn, [i for i in rows if i not in created])
            self._refresh_mtimes(conn, objects, known)
            tasks = [
                NewTask(
                    kind=str(routes[ident].task_kind),
                    key=task_key(str(routes[ident].task_kind), rows[ident]["id"]),
                    payload=task_payload(rows[ident]),
                    priority=rows[ident]["priority"],
                )
                for ident in rows
                if ident in created and routes[ident].ok
            ]
            self.tasks.enqueue_many(tasks, conn=conn, ids=False)
        out = []
        reported: set[tuple[str, str, str]] = set()
        for obj in objects:
            info = obj.info
            ident = (info.bucket, info.key, version_of(info))
            row = rows[ident]
            if ident in created:
                # Later duplicates in the batch name the same item but are not new.
                first = ident not in reported
                reported.add(ident)
                out.append(
                    Recorded(
                        info.bucket,
                        info.key,
                        row["id"],
                        first,
                        row["status"],
                        row["workflow"],
                        row["reason"],
                    )
                )
                continue
            found = known.get(ident)
            status = found[1] if found else ItemStatus.PENDING.value
            out.append(Recorded(info.bucket, info.key, found[0] if found else None, False, status))
        return out

    def _existing_ids(
        self, conn: Connection, idents: list[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], tuple[str, str, float]]:
        """(id, status, mtime) of the known items among ``idents``."""
        if not idents:
            return {}
        q = select(I.c.bucket, I.c.key, I.c.version, I.c.id, I.c.status, I.c.mtime).where(
            tuple_(I.c.bucket, I.c.key, I.c.version).in_(idents)
        )
        return {(r.bucket, r.key, r.version): (r.id, r.status, r.mtime) for r in conn.execute(q)}

    def _refresh_mtimes(
        self,
        conn: Connection,
        objects: Sequence[Discovered],
        known: dict[tuple[str, str, str], tuple[str, str, float]],
    ) -> None:
        # An unchanged object saved again has a new mtime; remember it, so the next scan
        # recognises the file by size and mtime without reading it.
        for obj in objects:
            found = known.get((obj.info.bucket, obj.info.key, version_of(obj.info)))
            if found is not None and found[2] != obj.info.mtime:
                conn.execute(update(I).where(I.c.id == found[0]).values(mtime=obj.info.mtime))

    def unchanged(self, infos: Sequence[ObjectInfo]) -> set[tuple[str, str]]:
        """``(bucket, key)`` of the listed objects whose size and mtime match a known
        item, so a scan can skip reading them to compute an ETag."""
        out: set[tuple[str, str]] = set()
        with tx.read(self.engine) as conn:
            for start in range(0, len(infos), _CHUNK):
                chunk = infos[start : start + _CHUNK]
                q = select(I.c.bucket, I.c.key, I.c.size, I.c.mtime).where(
                    tuple_(I.c.bucket, I.c.key).in_([(i.bucket, i.key) for i in chunk])
                )
                facts = {(r.bucket, r.key, r.size, r.mtime) for r in conn.execute(q)}
                out.update(
                    (i.bucket, i.key) for i in chunk if (i.bucket, i.key, i.size, i.mtime) in facts
                )
        return out

    # --- queries --------------------------------------------------------------------

    def get(self, item_id: str) -> ItemRow | None:
        with tx.read(self.engine) as conn:
            r = conn.execute(select(I).where(I.c.id == item_id)).first()
        return item_row(r) if r is not None else None

    def versions(self, bucket: str, key: str) -> list[ItemRow]:
        """Every recorded version of an object, newest first."""
        q = (
            select(I)
            .where(I.c.bucket == bucket, I.c.key == key)
            .order_by(I.c.created_at.desc(), I.c.id)
        )
        with tx.read(self.engine) as conn:
            return [item_row(r) for r in conn.execute(q)]

    def items(
        self,
        *,
        bucket: str | None = None,
        prefix: str | None = None,
        statuses: Sequence[str] = (),
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[ItemRow]:
        """Items ordered by id (stable pages: pass the last id as ``after_id``)."""
        q = select(I).order_by(I.c.id).limit(limit)
        if bucket is not None:
            q = q.where(I.c.bucket == bucket)
        if prefix:
            q = q.where(I.c.key.startswith(prefix, autoescape=True))
        if statuses:
            q = q.where(I.c.status.in_(list(statuses)))
        if after_id is not None:
            q = q.where(I.c.id > after_id)
        with tx.read(self.engine) as conn:
            return [item_row(r) for r in conn.execute(q)]

    def counts(self) -> dict[str, int]:
        """Items by status."""
        with tx.read(self.engine) as conn:
            rows = conn.execute(select(I.c.status, func.count()).group_by(I.c.status)).all()
        return {r[0]: int(r[1]) for r in rows}

    # --- status changes (called by the stages, inside their transactions) ----------

    @staticmethod
    def start(conn: Connection, item_id: str, attempts: int) -> None:
        now = utcnow()
        conn.execute(
            update(I)
            .where(I.c.id == item_id)
            .values(
                status=ItemStatus.IN_PROGRESS.value,
                attempts=attempts,
                started_at=now,
                updated_at=now,
            )
        )

    @staticmethod
    def finish(
        conn: Connection,
        item_id: str,
        status: ItemStatus,
        error: SightlineError | None = None,
        **values: Any,
    ) -> None:
        """Set an item's final (or, for PENDING, handed-on) status and reason."""
        Catalog.finish_as(
            conn,
            item_id,
            status,
            type(error).__name__ if error else None,
            error.message if error else None,
            **values,
        )

    @staticmethod
    def finish_as(
        conn: Connection,
        item_id: str,
        status: ItemStatus,
        error: str | None,
        reason: str | None,
        **values: Any,
    ) -> None:
        """:meth:`finish` with the error named directly (a workflow's error name, such
        as ``NotSupportedImageType``, which is no exception class)."""
        now = utcnow()
        final = status in (ItemStatus.SUCCEEDED, ItemStatus.FAILED, ItemStatus.REJECTED)
        conn.execute(
            update(I)
            .where(I.c.id == item_id)
            .values(
                status=status.value,
                error=error[:64] if error else None,
                reason=reason,
                updated_at=now,
                finished_at=now if final else None,
                **values,
            )
        )

    @staticmethod
    def fail_unfinished(conn: Connection, item_ids: Sequence[str], error: SightlineError) -> None:
        """Mark items that are not yet final as FAILED (their task died)."""
        now = utcnow()
        conn.execute(
            update(I)
            .where(
                I.c.id.in_(list(item_ids)),
                or_(
                    I.c.status == ItemStatus.PENDING.value,
                    I.c.status == ItemStatus.IN_PROGRESS.value,
                ),
            )
            .values(
                status=ItemStatus.FAILED.value,
                error=type(error).__name__,
                reason=error.message,
                updated_at=now,
                finished_at=now,
            )
        )


def task_payload(row: dict[str, Any]) -> dict[str, Any]:
    """What a task needs to process an item without reading the item first."""
    return {
        "item": row["id"],
        "bucket": row["bucket"],
        "key": row["key"],
        "size": row["size"],
        "analyses": row["analyses"],
        "media_type": row["media_type"],
    }
