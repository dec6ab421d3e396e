"""Workflows under ``sightline serve``'s embedded system: real worker processes take
``workflow`` tasks by default; photos dropped into the watched folder run image-album."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sightline.config import Settings
from sightline.embedded import EmbeddedSystem
from sightline.pipeline.workflows.executions import WorkflowExecutions
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow


def test_dropped_files_run_the_image_album_workflow(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        models={"model_dir": tmp_path / "models"},
        pipeline={
            "workers": 1,
            "idle_poll_seconds": 0.05,
            "watch_quiet_seconds": 0.2,
            "rules": [{"prefix": "album/", "workflow": "image-album"}],
        },
    )
    album = settings.data_dir / "storage" / "content" / "album"
    album.mkdir(parents=True)
    with EmbeddedSystem(settings) as system:
        rt = system.runtime
        for name, data in [
            ("astronaut.png", sample_bytes("astronaut.png")),
            ("notes.jpg", b"not a photograph\n"),
        ]:
            # Whole files appear at once (a rename), as a finished copy does.
            staged = tmp_path / name
            staged.write_bytes(data)
            os.replace(staged, album / name)
        deadline = time.monotonic() + 180
        while True:
            items = rt.catalog.items(prefix="album/")
            done = all(i.status in ("SUCCEEDED", "FAILED") for i in items)
            if done and {i.key for i in items} == {"album/astronaut.png", "album/notes.jpg"}:
                break
            assert time.monotonic() < deadline, [(i.key, i.status) for i in items]
            time.sleep(0.1)
        by_key = {i.key: i for i in items}
        photo, notes = by_key["album/astronaut.png"], by_key["album/notes.jpg"]
        assert photo.status == "SUCCEEDED", photo.reason
        assert (notes.status, notes.error) == ("FAILED", "NotSupportedImageType")
        executions = WorkflowExecutions(rt.engine)
        (run,) = executions.list(item_id=photo.id)
        assert run.status == "SUCCEEDED" and run.owner is not None
        response = json.loads(
            rt.store.get("output", f"sync/album/astronaut.png-analysis/{photo.id}/response.json")
        )
        assert sorted(response) == ["DetectLabels", "metadata", "thumbnail"]
