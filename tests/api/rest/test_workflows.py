"""Workflows and executions over REST: definitions as graphs, DescribeExecution with
step states, listing, history and SVG diagrams (on SQLite and PostgreSQL)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from tests.api.live import serve
from tests.pipeline.workflows.conftest import drain, stage_for


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[tuple[httpx.Client, ApiServices]]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        models={"model_dir": tmp_path / "models"},
        pipeline={"rules": [{"prefix": "album/", "workflow": "image-album"}]},
    )
    services = build_services(settings)
    token = services.tokens.create("rest").token
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        yield client, services
    services.close()


def test_an_uploaded_item_s_execution_is_described_listed_and_drawn(
    api: tuple[httpx.Client, ApiServices],
) -> None:
    client, services = api
    files = [("files", ("notes.jpg", b"not a photo at all\n", "image/jpeg"))]
    (uploaded,) = client.post("/api/v1/uploads", files=files, data={"prefix": "album/"}).json()[
        "items"
    ]
    assert (uploaded["status"], uploaded["workflow"]) == ("PENDING", "image-album")
    drain(services.runtime, stage_for(services.runtime, services.analyzers))

    page = client.get("/api/v1/executions", params={"item_id": uploaded["item_id"]}).json()
    (listed,) = page["executions"]
    assert page["next_after"] is None
    assert (listed["status"], listed["error"]) == ("FAILED", "NotSupportedImageType")

    described = client.get(f"/api/v1/executions/{listed['id']}")
    assert described.status_code == 200, described.text
    body = described.json()
    assert body["item_id"] == uploaded["item_id"] and body["workflow"] == "image-album"
    assert [(s["name"], s["state"]) for s in body["steps"]] == [
        ("extract-metadata", "SUCCEEDED"),
        ("validate-format", "SUCCEEDED"),
        ("not-supported-image-type", "FAILED"),
    ]
    assert body["node_states"] == {
        "extract-metadata": "succeeded",
        "validate-format": "succeeded",
        "not-supported-image-type": "failed",
    }
    assert body["steps"][1]["next_step"] == "not-supported-image-type"
    assert "text, not an image or video" in body["cause"]

    history = client.get(f"/api/v1/executions/{listed['id']}/history").json()
    assert history["events"][0]["type"] == "ExecutionStarted"
    assert history["events"][-1]["type"] == "ExecutionFailed"

    diagram = client.get(f"/api/v1/executions/{listed['id']}/diagram.svg")
    assert diagram.status_code == 200
    assert diagram.headers["content-type"].startswith("image/svg+xml")
    steps = {
        g.attrib["data-step"]: g.attrib["data-state"]
        for g in ET.fromstring(diagram.text).iter("{http://www.w3.org/2000/svg}g")
        if "data-step" in g.attrib
    }
    assert steps["not-supported-image-type"] == "failed"
    assert steps["detect-labels"] == "not-started"

    item = client.get(f"/api/v1/items/{uploaded['item_id']}").json()
    assert (item["status"], item["error"]) == ("FAILED", "NotSupportedImageType")
    assert client.get("/api/v1/executions", params={"status": "SUCCEEDED"}).json() == {
        "executions": [],
        "next_after": None,
    }


def test_workflows_are_listed_and_served_as_graphs(
    api: tuple[httpx.Client, ApiServices],
) -> None:
    client, _ = api
    listed = client.get("/api/v1/workflows").json()["workflows"]
    assert [(w["name"], w["source"], w["steps"]) for w in listed] == [
        ("image-album", "packaged", 8)
    ]
    graph = client.get("/api/v1/workflows/image-album").json()
    assert graph["start_at"] == "extract-metadata"
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["analyse"]["branches"] == ["detect-labels", "thumbnail"]
    assert nodes["thumbnail"]["parent"] == "analyse"
    assert {"source": "analyse", "target": "store-results", "kind": "next", "label": None} in (
        graph["edges"]
    )
    svg = client.get("/api/v1/workflows/image-album/diagram.svg")
    assert svg.status_code == 200 and 'data-step="store-results"' in svg.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/workflows/nope",
        "/api/v1/workflows/nope/diagram.svg",
        "/api/v1/executions/nope",
        "/api/v1/executions/nope/history",
        "/api/v1/executions/nope/diagram.svg",
    ],
)
def test_unknown_names_are_404(api: tuple[httpx.Client, ApiServices], path: str) -> None:
    response = api[0].get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "ResourceNotFoundException"
