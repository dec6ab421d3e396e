"""Definition checks: each problem is refused on load with a message naming the step."""

from __future__ import annotations

from typing import Any

import pytest

from sightline.errors import InvalidParameterError
from sightline.pipeline.workflows.library import parse_definition

ACTIONS = {"work", "other"}


def task(next: str | None = None, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"type": "task", "action": "work", **extra}
    if next is None:
        step.setdefault("end", True)
    else:
        step["next"] = next
    return step


def definition(steps: dict[str, Any], start_at: str = "a") -> dict[str, Any]:
    return {"name": "flow", "start_at": start_at, "steps": steps}


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(InvalidParameterError) as caught:
        parse_definition(data, actions=ACTIONS)
    return caught.value.message


def test_a_well_formed_definition_loads() -> None:
    d = parse_definition(definition({"a": task("b"), "b": {"type": "succeed"}}), actions=ACTIONS)
    assert [name for _, name, _ in d.all_steps()] == ["a", "b"]


@pytest.mark.parametrize(
    ("steps", "start_at", "expected"),
    [
        # start_at names nothing
        ({"a": task()}, "zz", "start_at names 'zz', which is not a step of the top level"),
        # next names nothing
        ({"a": task("nowhere")}, "a", "step 'a': its next step 'nowhere' is not a step"),
        # a catcher names nothing
        (
            {"a": task(catch=[{"errors": ["States.ALL"], "next": "gone"}])},
            "a",
            "step 'a': its catch step 'gone' is not a step",
        ),
        # a step nothing leads to
        ({"a": task(), "b": task()}, "a", "step 'b': unreachable from start_at 'a'"),
        # neither next nor end
        (
            {"a": {"type": "task", "action": "work"}},
            "a",
            "step 'a': has neither next nor end = true",
        ),
        # both next and end
        ({"a": task("b", end=True), "b": task()}, "a", "step 'a': has both next and end"),
        # a loop without a wait
        (
            {
                "a": task("b"),
                "b": {
                    "type": "choice",
                    "choices": [{"variable": "$.x", "equals": 1, "next": "a"}],
                    "default": "c",
                },
                "c": {"type": "succeed"},
            },
            "a",
            "the steps a -> b -> a form a cycle with no wait step",
        ),
        # a step that cannot reach an end (a waiting loop with no way out)
        (
            {"a": task("w"), "w": {"type": "wait", "seconds": 1, "next": "a"}},
            "a",
            "step 'a': no path from it reaches an end",
        ),
        # an action nobody registered
        ({"a": {"type": "task", "action": "nope", "end": True}}, "a", "unknown action 'nope'"),
        # States.ALL must stand alone, last
        (
            {"a": task(retry=[{"errors": ["States.ALL"]}, {"errors": ["StorageError"]}])},
            "a",
            "States.ALL must be the only error of the last retry entry",
        ),
        # a cause inserting something that is not a path
        (
            {"a": {"type": "fail", "error": "E", "cause": "bad {$..x}"}},
            "a",
            "the cause inserts {$..x}, which is not a $.path",
        ),
    ],
)
def test_problems_are_refused_naming_the_step(
    steps: dict[str, Any], start_at: str, expected: str
) -> None:
    assert expected in refused(definition(steps, start_at))


def test_a_loop_through_a_wait_is_allowed() -> None:
    steps = {
        "a": task("check"),
        "check": {
            "type": "choice",
            "choices": [{"variable": "$.a.done", "equals": True, "next": "done"}],
            "default": "pause",
        },
        "pause": {"type": "wait", "seconds": 5, "next": "a"},
        "done": {"type": "succeed"},
    }
    parse_definition(definition(steps), actions=ACTIONS)


def test_branches_are_closed_and_checked_by_path() -> None:
    steps = {
        "a": {
            "type": "parallel",
            "end": True,
            "branches": [
                {"start_at": "x", "steps": {"x": task()}},
                {"start_at": "y", "steps": {"y": task("a")}},  # leaves its branch
            ],
        }
    }
    message = refused(definition(steps))
    assert "step 'y': its next step 'a' is not a step of branch a[1]" in message


def test_unreachable_steps_inside_a_branch_are_named() -> None:
    steps = {
        "a": {
            "type": "parallel",
            "end": True,
            "branches": [{"start_at": "x", "steps": {"x": task(), "lost": task()}}],
        }
    }
    assert "step 'lost': unreachable from start_at 'x' in branch a[0]" in refused(definition(steps))


def test_step_names_are_unique_across_branches() -> None:
    steps = {
        "a": {
            "type": "parallel",
            "next": "x",
            "branches": [{"start_at": "x", "steps": {"x": task()}}],
        },
        "x": task(),
    }
    assert "the step name 'x' is used twice" in refused(definition(steps))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # a typo in a key is refused, not ignored
        (definition({"a": task(nxet="b")}), "steps.a.task.nxet: Extra inputs are not permitted"),
        # an unknown step type
        (definition({"a": {"type": "map", "end": True}}), "steps.a: Input tag 'map'"),
        # a condition with two tests
        (
            definition(
                {
                    "a": {
                        "type": "choice",
                        "choices": [
                            {"variable": "$.x", "equals": 1, "is_present": True, "next": "b"}
                        ],
                    },
                    "b": {"type": "succeed"},
                }
            ),
            "a condition needs exactly one of",
        ),
        # a bad name
        ({"name": "no spaces", "start_at": "a", "steps": {"a": task()}}, "name: String should"),
    ],
)
def test_malformed_definitions_are_refused(data: dict[str, Any], expected: str) -> None:
    assert expected in refused(data)
