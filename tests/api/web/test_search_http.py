"""The library search over real HTTP, on photos analysed by the real pipeline (stages
run inline, labels and text): by tag, text, capture and upload date, and person (the
photo faces scanned on first need); only photos the user may see; errors next to the
fields; the form keeps what was asked."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.albums import PhotoFaceScan
from tests.api.face_images import astronaut_copy
from tests.api.web.images import astronaut_png, coffee_png
from tests.api.web.pipeline import drain
from tests.api.web.site import Browser, Site, running_site
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow

_HIT = re.compile(r'<span class="tile-name">([^<]+)</span>')


@dataclass
class World:
    site: Site
    alice: Browser
    bob: Browser
    photos: dict[str, str]  # file name -> photo id (alice's album)
    shared: str  # the album alice shares with bob later

    def hits(self, b: Browser, **query: str) -> list[str]:
        response = b.client.get("/search", params=query)
        assert response.status_code == 200, response.text[:300]
        return _HIT.findall(response.text)


def upload(b: Browser, album: str, *files: tuple[str, bytes]) -> list[dict[str, str]]:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    response = b.api("POST", f"/api/v1/albums/{album}/photos", files=parts)
    assert response.status_code == 201, response.text
    photos: list[dict[str, str]] = response.json()["photos"]
    return photos


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("search-http")
    settings = Settings(
        data_dir=root / "data",
        models={"model_dir": root / "models"},
        # Plain analyses with text detection, so photos can be found by their words.
        web={"album_workflow": "", "album_analyses": ["labels", "text", "metadata", "thumbnail"]},
    )
    with running_site(settings) as site:
        site.user("alice")
        site.user("bob")
        alice, bob = site.browser("alice"), site.browser("bob")
        private = alice.api("POST", "/api/v1/albums", json={"name": "Space"}).json()["id"]
        shared = alice.api("POST", "/api/v1/albums", json={"name": "Papers"}).json()["id"]
        mine = upload(
            alice, private, ("astronaut.png", astronaut_png()), ("coffee.png", coffee_png())
        )
        mine += upload(alice, shared, ("page.png", sample_bytes("page.png")))
        bobs = bob.api("POST", "/api/v1/albums", json={"name": "Bob's"}).json()["id"]
        upload(bob, bobs, ("bobs-coffee.png", coffee_png()))
        drain(site.runtime, analyzer_pool)
        yield World(site, alice, bob, {p["file_name"]: p["id"] for p in mine}, shared)


def test_a_tag_finds_the_photo_and_only_photos_the_user_may_see(world: World) -> None:
    assert world.hits(world.alice, tag="person") == ["astronaut.png"]  # any case
    assert world.hits(world.alice, tag="Face") == ["astronaut.png"]
    page = world.alice.client.get("/search", params={"tag": "Person"})
    astronaut = world.photos["astronaut.png"]
    assert 'href="/albums/' in page.text and f"/photos/{astronaut}" in page.text
    assert f"/photos/{astronaut}/thumbnail" in page.text  # the grid shows thumbnails
    assert 'value="Person"' in page.text  # the form keeps the query
    assert '<option value="Person">' in page.text  # the library's tags are suggested
    # Bob has no person in his photos, and alice's private album stays hers.
    assert world.hits(world.bob, tag="Person") == []
    assert astronaut not in world.bob.client.get("/search", params={"tag": "Person"}).text
    assert world.hits(world.alice, tag="No such tag") == []
    assert "No photos match." in world.alice.client.get("/search", params={"tag": "xyz"}).text


def test_text_read_in_a_photo_finds_it(world: World) -> None:
    page = world.alice.client.get("/search", params={"text": "SEGMENTATION"})
    assert _HIT.findall(page.text) == ["page.png"]
    assert "Region-based segmentation" in page.text  # the line that matched
    assert world.hits(world.alice, text="segmentation", tag="Person") == []  # both must hold


def test_dates_of_capture_and_of_upload(world: World) -> None:
    # astronaut.png's EXIF says 1984-02-07; the others carry no capture date.
    taken = {"date_from": "1984-01-01", "date_to": "1984-12-31"}
    assert world.hits(world.alice, **taken) == ["astronaut.png"]
    assert world.hits(world.alice, date_from="1984-02-08") == []
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    uploaded = world.hits(world.alice, date_from=today, date_to=today, date_of="uploaded")
    assert sorted(uploaded) == ["astronaut.png", "coffee.png", "page.png"]
    assert world.hits(world.alice, date_to="2000-01-01", date_of="uploaded") == []


def test_bad_dates_are_shown_next_to_their_fields(world: World) -> None:
    bad = world.alice.client.get("/search", params={"date_from": "31/12/2024"})
    assert bad.status_code == 400
    assert 'id="search-from-error">The start date must look like 2024-05-31.' in bad.text
    backwards = world.alice.client.get(
        "/search", params={"date_from": "2024-02-01", "date_to": "2024-01-01"}
    )
    assert backwards.status_code == 400
    assert 'id="search-to-error">The start date is after the end date.' in backwards.text
    unknown = world.alice.client.get("/search", params={"person": "nobody-like-this"})
    assert unknown.status_code == 400 and "is not registered" in unknown.text


def test_a_person_is_found_in_the_photos_that_show_them(world: World) -> None:
    created = world.alice.post_form(
        "/people",
        {"name": "Eileen Collins", "notes": ""},
        files={"photo": ("portrait.jpg", astronaut_copy(), "image/jpeg")},
    )
    assert created.status_code == 303
    person = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    page = world.alice.client.get("/search", params={"person": person})
    assert _HIT.findall(page.text) == ["astronaut.png"]
    similarity = re.search(r"<strong>([0-9.]+)% similar</strong>", page.text)
    assert similarity is not None and float(similarity.group(1)) >= 80
    assert "showing Eileen Collins, most similar first" in page.text
    # Scanned once: only the photo whose labels show a face was read for faces.
    with tx.read(world.site.runtime.engine) as conn:
        scanned = dict(conn.execute(select(PhotoFaceScan.photo_id, PhotoFaceScan.faces)).all())
    assert scanned == {world.photos["astronaut.png"]: 1}
    # Bob may search for the person too, but finds nothing of alice's.
    assert world.hits(world.bob, person=person) == []
    # Once shared, the album's photos are bob's to search as well (none shows her).
    assert world.alice.api("PUT", f"/api/v1/albums/{world.shared}/shares/bob").status_code == 200
    assert world.hits(world.bob, text="segmentation") == ["page.png"]
    assert world.hits(world.bob, person=person) == []


def test_search_needs_a_signed_in_user(world: World) -> None:
    anonymous = httpx.get(f"{world.site.url}/search?tag=Person", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=/search")
    empty = world.alice.client.get("/search")
    assert "Search by any of the fields above." in empty.text and _HIT.findall(empty.text) == []
