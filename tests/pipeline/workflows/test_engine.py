"""The interpreter: retry, catch, choice, parallel, wait, failure names; every step
change recorded (on SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from sightline.db import tx
from sightline.errors import InvalidImageFormatError, StorageError
from sightline.pipeline.workflows.engine import Action, ActionCall, Outcome, WorkflowEngine
from sightline.pipeline.workflows.executions import ExecutionDetail, WorkflowExecutions
from sightline.pipeline.workflows.library import parse_definition
from sightline.pipeline.workflows.records import ExecutionRecorder
from sightline.runtime import Runtime
from tests.pipeline.workflows.conftest import Delays, Flaky, echo


@pytest.fixture
def rt(make_runtime: Any) -> Runtime:
    runtime: Runtime = make_runtime()
    return runtime


def run(
    rt: Runtime,
    steps: dict[str, Any],
    actions: dict[str, Action],
    *,
    start_at: str = "a",
    threads: bool = True,
    **definition: Any,
) -> tuple[Outcome, ExecutionDetail, list[float]]:
    d = parse_definition(
        {"name": "flow", "start_at": start_at, "steps": steps, **definition}, actions=actions
    )
    with tx.write(rt.engine) as conn:
        execution_id = ExecutionRecorder.create(conn, "flow", {"n": 1})
    delays = Delays()
    engine = WorkflowEngine(actions, sleep=delays, threads=threads)
    outcome = engine.run(d, {"n": 1}, None, ExecutionRecorder(rt.engine, execution_id))
    return outcome, WorkflowExecutions(rt.engine).describe(execution_id), delays.asked


def retry(errors: list[str], attempts: int = 3, **extra: Any) -> dict[str, Any]:
    return {"errors": errors, "max_attempts": attempts, **extra}


def test_retries_back_off_and_then_succeed(rt: Runtime) -> None:
    flaky = Flaky(2)
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "end": True,
            "retry": [retry(["StorageError"], interval_seconds=1.5, backoff_rate=2.0)],
        }
    }
    outcome, detail, delays = run(rt, steps, {"flaky": flaky})
    assert outcome.succeeded and outcome.output == {"n": 1, "a": {"calls": 3}}
    assert delays == [1.5, 3.0]
    (step,) = detail.steps
    assert (step.state, step.attempts, step.error) == ("SUCCEEDED", 3, None)
    assert [(e["attempt"], e["error"], e["retry_in_seconds"]) for e in step.attempt_errors] == [
        (1, "StorageError", 1.5),
        (2, "StorageError", 3.0),
    ]


def test_retries_run_out_and_the_step_fails(rt: Runtime) -> None:
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "end": True,
            "retry": [retry(["StorageError"], attempts=2, interval_seconds=0, max_delay_seconds=1)],
        }
    }
    outcome, detail, delays = run(rt, steps, {"flaky": Flaky(5)})
    assert outcome.failure is not None and outcome.failure.error == "StorageError"
    assert outcome.failure.cause == "connection reset"
    (step,) = detail.steps
    assert (step.state, step.attempts) == ("FAILED", 3)
    assert len(step.attempt_errors) == 3 and step.attempt_errors[-1]["retry_in_seconds"] is None
    assert delays == [0.0, 0.0]


def test_an_error_no_retrier_names_is_not_retried(rt: Runtime) -> None:
    flaky = Flaky(1, InvalidImageFormatError("truncated"))
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "end": True,
            "retry": [retry(["StorageError"])],
        }
    }
    outcome, _, delays = run(rt, steps, {"flaky": flaky})
    assert outcome.failure is not None and outcome.failure.error == "InvalidImageFormatError"
    assert flaky.calls == 1 and delays == []


def test_catch_stores_the_error_and_goes_on(rt: Runtime) -> None:
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "next": "b",
            # an ancestor class's name matches (InvalidInputError > InvalidImageFormatError)
            "catch": [{"errors": ["InvalidInputError"], "next": "recover"}],
        },
        "b": {"type": "succeed"},
        "recover": {"type": "task", "action": "echo", "parameters": {"ok": True}, "end": True},
    }
    actions = {"flaky": Flaky(1, InvalidImageFormatError("not a PNG")), "echo": echo}
    outcome, detail, _ = run(rt, steps, actions)
    assert outcome.succeeded and outcome.output is not None
    assert outcome.output["error"] == {"Error": "InvalidImageFormatError", "Cause": "not a PNG"}
    assert [(s.name, s.state, s.next_step) for s in detail.steps] == [
        ("a", "CAUGHT", "recover"),
        ("recover", "SUCCEEDED", None),
    ]
    assert detail.node_states == {"a": "caught", "recover": "succeeded"}


def test_a_retry_exhausted_error_can_still_be_caught(rt: Runtime) -> None:
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "end": True,
            "retry": [retry(["States.ALL"], attempts=1, interval_seconds=0)],
            "catch": [{"errors": ["States.TaskFailed"], "next": "f", "result_path": "$.why"}],
        },
        "f": {"type": "fail", "error": "GaveUp", "cause": "after {$.why.Error}"},
    }
    flaky = Flaky(9)
    outcome, detail, _ = run(rt, steps, {"flaky": flaky})
    assert flaky.calls == 2
    assert outcome.failure is not None
    assert (outcome.failure.error, outcome.failure.cause) == ("GaveUp", "after StorageError")
    assert [s.state for s in detail.steps] == ["CAUGHT", "FAILED"]


def test_other_exceptions_fail_as_internal_errors(rt: Runtime) -> None:
    def broken(call: ActionCall) -> None:
        raise ValueError("bad value")

    steps = {"a": {"type": "task", "action": "broken", "end": True}}
    outcome, detail, _ = run(rt, steps, {"broken": broken})
    assert outcome.failure is not None
    assert (outcome.failure.error, outcome.failure.cause) == (
        "InternalError",
        "ValueError: bad value",
    )
    assert detail.steps[0].error == "InternalError"


def test_choices_pick_the_first_rule_that_holds(rt: Runtime) -> None:
    steps = {
        "a": {"type": "task", "action": "echo", "parameters": {"size": 12}, "next": "c"},
        "c": {
            "type": "choice",
            "choices": [
                {"variable": "$.a.size", "greater_than": 100, "next": "big"},
                {"variable": "$.a.size", "greater_than": 10, "next": "medium"},
            ],
            "default": "small",
        },
        "big": {"type": "succeed"},
        "medium": {"type": "succeed"},
        "small": {"type": "succeed"},
    }
    outcome, detail, _ = run(rt, steps, {"echo": echo})
    assert outcome.succeeded
    assert [(s.name, s.next_step) for s in detail.steps] == [
        ("a", "c"),
        ("c", "medium"),
        ("medium", None),
    ]


def test_a_choice_without_a_match_or_default_fails(rt: Runtime) -> None:
    steps = {
        "c": {
            "type": "choice",
            "choices": [{"variable": "$.n", "equals": 2, "next": "x"}],
        },
        "x": {"type": "succeed"},
    }
    outcome, _, _ = run(rt, steps, {}, start_at="c")
    assert outcome.failure is not None and outcome.failure.error == "States.NoChoiceMatched"


@pytest.mark.parametrize("threads", [True, False])
def test_parallel_branches_all_finish_and_merge(rt: Runtime, threads: bool) -> None:
    steps = {
        "p": {
            "type": "parallel",
            "next": "done",
            "branches": [
                {
                    "start_at": "x",
                    "steps": {
                        "x": {
                            "type": "task",
                            "action": "echo",
                            "parameters": {"v": 1},
                            "next": "x2",
                        },
                        "x2": {
                            "type": "task",
                            "action": "echo",
                            "parameters": {"v": 2},
                            "end": True,
                        },
                    },
                },
                {
                    "start_at": "y",
                    "steps": {
                        "y": {"type": "task", "action": "echo", "parameters": {"v": 3}, "end": True}
                    },
                },
            ],
        },
        "done": {"type": "succeed"},
    }
    outcome, detail, _ = run(rt, steps, {"echo": echo}, start_at="p", threads=threads)
    assert outcome.output == {"n": 1, "x": {"v": 1}, "x2": {"v": 2}, "y": {"v": 3}}
    branches = {s.name: s.branch for s in detail.steps}
    assert branches == {"p": "", "x": "p[0]", "x2": "p[0]", "y": "p[1]", "done": ""}
    assert all(s.state == "SUCCEEDED" for s in detail.steps)


def test_a_failing_branch_fails_the_parallel_step_and_stops_its_siblings(rt: Runtime) -> None:
    steps = {
        "p": {
            "type": "parallel",
            "end": True,
            "catch": [{"errors": ["States.ALL"], "next": "handled"}],
            "branches": [
                {
                    "start_at": "boom",
                    "steps": {"boom": {"type": "task", "action": "flaky", "end": True}},
                },
                {
                    "start_at": "y1",
                    "steps": {
                        "y1": {"type": "task", "action": "slow", "next": "y2"},
                        "y2": {"type": "task", "action": "echo", "end": True},
                    },
                },
            ],
        },
        "handled": {"type": "succeed"},
    }
    flaky = Flaky(1)

    def slow(call: ActionCall) -> dict[str, Any]:
        raise AssertionError("branches after a failed one are not started")

    outcome, detail, _ = run(
        rt, steps, {"flaky": flaky, "slow": slow, "echo": echo}, start_at="p", threads=False
    )
    assert outcome.succeeded
    states = {s.name: s.state for s in detail.steps}
    assert states == {"p": "CAUGHT", "boom": "FAILED", "handled": "SUCCEEDED"}
    assert detail.steps[0].error == "StorageError"


def test_a_waiting_loop_ends_at_the_transition_limit(rt: Runtime) -> None:
    steps = {
        "a": {"type": "task", "action": "echo", "next": "c"},
        "c": {
            "type": "choice",
            "choices": [{"variable": "$.a.done", "equals": True, "next": "ok"}],
            "default": "w",
        },
        "w": {"type": "wait", "seconds": 2, "next": "a"},
        "ok": {"type": "succeed"},
    }
    outcome, detail, delays = run(rt, steps, {"echo": echo}, max_transitions=7)
    assert outcome.failure is not None and outcome.failure.error == "States.ExceedsTransitions"
    assert delays == [2, 2]
    assert [(s.name, s.visit) for s in detail.steps][-1] == ("a", 3)


def test_retried_storage_errors_reach_the_recorded_history(rt: Runtime) -> None:
    steps = {
        "a": {
            "type": "task",
            "action": "flaky",
            "end": True,
            "retry": [retry(["StorageError"], interval_seconds=0)],
        }
    }
    _, detail, _ = run(rt, steps, {"flaky": Flaky(1, StorageError("reset"))})
    history = WorkflowExecutions(rt.engine).history(detail.execution.id)
    assert [e.type for e in history] == [
        "ExecutionStarted",
        "StepEntered",
        "StepAttemptFailed",
        "StepSucceeded",
    ]
    assert history[2].error == "StorageError" and history[2].attempt == 1
