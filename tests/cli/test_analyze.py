"""``sightline analyze``: good files written, bad files reported, the batch goes on."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sightline.cli import app
from tests.conftest import encode, rgb, sample_bytes

FAST = "metadata,thumbnail"
# file name -> the error type it must be reported with
BAD = {
    "empty.jpg": "InvalidImageFormatError",  # zero bytes
    "truncated.jpg": "InvalidImageFormatError",  # half a JPEG
    "notes.jpg": "InvalidImageFormatError",  # text named .jpg
    "bomb.png": "ImageTooLargeError",  # header claims 30000x30000
    "tiny.png": "ImageTooSmallError",  # 9 px
}


def _png_header(width: int, height: int) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _folder(root: Path) -> Path:
    """good.jpg, sub/astronaut (no extension: sniffed), each bad kind, a README."""
    photos = root / "photos"
    (photos / "sub").mkdir(parents=True)
    (photos / "good.jpg").write_bytes(encode(rgb("chelsea.png")))
    (photos / "sub" / "astronaut").write_bytes(sample_bytes("astronaut.png"))
    (photos / "empty.jpg").write_bytes(b"")
    jpeg = encode(rgb("astronaut.png"))
    (photos / "truncated.jpg").write_bytes(jpeg[: len(jpeg) // 2])
    (photos / "notes.jpg").write_text("shopping list, not a photo\n")
    (photos / "bomb.png").write_bytes(_png_header(30000, 30000))
    (photos / "tiny.png").write_bytes(encode(np.zeros((9, 9, 3), np.uint8), "PNG"))
    (photos / "README.txt").write_text("not an image and not named like one\n")
    return photos


def _invoke(*args: str) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["analyze", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def _by_name(payload: dict[str, object]) -> dict[str, dict[str, object]]:
    files = payload["files"]
    assert isinstance(files, list)
    return {Path(f["path"]).name: f for f in files}


def test_mixed_folder(tmp_path: Path) -> None:
    photos = _folder(tmp_path)
    code, payload = _invoke(str(photos), "-a", FAST, "--workers", "1")
    assert code == 1  # something failed
    files = _by_name(payload)
    for name, error in BAD.items():
        assert files[name]["status"] == "failed", name
        assert files[name]["error"]["type"] == error, name
        summary = json.loads((photos / f"{name}-analysis" / "summary.json").read_text())
        assert summary["error"]["type"] == error
    assert files["README.txt"] == {
        "path": str(photos / "README.txt"),
        "status": "skipped",
        "reason": "not an image",
    }
    for name, folder in [("good.jpg", photos), ("astronaut", photos / "sub")]:
        assert files[name]["status"] == "ok"
        out = folder / f"{name}-analysis"
        metadata = json.loads((out / "metadata.json").read_text())
        assert metadata == files[name]["documents"]["metadata"]
        thumbs = json.loads((out / "thumbnail.json").read_text())["thumbnails"]
        assert [t["file"] for t in thumbs] == ["thumbnail-256.jpg", "thumbnail-1024.jpg"]
        assert (out / "thumbnail-256.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
        summary = json.loads((out / "summary.json").read_text())
        assert summary["status"] == "ok"
        assert summary["analyses"]["metadata"]["file"] == "metadata.json"
    assert (
        json.loads((photos / "sub/astronaut-analysis/metadata.json").read_text())["format"] == "png"
    )
    totals = payload["summary"]
    assert totals["ok"] == 2 and totals["failed"] == 5 and totals["skipped"] == 1


def test_out_mirrors_the_tree_and_reruns_skip_outputs(tmp_path: Path) -> None:
    photos = _folder(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):  # the second run must not analyse the first run's outputs
        code, payload = _invoke(str(photos), "-a", "metadata", "--out", str(out), "-w", "1")
        assert code == 1
        assert len(payload["files"]) == 8
    assert (out / "photos/sub/astronaut-analysis/metadata.json").is_file()
    assert (out / "photos/good.jpg-analysis/summary.json").is_file()
    assert not (photos / "good.jpg-analysis").exists()
    batch = json.loads((out / "summary.json").read_text())
    assert {Path(f["path"]).name for f in batch["files"]} == set(_by_name(payload))


def test_all_good_exits_zero_and_prints_a_table(tmp_path: Path) -> None:
    image = tmp_path / "cat.jpg"
    image.write_bytes(encode(rgb("chelsea.png")))
    result = CliRunner().invoke(app, ["analyze", str(image), "-a", FAST, "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "metadata" in result.stdout and "files: 1  ok: 1  failed: 0" in result.stdout


def test_missing_path_is_reported(tmp_path: Path) -> None:
    code, payload = _invoke(str(tmp_path / "nowhere.jpg"), "-a", "metadata", "-w", "1")
    assert code == 1
    (entry,) = payload["files"]
    assert entry["error"]["type"] == "InvalidS3ObjectError"
    assert "no such file" in entry["error"]["message"]


@pytest.mark.parametrize(
    "args",
    [
        ["-a", "labels,colours"],  # unknown analysis
        ["-a", "metadata", "--request", "{not json"],  # bad JSON
        ["-a", "metadata", "--request", '{"faces": {}}'],  # request for an analysis not run
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["analyze", str(tmp_path), *args])
    assert result.exit_code == 2


def test_two_worker_processes(tmp_path: Path) -> None:
    photos = _folder(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(["src", *sys.path])}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "sightline",
            "analyze",
            str(photos),
            "-a",
            FAST,
            "-w",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["summary"]["workers"] == 2
    files = _by_name(payload)
    assert {n for n, f in files.items() if f["status"] == "ok"} == {"good.jpg", "astronaut"}
    assert {n: f["error"]["type"] for n, f in files.items() if f["status"] == "failed"} == BAD
    assert (photos / "good.jpg-analysis/thumbnail-1024.jpg").is_file()


def test_rekognition_documents_match_botocore(tmp_path: Path) -> None:
    from tests.botocore_shapes import assert_valid_output

    image = tmp_path / "astronaut.png"
    image.write_bytes(sample_bytes("astronaut.png"))
    request = '{"faces": {"Attributes": ["ALL"]}, "labels": {"MinConfidence": 60}}'
    result = CliRunner().invoke(
        app, ["analyze", str(image), "-a", "faces,labels", "-w", "1", "--request", request]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "astronaut.png-analysis"
    faces = json.loads((out / "faces.json").read_text())
    assert_valid_output("DetectFaces", faces)
    assert len(faces["FaceDetails"]) == 1
    assert "Smile" in faces["FaceDetails"][0]  # the request's Attributes reached the shape
    labels = json.loads((out / "labels.json").read_text())
    assert_valid_output("DetectLabels", labels)
    assert {"Person", "Face"} <= {label["Name"] for label in labels["Labels"]}
    assert min(label["Confidence"] for label in labels["Labels"]) >= 60
