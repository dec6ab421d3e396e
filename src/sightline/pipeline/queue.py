"""The task queue, in the database: at-least-once delivery with leases and heartbeats.

A task moves ``queued -> running -> done``; a failure either puts it back in
``queued`` with an exponential backoff (``not_before``) or, after ``max_attempts`` or
when it cannot succeed, into ``dead``. A worker that stops heartbeating loses its lease
and the task is claimed again. Enqueueing is idempotent by task ``key``.

Rate limits (token buckets) and concurrency caps are rows of ``queue_limits`` read and
updated inside the claim's transaction, so they hold across every worker process and
machine sharing the database: on SQLite the claim runs under ``BEGIN IMMEDIATE`` (one
writer at a time); on PostgreSQL it locks the kind's limit row (``FOR UPDATE``) and
takes tasks with ``FOR UPDATE SKIP LOCKED`` so claimers never block on each other's
tasks. The same statements run on both.

Times are epoch seconds from an injectable clock.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from sightline.db import tx
from sightline.db.bulk import insert_ignore
from sightline.db.models.pipeline import QueueLimit, Task, TaskState

T = cast(Table, Task.__table__)
L = cast(Table, QueueLimit.__table__)
QUEUED, RUNNING, DONE, DEAD = (s.value for s in TaskState)
# How often a store sweeps expired leases back into the queue, at most.
_SWEEP_EVERY = 1.0
_INSERT_CHUNK = 2000


@dataclass(frozen=True)
class NewTask:
    """A task to enqueue; ``key`` makes enqueueing idempotent."""

    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    priority: int = 0
    delay: float = 0.0
    max_attempts: int | None = None


@dataclass(frozen=True)
class ClaimedTask:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    priority: int
    attempts: int  # including this one
    max_attempts: int
    lease_until: float


@dataclass(frozen=True)
class Claim:
    """The tasks claimed, and how long to wait before claiming again when none were
    (the time until a rate limit refills a token, or None: poll as usual)."""

    tasks: list[ClaimedTask]
    wait: float | None = None


@dataclass(frozen=True)
class Limit:
    kind: str
    rate: float | None  # tokens per second; None: no rate limit
    burst: float  # bucket size
    max_running: int | None  # concurrency cap; None: no cap
    tokens: float


@dataclass(frozen=True)
class TaskRow:
    id: int
    kind: str
    key: str
    state: str
    priority: int
    attempts: int
    max_attempts: int
    not_before: float
    lease_owner: str | None
    last_error: str | None
    created_at: float
    finished_at: float | None
    payload: dict[str, Any]


# Called inside the transaction that buries tasks whose lease expired for the last
# time, so owners (the image pipeline) can mark their items failed atomically.
DeadHook = Callable[[Connection, list[TaskRow]], None]


class TaskStore:
    """Enqueue, claim, heartbeat, complete, fail, release; limits; inspection."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_attempts: int = 5,
        backoff_base: float = 2.0,
        backoff_max: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.clock = clock
        self._last_sweep = -math.inf
        self._dead_hooks: dict[str, DeadHook] = {}
        self._pg = engine.dialect.name == "postgresql"

    def on_dead(self, kind: str, hook: DeadHook) -> None:
        """Register ``hook`` for tasks of ``kind`` buried after their last lease expired."""
        self._dead_hooks[kind] = hook

    # --- enqueue --------------------------------------------------------------------

    def _insert(self) -> Any:
        dialect = postgresql if self._pg else sqlite
        return dialect.insert(T).on_conflict_do_nothing(index_elements=["key"])

    def enqueue(
        self,
        kind: str,
        key: str,
        payload: dict[str, Any] | None = None,
        *,
        priority: int = 0,
        delay: float = 0.0,
        max_attempts: int | None = None,
        conn: Connection | None = None,
    ) -> int | None:
        """Enqueue one task; its id, or None when a task with ``key`` already exists."""
        new = NewTask(kind, key, payload or {}, priority, delay, max_attempts)
        ids = self.enqueue_many([new], conn=conn)
        return ids[0] if ids else None

    def enqueue_many(
        self, tasks: Sequence[NewTask], *, conn: Connection | None = None, ids: bool = True
    ) -> list[int]:
        """Enqueue tasks in batched inserts; the ids of those that were new.

        With ``conn``, runs inside the caller's transaction (so an item and its task are
        committed together); otherwise in its own write transaction. ``ids=False``
        skips reading the ids back (bulk loads) and returns an empty list.
        """
        if not tasks:
            return []
        if conn is None:
            with tx.write(self.engine) as own:
                return self.enqueue_many(tasks, conn=own, ids=ids)
        now = self.clock()
        out: list[int] = []
        for start in range(0, len(tasks), _INSERT_CHUNK):
            rows = [
                {
                    "kind": t.kind,
                    "key": t.key,
                    "payload": t.payload,
                    "priority": t.priority,
                    "state": QUEUED,
                    "not_before": now + t.delay,
                    "attempts": 0,
                    "max_attempts": t.max_attempts or self.max_attempts,
                    "created_at": now,
                    "updated_at": now,
                }
                for t in tasks[start : start + _INSERT_CHUNK]
            ]
            if ids:
                result = conn.execute(self._insert().returning(T.c.id), rows)
                out.extend(int(r[0]) for r in result)
            else:
                insert_ignore(conn, T, rows, conflict=["key"])
        return out

    # --- claim ----------------------------------------------------------------------

    def claim(
        self,
        kinds: Sequence[str],
        n: int,
        *,
        owner: str,
        lease: float,
        per_kind: Mapping[str, int] | None = None,
    ) -> Claim:
        """Lease up to ``n`` due tasks of ``kinds`` to ``owner`` for ``lease`` seconds.

        Highest priority first, then oldest. Each claim counts an attempt. Per-kind
        limits are honoured: never more running than ``max_running`` (counting unexpired
        leases), never more claims than the token bucket holds. ``per_kind`` caps how
        many of a kind this one claim takes (a worker runs a batch one task at a time,
        so a long video job should not hold a second one idle behind it).
        """
        per_kind = per_kind or {}
        if n <= 0 or not kinds:
            return Claim([])
        now = self.clock()
        self._maybe_sweep(now)
        claimed: list[ClaimedTask] = []
        wait: float | None = None
        with tx.write(self.engine, durable=False) as conn:
            limits = {
                r.kind: r
                for r in conn.execute(
                    select(L).where(L.c.kind.in_(list(kinds))).order_by(L.c.kind).with_for_update()
                )
            }
            remaining = n
            for kind in sorted(limits):
                lim = limits[kind]
                allow = min(remaining, per_kind.get(kind, remaining))
                if lim.max_running is not None:
                    running = conn.scalar(
                        select(func.count())
                        .select_from(T)
                        .where(T.c.kind == kind, T.c.state == RUNNING, T.c.lease_until > now)
                    )
                    allow = min(allow, lim.max_running - int(running or 0))
                tokens = lim.tokens
                if lim.rate is not None:
                    tokens = min(lim.burst, lim.tokens + max(0.0, now - lim.refilled_at) * lim.rate)
                    allow = min(allow, math.floor(tokens + 1e-9))
                got = self._take(conn, [kind], allow, owner, now, lease) if allow > 0 else []
                claimed.extend(got)
                remaining -= len(got)
                if lim.rate is not None:
                    tokens -= len(got)
                    conn.execute(
                        update(L).where(L.c.kind == kind).values(tokens=tokens, refilled_at=now)
                    )
                    if tokens < 1 and lim.rate > 0:
                        need = (1 - tokens) / lim.rate
                        wait = need if wait is None else min(wait, need)
            unlimited = [k for k in kinds if k not in limits and k not in per_kind]
            for kind in sorted(k for k in kinds if k not in limits and k in per_kind):
                if remaining > 0:
                    got = self._take(
                        conn, [kind], min(remaining, per_kind[kind]), owner, now, lease
                    )
                    claimed.extend(got)
                    remaining -= len(got)
            if unlimited and remaining > 0:
                claimed.extend(self._take(conn, unlimited, remaining, owner, now, lease))
        claimed.sort(key=lambda t: (-t.priority, t.id))
        return Claim(claimed, None if claimed else wait)

    def _take(
        self, conn: Connection, kinds: list[str], n: int, owner: str, now: float, lease: float
    ) -> list[ClaimedTask]:
        due = (
            select(T.c.id)
            .where(T.c.state == QUEUED, T.c.kind.in_(kinds), T.c.not_before <= now)
            .order_by(T.c.priority.desc(), T.c.id)
            .limit(n)
            .with_for_update(skip_locked=True)
        )
        until = now + lease
        stmt = (
            update(T)
            .where(T.c.id.in_(due.scalar_subquery()))
            .values(
                state=RUNNING,
                lease_owner=owner,
                lease_until=until,
                attempts=T.c.attempts + 1,
                started_at=now,
                updated_at=now,
            )
            .returning(
                T.c.id, T.c.kind, T.c.key, T.c.payload, T.c.priority, T.c.attempts, T.c.max_attempts
            )
        )
        return [
            ClaimedTask(
                int(r.id), r.kind, r.key, r.payload, r.priority, r.attempts, r.max_attempts, until
            )
            for r in conn.execute(stmt)
        ]

    # --- while running --------------------------------------------------------------

    def heartbeat(self, owner: str, ids: Iterable[int], lease: float) -> set[int]:
        """Extend the leases ``owner`` still holds; the ids it still holds."""
        wanted = list(ids)
        if not wanted:
            return set()
        now = self.clock()
        with tx.write(self.engine, durable=False) as conn:
            rows = conn.execute(
                update(T)
                .where(T.c.id.in_(wanted), T.c.lease_owner == owner, T.c.state == RUNNING)
                .values(lease_until=now + lease, updated_at=now)
                .returning(T.c.id)
            )
            return {int(r[0]) for r in rows}

    def complete(self, owner: str, ids: Iterable[int], *, conn: Connection | None = None) -> int:
        """Mark tasks done; only those ``owner`` still holds. The number completed."""
        wanted = list(ids)
        if not wanted:
            return 0
        if conn is None:
            with tx.write(self.engine, durable=False) as own:
                return self.complete(owner, wanted, conn=own)
        now = self.clock()
        result = conn.execute(
            update(T)
            .where(T.c.id.in_(wanted), T.c.lease_owner == owner, T.c.state == RUNNING)
            .values(state=DONE, lease_until=None, finished_at=now, updated_at=now)
        )
        return int(result.rowcount)

    def backoff(self, attempts: int) -> float:
        """Seconds before retry number ``attempts``: exponential with equal jitter."""
        full = min(self.backoff_max, self.backoff_base * float(2 ** max(0, attempts - 1)))
        return full / 2 + random.random() * full / 2

    def fail(
        self,
        owner: str,
        task_id: int,
        error: str,
        *,
        retryable: bool,
        conn: Connection | None = None,
    ) -> str | None:
        """Record a failed attempt: back to ``queued`` after a backoff when ``retryable``
        and attempts remain, else ``dead``. The new state, or None if the lease was lost.
        """
        if conn is None:
            with tx.write(self.engine) as own:
                return self.fail(owner, task_id, error, retryable=retryable, conn=own)
        now = self.clock()
        row = conn.execute(
            select(T.c.attempts, T.c.max_attempts).where(
                T.c.id == task_id, T.c.lease_owner == owner, T.c.state == RUNNING
            )
        ).first()
        if row is None:
            return None
        again = retryable and row.attempts < row.max_attempts
        values: dict[str, Any] = {
            "last_error": error[:4000],
            "lease_owner": None,
            "lease_until": None,
            "updated_at": now,
        }
        if again:
            values.update(state=QUEUED, not_before=now + self.backoff(row.attempts))
        else:
            values.update(state=DEAD, finished_at=now)
        conn.execute(update(T).where(T.c.id == task_id).values(**values))
        return QUEUED if again else DEAD

    def release(self, owner: str, ids: Iterable[int]) -> int:
        """Give leased tasks back untouched (a graceful shutdown): the attempt is not
        counted and they are due at once. The number released."""
        wanted = list(ids)
        if not wanted:
            return 0
        now = self.clock()
        with tx.write(self.engine) as conn:
            result = conn.execute(
                update(T)
                .where(T.c.id.in_(wanted), T.c.lease_owner == owner, T.c.state == RUNNING)
                .values(
                    state=QUEUED,
                    attempts=case((T.c.attempts > 0, T.c.attempts - 1), else_=0),
                    lease_owner=None,
                    lease_until=None,
                    not_before=now,
                    updated_at=now,
                )
            )
            return int(result.rowcount)

    # --- expired leases -------------------------------------------------------------

    def _maybe_sweep(self, now: float) -> None:
        if now - self._last_sweep >= _SWEEP_EVERY:
            self._last_sweep = now
            self.requeue_expired()

    def requeue_expired(self) -> int:
        """Put tasks whose lease expired back in the queue (or bury them when that was
        their last attempt). The number of tasks touched."""
        now = self.clock()
        with tx.write(self.engine) as conn:
            expired = [
                _row(r)
                for r in conn.execute(
                    select(T)
                    .where(T.c.state == RUNNING, T.c.lease_until < now)
                    .with_for_update(skip_locked=True)
                )
            ]
            if not expired:
                return 0
            ids = [t.id for t in expired]
            last = T.c.attempts >= T.c.max_attempts
            conn.execute(
                update(T)
                .where(T.c.id.in_(ids))
                .values(
                    state=case((last, DEAD), else_=QUEUED),
                    finished_at=case((last, now), else_=None),
                    last_error=f"lease expired at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))}: "
                    "the worker stopped responding",
                    lease_owner=None,
                    lease_until=None,
                    not_before=now,
                    updated_at=now,
                )
            )
            dead = [t for t in expired if t.attempts >= t.max_attempts]
            by_kind: dict[str, list[TaskRow]] = {}
            for t in dead:
                by_kind.setdefault(t.kind, []).append(t)
            for kind, rows in by_kind.items():
                hook = self._dead_hooks.get(kind)
                if hook is not None:
                    hook(conn, rows)
            return len(expired)

    # --- limits ---------------------------------------------------------------------

    def set_limit(
        self,
        kind: str,
        *,
        rate: float | None = None,
        burst: float | None = None,
        max_running: int | None = None,
    ) -> Limit:
        """Set ``kind``'s rate (tokens/s, bucket ``burst``, default max(1, rate)) and
        running cap; both None removes the limit."""
        with tx.write(self.engine) as conn:
            conn.execute(delete(L).where(L.c.kind == kind))
            if rate is None and max_running is None:
                return Limit(kind, None, 0.0, None, 0.0)
            size = burst if burst is not None else max(1.0, rate or 0.0)
            conn.execute(
                L.insert().values(
                    kind=kind,
                    rate=rate,
                    burst=size,
                    max_running=max_running,
                    tokens=size,
                    refilled_at=self.clock(),
                )
            )
            return Limit(kind, rate, size, max_running, size)

    def limits(self) -> list[Limit]:
        """Every configured limit, with the bucket's tokens refilled to now."""
        now = self.clock()
        with tx.read(self.engine) as conn:
            rows = conn.execute(select(L).order_by(L.c.kind)).all()
        out = []
        for r in rows:
            tokens = r.tokens
            if r.rate is not None:
                tokens = min(r.burst, r.tokens + max(0.0, now - r.refilled_at) * r.rate)
            out.append(Limit(r.kind, r.rate, r.burst, r.max_running, tokens))
        return out

    # --- inspection and maintenance -------------------------------------------------

    def depth(self) -> dict[tuple[str, str], int]:
        """Task counts by (kind, state)."""
        with tx.read(self.engine) as conn:
            rows = conn.execute(
                select(T.c.kind, T.c.state, func.count()).group_by(T.c.kind, T.c.state)
            ).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def throughput(self, window: float = 60.0) -> dict[str, float]:
        """Tasks completed per second over the last ``window`` seconds, by kind."""
        since = self.clock() - window
        with tx.read(self.engine) as conn:
            rows = conn.execute(
                select(T.c.kind, func.count())
                .where(T.c.state == DONE, T.c.finished_at >= since)
                .group_by(T.c.kind)
            ).all()
        return {r[0]: int(r[1]) / window for r in rows}

    def get(self, task_id: int) -> TaskRow | None:
        with tx.read(self.engine) as conn:
            r = conn.execute(select(T).where(T.c.id == task_id)).first()
        return _row(r) if r is not None else None

    def by_key(self, key: str) -> TaskRow | None:
        with tx.read(self.engine) as conn:
            r = conn.execute(select(T).where(T.c.key == key)).first()
        return _row(r) if r is not None else None

    def list(
        self,
        *,
        states: Sequence[str] = (),
        kinds: Sequence[str] = (),
        limit: int = 50,
    ) -> list[TaskRow]:
        """Tasks, newest first, filtered by state and kind."""
        q = select(T).order_by(T.c.id.desc()).limit(limit)
        if states:
            q = q.where(T.c.state.in_(list(states)))
        if kinds:
            q = q.where(T.c.kind.in_(list(kinds)))
        with tx.read(self.engine) as conn:
            return [_row(r) for r in conn.execute(q)]

    def retry(
        self, *, ids: Sequence[int] = (), kinds: Sequence[str] = (), states: Sequence[str] = (DEAD,)
    ) -> int:
        """Queue finished tasks again with fresh attempts: the given ``ids`` (in any
        state but running), or every task in ``states`` of ``kinds``. The number queued."""
        now = self.clock()
        cond = [T.c.state != RUNNING]
        if ids:
            cond.append(T.c.id.in_(list(ids)))
        else:
            cond.append(T.c.state.in_(list(states)))
            if kinds:
                cond.append(T.c.kind.in_(list(kinds)))
        with tx.write(self.engine) as conn:
            result = conn.execute(
                update(T)
                .where(*cond)
                .values(state=QUEUED, attempts=0, not_before=now, finished_at=None, updated_at=now)
            )
            return int(result.rowcount)

    def purge(
        self,
        *,
        states: Sequence[str] = (DONE,),
        kinds: Sequence[str] = (),
        older_than: float = 0.0,
    ) -> int:
        """Delete finished tasks in ``states`` last updated more than ``older_than``
        seconds ago. Queued and running tasks are never purged. The number deleted."""
        allowed = [s for s in states if s in (DONE, DEAD)]
        if not allowed:
            return 0
        cutoff = self.clock() - older_than
        cond = [T.c.state.in_(allowed), T.c.updated_at <= cutoff]
        if kinds:
            cond.append(T.c.kind.in_(list(kinds)))
        with tx.write(self.engine) as conn:
            return int(conn.execute(delete(T).where(*cond)).rowcount)


def _row(r: Any) -> TaskRow:
    return TaskRow(
        id=int(r.id),
        kind=r.kind,
        key=r.key,
        state=r.state,
        priority=r.priority,
        attempts=r.attempts,
        max_attempts=r.max_attempts,
        not_before=r.not_before,
        lease_owner=r.lease_owner,
        last_error=r.last_error,
        created_at=r.created_at,
        finished_at=r.finished_at,
        payload=r.payload,
    )
