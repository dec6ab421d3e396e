"""The web app's people, search, videos and dashboard pages in real headless Chromium
(Debian's, driven by Playwright) against a real server with one worker process.

Chromium's fake camera plays a y4m file this module writes from astronaut.png, so
"register a person from the webcam" and "search from the webcam" run the real
getUserMedia -> canvas -> JPEG -> form path. Screenshots of every page go to
``test-artifacts/web/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from sightline.accounts.actor import Actor
from sightline.accounts.users import ADMIN, UserInfo
from sightline.albums.videos import owner_of
from sightline.config import Settings
from sightline.embedded import EmbeddedSystem
from sightline.video.apis import FACES, LABELS
from sightline.video.jobs import jobs_of
from tests.api.web.images import astronaut_png
from tests.api.web.queue_data import batch_with_a_run, dead_task
from tests.api.web.site import PASSWORD, Site, running_site
from tests.api.web.test_browser import CHROMIUM, CHROMIUM_ARGS, PROCESSING_MS, shot
from tests.conftest import rgb, sample_bytes
from tests.media.videos import astronaut_scene

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def write_y4m(
    path: Path, picture: np.ndarray, frames: int = 5, size: tuple[int, int] = (640, 480)
) -> Path:
    """``picture`` centred on grey, as a YUV4MPEG2 4:2:0 clip (full-range BT.601, what
    ``C420jpeg`` means), the format Chromium's fake capture device plays in a loop."""
    width, height = size
    side = min(width, height)
    canvas = np.full((height, width, 3), 128, np.uint8)
    scaled = cv2.resize(picture, (side, side), interpolation=cv2.INTER_AREA)
    x0 = (width - side) // 2
    canvas[:, x0 : x0 + side] = scaled
    r, g, b = (canvas[..., i].astype(np.float32) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b

    def plane(values: np.ndarray, sub: bool) -> bytes:
        if sub:  # 2 x 2 averages: 4:2:0
            values = values.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))
        return np.clip(np.round(values), 0, 255).astype(np.uint8).tobytes()

    frame = b"FRAME\n" + plane(y, False) + plane(cb, True) + plane(cr, True)
    header = f"YUV4MPEG2 W{width} H{height} F25:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * frames)
    return path


@dataclass
class Server:
    site: Site
    url: str
    alice: UserInfo
    video_jobs: list[str]  # alice's jobs on the astronaut clip, started at once


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-library")
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
            alice = site.user("alice")
            site.user("bob")
            site.user("root", ADMIN)
            # A video for alice's videos page, analysed by the worker meanwhile.
            rt = site.runtime
            scene = astronaut_scene(root / "astronaut.mp4")
            rt.store.ensure_bucket("clips")
            rt.store.put("clips", "astronaut.mp4", scene.path.read_bytes())
            video = {"Video": {"S3Object": {"Bucket": "clips", "Name": "astronaut.mp4"}}}
            jobs = jobs_of(rt)
            owner = owner_of(Actor(alice, "session"))
            started = [jobs.start(api, video, owner=owner) for api in (LABELS, FACES)]
            yield Server(site, site.url, alice, started)
    finally:
        system.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    camera = write_y4m(tmp_path_factory.mktemp("camera") / "astronaut.y4m", rgb("astronaut.png"))
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
            ],
        )
        yield browser
        browser.close()


def signed_in(chromium: Browser, server: Server, user: str, **context: Any) -> Page:
    page = chromium.new_context(**context).new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/albums$"))
    return page


def capture(page: Page, keyboard: bool = False) -> None:
    """Start the fake camera and take a photo (by mouse, or by keyboard alone)."""
    start = page.get_by_role("button", name="Start camera")
    if keyboard:
        start.focus()
        page.keyboard.press("Enter")
        take = page.get_by_role("button", name="Take photo")
        take.wait_for()
        page.wait_for_function("() => document.activeElement?.textContent === 'Take photo'")
        page.wait_for_function("() => document.querySelector('[data-camera-video]').videoWidth > 0")
        page.keyboard.press("Enter")
    else:
        start.click()
        page.wait_for_function("() => document.querySelector('[data-camera-video]').videoWidth > 0")
        page.get_by_role("button", name="Take photo").click()
    page.locator('[data-camera][data-captured="true"]').wait_for()
    assert page.locator("[data-camera-still]").evaluate("i => i.complete && i.naturalWidth") == 640
    assert page.locator('input[name="photo"]').evaluate("i => i.files[0].type") == "image/jpeg"


@pytest.fixture(scope="module")
def person_url(chromium: Browser, server: Server) -> str:
    """Eileen Collins, registered by alice from the webcam."""
    page = signed_in(chromium, server, "alice")
    page.goto(f"{server.url}/people")
    assert page.get_by_text("Nobody is registered yet.").is_visible()
    shot(page, "people-empty")
    page.get_by_label("Name").fill("Eileen Collins")
    page.get_by_label("Notes").fill("Commanded STS-93.")
    capture(page)
    shot(page, "people-camera-captured")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/people/[0-9a-f-]{36}\?registered=1$"))
    assert page.get_by_role("heading", name="Eileen Collins").is_visible()
    assert page.get_by_text("Eileen Collins is registered.").is_visible()
    page.locator(".face-grid img").evaluate("i => i.decode()")
    shot(page, "person")
    return page.url.split("?")[0]


def test_a_person_registered_from_the_webcam_is_listed(
    chromium: Browser, server: Server, person_url: str
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(f"{server.url}/people")
    card = page.locator(".person-card", has_text="Eileen Collins")
    assert "Commanded STS-93." in card.inner_text() and "1 face" in card.inner_text()
    face = card.locator("img.face-crop")
    face.evaluate("i => i.decode()")
    assert face.evaluate("i => i.naturalWidth") > 0
    assert card.locator("a").get_attribute("href") == person_url.removeprefix(server.url)
    shot(page, "people")


def test_the_webcam_finds_the_person_with_a_similarity(
    chromium: Browser, server: Server, person_url: str
) -> None:
    page = signed_in(chromium, server, "bob")
    page.goto(f"{server.url}/people/search")
    capture(page, keyboard=True)  # the camera works from the keyboard alone
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("[data-results]").wait_for()
    match = page.locator(".match", has_text="Eileen Collins")
    similarity = match.locator("[data-similarity]").inner_text()
    assert re.fullmatch(r"\d{2,3}\.\d% similar", similarity), similarity
    assert float(similarity.split("%")[0]) >= 80
    # The face box is drawn over the query image.
    box = page.locator("svg.overlay g.box-match rect").bounding_box()
    image = page.locator(".frame img").bounding_box()
    assert box is not None and image is not None
    assert image["x"] <= box["x"] and box["x"] + box["width"] <= image["x"] + image["width"] + 1
    shot(page, "face-search")


def test_an_uploaded_stranger_is_no_match(
    chromium: Browser, server: Server, person_url: str, tmp_path: Path
) -> None:
    grace = tmp_path / "grace_hopper.jpg"
    grace.write_bytes(sample_bytes("grace_hopper.jpg"))
    page = signed_in(chromium, server, "bob")
    page.goto(f"{server.url}/people/search")
    page.get_by_label("Choose a photo").set_input_files(str(grace))
    page.get_by_role("button", name="Search", exact=True).click()
    page.locator("[data-results]").wait_for()
    assert page.get_by_text("No match.").is_visible()
    assert page.locator(".match").count() == 0
    shot(page, "face-search-no-match")


@pytest.fixture(scope="module")
def photo_done(chromium: Browser, server: Server, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Alice's private album with astronaut.png, processed; the album's URL."""
    files = tmp_path_factory.mktemp("library")
    (files / "astronaut.png").write_bytes(astronaut_png())
    page = signed_in(chromium, server, "alice")
    page.get_by_label("Album name").fill("Space")
    page.get_by_role("button", name="Create album").click()
    page.wait_for_url(re.compile(r"/albums/[0-9a-f]{32}$"))
    page.locator("#upload-files").set_input_files(str(files / "astronaut.png"))
    page.wait_for_function(
        "() => document.querySelectorAll('.tile[data-state=\"completed\"]').length === 1",
        timeout=PROCESSING_MS,
    )
    return page.url


def test_library_search_by_tag_and_by_person(
    chromium: Browser, server: Server, photo_done: str, person_url: str
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(f"{server.url}/search")
    page.get_by_label("Tag", exact=True).fill("Person")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?tag=Person"))
    tile = page.locator(".results-grid .tile", has_text="astronaut.png")
    tile.locator("img").evaluate("i => i.decode()")
    assert tile.locator("img").evaluate("i => i.naturalWidth") > 0
    shot(page, "search-by-tag")

    page.get_by_label("Tag", exact=True).fill("")
    page.get_by_label("Person", exact=True).select_option(label="Eileen Collins")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/search\?.*person="))
    hit = page.locator(".results-grid .tile", has_text="astronaut.png")
    assert re.search(r"\d+\.\d% similar", hit.inner_text())
    hit.locator("a.tile-link").click()
    page.wait_for_url(re.compile(r"/albums/[0-9a-f]{32}/photos/[0-9a-f]{32}$"))
    shot(page, "search-by-person-opened")

    bob = signed_in(chromium, server, "bob")
    bob.goto(f"{server.url}/search?tag=Person")
    assert bob.get_by_text("No photos match.").is_visible()
    assert bob.locator(".results-grid").count() == 0


def test_the_videos_page_follows_progress_and_draws_the_timeline(
    chromium: Browser, server: Server
) -> None:
    page = signed_in(chromium, server, "alice")
    page.goto(f"{server.url}/videos")
    card = page.locator(".video-card", has_text="astronaut.mp4")
    card.wait_for()
    page.evaluate("window.__noReload = true")
    # The list refreshes itself until both jobs have finished: no reload needed.
    page.wait_for_function(
        "() => document.querySelector('.video-card')?.dataset.status === 'SUCCEEDED'",
        timeout=PROCESSING_MS,
    )
    assert page.evaluate("window.__noReload") is True
    assert card.locator('tr[data-status="SUCCEEDED"]').count() == 2
    shot(page, "videos")

    card.get_by_role("link", name="astronaut.mp4").click()
    page.wait_for_url(re.compile(r"/videos/[0-9a-f]{64}$"))
    faces = page.locator('tr[data-track="Faces"] rect')
    assert faces.count() >= 1
    first = int(faces.first.get_attribute("data-start") or -1)
    assert 1400 <= first <= 2600  # she appears at 2 s, sampled twice a second
    label = page.locator('tr[data-track="Face"][data-kind="label"] svg')
    assert "Face:" in (label.get_attribute("aria-label") or "")
    shot(page, "video-timeline")

    bob = signed_in(chromium, server, "bob")
    refused = bob.goto(page.url)
    assert refused is not None and refused.status == 404  # alice's job


def test_the_dashboard_shows_the_pipeline_and_retries_a_dead_task(
    chromium: Browser, server: Server
) -> None:
    rt = server.site.runtime
    task = dead_task(rt, "parked:browser", "StorageError: the bucket 'gone' does not exist")
    batch_with_a_run(rt, "nightly")
    page = signed_in(chromium, server, "root")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    assert page.locator("[data-workers] tbody tr").count() == 1  # the worker process
    assert page.locator("[data-queue] tbody tr").count() >= 2
    assert page.locator('[data-batch="nightly"] [data-runs] tbody tr').count() >= 1
    row = page.locator(f'tr[data-task-id="{task}"]')
    assert "the bucket 'gone' does not exist" in row.inner_text()
    shot(page, "dashboard")

    # It refreshes itself: a task that fails now shows up without a reload.
    page.evaluate("window.__noReload = true")
    later = dead_task(rt, "parked:later", "InternalError: a later failure")
    page.locator(f'tr[data-task-id="{later}"]').wait_for(timeout=30_000)
    assert page.evaluate("window.__noReload") is True

    page.locator(f'tr[data-task-id="{task}"]').get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(rf"/dashboard\?retried={task}#failures$"))
    assert page.get_by_text(f"Task {task} is queued again.").is_visible()
    assert rt.tasks.get(task).state == "queued"  # type: ignore[union-attr]
    assert page.locator(f'tr[data-task-id="{task}"]').count() == 0

    bob = signed_in(chromium, server, "bob")
    assert bob.get_by_role("link", name="Dashboard").count() == 0
    response = bob.goto(f"{server.url}/dashboard")
    assert response is not None and response.status == 403
    assert bob.get_by_role("heading", name="Not allowed").is_visible()
    shot(bob, "dashboard-refused")


@pytest.mark.parametrize(
    "path", ["/people", "/people/search", "/search?tag=Person", "/videos", "/dashboard"]
)
def test_new_pages_fit_a_phone(
    chromium: Browser, server: Server, person_url: str, path: str
) -> None:
    page = signed_in(chromium, server, "root", **PHONE)
    page.goto(f"{server.url}{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    name = path.strip("/").split("?")[0].replace("/", "-")
    shot(page, f"{name}-phone")
