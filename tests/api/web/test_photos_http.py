"""Photos through the real pipeline (stages run inline): status, tags, thumbnails,
documents, the photo page, the live stream, and deletion of everything derived."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.albums import Photo
from sightline.db.models.pipeline import Item, Result, Task
from sightline.db.models.workflows import WorkflowExecution
from sightline.pipeline.outputs import analysis_prefix
from tests.api.web.images import NOT_AN_IMAGE, astronaut_png, coffee_png
from tests.api.web.pipeline import drain
from tests.api.web.site import Browser, Site, running_site
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow


@dataclass
class Album:
    site: Site
    owner: Browser
    id: str
    photos: dict[str, dict[str, Any]]  # file name -> PhotoModel after processing

    def url(self, name: str, what: str = "") -> str:
        return f"/api/v1/albums/{self.id}/photos/{self.photos[name]['id']}{what}"


def upload(b: Browser, album: str, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    response = b.api("POST", f"/api/v1/albums/{album}/photos", files=parts)
    assert response.status_code == 201, response.text
    photos: list[dict[str, Any]] = response.json()["photos"]
    return photos


@pytest.fixture(scope="module")
def album(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[Album]:
    root: Path = tmp_path_factory.mktemp("photos-http")
    with running_site(Settings(data_dir=root / "data")) as site:
        site.user("owner")
        owner = site.browser("owner")
        album_id = owner.api("POST", "/api/v1/albums", json={"name": "Space"}).json()["id"]
        uploaded = upload(
            owner,
            album_id,
            ("astronaut.png", astronaut_png()),
            ("coffee.png", coffee_png()),
            ("notes.jpg", NOT_AN_IMAGE),
        )
        assert [p["status"]["state"] for p in uploaded] == ["uploaded"] * 3
        drain(site.runtime, analyzer_pool)
        detail = owner.client.get(f"/api/v1/albums/{album_id}").json()
        yield Album(site, owner, album_id, {p["file_name"]: p for p in detail["photos"]})


def test_photos_complete_with_tags_faces_and_thumbnails(album: Album) -> None:
    astro, coffee, notes = (album.photos[n] for n in ("astronaut.png", "coffee.png", "notes.jpg"))
    assert astro["status"]["state"] == coffee["status"]["state"] == "completed"
    assert {"Face", "Person"} <= set(astro["tags"]) and astro["face_count"] == 1
    assert coffee["face_count"] == 0
    assert notes["status"]["state"] == "failed" and notes["thumbnail_url"] is None
    assert notes["status"]["error"] == "NotSupportedImageType"
    # Each ran through the album workflow: the run shown is its execution.
    assert {p["status"]["run_kind"] for p in album.photos.values()} == {"execution"}

    small = album.owner.client.get(astro["thumbnail_url"])
    large = album.owner.client.get(astro["thumbnail_url"], params={"size": "large"})
    assert small.headers["content-type"] == "image/jpeg" and small.content[:2] == b"\xff\xd8"
    assert len(large.content) > len(small.content)

    (listed,) = album.owner.client.get("/api/v1/albums").json()
    assert listed["photo_count"] == 3 and listed["cover_url"] is not None
    page = album.owner.client.get(f"/albums/{album.id}").text
    assert page.count('data-state="completed"') == 2 and "<li>Face</li>" in page


def test_the_photo_json_holds_the_stored_documents_and_boxes(album: Album) -> None:
    got = album.owner.client.get(album.url("astronaut.png")).json()
    assert {"DetectLabels", "metadata", "thumbnail"} <= set(got["documents"])
    assert got["documents"]["metadata"]["camera"]["make"] == "Hasselblad"
    assert [b["kind"] for b in got["boxes"]].count("face") == 1
    face = next(b for b in got["boxes"] if b["kind"] == "face")
    (label,) = [lb for lb in got["documents"]["DetectLabels"]["Labels"] if lb["Name"] == "Face"]
    stored = label["Instances"][0]["BoundingBox"]
    assert face["bounding_box"] == stored  # drawn from the stored answer, not recomputed
    execution = got["execution"]
    assert execution["workflow"] == "image-album" and execution["status"] == "SUCCEEDED"
    assert {"detect-labels", "thumbnail", "store-results"} <= {
        s["name"] for s in execution["steps"]
    }


def test_the_photo_page_shows_metadata_exif_gps_and_the_face_box(album: Album) -> None:
    page = album.owner.client.get(
        f"/albums/{album.id}/photos/{album.photos['astronaut.png']['id']}"
    )
    text = page.text
    for expected in (
        "Hasselblad 500EL/M",
        "Zeiss Biogon 60mm",
        "1/250 s",
        "f/5.6",
        "60 mm",
        "1984-02-07 12:30:00",
        "28.52390° N",
        "80.65081° W",
        "512 x 512 px",
        'class="box box-face"',
        "Face 1",
    ):
        assert expected in text, expected
    assert "<rect" in text and "Labels" in text


def test_the_original_file_is_served_safely(album: Album) -> None:
    png = album.owner.client.get(album.url("astronaut.png", "/image"))
    assert png.headers["content-type"] == "image/png" and png.content == astronaut_png()
    text = album.owner.client.get(album.url("notes.jpg", "/image"))
    assert text.headers["content-type"] == "application/octet-stream"
    assert text.headers["content-disposition"].startswith("attachment")
    assert text.content == NOT_AN_IMAGE


def read_events(lines: Iterator[str], want: int) -> list[tuple[str, Any]]:
    """The next ``want`` events of a stream's lines, as (event, data)."""
    events: list[tuple[str, Any]] = []
    name, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data += line[6:]
        elif line == "" and name:
            events.append((name, json.loads(data)))
            name, data = "", ""
            if len(events) == want:
                break
    return events


def test_the_live_stream_sends_a_snapshot_then_changes(album: Album) -> None:
    url = f"/api/v1/albums/{album.id}/events"
    with album.owner.client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        snapshot = read_events(lines, len(album.photos))
        states = {d["file_name"]: d["status"]["state"] for _, d in snapshot}
        assert states["astronaut.png"] == "completed" and states["notes.jpg"] == "failed"
        assert {"Face", "Person"} <= set(
            next(d for _, d in snapshot if d["file_name"] == "astronaut.png")["tags"]
        )

        # A new upload shows up on the open stream, then its progress.
        (new,) = upload(album.owner, album.id, ("more-notes.jpg", NOT_AN_IMAGE))
        ((name, data),) = read_events(lines, 1)
        assert name == "photo" and data["id"] == new["id"] and data["status"]["state"] == "uploaded"
        drain(album.site.runtime, album.site.services.analyzers)
        while data["status"]["state"] != "failed":
            ((name, data),) = read_events(lines, 1)
            assert name == "photo" and data["id"] == new["id"]
        assert data["status"]["error"] == "NotSupportedImageType"
        assert data["status"]["run_kind"] == "execution"

        assert (
            album.owner.api("DELETE", f"/api/v1/albums/{album.id}/photos/{new['id']}").status_code
            == 204
        )
        assert read_events(lines, 1) == [("removed", new["id"])]


def count(site: Site, query: Any) -> int:
    with tx.read(site.services.engine) as conn:
        return int(conn.execute(query).scalar_one())


def test_deleting_a_photo_removes_its_outputs_results_and_face_entries(album: Album) -> None:
    site, rt = album.site, album.site.runtime
    photos = upload(album.owner, album.id, ("astronaut-2.png", astronaut_png()))
    drain(rt, site.services.analyzers)
    photo_id = photos[0]["id"]
    detail = album.owner.client.get(f"/api/v1/albums/{album.id}/photos/{photo_id}").json()
    item_id = detail["photo"]["item_id"]
    with tx.read(site.services.engine) as conn:
        key = conn.execute(select(Item.key).where(Item.id == item_id)).scalar_one()
    bucket = site.services.settings.web.album_bucket
    prefix = analysis_prefix("sync/", key, item_id)
    outputs = [o.key for o in rt.store.list("output", prefix)]
    assert any(k.endswith(".jpg") for k in outputs) and any(k.endswith(".json") for k in outputs)

    # Faces indexed from the photo (and one that is not) in a collection.
    faces = site.services.faces()
    faces.create_collection({"CollectionId": "family"})
    indexed = faces.index_faces(
        {
            "CollectionId": "family",
            "Image": {"S3Object": {"Bucket": bucket, "Name": key}},
            "ExternalImageId": f"photo-{photo_id}",
        }
    )
    assert len(indexed.indexed) == 1
    faces.index_faces(
        {
            "CollectionId": "family",
            "Image": sample_bytes("grace_hopper.jpg"),
            "ExternalImageId": "grace",
        }
    )

    gone = album.owner.api("DELETE", f"/api/v1/albums/{album.id}/photos/{photo_id}")
    assert gone.status_code == 204
    assert list(rt.store.list("output", prefix)) == []
    assert [o.key for o in rt.store.list(bucket, f"{album.id}/{photo_id}/")] == []
    assert (
        count(site, select(func.count()).select_from(Result).where(Result.item_id == item_id)) == 0
    )
    assert count(site, select(func.count()).select_from(Item).where(Item.id == item_id)) == 0
    assert count(site, select(func.count()).select_from(Photo).where(Photo.id == photo_id)) == 0
    assert (
        count(site, select(func.count()).select_from(Task).where(Task.key.endswith(item_id))) == 0
    )
    executions = select(func.count()).select_from(WorkflowExecution)
    assert count(site, executions.where(WorkflowExecution.item_id == item_id)) == 0
    remaining, _ = faces.list_faces({"CollectionId": "family"})
    assert [f.external_image_id for f in remaining.items] == ["grace"]
    for path in (f"/albums/{album.id}/photos/{photo_id}", detail["photo"]["thumbnail_url"]):
        assert album.owner.client.get(path).status_code == 404


def test_a_photo_being_processed_cannot_be_deleted_yet(album: Album) -> None:
    rt = album.site.runtime
    (photo,) = upload(album.owner, album.id, ("coffee-2.png", coffee_png()))
    kinds = [k for (k, state) in rt.tasks.depth() if state == "queued"]
    claim = rt.tasks.claim(kinds, 1, owner="test:busy", lease=60)
    assert len(claim.tasks) == 1
    path = f"/api/v1/albums/{album.id}/photos/{photo['id']}"
    busy = album.owner.api("DELETE", path)
    assert busy.status_code == 400 and busy.json()["code"] == "ConflictException"
    assert "being processed" in busy.json()["message"]
    page = album.owner.post_form(f"/albums/{album.id}/photos/{photo['id']}/delete")
    assert page.status_code == 400 and 'id="photo-delete-error"' in page.text

    rt.tasks.release("test:busy", [t.id for t in claim.tasks])  # back in the queue
    assert album.owner.api("DELETE", path).status_code == 204  # its queued task goes too
    assert (
        count(
            album.site, select(func.count()).select_from(Task).where(Task.id == claim.tasks[0].id)
        )
        == 0
    )
