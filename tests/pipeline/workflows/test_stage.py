"""The ``workflow`` stage end to end: routed items run their workflow, the item
follows the execution, crashes are recorded, queue attempts are not spent on step
retries (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sightline.analyzers.base import AnalyzerPool
from sightline.db import tx
from sightline.db.models.pipeline import Result
from sightline.pipeline.ingest import Ingestor
from sightline.pipeline.workflows.diagram import render_execution
from sightline.pipeline.workflows.engine import ActionCall
from sightline.pipeline.workflows.executions import WorkflowExecutions
from sightline.pipeline.workflows.graph import workflow_graph
from sightline.runtime import Runtime
from tests.conftest import sample_bytes
from tests.pipeline.workflows.conftest import (
    Flaky,
    drain,
    echo,
    expire_leases,
    put,
    stage_for,
    write_definition,
)

FLOW = """
name = "flow"
start_at = "first"

[steps.first]
type = "task"
action = "echo"
parameters = { step = 1 }
next = "second"

[steps.second]
type = "task"
action = "second"
end = true
retry = [{ errors = ["StorageError"], max_attempts = 3, interval_seconds = 2.0 }]
"""


class Killed(BaseException):
    """What a killed worker process does to the code it was running: it never returns."""


def crash_once(call: ActionCall) -> dict[str, Any]:
    if call.context.item.key.endswith("crash.jpg") and not getattr(crash_once, "done", False):
        crash_once.done = True  # type: ignore[attr-defined]
        raise Killed()
    return {"ok": True}


@pytest.fixture
def flow(tmp_path: Path) -> dict[str, Path]:
    return {"flow": write_definition(tmp_path, "flow", FLOW)}


def executions(rt: Runtime) -> WorkflowExecutions:
    return WorkflowExecutions(rt.engine)


@pytest.mark.parametrize("threads", [False, True], ids=["sequence", "threads"])
def test_image_album_runs_every_step_on_a_photo(
    make_runtime: Any, analyzer_pool: AnalyzerPool, threads: bool
) -> None:
    rt: Runtime = make_runtime()
    item_id = put(rt, "album/astronaut.png", sample_bytes("astronaut.png"))
    loop = drain(rt, stage_for(rt, analyzer_pool, threads=threads))
    assert loop.stats.outcomes == {"succeeded": 1}

    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.workflow) == ("SUCCEEDED", "image-album")
    assert item.media_type == "image/png" and item.attempts == 1
    task = rt.tasks.by_key(f"workflow:{item_id}")
    assert task is not None and task.state == "done"

    (execution,) = executions(rt).list(item_id=item_id)
    detail = executions(rt).describe(execution.id)
    assert (execution.status, execution.workflow, execution.error) == (
        "SUCCEEDED",
        "image-album",
        None,
    )
    assert [(s.name, s.branch, s.state) for s in detail.steps if s.branch] == [
        ("detect-labels", "analyse[0]", "SUCCEEDED"),
        ("thumbnail", "analyse[1]", "SUCCEEDED"),
    ]
    assert {s.name for s in detail.steps} == {
        "extract-metadata",
        "validate-format",
        "store-metadata",
        "analyse",
        "detect-labels",
        "thumbnail",
        "store-results",
    }
    assert all(s.state == "SUCCEEDED" and s.finished_at for s in detail.steps)
    by_name = {s.name: s for s in detail.steps}
    assert by_name["validate-format"].next_step == "store-metadata"
    assert by_name["extract-metadata"].output["image"]["format"]["name"] == "png"
    assert {"Person", "Face"} <= set(by_name["detect-labels"].output["labels"]["labels"])

    prefix = f"sync/album/astronaut.png-analysis/{item_id}/"
    response = json.loads(rt.store.get("output", prefix + "response.json"))
    assert sorted(response) == ["DetectLabels", "metadata", "thumbnail"]
    labels = {label["Name"] for label in response["DetectLabels"]["Labels"]}
    assert {"Person", "Face"} <= labels
    assert response["metadata"]["format"] == "png"
    for thumb in response["thumbnail"]["thumbnails"]:
        assert rt.store.get("output", prefix + thumb["file"])[:3] == b"\xff\xd8\xff"
    with tx.read(rt.engine) as conn:
        rows = conn.execute(
            select(Result.__table__.c.analysis, Result.__table__.c.output_key).where(
                Result.__table__.c.item_id == item_id
            )
        ).all()
    assert sorted(rows) == [
        ("labels", prefix + "labels.json"),
        ("metadata", prefix + "metadata.json"),
        ("thumbnail", prefix + "thumbnail.json"),
    ]
    svg = render_execution(
        workflow_graph(stage_for(rt, analyzer_pool).library.get("image-album")), detail
    )
    assert 'data-step="detect-labels" data-state="succeeded"' in svg
    assert 'data-step="not-supported-image-type" data-state="not-started"' in svg


def test_a_text_file_named_jpg_fails_with_not_supported_image_type(
    make_runtime: Any, analyzer_pool: AnalyzerPool
) -> None:
    rt: Runtime = make_runtime()
    # Read at upload, yet not rejected: the workflow judges the format, as the reference.
    item_id = put(rt, "album/notes.jpg", b"shopping list: eggs, milk\n")
    loop = drain(rt, stage_for(rt, analyzer_pool))
    assert loop.stats.outcomes == {"failed": 1}

    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.error) == ("FAILED", "NotSupportedImageType")
    assert item.reason == (
        "NotSupportedImageType: The bytes are text, not an image or video; image-album "
        "takes JPEG, PNG, WebP, GIF, BMP and TIFF images."
    )
    (execution,) = executions(rt).list(item_id=item_id)
    assert (execution.status, execution.error) == ("FAILED", "NotSupportedImageType")
    assert execution.cause is not None and "text, not an image or video" in execution.cause
    detail = executions(rt).describe(execution.id)
    assert [(s.name, s.state, s.next_step) for s in detail.steps] == [
        ("extract-metadata", "SUCCEEDED", "validate-format"),
        ("validate-format", "SUCCEEDED", "not-supported-image-type"),
        ("not-supported-image-type", "FAILED", None),
    ]
    assert detail.node_states["not-supported-image-type"] == "failed"
    assert list(rt.store.list("output")) == []  # nothing stored
    graph = workflow_graph(stage_for(rt, analyzer_pool).library.get("image-album"))
    svg = render_execution(graph, detail)
    assert 'data-step="not-supported-image-type" data-state="failed"' in svg
    assert "failed: NotSupportedImageType" in svg
    assert 'data-step="store-metadata" data-state="not-started"' in svg
    assert 'class="edge default taken"' in svg


def test_step_retries_do_not_spend_queue_attempts(
    make_runtime: Any, analyzer_pool: AnalyzerPool, flow: dict[str, Path]
) -> None:
    rt: Runtime = make_runtime(workflows=flow)
    item_id = put(rt, "flow/a.jpg", sample_bytes("rocket.jpg"))
    flaky = Flaky(2)
    stage = stage_for(rt, analyzer_pool, {"echo": echo, "second": flaky})
    drain(rt, stage)
    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.attempts) == ("SUCCEEDED", 1)
    task = rt.tasks.by_key(f"workflow:{item_id}")
    assert task is not None and task.attempts == 1
    (execution,) = executions(rt).list(item_id=item_id)
    second = executions(rt).describe(execution.id).steps[-1]
    assert (second.name, second.state, second.attempts) == ("second", "SUCCEEDED", 3)
    assert flaky.calls == 3
    assert stage.engine.sleep.asked == [2.0, 4.0]  # type: ignore[attr-defined]


def test_a_crashed_execution_is_marked_timed_out_by_the_next_attempt(
    make_runtime: Any, analyzer_pool: AnalyzerPool, flow: dict[str, Path]
) -> None:
    rt: Runtime = make_runtime(workflows=flow)
    item_id = put(rt, "flow/crash.jpg", sample_bytes("rocket.jpg"))
    crash_once.done = False  # type: ignore[attr-defined]
    stage = stage_for(rt, analyzer_pool, {"echo": echo, "second": crash_once})
    (task,) = rt.tasks.claim(["workflow"], 1, owner="w1", lease=60).tasks
    stage.begin([task])
    with pytest.raises(Killed):
        stage.run(task, "w1")
    (first,) = executions(rt).list(item_id=item_id)
    assert first.status == "RUNNING" and first.attempt == 1
    assert executions(rt).describe(first.id).node_states == {
        "first": "succeeded",
        "second": "running",
    }

    assert expire_leases(rt) == 1  # the worker is gone; its lease runs out
    drain(rt, stage)
    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.attempts) == ("SUCCEEDED", 2)
    old, new = executions(rt).list(item_id=item_id)
    assert old.id == first.id and (old.status, old.error) == ("TIMED_OUT", "States.Timeout")
    assert old.cause is not None and f"attempt 2 started execution {new.id}" in old.cause
    assert old.stopped_at is not None
    assert (new.status, new.attempt) == ("SUCCEEDED", 2)
    abandoned = executions(rt).describe(old.id)
    assert [(s.name, s.state, s.error) for s in abandoned.steps] == [
        ("first", "SUCCEEDED", None),
        ("second", "FAILED", "States.Timeout"),
    ]
    assert [e.type for e in executions(rt).history(old.id)][-1] == "ExecutionTimedOut"


def test_a_dead_task_fails_the_item_and_times_out_its_execution(
    make_runtime: Any, analyzer_pool: AnalyzerPool, flow: dict[str, Path]
) -> None:
    rt: Runtime = make_runtime(workflows=flow, max_attempts=1)
    item_id = put(rt, "flow/crash.jpg", sample_bytes("rocket.jpg"))
    crash_once.done = False  # type: ignore[attr-defined]
    stage = stage_for(rt, analyzer_pool, {"echo": echo, "second": crash_once})
    (task,) = rt.tasks.claim(["workflow"], 1, owner="w1", lease=60).tasks
    stage.begin([task])
    with pytest.raises(Killed):
        stage.run(task, "w1")
    expire_leases(rt)  # its last attempt: the task is buried, the hook settles the rest
    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.error) == ("FAILED", "WorkerLostError")
    (execution,) = executions(rt).list(item_id=item_id)
    assert execution.status == "TIMED_OUT" and "the task is dead" in str(execution.cause)


def test_unread_videos_are_handed_to_the_video_workflow(
    make_runtime: Any, analyzer_pool: AnalyzerPool
) -> None:
    rt: Runtime = make_runtime()
    rt.store.put("content", "album/clip.jpg", b"\x00\x00\x00\x20ftypisom" + b"\x00" * 100)
    # Trusted facts, as from an inventory: the bytes are read by the stage.
    (recorded,) = Ingestor(rt.store, rt.catalog).ingest_infos(
        [rt.store.head("content", "album/clip.jpg")], "backfill"
    )
    assert recorded.workflow == "image-album"
    assert rt.tasks.by_key(f"workflow:{recorded.item_id}") is not None
    loop = drain(rt, stage_for(rt, analyzer_pool))
    assert loop.stats.outcomes == {"handed-off": 1}
    item = rt.catalog.get(str(recorded.item_id))
    assert item is not None and (item.status, item.workflow) == ("PENDING", "video")
    assert rt.tasks.by_key(f"video:{recorded.item_id}") is not None
    assert executions(rt).list(item_id=item.id) == []


def test_an_item_whose_workflow_is_gone_fails_clearly(
    make_runtime: Any, analyzer_pool: AnalyzerPool, flow: dict[str, Path]
) -> None:
    rt: Runtime = make_runtime(workflows=flow)
    item_id = put(rt, "flow/a.jpg", sample_bytes("rocket.jpg"))
    flow["flow"].write_text("name = 'flow'\nstart_at = 'x'\n[steps.x]\ntype = 'task'\n")
    drain(rt, stage_for(rt, analyzer_pool, {"echo": echo}))
    item = rt.catalog.get(item_id)
    assert item is not None and (item.status, item.error) == ("FAILED", "InvalidParameterError")
    assert "steps.x.task.action: Field required" in str(item.reason)
