"""The admin dashboard over real HTTP: the queue, failures and batches as admins see
them, Retry (CSRF-checked, dead tasks only), the live fragment, the JSON API, and
everyone else refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sightline.accounts.users import ADMIN
from sightline.config import Settings
from sightline.customlabels.versions import TRAIN_KIND
from tests.api.web.queue_data import PARKED_KIND, batch_with_a_run, dead_task
from tests.api.web.site import Browser, Site, running_site


@dataclass
class World:
    site: Site
    root: Browser
    bob: Browser
    dead: int
    spare: int  # a second dead task, retried through the JSON API


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("dashboard-http")
    with running_site(Settings(data_dir=root / "data")) as site:
        site.user("root", ADMIN)
        site.user("bob")
        rt = site.runtime
        dead = dead_task(rt, "parked:1", "StorageError: the bucket 'gone' does not exist")
        spare = dead_task(rt, "parked:2", "InternalError: out of memory")
        run = batch_with_a_run(rt, "nightly")
        assert run.status == "EMPTY"
        yield World(site, site.browser("root"), site.browser("bob"), dead, spare)


def cell(page: str, kind: str, state: str) -> int:
    row = re.search(rf'<tr data-kind="{re.escape(kind)}">(.*?)</tr>', page, re.S)
    assert row is not None, kind
    found = re.search(rf'data-state="{state}">(\d+)<', row.group(1))
    assert found is not None
    return int(found.group(1))


def test_admins_see_the_queue_failures_and_batches(world: World) -> None:
    page = world.root.client.get("/dashboard")
    assert page.status_code == 200
    text = page.text
    assert cell(text, PARKED_KIND, "dead") == 2 and cell(text, PARKED_KIND, "queued") == 0
    assert cell(text, TRAIN_KIND, "queued") == 1  # the batch's version, waiting to train
    assert 'Failures to retry <span class="muted">(2)</span>' in text
    assert "StorageError: the bucket &#39;gone&#39; does not exist" in text
    assert f'action="/dashboard/tasks/{world.dead}/retry"' in text
    assert "No worker has sent a heartbeat lately" in text  # none runs in this test
    assert 'data-batch="nightly"' in text and "<td>empty</td>" in text
    assert "not loaded" in text  # an empty run never loads the model
    assert "Items by status" in text and "No video job is running." in text
    live = world.root.client.get("/dashboard/live")
    assert live.status_code == 200 and live.headers["x-live-active"] == "true"
    assert "<html" not in live.text and 'data-batch="nightly"' in live.text
    assert 'href="/dashboard"' in world.root.client.get("/albums").text  # in the admin's nav


def test_retry_queues_a_dead_task_again(world: World) -> None:
    forged = world.root.client.post(f"/dashboard/tasks/{world.dead}/retry")
    assert forged.status_code == 403 and "security token" in forged.text
    assert world.site.runtime.tasks.get(world.dead).state == "dead"  # type: ignore[union-attr]

    done = world.root.post_form(f"/dashboard/tasks/{world.dead}/retry")
    assert done.status_code == 303
    assert done.headers["location"] == f"/dashboard?retried={world.dead}#failures"
    task = world.site.runtime.tasks.get(world.dead)
    assert task is not None and (task.state, task.attempts) == ("queued", 0)
    page = world.root.client.get(done.headers["location"]).text
    assert f"Task {world.dead} is queued again." in page
    assert cell(page, PARKED_KIND, "queued") == 1

    again = world.root.post_form(f"/dashboard/tasks/{world.dead}/retry")
    assert again.status_code == 400 and "is queued, not dead" in again.text
    missing = world.root.post_form("/dashboard/tasks/999999/retry")
    assert missing.status_code == 404


def test_members_and_strangers_are_refused(world: World) -> None:
    for path in ("/dashboard", "/dashboard/live", "/api/v1/dashboard"):
        refused = world.bob.client.get(path)
        assert refused.status_code == 403, path
        assert "The dashboard is for admins." in refused.text
    assert world.bob.post_form(f"/dashboard/tasks/{world.spare}/retry").status_code == 403
    assert world.bob.api("POST", f"/api/v1/dashboard/tasks/{world.spare}/retry").status_code == 403
    assert 'href="/dashboard"' not in world.bob.client.get("/albums").text
    anonymous = httpx.get(f"{world.site.url}/dashboard", follow_redirects=False)
    assert anonymous.status_code == 303 and "/login" in anonymous.headers["location"]
    assert httpx.get(f"{world.site.url}/api/v1/dashboard").status_code == 401
    assert world.site.runtime.tasks.get(world.spare).state == "dead"  # type: ignore[union-attr]


def test_the_same_data_as_json(world: World) -> None:
    token = world.site.token()
    data = httpx.get(f"{world.site.url}/api/v1/dashboard", headers=token).json()
    assert {"queue", "throughput", "limits", "workers", "items", "video"} <= set(data)
    assert world.spare in [t["id"] for t in data["dead_tasks"]["tasks"]]
    [batch] = data["batches"]
    assert batch["batch"]["name"] == "nightly" and batch["runs"][0]["status"] == "EMPTY"

    # A session needs its CSRF header; a bearer token does not.
    path = f"/api/v1/dashboard/tasks/{world.spare}/retry"
    assert world.root.client.post(path).status_code == 403
    retried = httpx.post(f"{world.site.url}{path}", headers=token)
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    assert httpx.post(f"{world.site.url}{path}", headers=token).status_code == 400
