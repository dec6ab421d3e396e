"""Custom-label fixtures, loaded as a plugin by tests/conftest.py so that every area's
tests share them: a project trained once per session on the generated 3-class dataset.

The dataset is written as a folder per label (40 images each) plus two problems the
training must report and survive: a truncated JPEG among the dots, and a label with a
single image. Tests that change a version's running state work on their own copy
(:func:`clone_version`), so the session's version stays as trained.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from sightline.config import Settings
from sightline.customlabels.dataset_import import import_folder
from sightline.customlabels.db import now_ms, writing
from sightline.customlabels.projects import create_project
from sightline.customlabels.trainer import TrainingStage
from sightline.customlabels.versions import TRAIN_KIND, create_version, version_arn
from sightline.db.models.customlabels import ClProject, ClVersion
from sightline.runtime import Runtime
from tests.customlabels import synthetic


@dataclass
class Trained:
    runtime: Runtime
    project_arn: str
    version_arn: str
    dataset_arn: str
    folder: Path


def write_folder(root: Path, per_class: int = 40, seed: int = 7) -> Path:
    folder = root / "images"
    for n, (label, data) in enumerate(synthetic.dataset(per_class, seed=seed)):
        (folder / label).mkdir(parents=True, exist_ok=True)
        (folder / label / f"{n:03d}.jpg").write_bytes(data)
    good = synthetic.dataset(1, seed=99)
    (folder / "dots" / "corrupt.jpg").write_bytes(good[0][1][:400])  # truncated
    (folder / "triangle").mkdir()
    (folder / "triangle" / "only.jpg").write_bytes(good[1][1])
    (folder / "dots" / "notes.txt").write_text("not an image")
    return folder


def run_training(runtime: Runtime) -> str:
    """Claim and run every queued training task; the last outcome."""
    stage = TrainingStage(runtime)
    outcome = "none"
    while True:
        claim = runtime.tasks.claim([TRAIN_KIND], 1, owner="test-trainer", lease=600)
        if not claim.tasks:
            return outcome
        outcome = stage.run(claim.tasks[0], "test-trainer")


def clone_version(runtime: Runtime, arn_of: str, name: str) -> str:
    """A new version of the same project holding the same trained model."""
    from sightline.customlabels.versions import find_version

    with writing(runtime.engine) as s:
        project, src = find_version(s, arn_of)
        model = src.model
        copy = ClVersion(
            **{
                c.key: getattr(src, c.key)
                for c in ClVersion.__table__.columns
                if c.key not in ("id", "name", "created_ms", "model")
            }
        )
        copy.name, copy.created_ms, copy.model = name, now_ms(), model
        copy.created_at = copy.updated_at = time.time()
        s.add(copy)
        s.flush()
        return version_arn(runtime, project, copy)


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    root = tmp_path_factory.mktemp("customlabels")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    runtime = Runtime.open(settings)
    folder = write_folder(root)
    project = create_project(runtime, "textures")
    dataset = import_folder(runtime, project, "TRAIN", folder).arn
    version = create_version(runtime, project, "v1")
    assert run_training(runtime) == "succeeded"
    with writing(runtime.engine) as s:
        assert s.scalar(select(ClProject.name)) == "textures"
    yield Trained(runtime, project, version, dataset, folder)
    runtime.close()
