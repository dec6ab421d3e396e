"""The ONNX Runtime session: settings reach it, and its failures name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sightline.config import Settings
from sightline.errors import ModelError
from sightline.models.sessions import Node, OrtSession, StaticSession, input_hw
from tests.models.onnx_builders import constant_output_model


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    return constant_output_model(tmp_path / "c.onnx", np.arange(6, dtype=np.float32).reshape(1, 6))


def test_runs_on_cpu_with_the_configured_threads(model_path: Path) -> None:
    session = OrtSession(model_path, Settings(models={"intra_op_threads": 2}))
    assert session._session.get_providers() == ["CPUExecutionProvider"]
    assert session._session.get_session_options().intra_op_num_threads == 2
    out = session.run(None, {"images": np.zeros((1, 3, 64, 64), np.float32)})
    assert out[0].tolist() == [[0, 1, 2, 3, 4, 5]]
    assert [i.name for i in session.get_inputs()] == ["images"]
    assert input_hw(session, (1, 1)) == (64, 64)


def test_load_and_run_failures_name_the_file(model_path: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(model_path.read_bytes()[:100])
    with pytest.raises(ModelError, match=r"cannot load .*broken\.onnx"):
        OrtSession(broken, Settings())
    with pytest.raises(ModelError, match=r"failed running c\.onnx"):
        OrtSession(model_path, Settings()).run(None, {"images": np.zeros((1, 3, 8, 8), np.float32)})


def test_static_session_selects_outputs_by_name() -> None:
    session = StaticSession(
        [Node("x", [1, "n"])],
        [Node("a", [1]), Node("b", [1])],
        compute=lambda feed: [feed["x"] + 1, feed["x"] * 2],
    )
    assert [v.tolist() for v in session.run(["b"], {"x": np.array([3.0])})] == [[6.0]]
    assert input_hw(StaticSession([Node("x", [1, 3, "h", 32])], []), (7, 7)) == (7, 32)
