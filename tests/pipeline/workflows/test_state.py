"""State data: paths, conditions, cause templates, trimmed records, branch merges."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sightline.pipeline.workflows.definition import Condition
from sightline.pipeline.workflows.state import (
    MISSING,
    TRUNCATED,
    get_path,
    holds,
    merge,
    render,
    set_path,
    trim,
)

STATE = {"image": {"format": {"name": "png", "size": 12}}, "flag": True, "text": "hello"}


def test_paths_read_and_write_without_changing_the_input() -> None:
    assert get_path(STATE, "$.image.format.name") == "png"
    assert get_path(STATE, "$.image.nope") is MISSING
    assert get_path(STATE, "$.text.deeper") is MISSING
    changed = set_path(STATE, "$.image.format.name", "jpeg")
    assert changed["image"]["format"]["name"] == "jpeg"
    assert STATE["image"]["format"]["name"] == "png"
    assert set_path({}, "$.a.b", 1) == {"a": {"b": 1}}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"variable": "$.image.format.name", "equals": "png"}, True),
        ({"variable": "$.image.format.name", "one_of": ["jpeg", "png"]}, True),
        ({"variable": "$.image.format.name", "one_of": ["gif"]}, False),
        ({"variable": "$.image.format.size", "greater_than": 10}, True),
        ({"variable": "$.image.format.size", "less_or_equal": 11}, False),
        ({"variable": "$.text", "greater_than": 1}, False),  # a number test on text
        ({"variable": "$.missing", "equals": "x"}, False),  # a missing value
        ({"variable": "$.missing", "is_present": False}, True),
        ({"variable": "$.flag", "equals": 1}, False),  # true is not 1
        ({"variable": "$.flag", "equals": True}, True),
        ({"variable": "$.text", "matches": "he*o"}, True),
        (
            {
                "all": [
                    {"variable": "$.flag", "equals": True},
                    {"not": {"variable": "$.text", "equals": "bye"}},
                ]
            },
            True,
        ),
        (
            {
                "any": [
                    {"variable": "$.text", "equals": "x"},
                    {"variable": "$.x", "is_present": True},
                ]
            },
            False,
        ),
    ],
)
def test_conditions(condition: dict[str, Any], expected: bool) -> None:
    assert holds(Condition.model_validate(condition), STATE) is expected


def test_condition_labels_describe_the_test() -> None:
    rule = Condition.model_validate({"variable": "$.image.format.name", "one_of": ["jpeg"]})
    assert rule.describe() == "$.image.format.name in [jpeg]"


def test_cause_templates_insert_state_values() -> None:
    text = render("a {$.image.format.name} of {$.image.format.size} bytes, {$.nope}", STATE)
    assert text == "a png of 12 bytes, null"


def test_trim_keeps_what_fits_and_says_what_it_left_out() -> None:
    big = {"small": 1, "labels": [{"Name": f"label {i}"} for i in range(500)], "doc": "x" * 5000}
    out = trim(big, 2000)
    assert len(json.dumps(out, separators=(",", ":"))) <= 2000
    assert out["small"] == 1
    assert out["labels"][0] == {"Name": "label 0"}
    assert TRUNCATED in out["labels"][-1] or TRUNCATED in out["doc"]
    assert trim({"a": 1}, 2000) == {"a": 1}


def test_branch_results_merge_into_the_state() -> None:
    base = {"item": 1, "keep": 2}
    assert merge(base, [{"item": 1, "keep": 2, "a": 3}, {"item": 1, "keep": 5, "b": 4}]) == {
        "item": 1,
        "keep": 5,
        "a": 3,
        "b": 4,
    }
