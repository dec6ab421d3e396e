"""Tiny ONNX models built in code with the real input/output layouts (no weights).

Each model's output is either a constant added to ``0 * mean(input)`` (so the graph
depends on its input, as runtimes require) or a small linear function of the input's
per-channel means, so tests know exactly what the adapter must decode.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by every supported ONNX Runtime
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _zero_of(input_name: str) -> list[onnx.NodeProto]:
    return [
        helper.make_node("ReduceMean", [input_name], ["_mean"], keepdims=0),
        helper.make_node("Mul", ["_mean", "_zero"], ["_z"]),
    ]


def constant_output_model(
    path: Path,
    output: np.ndarray,
    *,
    input_shape: tuple[int | str, ...] = (1, 3, 64, 64),  # str: a symbolic dimension
    input_name: str = "images",
    output_name: str = "output",
) -> Path:
    """A model whose single output is ``output`` whatever the (finite) input."""
    nodes = [*_zero_of(input_name), helper.make_node("Add", ["_z", "_const"], [output_name])]
    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, list(output.shape))],
        [
            numpy_helper.from_array(np.array(0, np.float32), "_zero"),
            numpy_helper.from_array(output.astype(np.float32), "_const"),
        ],
    )
    return _save(graph, path)


def channel_linear_model(
    path: Path,
    weights: np.ndarray,
    *,
    size: int = 224,
    input_name: str = "input",
    output_name: str = "logits",
) -> Path:
    """Output ``1 x C`` = (per-channel means of the 1x3xSxS input) @ ``weights`` (3 x C)."""
    nodes = [
        helper.make_node("GlobalAveragePool", [input_name], ["_pooled"]),
        helper.make_node("Flatten", ["_pooled"], ["_flat"]),
        helper.make_node("MatMul", ["_flat", "_w"], [output_name]),
    ]
    graph = helper.make_graph(
        nodes,
        "channel_linear",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, weights.shape[1]])],
        [numpy_helper.from_array(weights.astype(np.float32), "_w")],
    )
    return _save(graph, path)


def yunet_like_model(path: Path, outputs: dict[str, np.ndarray], size: int) -> Path:
    """OpenCV FaceDetectorYN's 12 outputs (cls/obj/bbox/kps at strides 8/16/32), constant."""
    nodes = _zero_of("input")
    inits = [numpy_helper.from_array(np.array(0, np.float32), "_zero")]
    outs = []
    for name, value in outputs.items():
        inits.append(numpy_helper.from_array(value.astype(np.float32), f"_c_{name}"))
        nodes.append(helper.make_node("Add", ["_z", f"_c_{name}"], [name]))
        outs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    graph = helper.make_graph(
        nodes,
        "yunet_like",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        outs,
        inits,
    )
    return _save(graph, path)
