"""TaskStore on SQLite and PostgreSQL: idempotent enqueue, leases, retries, limits."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine

from sightline.db.engine import make_engine
from sightline.db.migrate import upgrade
from sightline.pipeline.queue import NewTask, TaskRow, TaskStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
def store(engine: Engine, clock: Clock) -> TaskStore:
    return TaskStore(engine, max_attempts=3, backoff_base=2.0, backoff_max=60.0, clock=clock)


def test_enqueue_is_idempotent(store: TaskStore) -> None:
    first = store.enqueue("image", "image:a", {"item": "a"})
    assert first is not None
    assert store.enqueue("image", "image:a", {"item": "other"}) is None
    batch = [NewTask("image", f"image:{i}", {"i": i}) for i in range(5000)]
    assert len(store.enqueue_many(batch)) == 5000
    # the same batch again, plus one new: only the new one is inserted
    again = store.enqueue_many([*batch[:100], NewTask("image", "image:new")])
    assert len(again) == 1
    assert store.depth() == {("image", "queued"): 5002}
    row = store.by_key("image:a")
    assert row is not None and row.payload == {"item": "a"}


def test_claim_order_priority_then_fifo(store: TaskStore, clock: Clock) -> None:
    store.enqueue("image", "low-1", priority=0)
    store.enqueue("image", "high", priority=5)
    store.enqueue("image", "low-2", priority=0)
    store.enqueue("image", "later", priority=9, delay=10)  # not due yet
    store.enqueue("video", "other-kind", priority=9)
    claim = store.claim(["image"], 10, owner="w1", lease=30)
    assert [t.key for t in claim.tasks] == ["high", "low-1", "low-2"]
    assert all(t.attempts == 1 and t.lease_until == clock.now + 30 for t in claim.tasks)
    assert store.claim(["image"], 10, owner="w2", lease=30).tasks == []
    clock.advance(10)
    assert [t.key for t in store.claim(["image"], 10, owner="w2", lease=30).tasks] == ["later"]
    assert store.depth()[("image", "running")] == 4


def test_complete_needs_the_lease(store: TaskStore, clock: Clock) -> None:
    store.enqueue("image", "k")
    (task,) = store.claim(["image"], 1, owner="w1", lease=5).tasks
    assert store.heartbeat("w1", [task.id], lease=5) == {task.id}
    assert store.heartbeat("w2", [task.id], lease=5) == set()
    assert store.complete("w2", [task.id]) == 0  # not the owner
    assert store.complete("w1", [task.id]) == 1
    assert store.complete("w1", [task.id]) == 0  # already done
    done = store.get(task.id)
    assert done is not None and done.state == "done" and done.finished_at == clock.now


def test_fail_backs_off_then_dies(store: TaskStore, clock: Clock) -> None:
    store.enqueue("image", "flaky")
    for attempt in (1, 2):
        (task,) = store.claim(["image"], 1, owner="w", lease=5).tasks
        assert task.attempts == attempt
        assert store.fail("w", task.id, "boom", retryable=True) == "queued"
        row = store.get(task.id)
        assert row is not None
        full = 2.0 * 2 ** (attempt - 1)
        # equal jitter: between half and all of the exponential delay
        assert clock.now + full / 2 <= row.not_before <= clock.now + full
        assert store.claim(["image"], 1, owner="w", lease=5).tasks == []  # backing off
        clock.advance(full)
    (task,) = store.claim(["image"], 1, owner="w", lease=5).tasks
    assert task.attempts == 3
    assert store.fail("w", task.id, "boom again", retryable=True) == "dead"
    row = store.get(task.id)
    assert row is not None and row.state == "dead" and row.last_error == "boom again"
    store.enqueue("image", "bad-input")
    (task,) = store.claim(["image"], 1, owner="w", lease=5).tasks
    assert store.fail("w", task.id, "not retryable", retryable=False) == "dead"
    assert store.fail("w", task.id, "twice", retryable=False) is None  # no lease any more


def test_release_does_not_count_the_attempt(store: TaskStore) -> None:
    store.enqueue("image", "k")
    (task,) = store.claim(["image"], 1, owner="w", lease=5).tasks
    assert store.release("w", [task.id]) == 1
    (again,) = store.claim(["image"], 1, owner="w2", lease=5).tasks
    assert again.id == task.id and again.attempts == 1


def test_expired_leases_are_claimed_again_then_buried(
    store: TaskStore, clock: Clock, engine: Engine
) -> None:
    buried: list[TaskRow] = []

    def hook(conn: Connection, rows: list[TaskRow]) -> None:
        assert isinstance(conn, Connection)
        buried.extend(rows)

    store.on_dead("image", hook)
    store.enqueue("image", "crashy", {"item": "x"})
    for attempt in (1, 2, 3):
        (task,) = store.claim(["image"], 1, owner=f"w{attempt}", lease=5).tasks
        assert task.attempts == attempt
        clock.advance(6)  # the worker died: no heartbeat, no completion
        assert store.requeue_expired() == 1
    row = store.get(task.id)
    assert row is not None and row.state == "dead"
    assert row.last_error is not None and "lease expired" in row.last_error
    assert [r.payload for r in buried] == [{"item": "x"}]
    # the dead worker's late completion is refused
    assert store.complete("w3", [task.id]) == 0


def test_concurrency_cap(store: TaskStore) -> None:
    store.set_limit("image", max_running=2)
    store.enqueue_many([NewTask("image", f"k{i}") for i in range(5)])
    first = store.claim(["image"], 5, owner="a", lease=30).tasks
    assert len(first) == 2
    assert store.claim(["image"], 5, owner="b", lease=30).tasks == []
    store.complete("a", [first[0].id])
    assert len(store.claim(["image"], 5, owner="b", lease=30).tasks) == 1


def test_token_bucket(store: TaskStore, clock: Clock) -> None:
    store.set_limit("image", rate=5.0, burst=1.0)
    store.enqueue_many([NewTask("image", f"k{i}") for i in range(20)])
    store.enqueue("other", "free")
    assert len(store.claim(["image"], 10, owner="w", lease=30).tasks) == 1
    empty = store.claim(["image"], 10, owner="w", lease=30)
    assert empty.tasks == [] and empty.wait == pytest.approx(0.2)
    clock.advance(0.1)
    assert store.claim(["image"], 10, owner="w", lease=30).wait == pytest.approx(0.1)
    clock.advance(0.1)
    assert len(store.claim(["image"], 10, owner="w", lease=30).tasks) == 1
    clock.advance(10)  # the bucket holds at most `burst` tokens however long it waits
    assert len(store.claim(["image", "other"], 10, owner="w", lease=30).tasks) == 2
    (limit,) = store.limits()
    assert (limit.kind, limit.rate, limit.burst, limit.max_running) == ("image", 5.0, 1.0, None)
    store.set_limit("image")  # removed
    assert store.limits() == []
    assert len(store.claim(["image"], 100, owner="w", lease=30).tasks) == 17


def test_retry_and_purge(store: TaskStore, clock: Clock) -> None:
    store.enqueue_many([NewTask("image", f"k{i}", max_attempts=1) for i in range(3)])
    tasks = store.claim(["image"], 3, owner="w", lease=30).tasks
    store.complete("w", [tasks[0].id])
    store.fail("w", tasks[1].id, "x", retryable=True)  # max_attempts=1: dead at once
    store.fail("w", tasks[2].id, "x", retryable=False)
    assert store.depth() == {("image", "done"): 1, ("image", "dead"): 2}
    assert [t.state for t in store.list(states=["dead"])] == ["dead", "dead"]
    assert store.retry(kinds=["image"]) == 2
    assert store.depth() == {("image", "done"): 1, ("image", "queued"): 2}
    assert store.retry(ids=[tasks[0].id]) == 1  # a done task, by id
    clock.advance(100)
    (t,) = store.claim(["image"], 1, owner="w", lease=30).tasks
    store.complete("w", [t.id])
    assert store.purge(older_than=50) == 0  # completed just now
    clock.advance(100)
    assert store.purge(older_than=50) == 1
    assert store.purge(states=["queued"]) == 0  # never purges pending work
    assert sum(store.depth().values()) == 2


def test_throughput(store: TaskStore, clock: Clock) -> None:
    store.enqueue_many([NewTask("image", f"k{i}") for i in range(30)])
    tasks = store.claim(["image"], 30, owner="w", lease=30).tasks
    store.complete("w", [t.id for t in tasks])
    assert store.throughput(60) == {"image": 0.5}
    clock.advance(61)
    assert store.throughput(60) == {}


def test_cap_holds_across_concurrent_claimers(engine: Engine) -> None:
    # Real clock, real threads (each with its own connections): a cap of 1 means no two
    # tasks of the kind are ever leased at the same time.
    store = TaskStore(engine)
    store.set_limit("image", max_running=1)
    store.enqueue_many([NewTask("image", f"k{i}") for i in range(12)])
    intervals: list[tuple[float, float]] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        mine = TaskStore(engine)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tasks = mine.claim(["image"], 4, owner=name, lease=30).tasks
            if not tasks:
                if mine.depth().get(("image", "queued"), 0) == 0:
                    return
                time.sleep(0.005)
                continue
            assert len(tasks) == 1
            start = time.monotonic()
            time.sleep(0.01)
            end = time.monotonic()
            with lock:
                intervals.append((start, end))
            mine.complete(name, [tasks[0].id])

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(intervals) == 12
    intervals.sort()
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(intervals))
