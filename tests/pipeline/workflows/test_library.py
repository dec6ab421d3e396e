"""Definitions from the package and from settings, read once and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline.config import PipelineSettings
from sightline.errors import InvalidParameterError, ResourceNotFoundError
from sightline.pipeline.workflows.actions import ACTIONS
from sightline.pipeline.workflows.definition import ChoiceStep, FailStep, ParallelStep
from sightline.pipeline.workflows.library import (
    WorkflowLibrary,
    load_definition,
    packaged_names,
    workflow_names,
)
from tests.pipeline.workflows.conftest import write_definition

FLOW = """
name = "flow"
start_at = "a"
[steps.a]
type = "task"
action = "thumbnail"
end = true
"""


def test_the_image_album_workflow_is_packaged_and_valid() -> None:
    assert "image-album" in packaged_names()
    d = WorkflowLibrary(PipelineSettings(), ACTIONS).get("image-album")
    steps = {name: step for _, name, step in d.all_steps()}
    assert list(steps) == [
        "extract-metadata",
        "validate-format",
        "not-supported-image-type",
        "store-metadata",
        "analyse",
        "detect-labels",
        "thumbnail",
        "store-results",
    ]
    choice = steps["validate-format"]
    assert isinstance(choice, ChoiceStep) and choice.default == "not-supported-image-type"
    assert set(choice.choices[0].one_of or ()) >= {"jpeg", "png"}
    fail = steps["not-supported-image-type"]
    assert isinstance(fail, FailStep) and fail.error == "NotSupportedImageType"
    parallel = steps["analyse"]
    assert isinstance(parallel, ParallelStep)
    assert [b.start_at for b in parallel.branches] == ["detect-labels", "thumbnail"]


def test_configured_files_add_workflows(tmp_path: Path) -> None:
    path = write_definition(tmp_path, "flow", FLOW)
    settings = PipelineSettings(workflows={"flow": path})
    assert workflow_names(settings) == {"image-album", "flow"}
    library = WorkflowLibrary(settings, ACTIONS)
    assert library.names() == ["flow", "image-album"]
    assert library.get("flow") is library.get("flow")  # read once
    assert library.info("flow").source == str(path)


def test_unknown_workflows_and_broken_files_are_clear(tmp_path: Path) -> None:
    broken = write_definition(tmp_path, "broken", "name = 'broken'\nstart_at = \n")
    other = write_definition(tmp_path, "other", FLOW)  # calls itself "flow"
    library = WorkflowLibrary(PipelineSettings(workflows={"broken": broken, "other": other}))
    with pytest.raises(ResourceNotFoundError, match="No workflow named 'nope'"):
        library.get("nope")
    with pytest.raises(InvalidParameterError, match="is not valid TOML"):
        library.get("broken")
    with pytest.raises(InvalidParameterError, match="names itself 'flow'"):
        library.get("other")
    with pytest.raises(InvalidParameterError, match="Cannot read workflow file"):
        load_definition(tmp_path / "missing.toml")
