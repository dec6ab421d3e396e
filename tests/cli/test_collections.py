"""``sightline collections ...`` end to end, on the real faces model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sightline.analyzers.base
from sightline.analyzers.base import AnalyzerPool
from sightline.cli import app
from sightline.cli.collections import external_id
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_path


@pytest.fixture
def run(tmp_path: Path, analyzer_pool: AnalyzerPool, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    # Share the session's loaded models instead of loading dlib per command.
    monkeypatch.setattr(sightline.analyzers.base, "AnalyzerPool", lambda settings: analyzer_pool)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "collections", *args])
        assert result.exit_code == code, result.output
        return result.output

    return invoke


def test_collections_cli(run) -> None:  # type: ignore[no-untyped-def]
    astronaut, grace = sample_path("astronaut.png"), sample_path("grace_hopper.jpg")
    assert "created people" in run("create", "people")
    out = run("index", "people", str(astronaut), str(grace), str(sample_path("coffee.png")))
    assert out.count("1 indexed") == 2 and "No face was detected" in out
    assert "people\t2 faces\t0 users" in run("list")
    described = json.loads(run("describe", "people", "--json"))
    assert_valid_output("DescribeCollection", described)
    assert described["FaceCount"] == 2

    found = json.loads(run("search", "people", str(grace), "--json"))
    assert_valid_output("SearchFacesByImage", found)
    assert [m["Face"]["ExternalImageId"] for m in found["FaceMatches"]] == ["grace_hopper.jpg"]
    faces = {f.split("\t")[1]: f.split("\t")[0] for f in run("faces", "people").splitlines()}

    run("users", "create", "people", "grace")
    assert "1 associated" in run("users", "associate", "people", "grace", faces["grace_hopper.jpg"])
    run("persons", "set", "people", "--user", "grace", "--name", "Grace Hopper")
    assert "Grace Hopper" in run("users", "list", "people")
    assert "Grace Hopper" in run("search", "people", str(grace))
    assert "grace" in run("users", "search", "people", str(grace))

    compared = json.loads(run("compare", str(astronaut), str(grace), "--json"))
    assert_valid_output("CompareFaces", compared)
    assert compared["FaceMatches"] == [] and len(compared["UnmatchedFaces"]) == 1

    assert "does not exist" in run("describe", "nobody", code=1)
    run("delete", "people", "--yes")
    assert "no collections" in run("list")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("photo 1.jpg", "photo_1.jpg"), ("été.png", "_t_.png"), ("a:b-c_d.png", "a:b-c_d.png")],
)
def test_file_names_become_external_image_ids(name: str, expected: str) -> None:
    assert external_id(Path(name)) == expected
