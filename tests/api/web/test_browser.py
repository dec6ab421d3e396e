"""The web app in real headless Chromium (Debian's, driven by Playwright) against a
real server with one worker process: sign in, create an album, upload by file input
and by drag-and-drop, watch both photos complete live, open the photo page, refuse a
text file, keep a private album private, refuse a form without its CSRF token, delete
a photo, and fit a phone's width. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import func, select

from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.pipeline import Item, Result
from sightline.embedded import EmbeddedSystem
from tests.api.web.images import CAMERA, NOT_AN_IMAGE, astronaut_png, coffee_png
from tests.api.web.site import PASSWORD, Site, running_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "web"
# Generous: the first photo waits for the worker process to load its models.
PROCESSING_MS = 180_000


@dataclass
class Server:
    site: Site
    url: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser")
    settings = Settings(
        data_dir=root / "data",
        models={"model_dir": root / "models"},
        pipeline={"idle_poll_seconds": 0.05, "heartbeat_seconds": 1.0, "lease_seconds": 30.0},
        web={"status_poll_seconds": 0.25},
    )
    system = EmbeddedSystem(settings, workers=1, watch=False)
    system.start()
    try:
        with running_site(settings, runtime=system.runtime) as site:
            site.user("alice")
            site.user("bob")
            yield Server(site, site.url)
    finally:
        system.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def signed_in(chromium: Browser, server: Server, user: str, **context: Any) -> Page:
    page = chromium.new_context(**context).new_page()
    page.goto(f"{server.url}/albums")
    assert "/login" in page.url
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/albums$"))
    return page


@dataclass
class Uploaded:
    album_url: str
    astronaut_url: str  # the astronaut photo's page


def drop_files(page: Page, selector: str, name: str, data: bytes, mime: str) -> None:
    """Drop a file on ``selector`` as a user dragging it from the desktop would."""
    transfer = page.evaluate_handle(
        """([name, b64, mime]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type: mime }));
            return dt;
        }""",
        [name, base64.b64encode(data).decode(), mime],
    )
    zone = page.locator(selector)
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    zone.dispatch_event("dragover", {"dataTransfer": transfer})
    zone.dispatch_event("drop", {"dataTransfer": transfer})


@pytest.fixture(scope="module")
def uploaded(
    chromium: Browser, server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Uploaded:
    """Alice's album with astronaut.png (file input) and coffee.png (dropped), processed."""
    files = tmp_path_factory.mktemp("photos")
    (files / "astronaut.png").write_bytes(astronaut_png())
    page = signed_in(chromium, server, "alice")
    assert page.get_by_text("No albums yet").is_visible()
    shot(page, "albums-empty")
    page.get_by_label("Album name").fill("Space")
    page.get_by_role("button", name="Create album").click()
    page.wait_for_url(re.compile(r"/albums/[0-9a-f]{32}$"))
    album_url = page.url
    # A marker a reload would wipe: the page must update in place.
    page.evaluate("window.__noReload = true")

    page.locator("#upload-files").set_input_files(str(files / "astronaut.png"))
    drop_files(page, "[data-dropzone]", "coffee.png", coffee_png(), "image/png")

    tiles = page.locator(".tile")
    page.wait_for_function(
        "() => document.querySelectorAll('.tile[data-state=\"completed\"]').length === 2",
        timeout=PROCESSING_MS,
    )
    assert tiles.count() == 2
    assert page.evaluate("window.__noReload") is True
    astronaut = page.locator(".tile", has_text="astronaut.png")
    # Wait for the thumbnail image to have loaded.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.tile img')]"
        ".filter((i) => i.complete && i.naturalWidth > 0).length === 2"
    )
    shot(page, "album-gallery")
    return Uploaded(album_url, astronaut.locator("a.tile-link").get_attribute("href"))


def test_both_photos_complete_live_with_tags_and_thumbnails(
    uploaded: Uploaded, chromium: Browser, server: Server
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(uploaded.album_url)
    astronaut = page.locator(".tile", has_text="astronaut.png")
    assert astronaut.get_attribute("data-state") == "completed"
    assert astronaut.locator("[data-badge]").inner_text() == "Completed"
    tags = astronaut.locator("[data-tags] li").all_inner_texts()
    assert {"Face", "Person"} & set(tags), tags
    assert astronaut.locator("img").evaluate("i => i.naturalWidth") > 0
    # The run that processed it is named: its workflow execution.
    assert re.fullmatch(r"Execution [0-9a-f]{32}", astronaut.locator("[data-run]").inner_text())
    summary = page.locator("[data-summary]").inner_text()
    assert summary.startswith("2 of 2 photos completed")


def test_the_photo_page_shows_exif_metadata_and_the_face_box(
    uploaded: Uploaded, chromium: Browser, server: Server
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(server.url + uploaded.astronaut_url)
    camera = page.locator(
        "section", has=page.get_by_role("heading", name="Camera and exposure (EXIF)")
    )
    assert f"{CAMERA['make']} {CAMERA['model']}" in camera.inner_text()
    assert "1/250 s" in camera.inner_text()
    assert (
        "Latitude"
        in page.locator(
            "section", has=page.get_by_role("heading", name="Location (GPS)")
        ).inner_text()
    )
    assert "512 x 512 px" in page.inner_text("body")
    face = page.locator("svg.overlay g.box-face rect")
    assert face.count() == 1
    box = face.bounding_box()
    image = page.locator(".frame img").bounding_box()
    # The face box lies inside the image and covers a sensible part of it.
    assert image["x"] <= box["x"] and box["x"] + box["width"] <= image["x"] + image["width"] + 1
    assert 0.05 < box["width"] / image["width"] < 0.6
    shot(page, "photo-detail")

    page.goto(f"{server.url}/albums")
    card = page.locator(".album-card", has_text="Space")
    assert card.locator("img").evaluate("i => i.complete && i.naturalWidth > 0")
    assert "alice (you)" in card.inner_text() and "2" in card.locator("dd").all_inner_texts()
    shot(page, "albums")


def test_a_text_file_named_jpg_fails_with_its_reason_shown(
    uploaded: Uploaded, chromium: Browser, server: Server, tmp_path: Path
) -> None:
    (tmp_path / "notes.jpg").write_bytes(NOT_AN_IMAGE)
    page = signed_in(chromium, server, "alice")
    page.goto(uploaded.album_url)
    page.locator("#upload-files").set_input_files(str(tmp_path / "notes.jpg"))
    notes = page.locator(".tile", has_text="notes.jpg")
    notes.and_(page.locator('[data-state="failed"]')).wait_for(timeout=PROCESSING_MS)
    reason = notes.locator("[data-reason]").inner_text()
    assert reason.startswith("NotSupportedImageType: The bytes are text, not an image")
    shot(page, "album-failed-upload")

    # Its page names the failed step and draws the workflow with that step failed.
    notes.locator("a.tile-link").click()
    page.wait_for_url(re.compile(r"/photos/[0-9a-f]{32}$"))
    assert "failed at step not-supported-image-type" in page.inner_text("body")
    diagram = page.locator("figure.diagram img")
    diagram.scroll_into_view_if_needed()
    assert diagram.evaluate("i => i.complete && i.naturalWidth > 0")
    assert page.locator(".step-failed", has_text="not-supported-image-type").count() == 1
    shot(page, "photo-failed-workflow")


def test_another_user_cannot_see_a_private_album(
    uploaded: Uploaded, chromium: Browser, server: Server
) -> None:
    page = signed_in(chromium, server, "bob")
    assert page.get_by_text("No albums yet").is_visible()
    for url in (uploaded.album_url, server.url + uploaded.astronaut_url):
        response = page.goto(url)
        assert response.status == 404
        assert page.get_by_role("heading", name="Not found").is_visible()
    album_id = uploaded.album_url.rsplit("/", 1)[1]
    photo_id = uploaded.astronaut_url.rsplit("/", 1)[1]
    for api in (
        "",
        f"/photos/{photo_id}",
        f"/photos/{photo_id}/image",
        f"/photos/{photo_id}/thumbnail",
    ):
        assert page.request.get(f"{server.url}/api/v1/albums/{album_id}{api}").status == 404
    shot(page, "private-album-refused")


def test_a_form_without_its_csrf_token_is_refused(chromium: Browser, server: Server) -> None:
    page = signed_in(chromium, server, "bob")
    page.evaluate(
        "document.querySelector('form[action=\"/albums\"] input[name=csrf_token]').remove()"
    )
    page.get_by_label("Album name").fill("Forged")
    with page.expect_response(
        lambda r: r.url.endswith("/albums") and r.request.method == "POST"
    ) as answer:
        page.get_by_role("button", name="Create album").click()
    assert answer.value.status == 403
    assert page.get_by_text("security token is missing or out of date").is_visible()
    shot(page, "csrf-refused")


def test_keyboard_and_phone_width(uploaded: Uploaded, chromium: Browser, server: Server) -> None:
    page = signed_in(
        chromium, server, "alice", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page.goto(uploaded.album_url)
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    # The file input is reachable by keyboard and labelled.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "upload-files":
            break
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Choose photos"
    shot(page, "album-phone")
    page.goto(server.url + uploaded.astronaut_url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "photo-phone")


def test_deleting_a_photo_removes_its_thumbnails_and_results(
    uploaded: Uploaded, chromium: Browser, server: Server
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(uploaded.album_url)
    coffee = page.locator(".tile", has_text="coffee.png")
    coffee.locator("a.tile-link").click()
    page.wait_for_url(re.compile(r"/photos/[0-9a-f]{32}$"))
    photo_id = page.url.rsplit("/", 1)[1]
    rt = server.site.runtime
    with tx.read(rt.engine) as conn:
        item_id, key = conn.execute(
            select(Item.id, Item.key).where(Item.key.contains(f"/{photo_id}/"))
        ).one()
    outputs = list(rt.store.list("output", f"sync/{key}-analysis/{item_id}/"))
    assert any(o.key.endswith(".jpg") for o in outputs)

    page.get_by_text("Delete this photo…").click()
    page.get_by_role("button", name="Delete the photo").click()
    page.wait_for_url(uploaded.album_url)
    assert page.locator(".tile", has_text="coffee.png").count() == 0
    assert list(rt.store.list("output", f"sync/{key}-analysis/{item_id}/")) == []
    with tx.read(rt.engine) as conn:
        assert (
            conn.execute(
                select(func.count()).select_from(Result).where(Result.item_id == item_id)
            ).scalar_one()
            == 0
        )
        assert (
            conn.execute(
                select(func.count()).select_from(Item).where(Item.id == item_id)
            ).scalar_one()
            == 0
        )
    shot(page, "album-after-delete")
