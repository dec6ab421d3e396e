"""Fixtures for workflow tests: runtimes on SQLite and PostgreSQL, definitions written
in code, actions that fail on demand, and a worker loop run inline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.pipeline import Task
from sightline.errors import StorageError
from sightline.pipeline.ingest import upload
from sightline.pipeline.worker import WorkerLoop, WorkerRegistry
from sightline.pipeline.workflows.actions import ACTIONS
from sightline.pipeline.workflows.engine import Action, ActionCall, WorkflowEngine
from sightline.pipeline.workflows.stage import WorkflowStage
from sightline.runtime import Runtime
from sightline.storage import MemoryStore


class Flaky:
    """An action failing its first ``failures`` calls with ``error``, then returning
    ``{"calls": n}``; ``calls`` counts every call."""

    def __init__(self, failures: int, error: BaseException | None = None) -> None:
        self.failures = failures
        self.error = error or StorageError("connection reset")
        self.calls = 0

    def __call__(self, call: ActionCall) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"calls": self.calls}


def echo(call: ActionCall) -> dict[str, Any]:
    """Returns its parameters: a step whose result the test chooses."""
    return dict(call.parameters)


class Delays:
    """Stands in for ``time.sleep``: records what the engine asked to wait."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)


def write_definition(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def make_runtime(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """``make_runtime(workflows={name: path}, **pipeline)``: a runtime on the test's
    database whose rule sends ``album/`` to ``image-album`` and ``flow/`` to ``flow``."""
    made: list[Runtime] = []

    def make(workflows: dict[str, Path] | None = None, **pipeline: Any) -> Runtime:
        rules = [{"prefix": "album/", "workflow": "image-album"}]
        if workflows and "flow" in workflows:
            rules.append({"prefix": "flow/", "workflow": "flow"})
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            models={"model_dir": tmp_path / "models"},
            pipeline={"rules": rules, "workflows": workflows or {}, **pipeline},
        )
        rt = Runtime.open(settings, store=MemoryStore())
        rt.ensure_buckets()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


def stage_for(
    rt: Runtime,
    pool: AnalyzerPool,
    extra: dict[str, Action] | None = None,
    *,
    threads: bool = False,
) -> WorkflowStage:
    """The workflow stage with the built-in actions plus ``extra``; waits are recorded
    rather than slept."""
    actions = {**ACTIONS, **(extra or {})}
    engine = WorkflowEngine(actions, sleep=Delays(), threads=threads)
    return WorkflowStage(rt, pool, actions=actions, engine=engine)


def drain(rt: Runtime, stage: WorkflowStage) -> WorkerLoop:
    loop = WorkerLoop(
        rt.tasks,
        {"workflow": stage},
        owner="inline:1",
        idle_poll=0.01,
        registry=WorkerRegistry(rt.engine),
    )
    loop.run(until_idle=True)
    return loop


def put(rt: Runtime, key: str, data: bytes) -> str:
    recorded = upload(rt.store, rt.catalog, "content", key, data)
    assert recorded.item_id is not None
    return recorded.item_id


def expire_leases(rt: Runtime) -> int:
    """What a crashed worker leaves: its leases run out. Requeues (or buries) them."""
    with tx.write(rt.engine) as conn:
        conn.execute(update(Task.__table__).values(lease_until=0.0))
    return rt.tasks.requeue_expired()
