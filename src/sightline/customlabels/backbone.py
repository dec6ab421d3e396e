"""The catalog's image backbone as a feature extractor: MobileNetV2's penultimate layer.

When ``mobilenetv2`` has been pulled (``sightline models pull mobilenetv2``; never
downloaded implicitly), its classifier head's input -- the globally pooled 1280-value
embedding -- is a far richer image description than hand-made features. The graph is
loaded with ``onnx``, the input of its last ``Gemm``/``MatMul`` (the head) is added as a
second graph output, and the image is prepared exactly as the ImageNet classifier
adapter prepares it (:meth:`sightline.models.adapters.classifier.ImageClassifier.pre_process`:
shorter side to 256, centre 224 crop, ImageNet mean and deviation). The vector is
L2-normalised.

The extractor's id names the model and the first 16 hex digits of its SHA-256
(``mobilenetv2-penultimate:4c34f23cd105dec2``): a version trained on it runs only with
that exact file installed, and says which command restores it otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.errors import ModelError, ModelNotInstalledError
from sightline.models.registry import InstalledModel, Registry

BACKBONE = "mobilenetv2"
SUFFIX = "-penultimate"
_HEAD_OPS = ("Gemm", "MatMul")
_FEATURES = "sightline_penultimate"


def backbone_id(model: InstalledModel) -> str:
    return f"{model.name}{SUFFIX}:{model.sha256[:16]}"


def installed_backbone(settings: Settings) -> InstalledModel | None:
    """The pulled backbone, or None (nothing is ever downloaded here)."""
    return Registry.from_settings(settings).find(BACKBONE)


def penultimate_graph(data: bytes) -> tuple[bytes, str]:
    """The model with its head's input exposed as an extra output named ``_FEATURES``.

    Raises:
        ModelError: no Gemm/MatMul produces the model's output (not a classifier).
    """
    import onnx
    from onnx import helper

    model = onnx.load_from_string(data)
    graph = model.graph
    producers = {out: node for node in graph.node for out in node.output}
    head = producers.get(graph.output[0].name)
    # Walk back through element-wise tails (Softmax, Flatten, Reshape) to the head.
    while head is not None and head.op_type not in _HEAD_OPS:
        head = producers.get(head.input[0])
    if head is None:
        raise ModelError(
            f"The backbone's output {graph.output[0].name!r} does not come from a Gemm or "
            "MatMul head; it cannot serve as a feature extractor."
        )
    features = head.input[0]
    graph.node.append(helper.make_node("Identity", [features], [_FEATURES]))
    graph.output.append(helper.make_tensor_value_info(_FEATURES, onnx.TensorProto.FLOAT, None))
    return model.SerializeToString(), _FEATURES


class BackboneExtractor:
    """Penultimate-layer features of an installed ImageNet classifier."""

    def __init__(self, model: InstalledModel, settings: Settings) -> None:
        import onnxruntime as ort

        from sightline.models.adapters.classifier import ImageClassifier

        self.model = model
        self.id = backbone_id(model)
        data, self._output = penultimate_graph(model.path.read_bytes())
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.models.intra_op_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            session: Any = ort.InferenceSession(
                data, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise ModelError(f"ONNX Runtime cannot load {model.path}: {e}") from e
        self._session = session
        self._input = session.get_inputs()[0].name
        # The adapter's own pre-processing, so features see what its classifier sees.
        self._classifier = ImageClassifier(
            session, model.label_names() or _dummy_labels(session), name=model.name
        )
        self.dims = int(self._run(np.zeros((224, 224, 3), np.uint8)).shape[0])

    def _run(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        blob = self._classifier.pre_process(pixels)
        try:
            out = self._session.run([self._output], {self._input: blob})[0]
        except Exception as e:
            raise ModelError(f"ONNX Runtime failed running {self.model.name}: {e}") from e
        return np.asarray(out, dtype=np.float32).reshape(-1)

    def extract(self, pixels: NDArray[np.uint8]) -> NDArray[np.float32]:
        """The L2-normalised penultimate vector of one RGB image."""
        v = self._run(pixels)
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    def extract_many(self, images: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
        if not images:
            return np.zeros((0, self.dims), np.float32)
        return np.stack([self.extract(p) for p in images])


def backbone_for(extractor_id: str, settings: Settings) -> BackboneExtractor:
    """The backbone extractor a model was trained with, if exactly that file is installed."""
    name, _, digest = extractor_id.partition(":")
    name = name.removesuffix(SUFFIX)
    registry = Registry.from_settings(settings)
    model = registry.find(name)
    if model is None or not model.sha256.startswith(digest):
        found = f"version {model.sha256[:16]} is installed" if model else "it is not installed"
        raise ModelNotInstalledError(
            f"The model was trained on {name} features ({digest}), but {found}; "
            f"install that file with `sightline models pull {name}`."
        )
    return BackboneExtractor(registry.get(name), settings)


def _dummy_labels(session: Any) -> tuple[str, ...]:
    shape = session.get_outputs()[0].shape
    n = shape[-1] if shape and isinstance(shape[-1], int) else 1000
    return tuple(f"class {i}" for i in range(n))
