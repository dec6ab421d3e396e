"""Runtime sessions: the one seam between adapters and an inference engine.

:class:`ModelSession` has ONNX Runtime's own shape (``run``, ``get_inputs``,
``get_outputs``), so an ``onnxruntime.InferenceSession`` satisfies it as is and a new
execution provider is one new class. Adapters only ever see this protocol, which lets
them be tested against :class:`StaticSession`, a fake that returns fixed tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sightline.config import Settings
from sightline.errors import ModelError

Dim = int | str | None  # a static size, a symbolic name, or unknown


class NodeArg(Protocol):
    """An input or output of a model: ``onnxruntime.NodeArg``'s shape."""

    @property
    def name(self) -> str: ...

    @property
    def shape(self) -> Sequence[Dim]: ...

    @property
    def type(self) -> str: ...


class ModelSession(Protocol):
    """What adapters call. ``run(None, feed)`` returns every output, in order."""

    def run(
        self, output_names: Sequence[str] | None, input_feed: Mapping[str, NDArray[Any]]
    ) -> list[NDArray[Any]]: ...

    def get_inputs(self) -> Sequence[NodeArg]: ...

    def get_outputs(self) -> Sequence[NodeArg]: ...


@dataclass(frozen=True)
class Node:
    """A plain :class:`NodeArg`, for fakes and for describing layouts."""

    name: str
    shape: Sequence[Dim]
    type: str = "tensor(float)"


class OrtSession:
    """An ONNX Runtime session on the CPU provider.

    One intra-op thread by default (``settings.models.intra_op_threads``): worker
    processes give the parallelism, and more threads per session would only contend.
    Load and run failures become :class:`ModelError` naming the file.
    """

    def __init__(self, path: Path, settings: Settings) -> None:
        import onnxruntime as ort

        self.path = path
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.models.intra_op_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors only: ORT's warnings are not ours to show
        try:
            self._session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # ORT raises its own untyped exceptions
            raise ModelError(f"ONNX Runtime cannot load {path}: {e}") from e

    def run(
        self, output_names: Sequence[str] | None, input_feed: Mapping[str, NDArray[Any]]
    ) -> list[NDArray[Any]]:
        try:
            names = list(output_names) if output_names is not None else None
            return list(self._session.run(names, dict(input_feed)))
        except Exception as e:
            raise ModelError(f"ONNX Runtime failed running {self.path.name}: {e}") from e

    def get_inputs(self) -> Sequence[NodeArg]:
        return list(self._session.get_inputs())

    def get_outputs(self) -> Sequence[NodeArg]:
        return list(self._session.get_outputs())


class StaticSession:
    """A fake session: fixed inputs/outputs, and a function computing the outputs.

    ``compute`` receives the input feed and returns the outputs; it defaults to returning
    ``outputs`` as given. Every call's feed is kept in ``calls`` for assertions.
    """

    def __init__(
        self,
        inputs: Sequence[Node],
        outputs: Sequence[Node],
        values: Sequence[NDArray[Any]] = (),
        compute: Callable[[Mapping[str, NDArray[Any]]], list[NDArray[Any]]] | None = None,
    ) -> None:
        self._inputs = list(inputs)
        self._outputs = list(outputs)
        self._values = [np.asarray(v) for v in values]
        self._compute = compute
        self.calls: list[dict[str, NDArray[Any]]] = []

    def run(
        self, output_names: Sequence[str] | None, input_feed: Mapping[str, NDArray[Any]]
    ) -> list[NDArray[Any]]:
        self.calls.append(dict(input_feed))
        values = self._compute(input_feed) if self._compute else list(self._values)
        if output_names is None:
            return values
        index = {o.name: i for i, o in enumerate(self._outputs)}
        return [values[index[n]] for n in output_names]

    def get_inputs(self) -> Sequence[NodeArg]:
        return list(self._inputs)

    def get_outputs(self) -> Sequence[NodeArg]:
        return list(self._outputs)


def load_session(path: Path, settings: Settings) -> ModelSession:
    """The default runtime for an ONNX file: ONNX Runtime on the CPU."""
    return OrtSession(path, settings)


def input_hw(session: ModelSession, default: tuple[int, int]) -> tuple[int, int]:
    """(height, width) of a 1x3xHxW image input; symbolic sides take ``default``."""
    shape = list(session.get_inputs()[0].shape)
    if len(shape) != 4:
        raise ModelError(f"Expected a 4-d image input (1x3xHxW), the model takes {shape}.")
    h, w = shape[2], shape[3]
    return (
        h if isinstance(h, int) and h > 0 else default[0],
        w if isinstance(w, int) and w > 0 else default[1],
    )
