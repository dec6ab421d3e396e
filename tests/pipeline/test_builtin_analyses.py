"""The built-in analyses through the pipeline: Rekognition responses, metadata and
thumbnails beside them, on real images (models shared through the session pool)."""

from __future__ import annotations

import json
from pathlib import Path

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.pipeline.ingest import upload
from sightline.pipeline.outputs import analysis_prefix
from sightline.runtime import Runtime
from sightline.storage import MemoryStore
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes
from tests.pipeline.test_image_task import drain


def test_convention_and_rules_with_real_analyzers(
    tmp_path: Path, analyzer_pool: AnalyzerPool
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        pipeline={"rules": [{"prefix": "albums/", "analyses": ["metadata", "thumbnail"]}]},
    )
    rt = Runtime.open(settings, store=MemoryStore())
    rt.ensure_buckets()
    try:
        labels = upload(
            rt.store, rt.catalog, "content", "labels/a.png", sample_bytes("astronaut.png")
        )
        album = upload(rt.store, rt.catalog, "content", "albums/r.jpg", sample_bytes("rocket.jpg"))
        drain(rt, analyzer_pool)
        for rec in (labels, album):
            item = rt.catalog.get(str(rec.item_id))
            assert item is not None and item.status == "SUCCEEDED", item and item.reason

        prefix = analysis_prefix("sync/", "labels/a.png", str(labels.item_id))
        response = json.loads(rt.store.get("output", prefix + "response.json"))
        assert_valid_output("DetectLabels", response)
        assert "Person" in {label["Name"] for label in response["Labels"]}

        # Two analyses from a rule: a combined response.json, each document alone, and
        # the thumbnails as files beside them.
        prefix = analysis_prefix("sync/", "albums/r.jpg", str(album.item_id))
        combined = json.loads(rt.store.get("output", prefix + "response.json"))
        assert sorted(combined) == ["metadata", "thumbnail"]
        assert json.loads(rt.store.get("output", prefix + "metadata.json")) == combined["metadata"]
        assert combined["metadata"]["format"] == "jpeg"
        for thumb in combined["thumbnail"]["thumbnails"]:
            data = rt.store.get("output", prefix + thumb["file"])
            assert data[:3] == b"\xff\xd8\xff" and len(data) == thumb["bytes"]
        with rt.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT analysis, output_key FROM results WHERE item_id = ? ORDER BY analysis",
                (album.item_id,),
            ).all()
        assert [tuple(r) for r in rows] == [
            ("metadata", prefix + "metadata.json"),
            ("thumbnail", prefix + "thumbnail.json"),
        ]
    finally:
        rt.close()
