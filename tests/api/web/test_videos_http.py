"""The videos pages over real HTTP: an upload starts the chosen jobs for its user, the
jobs run (stages inline, real models), and the video's page draws the timeline; who
sees which job; errors next to the form; CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sightline.accounts.users import ADMIN
from sightline.albums.videos import OWNER_PREFIX
from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.video.apis import LABELS
from sightline.video.jobs import jobs_of
from tests.api.web.pipeline import drain
from tests.api.web.site import Browser, Site, running_site
from tests.media.videos import Scene, astronaut_scene

pytestmark = pytest.mark.slow

_ERROR = re.compile(r'<p class="field-error" id="([^"]+)-error"[^>]*>([^<]+)</p>')


@dataclass
class World:
    site: Site
    alice: Browser
    bob: Browser
    root: Browser
    scene: Scene
    job: str  # alice's labels job: the video's page
    api_job: str  # a job started through the Rekognition API (no web user)

    def upload(self, b: Browser, name: str, data: bytes, *analyses: str) -> object:
        return b.post_form(
            "/videos",
            {"analyses": list(analyses)},  # type: ignore[dict-item]
            files={"video": (name, data, "video/mp4")},
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("videos-http")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    scene = astronaut_scene(root / "astronaut.mp4")
    with running_site(settings) as site:
        alice_user = site.user("alice")
        site.user("bob")
        site.user("root", ADMIN)
        alice = site.browser("alice")
        created = alice.post_form(
            "/videos",
            {"analyses": ["labels", "faces", "people"]},  # type: ignore[dict-item]
            files={"video": ("astronaut.mp4", scene.path.read_bytes(), "video/mp4")},
        )
        assert created.status_code == 303, _ERROR.findall(created.text)
        job = created.headers["location"].rsplit("/", 1)[1]
        jobs = jobs_of(site.runtime)
        started = jobs.get(job)
        assert started.owner == f"{OWNER_PREFIX}{alice_user.id}"
        # The same video analysed through the Rekognition API: an operator's job.
        api_job = jobs.start(
            LABELS, {"Video": {"S3Object": {"Bucket": started.bucket, "Name": started.name}}}
        )
        world = World(site, alice, site.browser("bob"), site.browser("root"), scene, job, api_job)
        waiting = alice.client.get("/videos")
        assert waiting.text.count('data-status="IN_PROGRESS"') == 4  # the card, 3 jobs
        assert alice.client.get("/videos/live").headers["x-live-active"] == "true"
        drain(site.runtime, analyzer_pool)
        yield world


def test_an_upload_starts_one_job_per_analysis_for_its_user(world: World) -> None:
    jobs = jobs_of(world.site.runtime)
    first = jobs.get(world.job)
    mine = [j for j in jobs.list() if j.owner == first.owner]
    assert sorted((j.api, j.job_tag) for j in mine) == [
        ("FaceDetection", "faces"),
        ("LabelDetection", "labels"),
        ("PersonTracking", "people"),
    ]
    assert {j.status for j in mine} == {"SUCCEEDED"}
    assert first.bucket == "albums" and re.fullmatch(
        r"videos/[0-9a-f]{32}/astronaut\.mp4", first.name
    )
    page = world.alice.client.get("/videos")
    assert "astronaut.mp4" in page.text and page.text.count('data-status="SUCCEEDED"') == 4
    assert world.alice.client.get("/videos/live").headers["x-live-active"] == "false"


def test_the_video_page_draws_labels_faces_and_people_over_time(world: World) -> None:
    page = world.alice.client.get(f"/videos/{world.job}")
    assert page.status_code == 200
    text = page.text
    assert "data-timeline" in text
    for group in ("Labels", "Faces", "People tracked"):
        assert f'data-group="{group}"' in text
    # The face is on screen from 2 s to 4 s: the Faces row covers that, not the rest.
    faces = re.search(r'<tr data-track="Faces" data-kind="face">(.*?)</tr>', text, re.S)
    assert faces is not None
    spans = [
        (int(a), int(b))
        for a, b in re.findall(r'data-start="(\d+)" data-end="(\d+)"', faces.group(1))
    ]
    assert world.scene.face_interval is not None
    start, end = world.scene.face_interval
    assert spans and spans[0][0] >= (start - 0.6) * 1000 and spans[-1][1] <= (end + 0.6) * 1000
    assert sum(b - a for a, b in spans) >= 1000
    # Labels come from the job's SEGMENTS records: the Face label while she is shown.
    label = re.search(r'<tr data-track="Face" data-kind="label">(.*?)</tr>', text, re.S)
    assert label is not None
    [(a, b)] = re.findall(r'data-start="(\d+)" data-end="(\d+)"', label.group(1))
    assert abs(int(a) - start * 1000) <= 600 and abs(int(b) - end * 1000) <= 600
    # HOG's pedestrian detector sees no body in a head-and-shoulders crop: said so.
    people = re.search(r'data-group="People tracked">(.*?)</tbody>', text, re.S)
    assert people is not None and "No people were tracked." in people.group(1)
    assert text.count("<tr data-job-id=") == 3  # alice's three jobs, not the operator's


def test_jobs_are_seen_by_their_user_and_admins_only(world: World) -> None:
    assert "No videos yet." in world.bob.client.get("/videos").text
    for path in (f"/videos/{world.job}", f"/videos/{world.job}/live", f"/videos/{world.api_job}"):
        refused = world.bob.client.get(path)
        assert refused.status_code == 404 and "No job with JobId" in refused.text
    assert world.alice.client.get(f"/videos/{world.api_job}").status_code == 404
    admin = world.root.client.get(f"/videos/{world.job}")
    assert admin.status_code == 200 and admin.text.count("<tr data-job-id=") == 4
    assert world.root.client.get(f"/videos/{world.api_job}").status_code == 200


@pytest.mark.parametrize(
    ("name", "data", "analyses", "field", "message"),
    [
        ("notes.mp4", b"Just some text.\n", ["labels"], "video-file", "is not a video"),
        ("clip.mp4", None, [], "analyses", "Choose at least one analysis"),
        ("clip.mp4", None, ["face-search"], "analyses", "Nobody is registered yet"),
        ("", b"", ["labels"], "video-file", "Choose a video file"),
    ],
)
def test_a_bad_upload_shows_why_next_to_the_field(
    world: World, name: str, data: bytes | None, analyses: list[str], field: str, message: str
) -> None:
    body = world.scene.path.read_bytes() if data is None else data
    response = world.upload(world.bob, name, body, *analyses)
    assert response.status_code == 400  # type: ignore[attr-defined]
    shown = dict(_ERROR.findall(response.text))  # type: ignore[attr-defined]
    assert field in shown and message in shown[field], shown
    assert "No videos yet." in world.bob.client.get("/videos").text


def test_the_upload_form_needs_its_csrf_token(world: World) -> None:
    forged = world.bob.client.post(
        "/videos",
        data={"analyses": "labels"},
        files={"video": ("clip.mp4", world.scene.path.read_bytes(), "video/mp4")},
    )
    assert forged.status_code == 403 and "security token" in forged.text
    assert "No videos yet." in world.bob.client.get("/videos").text
