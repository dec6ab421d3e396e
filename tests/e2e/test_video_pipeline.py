"""Videos through the embedded pipeline, as the reference video pipeline runs them.

A clip saved under ``faces/`` in the watched bucket is sniffed as a video, becomes a
FaceDetection job (the folder names the API, JobTag the analysis), runs on a worker
process, lands at ``async/{key}-analysis/{JobTag}/response.json``, and its completion
is announced to the configured channel. The test then plays the reference's results
processor: it takes the SNS message from the webhook, pages through Get* with boto3
and writes the JSON to the output bucket.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sightline.api.app import create_app
from sightline.api.services import build_services
from sightline.config import Settings
from sightline.embedded import EmbeddedSystem
from sightline.notify.signing import verify_signature
from sightline.storage import ObjectStore
from sightline.video.jobs import jobs_of
from tests.api.live import rekognition, serve
from tests.media.videos import astronaut_scene, truncate
from tests.notify.receiver import receiving
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
SECRET = "pipeline-secret"


def results_processor(envelope: dict[str, Any], client: Any, store: ObjectStore) -> str:
    """The reference pipeline's results Lambda: SNS message -> Get* pages -> JSON."""
    message = json.loads(envelope["Message"])
    assert message["Status"] == "SUCCEEDED"
    get = {"StartFaceDetection": client.get_face_detection}[message["API"]]
    faces: list[Any] = []
    token = None
    while True:
        page = get(JobId=message["JobId"], MaxResults=2, **({"NextToken": token} if token else {}))
        faces.extend(page["Faces"])
        token = page.get("NextToken")
        if not token:
            break
    key = f"results/{message['Video']['S3ObjectName']}/{message['JobId']}.json"
    document = {"JobId": message["JobId"], "JobTag": message["JobTag"], "Faces": faces}
    store.put("output", key, json.dumps(document).encode(), content_type="application/json")
    return key


def test_a_video_dropped_in_the_bucket_runs_as_a_job_and_is_announced(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    clips.mkdir()
    scene = astronaut_scene(clips / "clip.mp4")
    broken = truncate(scene.path, clips / "broken.mp4", 0.3)
    with receiving() as receiver:
        settings = Settings(
            data_dir=tmp_path / "data",
            models={"model_dir": tmp_path / "models"},
            video={"pipeline_topic": receiver.url},
            notify={"secret": SECRET, "poll_seconds": 0.2},
            pipeline={
                "workers": 1,
                "lease_seconds": 20.0,
                "heartbeat_seconds": 1.0,
                "idle_poll_seconds": 0.1,
                "watch_quiet_seconds": 0.2,
            },
        )
        with EmbeddedSystem(settings) as system:
            rt = system.runtime
            services = build_services(settings, runtime=rt)
            key = services.keys.create(name="results-processor")
            content = settings.data_dir / "storage" / "content" / "faces"
            content.mkdir(parents=True)
            (content / "clip.mp4").write_bytes(scene.path.read_bytes())
            (content / "broken.mp4").write_bytes(broken.read_bytes())

            def settled() -> bool:
                items = rt.catalog.items(prefix="faces/", limit=10)
                return len(items) == 2 and all(i.status in ("SUCCEEDED", "FAILED") for i in items)

            wait_until(settled, 300, "both videos to settle")
            items = {i.key: i for i in rt.catalog.items(prefix="faces/", limit=10)}
            good, bad = items["faces/clip.mp4"], items["faces/broken.mp4"]
            assert (good.status, good.workflow) == ("SUCCEEDED", "video")
            assert bad.status == "FAILED" and bad.reason and bad.reason.startswith("faces: ")

            [job] = jobs_of(rt).list(item_id=good.id)
            assert (job.api, job.job_tag, job.status) == ("FaceDetection", "faces", "SUCCEEDED")
            stored = json.loads(
                rt.store.get("output", "async/faces/clip.mp4-analysis/faces/response.json")
            )
            assert stored["JobStatus"] == "SUCCEEDED" and stored["Faces"]
            assert all(1500 <= f["Timestamp"] <= 4500 for f in stored["Faces"])

            # Both jobs announce their end through the scheduler's dispatcher.
            received = receiver.wait_for(2, timeout=60)
            assert len(received) == 2
            with serve(create_app(settings, services=services)) as url:
                client = rekognition(url, key.info.access_key_id, key.secret_access_key)
                for got in received:
                    stamp = got.headers["x-sightline-timestamp"]
                    signature = got.headers["x-sightline-signature"]
                    assert verify_signature(SECRET, stamp, got.body, signature)
                    envelope = json.loads(got.body)
                    message = json.loads(envelope["Message"])
                    if message["Video"]["S3ObjectName"] == "faces/broken.mp4":
                        assert message["Status"] == "FAILED"
                        continue
                    written = results_processor(envelope, client, rt.store)
                    document = json.loads(rt.store.get("output", written))
                    assert document["Faces"] == stored["Faces"]
                    assert document["JobTag"] == "faces"
            services.close()
