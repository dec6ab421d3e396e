"""Album permissions over real HTTP: pages and the JSON API refuse alike.

The photo uploaded is a text file: the album workflow (run inline, no model needed)
ends it with NotSupportedImageType, so every route has a photo to be refused on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sightline.accounts.users import ADMIN
from sightline.config import Settings
from tests.api.web.images import NOT_AN_IMAGE
from tests.api.web.pipeline import drain
from tests.api.web.site import Browser, Site, running_site


@dataclass
class World:
    site: Site
    owner: Browser
    friend: Browser
    stranger: Browser
    admin: Browser
    album: str  # the owner's album, shared with friend
    photo: str
    private: str  # the owner's album shared with no one


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("albums-http")
    with running_site(Settings(data_dir=root / "data")) as site:
        for name in ("owner", "friend", "stranger"):
            site.user(name)
        site.user("boss", ADMIN)
        owner = site.browser("owner")
        album = owner.api("POST", "/api/v1/albums", json={"name": "Holidays"}).json()["id"]
        private = owner.api("POST", "/api/v1/albums", json={"name": "Private"}).json()["id"]
        assert owner.api("PUT", f"/api/v1/albums/{album}/shares/friend").status_code == 200
        uploaded = owner.api(
            "POST",
            f"/api/v1/albums/{album}/photos",
            files=[("files", ("notes.jpg", NOT_AN_IMAGE, "image/jpeg"))],
        )
        assert uploaded.status_code == 201, uploaded.text
        photo = uploaded.json()["photos"][0]["id"]
        drain(site.runtime, site.services.analyzers)
        yield World(
            site,
            owner,
            site.browser("friend"),
            site.browser("stranger"),
            site.browser("boss"),
            album,
            photo,
            private,
        )


def test_a_text_file_named_jpg_fails_with_its_reason(world: World) -> None:
    got = world.owner.client.get(f"/api/v1/albums/{world.album}").json()
    (photo,) = got["photos"]
    status = photo["status"]
    assert (status["state"], status["run_kind"]) == ("failed", "execution")
    assert status["error"] == "NotSupportedImageType"
    assert status["failed_step"] == "not-supported-image-type"
    assert "text, not an image" in status["reason"]
    page = world.owner.client.get(f"/albums/{world.album}")
    assert (
        'data-state="failed"' in page.text and "NotSupportedImageType: The bytes are" in page.text
    )

    detail = world.owner.client.get(f"/api/v1/albums/{world.album}/photos/{world.photo}").json()
    execution = detail["execution"]
    assert execution["id"] == status["run_id"] and execution["status"] == "FAILED"
    assert [(s["name"], s["state"]) for s in execution["steps"]] == [
        ("extract-metadata", "SUCCEEDED"),
        ("validate-format", "SUCCEEDED"),
        ("not-supported-image-type", "FAILED"),
    ]
    diagram = world.owner.client.get(photo["diagram_url"])
    assert diagram.headers["content-type"] == "image/svg+xml" and "<svg" in diagram.text
    assert "NotSupportedImageType" in diagram.text  # the failed step carries its error
    photo_page = world.owner.client.get(photo["page_url"]).text
    assert photo["diagram_url"] in photo_page and "failed at step" in photo_page


def _album_paths(w: World, album: str) -> list[str]:
    return [
        f"/albums/{album}",
        f"/albums/{album}/photos/{w.photo}",
        f"/api/v1/albums/{album}",
        f"/api/v1/albums/{album}/photos/{w.photo}",
        f"/api/v1/albums/{album}/photos/{w.photo}/image",
        f"/api/v1/albums/{album}/photos/{w.photo}/diagram.svg",
        f"/api/v1/albums/{album}/photos/{w.photo}/thumbnail",
        f"/api/v1/albums/{album}/events",
    ]


def test_strangers_get_404_from_pages_and_api(world: World) -> None:
    for path in _album_paths(world, world.album):
        response = world.stranger.client.get(path)
        assert response.status_code == 404, path
        # The same answer as for an album that does not exist at all.
        assert world.stranger.client.get(path.replace(world.album, "0" * 32)).status_code == 404
    assert world.stranger.client.get("/api/v1/albums").json() == []
    assert "Holidays" not in world.stranger.client.get("/albums").text
    page = world.stranger.client.get(f"/albums/{world.album}")
    assert "text/html" in page.headers["content-type"] and "No album" in page.text

    for method, path in [
        ("POST", f"/api/v1/albums/{world.album}/photos"),
        ("PATCH", f"/api/v1/albums/{world.album}"),
        ("DELETE", f"/api/v1/albums/{world.album}"),
        ("DELETE", f"/api/v1/albums/{world.album}/photos/{world.photo}"),
        ("PUT", f"/api/v1/albums/{world.album}/shares/stranger"),
    ]:
        kw = {"json": {"name": "mine now"}} if method == "PATCH" else {}
        if method == "POST":
            kw = {"files": [("files", ("x.jpg", b"x", "image/jpeg"))]}
        assert world.stranger.api(method, path, **kw).status_code == 404, (method, path)
    assert world.stranger.post_form(f"/albums/{world.album}/delete").status_code == 404


def test_a_share_is_read_only(world: World) -> None:
    friend = world.friend
    assert [a["name"] for a in friend.client.get("/api/v1/albums").json()] == ["Holidays"]
    for path in _album_paths(world, world.album)[:-2]:  # no thumbnail exists; events stream
        assert friend.client.get(path).status_code == 200, path
    detail = friend.client.get(f"/api/v1/albums/{world.album}").json()
    assert detail["album"]["can_edit"] is False
    page = friend.client.get(f"/albums/{world.album}")
    assert "View only" in page.text and "data-upload-form" not in page.text

    refused = friend.api(
        "POST",
        f"/api/v1/albums/{world.album}/photos",
        files=[("files", ("x.jpg", b"x", "image/jpeg"))],
    )
    assert refused.status_code == 403 and "read-only" in refused.json()["message"]
    gone = friend.api("DELETE", f"/api/v1/albums/{world.album}/photos/{world.photo}")
    assert gone.status_code == 403
    page_delete = friend.post_form(f"/albums/{world.album}/photos/{world.photo}/delete")
    assert page_delete.status_code == 403 and "read-only" in page_delete.text
    for path in _album_paths(world, world.private):
        assert friend.client.get(path).status_code == 404, path


def test_admins_and_tokens_see_every_album(world: World) -> None:
    names = {a["name"] for a in world.admin.client.get("/api/v1/albums").json()}
    assert names == {"Holidays", "Private"}
    assert world.admin.client.get(f"/albums/{world.private}").status_code == 200

    with world.site.browser().client as anonymous:
        assert anonymous.get("/api/v1/albums").status_code == 401
        bad = anonymous.get("/api/v1/albums", headers={"Authorization": "Bearer slt_x_y"})
        assert bad.status_code == 401
        token = world.site.token()
        listed = anonymous.get("/api/v1/albums", headers=token).json()
        assert {a["name"] for a in listed} == {"Holidays", "Private"}
        # A token is no user: an album made with it names its owner (no CSRF: no cookie).
        ownerless = anonymous.post("/api/v1/albums", json={"name": "Ops"}, headers=token)
        assert ownerless.status_code == 400 and "owner" in ownerless.json()["message"]
        made = anonymous.post(
            "/api/v1/albums", json={"name": "Ops", "owner": "friend"}, headers=token
        )
        assert made.status_code == 201 and made.json()["owner"] == "friend"


def test_members_create_only_their_own_albums(world: World) -> None:
    other = world.stranger.api("POST", "/api/v1/albums", json={"name": "X", "owner": "owner"})
    assert other.status_code == 400 and "Only admins" in other.json()["message"]
    made = world.admin.api("POST", "/api/v1/albums", json={"name": "Gift", "owner": "stranger"})
    assert made.status_code == 201 and made.json()["owner"] == "stranger"


def test_form_errors_sit_next_to_their_field(world: World) -> None:
    empty = world.owner.post_form("/albums", {"name": "   "})
    assert empty.status_code == 400
    assert 'id="field-name-error"' in empty.text and "Give the album a name" in empty.text
    share = world.owner.post_form(f"/albums/{world.album}/shares", {"username": "nobody"})
    assert share.status_code == 400 and 'id="share-username-error"' in share.text
    none = world.owner.post_form(f"/albums/{world.album}/photos")
    assert none.status_code == 400 and "Choose at least one photo" in none.text


def test_sharing_and_renaming_through_the_pages(world: World) -> None:
    w = world
    album = w.owner.api("POST", "/api/v1/albums", json={"name": "Draft"}).json()["id"]
    assert w.owner.post_form(f"/albums/{album}/shares", {"username": "Stranger"}).status_code == 303
    assert w.stranger.client.get(f"/albums/{album}").status_code == 200
    removed = w.owner.post_form(f"/albums/{album}/shares/stranger/remove")
    assert removed.status_code == 303
    assert w.stranger.client.get(f"/albums/{album}").status_code == 404
    assert w.owner.post_form(f"/albums/{album}/rename", {"name": "Final"}).status_code == 303
    assert w.owner.client.get(f"/api/v1/albums/{album}").json()["album"]["name"] == "Final"
    assert w.owner.post_form(f"/albums/{album}/delete").status_code == 303
    assert w.owner.client.get(f"/albums/{album}").status_code == 404


def test_the_albums_list_shows_owner_date_count_and_an_empty_state(world: World) -> None:
    page = world.owner.client.get("/albums").text
    assert "Holidays" in page and "owner (you)" in page and "<dd>1</dd>" in page
    fresh = world.site.browser()
    world.site.user("newcomer")
    fresh.sign_in("newcomer")
    assert "No albums yet" in fresh.client.get("/albums").text
