"""``sightline customlabels ...`` and ``sightline batch ...`` through typer's CliRunner:
a small project from a folder, trained here, then a batch run by hand."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sightline.cli import app
from tests.customlabels import synthetic


def run(data: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data), *args])
    return result.exit_code, result.stdout, result.stderr


def test_project_dataset_train_describe_and_batch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = tmp_path / "images"
    for n, (label, image) in enumerate(synthetic.dataset(10, seed=3)):
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / f"{n}.jpg").write_bytes(image)
    (folder / "dots" / "readme.txt").write_text("notes")

    code, out, err = run(data, "customlabels", "create-project", "shapes")
    assert code == 0 and out.startswith(
        "arn:aws:rekognition:us-east-1:000000000000:project/shapes/"
    )
    code, out, err = run(
        data, "customlabels", "dataset", "create", "shapes", "--folder", str(folder)
    )
    assert code == 0, err
    assert "30 images, 30 labelled, 0 with errors" in out and "dots: 10" in out
    assert "skipped 1 file(s) that are not images" in err and "dots/readme.txt" in err

    code, out, err = run(data, "customlabels", "train", "shapes", "v1")
    assert code == 0, err
    assert "v1: TRAINING_COMPLETED" in out and "F1 " in out and "confusion" in out
    code, out, _ = run(data, "customlabels", "projects")
    assert "shapes\tCREATED\ttrain (CREATE_COMPLETE)" in out

    # a batch of three images, run by hand
    source = data / "storage" / "inbox"
    source.mkdir(parents=True)
    for i, (_, image) in enumerate(synthetic.dataset(1, seed=4)):
        (source / f"{i}.jpg").write_bytes(image)
    code, out, err = run(
        data,
        "batch",
        "create",
        "nightly",
        "--project",
        "shapes",
        "--version",
        "v1",
        "--source",
        "s3://inbox",
        "--final",
        "s3://done/labelled/",
    )
    assert code == 0, err
    code, out, _ = run(data, "batch", "list")
    assert out.startswith("nightly\t0 * * * *\tenabled")
    code, out, err = run(data, "batch", "run", "nightly")
    assert code == 0, err + out
    assert "SUCCEEDED; 3 queued, 3 processed, 0 failed, model loaded 1 time(s)" in out
    assert sorted(p.name for p in (data / "storage" / "done" / "labelled").iterdir()) == [
        "0.jpg",
        "0.jpg.json",
        "1.jpg",
        "1.jpg.json",
        "2.jpg",
        "2.jpg.json",
    ]
    code, out, _ = run(data, "batch", "runs", "nightly")
    assert "\tmanual\tSUCCEEDED\tqueued 3\tprocessed 3\tfailed 0\tloads 1" in out

    code, _, err = run(data, "customlabels", "delete-project", "shapes")
    assert code == 1 and "delete them with DeleteProjectVersion first" in err
