"""The pulled backbone as extractor, through a tiny stand-in with MobileNetV2's layout:
input 1x3x224x224, a pooled embedding, a Gemm head to 1000 ImageNet logits."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from sightline.config import Settings
from sightline.customlabels.backbone import BackboneExtractor, penultimate_graph
from sightline.customlabels.extractors import choose_extractor
from sightline.customlabels.features import HandcraftedExtractor
from sightline.customlabels.model import CustomLabelModel
from sightline.customlabels.training import train
from sightline.errors import ModelNotInstalledError
from sightline.models.registry import InstalledModel, Registry
from tests.customlabels import synthetic
from tests.customlabels.test_training import small

EMBED = 16


def stand_in(path: Path) -> bytes:
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["conv"], strides=[8, 8], kernel_shape=[8, 8]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["embedding"]),
        helper.make_node("Gemm", ["embedding", "head", "bias"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mobilenetv2_stand_in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])],
        [
            numpy_helper.from_array(rng.normal(0, 0.1, (EMBED, 3, 8, 8)).astype(np.float32), "w"),
            numpy_helper.from_array(rng.normal(0, 0.1, (EMBED, 1000)).astype(np.float32), "head"),
            numpy_helper.from_array(np.zeros(1000, np.float32), "bias"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    path.write_bytes(data)
    return data


def install(settings: Settings) -> InstalledModel:
    registry = Registry.from_settings(settings)
    folder = registry.model_dir("mobilenetv2")
    folder.mkdir(parents=True)
    data = stand_in(folder / "mobilenetv2.onnx")
    model = InstalledModel(
        name="mobilenetv2",
        task="image-classification",
        file="mobilenetv2.onnx",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        source="catalog",
        labels="imagenet1k",
        license="Apache-2.0",
        installed_at="2024-01-01T00:00:00+00:00",
        layout="imagenet",
        origin="test",
        directory=folder,
    )
    registry.write_manifest(model)
    return model


def test_head_input_becomes_an_output(tmp_path: Path) -> None:
    data, name = penultimate_graph(stand_in(tmp_path / "m.onnx"))
    outputs = [o.name for o in onnx.load_from_string(data).graph.output]
    assert outputs == ["logits", name]


def test_auto_uses_the_pulled_backbone_and_models_need_that_file(settings: Settings) -> None:
    assert isinstance(choose_extractor(settings), HandcraftedExtractor)  # nothing pulled yet
    model = install(settings)
    extractor = choose_extractor(settings)
    assert isinstance(extractor, BackboneExtractor)
    assert extractor.id == f"mobilenetv2-penultimate:{model.sha256[:16]}"
    assert extractor.dims == EMBED
    pixels = synthetic.image("dots", np.random.default_rng(1), 160)
    vector = extractor.extract(pixels)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5

    images, entries = small(6, seed=8)
    out = train(entries, None, images.read, extractor, settings)
    assert out.extractor_id == extractor.id
    loaded = CustomLabelModel(out.model, settings)
    assert loaded.extractor.id == extractor.id
    # inference computes the very features training did
    np.testing.assert_array_equal(loaded.extractor.extract(pixels), vector)
    assert len(loaded.detect(images.data[entries[0].source_ref], min_confidence=0)) == 3

    Registry.from_settings(settings).remove("mobilenetv2")
    with pytest.raises(ModelNotInstalledError, match="sightline models pull mobilenetv2"):
        CustomLabelModel(out.model, settings)
