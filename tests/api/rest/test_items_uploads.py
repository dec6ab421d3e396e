from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.pipeline import Result
from tests.api.live import serve
from tests.conftest import sample_bytes


class Rest:
    def __init__(self, client: httpx.Client, services: ApiServices) -> None:
        self.client = client
        self.services = services

    def upload(self, *files: tuple[str, bytes], **form: str) -> httpx.Response:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        return self.client.post("/api/v1/uploads", files=parts, data=form)


@pytest.fixture
def rest(settings: Settings) -> Iterator[Rest]:
    settings = settings.model_copy(
        update={"api": settings.api.model_copy(update={"max_images_per_request": 3})}
    )
    services = build_services(settings)
    token = services.tokens.create("rest").token
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        yield Rest(client, services)
    services.close()


def test_upload_stores_and_catalogs_each_file(rest: Rest) -> None:
    photo = sample_bytes("grace_hopper.jpg")
    response = rest.upload(("grace.jpg", photo), ("notes.txt", b"plain text"), prefix="faces/")
    assert response.status_code == 201, response.text
    grace, notes = response.json()["items"]
    assert (grace["bucket"], grace["key"]) == ("content", "faces/grace.jpg")
    assert grace["new"] and grace["status"] == "PENDING" and grace["workflow"] == "image"
    assert notes["status"] == "REJECTED" and notes["reason"]
    assert rest.services.store.get("content", "faces/grace.jpg") == photo

    again = rest.upload(("grace.jpg", photo), prefix="faces/").json()["items"][0]
    assert again["new"] is False and again["item_id"] == grace["item_id"]


def test_upload_keeps_only_the_file_name(rest: Rest) -> None:
    response = rest.upload(("../../labels/evil.jpg", sample_bytes("rocket.jpg")), prefix="faces/")
    assert response.json()["items"][0]["key"] == "faces/evil.jpg"


def test_upload_refuses_too_many_files(rest: Rest) -> None:
    response = rest.upload(*[(f"{i}.jpg", b"x") for i in range(4)])
    assert response.status_code == 400
    assert "at most 3" in response.json()["message"]


def test_upload_refuses_a_bad_bucket(rest: Rest) -> None:
    response = rest.upload(("a.jpg", b"x"), bucket="Not A Bucket")
    assert response.status_code == 400 and response.json()["code"] == "InvalidParameterException"


def test_items_are_listed_filtered_and_paged(rest: Rest) -> None:
    photo = sample_bytes("grace_hopper.jpg")
    rest.upload(("a.jpg", photo), ("b.jpg", sample_bytes("rocket.jpg")), prefix="faces/")
    rest.upload(("c.txt", b"not media"), prefix="faces/")

    listed = rest.client.get("/api/v1/items").json()
    assert len(listed["items"]) == 3 and listed["next_after"] is None
    pending = rest.client.get("/api/v1/items", params={"status": "PENDING"}).json()["items"]
    assert {i["key"] for i in pending} == {"faces/a.jpg", "faces/b.jpg"}

    first = rest.client.get("/api/v1/items", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][1]["id"]
    rest_of = rest.client.get("/api/v1/items", params={"after": first["next_after"]}).json()
    assert len(rest_of["items"]) == 1 and rest_of["next_after"] is None

    one = rest.client.get(f"/api/v1/items/{pending[0]['id']}").json()
    assert one == pending[0]


def test_results_of_an_item(rest: Rest) -> None:
    item = rest.upload(("a.jpg", sample_bytes("grace_hopper.jpg")), prefix="faces/").json()
    item_id = item["items"][0]["item_id"]
    assert rest.client.get(f"/api/v1/items/{item_id}/results").json()["results"] == []

    # What the pipeline's image stage records when the analysis is done.
    response: dict[str, Any] = {"FaceDetails": [], "OrientationCorrection": "ROTATE_0"}
    with tx.write(rest.services.engine) as conn:
        conn.execute(
            insert(Result.__table__).values(
                item_id=item_id,
                analysis="faces",
                operation="DetectFaces",
                model_version="dlib-19",
                output_bucket="output",
                output_key=f"sync/faces/a.jpg-analysis/{item_id}/response.json",
                response=response,
            )
        )
    results = rest.client.get(f"/api/v1/items/{item_id}/results").json()
    assert results["item"]["id"] == item_id
    assert results["results"][0]["operation"] == "DetectFaces"
    assert results["results"][0]["response"] == response


def test_unknown_item_is_404(rest: Rest) -> None:
    for path in ("/api/v1/items/nope", "/api/v1/items/nope/results"):
        response = rest.client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "ResourceNotFoundException"
