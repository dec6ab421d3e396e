"""Reading executions: list by item, workflow and status, page by id; describe and
history; a missing execution is a clear error (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from sightline.db import tx
from sightline.db.models.workflows import ExecutionStatus
from sightline.errors import ResourceNotFoundError
from sightline.pipeline.workflows.executions import WorkflowExecutions
from sightline.pipeline.workflows.records import ExecutionRecorder
from sightline.runtime import Runtime
from tests.pipeline.workflows.conftest import put


def test_list_filters_and_pages(make_runtime: Any) -> None:
    rt: Runtime = make_runtime()
    first = put(rt, "album/a.jpg", b"a")
    second = put(rt, "album/b.jpg", b"b")
    ids = []
    with tx.write(rt.engine) as conn:
        for item_id, workflow in [
            (first, "image-album"),
            (first, "image-album"),
            (second, "other"),
        ]:
            ids.append(ExecutionRecorder.create(conn, workflow, {"i": 1}, item_id=item_id))
    with tx.write(rt.engine) as conn:
        ExecutionRecorder(rt.engine, ids[0]).finish(
            conn, ExecutionStatus.FAILED, error="E", cause="why"
        )
    x = WorkflowExecutions(rt.engine)
    # Ids order by start time to the millisecond; these three share one.
    ordered = sorted(ids)
    assert [e.id for e in x.list()] == ordered
    assert {e.id for e in x.list(item_id=first)} == set(ids[:2])
    assert [e.id for e in x.list(workflow="other")] == ids[2:]
    assert {e.id for e in x.list(statuses=["RUNNING"])} == set(ids[1:])
    assert [e.id for e in x.list(limit=1, after_id=ordered[0])] == ordered[1:2]
    latest = x.latest(first)
    assert latest is not None and latest.id == max(ids[:2])
    failed = x.get(ids[0])
    assert (failed.status, failed.error, failed.cause) == ("FAILED", "E", "why")
    assert failed.stopped_at is not None and failed.stopped_at >= failed.started_at
    assert x.history(ids[0])[-1].type == "ExecutionFailed"


def test_a_finished_execution_is_not_settled_twice(make_runtime: Any) -> None:
    rt: Runtime = make_runtime()
    with tx.write(rt.engine) as conn:
        execution_id = ExecutionRecorder.create(conn, "image-album", {})
    recorder = ExecutionRecorder(rt.engine, execution_id)
    with tx.write(rt.engine) as conn:
        assert recorder.finish(conn, ExecutionStatus.SUCCEEDED, output={"ok": 1})
        assert not recorder.finish(conn, ExecutionStatus.FAILED, error="late")
    assert WorkflowExecutions(rt.engine).get(execution_id).status == "SUCCEEDED"


def test_unknown_executions_are_not_found(make_runtime: Any) -> None:
    x = WorkflowExecutions(make_runtime().engine)
    with pytest.raises(ResourceNotFoundError, match="No workflow execution 'nope'"):
        x.describe("nope")
    with pytest.raises(ResourceNotFoundError):
        x.history("nope")
