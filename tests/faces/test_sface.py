"""A collection on the SFace model (a stand-in ONNX file with SFace's input and output),
next to a dlib one: the model is recorded per collection and never mixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from sightline.analyzers.base import AnalyzerPool
from sightline.api.rekognition.shapes import collections as shapes
from sightline.config import Settings
from sightline.errors import ModelNotInstalledError
from sightline.faces import store
from sightline.faces.service import FaceService
from tests.botocore_shapes import assert_valid_output
from tests.conftest import encode, rgb
from tests.models.installs import install_as_catalog
from tests.models.onnx_builders import channel_linear_model


def install_sface(settings: Settings, seed: int) -> None:
    weights = np.random.default_rng(seed).normal(size=(3, 128)).astype(np.float32)
    install_as_catalog(
        settings,
        "sface",
        lambda p: channel_linear_model(p, weights, size=112, input_name="data", output_name="fc1"),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'faces.db'}",
        models={"model_dir": tmp_path / "models"},
    )


def test_sface_collection(settings: Settings, analyzer_pool: AnalyzerPool) -> None:
    astronaut = {"Bytes": encode(rgb("astronaut.png"), "PNG")}
    with FaceService(settings, pool=analyzer_pool) as service:
        with pytest.raises(ModelNotInstalledError, match="models pull sface"):
            service.create_collection({"CollectionId": "s"}, face_model="sface")
        install_sface(settings, seed=1)
        created = service.create_collection({"CollectionId": "s"}, face_model="sface")
        assert created.face_model_version == "2.0"
        dlib = service.create_collection({"CollectionId": "d"})
        assert dlib.face_model_version == "1.0"

        indexed = service.index_faces({"CollectionId": "s", "Image": astronaut})
        assert_valid_output("IndexFaces", shapes.index_faces_response(indexed))
        assert indexed.indexed[0].record.face_model_version == "2.0"
        with service.ctx.read() as s:
            row = store.get_collection(s, "s")
            assert row.embedding_version.startswith("sface:")
            (face, _) = store.list_faces(s, row.id, after=None, limit=1)[0]
            vector = store.embedding_of(face, row.dim)
        assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)

        found = service.search_faces_by_image({"CollectionId": "s", "Image": astronaut})
        assert [m.face.face_id for m in found.matches] == [indexed.indexed[0].record.face_id]
        assert found.matches[0].similarity > 99.9
        assert found.face_model_version == "2.0"

    # Another SFace file (another checksum) is another vector space: refused.
    shutil.rmtree(Path(settings.models.resolved_dir()) / "sface")
    install_sface(settings, seed=2)
    with FaceService(settings, pool=analyzer_pool) as service:
        with pytest.raises(ModelNotInstalledError, match="never share a collection"):
            service.index_faces({"CollectionId": "s", "Image": astronaut})
        # the dlib collection is unaffected
        assert service.index_faces({"CollectionId": "d", "Image": astronaut}).indexed
