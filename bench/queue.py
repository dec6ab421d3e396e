"""Queue throughput: claim+complete on SQLite and PostgreSQL, and a 1,000,000-row backfill.

Goals (issue 3): >= 2,000 tasks/s on SQLite, >= 5,000 tasks/s batched on PostgreSQL;
enqueueing a 1,000,000-row inventory in <= 60 s.

Each figure is measured in this run, side by side: one-at-a-time against batched claims
on the same database, and the backfill against a bare multi-row insert of the same
number of rows (the floor any catalog+queue write has to stand on).

    python -m bench queue                 # everything (PostgreSQL parts skip if it is down)
    BENCH_ROWS=200000 python -m bench queue
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from sightline.config import Settings
from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.pipeline.backfill import Backfill
from sightline.pipeline.queue import NewTask, TaskStore
from sightline.runtime import Runtime
from sightline.storage import MemoryStore

POSTGRES = os.environ.get(
    "SIGHTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def drain(store: TaskStore, batch: int, owner: str) -> int:
    done = 0
    while True:
        tasks = store.claim(["image"], batch, owner=owner, lease=60).tasks
        if not tasks:
            return done
        store.complete(owner, [t.id for t in tasks])
        done += len(tasks)


def claim_complete(url: str, n: int, batch: int, threads: int = 1) -> float:
    """Tasks per second claimed and completed by ``threads`` claimers in batches."""
    engine = make_engine(url)
    upgrade(engine)
    store = TaskStore(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tasks"))
    store.enqueue_many([NewTask("image", f"b-{uuid.uuid4().hex}", {"item": i}) for i in range(n)])
    counts: list[int] = []

    def run(i: int) -> None:
        counts.append(drain(TaskStore(engine), batch, f"w{i}"))

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    assert sum(counts) == n, (sum(counts), n)
    engine.dispose()
    return n / elapsed


def postgres_database() -> str | None:
    try:
        import psycopg

        name = f"sightline_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return POSTGRES.rsplit("/", 1)[0] + "/" + name
    except Exception:
        return None


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def write_inventory(folder: Path, rows: int) -> Path:
    """An S3 Inventory (manifest + gzip CSV) of ``rows`` objects with Size and ETag."""
    data = folder / "data" / "part-0.csv.gz"
    data.parent.mkdir(parents=True)
    with gzip.open(data, "wt", newline="", compresslevel=1) as fh:
        w = csv.writer(fh)
        for i in range(rows):
            w.writerow(
                [
                    "content",
                    f"labels/{i // 1000:04}/img-{i:07}.jpg",
                    150_000 + i,
                    "2024-05-01T10:00:00.000Z",
                    f"{i:032x}",
                ]
            )
    manifest = folder / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "fileFormat": "CSV",
                "fileSchema": "Bucket, Key, Size, LastModifiedDate, ETag",
                "files": [{"key": "data/part-0.csv.gz"}],
            }
        )
    )
    return manifest


def backfill_seconds(url: str, manifest: Path, data_dir: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a backfill of ``manifest``."""
    settings = Settings(data_dir=data_dir, database_url=url)
    rt = Runtime.open(settings, store=MemoryStore())
    try:
        started, cpu = time.perf_counter(), time.process_time()
        summary = Backfill(rt, batch_size=5000).run_inventory(manifest)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert summary.new == summary.rows, summary
        return elapsed, cpu
    finally:
        rt.close()


def bare_insert_seconds(url: str, rows: int) -> tuple[float, float]:
    """The floor: as many rows through the driver's executemany, in 5,000-row
    transactions, into a table keyed like items (a time-ordered text key and one unique
    index): what SQLite itself costs, with no catalog or queue logic."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE floor (id VARCHAR(32) PRIMARY KEY, k VARCHAR(200))"))
        conn.execute(text("CREATE UNIQUE INDEX floor_k ON floor (k)"))
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, rows, 5000):
        batch = [
            (f"{start:012x}{i:020x}", f"labels/{i // 1000:04}/img-{i:07}.jpg")
            for i in range(start, min(rows, start + 5000))
        ]
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO floor (id, k) VALUES (?, ?)", batch)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    n = int(os.environ.get("BENCH_TASKS", "20000"))
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sqlite_url = f"sqlite:///{root / 'bench.db'}"
        one = claim_complete(sqlite_url, n // 4, batch=1)
        many = claim_complete(sqlite_url, n, batch=32)
        print(f"SQLite claim+complete, 1 at a time    : {one:8,.0f} tasks/s")
        print(
            f"SQLite claim+complete, batches of 32  : {many:8,.0f} tasks/s "
            f"({many / one:.1f}x; goal >= 2,000/s: {verdict(many >= 2000)})"
        )
        pg = postgres_database()
        if pg is None:
            print("PostgreSQL: not reachable; skipped")
        else:
            try:
                pg_one = claim_complete(pg, n // 10, batch=1)
                pg_many = claim_complete(pg, n, batch=32)
                pg_big = claim_complete(pg, n, batch=128)
                pg_par = claim_complete(pg, n, batch=32, threads=4)
                best = max(pg_many, pg_big, pg_par)
                print(f"PostgreSQL claim+complete, 1 at a time : {pg_one:8,.0f} tasks/s")
                print(
                    f"PostgreSQL claim+complete, batches of 32: {pg_many:8,.0f} tasks/s "
                    f"({pg_many / pg_one:.1f}x)"
                )
                print(f"PostgreSQL claim+complete, batches of 128: {pg_big:7,.0f} tasks/s")
                print(
                    f"PostgreSQL, 4 claimers, batches of 32   : {pg_par:7,.0f} tasks/s "
                    f"(goal >= 5,000/s batched: {verdict(best >= 5000)})"
                )
            finally:
                drop_postgres(pg)

        manifest = write_inventory(root / "inventory", rows)
        floor, floor_cpu = bare_insert_seconds(f"sqlite:///{root / 'floor.db'}", rows)
        seconds, cpu = backfill_seconds(
            f"sqlite:///{root / 'backfill.db'}", manifest, root / "data"
        )
        # CPU seconds are what a busy shared machine cannot inflate; the goal is in wall time.
        print(
            f"bare insert of {rows:,} rows (SQLite floor)    : {floor:6.1f} s wall, "
            f"{floor_cpu:6.1f} s CPU"
        )
        print(
            f"backfill of a {rows:,}-row inventory (SQLite) : {seconds:6.1f} s wall, "
            f"{cpu:6.1f} s CPU ({seconds / floor:.1f}x the floor; {rows / seconds:,.0f} rows/s; "
            f"goal <= 60 s: {verdict(seconds <= 60)})"
        )


if __name__ == "__main__":
    main()
