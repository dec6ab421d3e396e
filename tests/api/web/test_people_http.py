"""People pages over real HTTP with the real face models: register from an uploaded
photo, errors next to the form, add a face, face search (grace_hopper.jpg is not the
astronaut), every face of a photo, who may change whom, CSRF on every form, deletion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sightline.accounts.users import ADMIN
from sightline.config import Settings
from tests.api.face_images import astronaut_copy, two_people
from tests.api.web.images import astronaut_png, coffee_png
from tests.api.web.site import Browser, Site, running_site
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow

_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-error"[^>]*>([^<]+)</p>')
_SIMILARITY = re.compile(
    r"data-match-name>([^<]+)</a>\s*<span class=\"similarity\" data-similarity>"
    r"([0-9.]+)% similar"
)


def errors(page: httpx.Response) -> dict[str, str]:
    """Field id -> the error shown next to it."""
    return dict(_ERROR.findall(page.text))


def matches(page: httpx.Response) -> list[tuple[str, float]]:
    return [(name, float(sim)) for name, sim in _SIMILARITY.findall(page.text)]


@dataclass
class World:
    site: Site
    alice: Browser
    bob: Browser
    root: Browser
    person: str  # the astronaut, registered by alice

    def register(self, b: Browser, name: str, data: bytes, notes: str = "") -> httpx.Response:
        return b.post_form(
            "/people",
            {"name": name, "notes": notes},
            files={"photo": ("photo.png", data, "image/png")},
        )

    def search(self, b: Browser, data: bytes, **form: str) -> httpx.Response:
        return b.post_form(
            "/people/search", form, files={"photo": ("query.jpg", data, "image/jpeg")}
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("people-http")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    with running_site(settings) as site:
        for name in ("alice", "bob"):
            site.user(name)
        site.user("root", ADMIN)
        alice = site.browser("alice")
        w = World(site, alice, site.browser("bob"), site.browser("root"), "")
        created = w.register(alice, "Eileen Collins", astronaut_png(), "Shuttle commander")
        assert created.status_code == 303, errors(created)
        w.person = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
        yield w


def test_a_person_registered_from_a_photo_is_listed_with_their_face(world: World) -> None:
    page = world.bob.client.get("/people")  # everyone signed in sees the people
    assert page.status_code == 200
    assert "Eileen Collins" in page.text and "Shuttle commander" in page.text
    assert "1 face · registered by alice" in page.text
    crop = re.search(rf'src="(/people/{world.person}/faces/[0-9a-f-]+\.jpg)"', page.text)
    assert crop is not None
    picture = world.bob.client.get(crop.group(1))
    assert picture.headers["content-type"] == "image/jpeg" and picture.content[:2] == b"\xff\xd8"
    detail = world.alice.client.get(f"/people/{world.person}")
    assert "Add a face" in detail.text and "Delete Eileen Collins" in detail.text
    assert "Add a face" not in world.bob.client.get(f"/people/{world.person}").text


def test_the_uploaded_astronaut_is_found_and_grace_hopper_is_not(world: World) -> None:
    found = world.search(world.bob, astronaut_copy())
    assert found.status_code == 200
    [(name, similarity)] = matches(found)
    assert name == "Eileen Collins" and 80 <= similarity <= 100
    assert 'data-matched="true"' in found.text
    assert 'src="data:image/jpeg;base64,' in found.text  # the query, with its face box
    assert found.text.count('class="box box-match"') == 1

    nobody = world.search(world.bob, sample_bytes("grace_hopper.jpg"))
    assert nobody.status_code == 200 and matches(nobody) == []
    assert "No match." in nobody.text and 'data-matched="false"' in nobody.text
    assert nobody.text.count('class="box box-nomatch"') == 1


def test_every_face_of_a_photo_is_searched_when_asked(world: World) -> None:
    largest = world.search(world.bob, two_people())
    assert matches(largest) == []  # grace_hopper's face is the larger one
    every = world.search(world.bob, two_people(), every_face="1")
    assert [name for name, _ in matches(every)] == ["Eileen Collins"]
    assert every.text.count("<h3>Face ") == 2 and "1 of 2 faces matched" in every.text


@pytest.mark.parametrize(
    ("name", "data", "field", "message"),
    [
        ("Coffee", coffee_png(), "person-photo", "No face was found in this photo"),
        ("Two", two_people(), "person-photo", "This photo shows 2 faces"),
        ("", astronaut_png(), "person-name", "Give the person a name."),
        ("No photo", b"", "person-photo", "Choose a photo of the person"),
        ("Notes", b"hello, not an image", "person-photo", "the bytes are text, not an image"),
    ],
)
def test_a_bad_registration_shows_the_error_next_to_its_field(
    world: World, name: str, data: bytes, field: str, message: str
) -> None:
    response = world.register(world.alice, name, data)
    assert response.status_code == 400
    shown = errors(response)
    assert list(shown) == [field] and message in shown[field]
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text
    assert f'value="{name}"' in response.text  # what was typed stays
    assert "Two" not in world.alice.client.get("/people").text


def test_faces_are_added_only_when_they_look_like_the_person(world: World) -> None:
    added = world.alice.post_form(
        f"/people/{world.person}/faces",
        files={"photo": ("again.jpg", astronaut_copy(), "image/jpeg")},
    )
    assert added.status_code == 303
    assert "2 faces" in world.alice.client.get(f"/people/{world.person}").text
    refused = world.alice.post_form(
        f"/people/{world.person}/faces",
        files={"photo": ("grace.jpg", sample_bytes("grace_hopper.jpg"), "image/jpeg")},
    )
    assert refused.status_code == 400
    assert errors(refused)["face-photo"].startswith("This face does not look like Eileen Collins")
    assert "2 faces" in refused.text


def test_only_the_registrant_and_admins_may_change_a_person(world: World) -> None:
    face = ("a.jpg", astronaut_copy(), "image/jpeg")
    for path, files in [
        (f"/people/{world.person}/faces", {"photo": face}),
        (f"/people/{world.person}/delete", None),
    ]:
        refused = world.bob.post_form(path, files=files)
        assert refused.status_code == 403 and "Only alice" in refused.text
    missing = world.bob.client.get("/people/no-such-person")
    assert missing.status_code == 404 and "No person" in missing.text


def test_every_people_form_needs_its_csrf_token(world: World) -> None:
    photo = {"photo": ("a.png", astronaut_png(), "image/png")}
    for path, files in [
        ("/people", photo),
        ("/people/search", photo),
        (f"/people/{world.person}/faces", photo),
        (f"/people/{world.person}/delete", None),
    ]:
        forged = world.alice.client.post(path, data={"name": "Forged"}, files=files)
        assert forged.status_code == 403, path
        assert "security token is missing or out of date" in forged.text
    assert "Forged" not in world.alice.client.get("/people").text
    anonymous = httpx.get(f"{world.site.url}/people/search", follow_redirects=False)
    assert (
        anonymous.status_code == 303
        and "/login?next=/people/search" in anonymous.headers["location"]
    )


def test_deleting_a_person_removes_their_faces(world: World) -> None:
    created = world.register(world.bob, "Grace Hopper", sample_bytes("grace_hopper.jpg"))
    grace = created.headers["location"].split("?")[0].rsplit("/", 1)[1]
    page = world.bob.client.get(f"/people/{grace}")
    crop = re.search(rf'src="(/people/{grace}/faces/[0-9a-f-]+\.jpg)"', page.text)
    assert crop is not None
    assert [n for n, _ in matches(world.search(world.alice, sample_bytes("grace_hopper.jpg")))] == [
        "Grace Hopper"
    ]
    deleted = world.root.post_form(f"/people/{grace}/delete")  # an admin may
    assert deleted.status_code == 303 and deleted.headers["location"] == "/people?deleted=1"
    assert "Grace Hopper" not in world.bob.client.get("/people").text
    assert world.bob.client.get(crop.group(1)).status_code == 404
    assert matches(world.search(world.alice, sample_bytes("grace_hopper.jpg"))) == []
    faces = world.site.services.faces().describe_collection({"CollectionId": "people"})
    assert faces.face_count == 2  # the astronaut's two; grace's face left the index
