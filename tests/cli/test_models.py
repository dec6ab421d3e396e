"""``sightline models list | pull | add | remove`` through typer's CliRunner."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sightline.cli import app
from sightline.models import catalog as catalog_module
from tests.models.mirror import Mirror, serve
from tests.models.test_add import detector_file

PAYLOAD = os.urandom(50_000)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SIGHTLINE_MODELS__MODEL_DIR": str(tmp_path / "models")}


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """A local mirror, and a catalog whose yunet entry matches the mirror's bytes."""
    entries = dict(catalog_module.catalog())
    entries["yunet"] = replace(
        entries["yunet"], sha256=hashlib.sha256(PAYLOAD).hexdigest(), size=len(PAYLOAD)
    )
    monkeypatch.setattr(catalog_module, "catalog", lambda: entries)
    with serve(Mirror(files={"yunet.onnx": PAYLOAD, "bad.onnx": b"\0" * len(PAYLOAD)})) as m:
        yield m


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["models", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_list_json_on_an_empty_model_dir(env: dict[str, str]) -> None:
    code, out, _ = run(env, "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["model_dir"] == env["SIGHTLINE_MODELS__MODEL_DIR"]
    builtins = {b["name"]: b for b in data["builtin"]}
    assert set(builtins) == {"dlib-face", "rapidocr", "nudenet", "opencv-hog"}
    assert all(b["installed"] and b["version"] for b in builtins.values())
    assert "face_recognition_models" in builtins["dlib-face"]["packages"]
    assert {e["name"]: e["status"] for e in data["catalog"]}["yolox-s"] == "available"
    assert data["user"] == [] and data["problems"] == []


def test_list_tables(env: dict[str, str]) -> None:
    code, out, _ = run(env, "list")
    assert code == 0
    for text in ("Built-in models", "nudenet", "Catalog", "yolox-s", "available"):
        assert text in out


def test_pull_add_list_remove(env: dict[str, str], mirror: Mirror, tmp_path: Path) -> None:
    code, out, _ = run(env, "pull", "yunet", "--url", mirror.url("yunet.onnx"))
    assert code == 0, out
    assert "yunet: installed" in out and hashlib.sha256(PAYLOAD).hexdigest() in out

    labels = tmp_path / "labels.txt"
    labels.write_text("widget\ngadget\nsprocket\n")
    model = detector_file(tmp_path / "widgets.onnx")
    code, out, err = run(
        env, "add", str(model), "--task", "object-detection", "--labels", str(labels)
    )
    assert code == 0, err
    assert "widgets: installed object-detection model (yolox, 3 classes)" in out

    data = json.loads(run(env, "list", "--json")[1])
    assert {e["name"]: e["status"] for e in data["catalog"]}["yunet"] == "installed"
    assert [(u["name"], u["layout"], u["classes"]) for u in data["user"]] == [
        ("widgets", "yolox", 3)
    ]

    code, out, _ = run(env, "remove", "widgets")
    assert code == 0 and "widgets: removed" in out
    assert json.loads(run(env, "list", "--json")[1])["user"] == []


def test_pull_with_a_wrong_checksum_fails_cleanly(env: dict[str, str], mirror: Mirror) -> None:
    code, _, err = run(env, "pull", "yunet", "--url", mirror.url("bad.onnx"))
    assert code == 1
    assert "error:" in err and "SHA-256" in err and "Nothing was installed" in err
    root = Path(env["SIGHTLINE_MODELS__MODEL_DIR"])
    assert not root.exists() or list(root.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["pull", "no-such-model"], "No catalog model named 'no-such-model'"),
        (["remove", "yolox-s"], "not installed"),
        (["remove", "nudenet"], "built-in model"),
        (["add", "missing.onnx", "--task", "object-detection"], "No model file at missing.onnx"),
        (["add", "x.onnx", "--task", "pose"], "Cannot add a model for task 'pose'"),
    ],
)
def test_errors_exit_1_with_a_message(env: dict[str, str], args: list[str], message: str) -> None:
    code, _, err = run(env, *args)
    assert code == 1
    assert message in " ".join(err.split())  # rich may wrap long lines
