"""The training task: a stage of the queue (kind ``customlabels-train``).

A worker claims the task, reads the version's input manifests, runs
:func:`~sightline.customlabels.training.train` while writing its progress to the
version's row (``StatusMessage`` says the step, ``progress`` the fraction), then writes
the outputs next to each other in the version's output folder:

- ``EvaluationResultSummary-<project>-<version>.json``: Rekognition's summary file;
- ``manifests/manifest_summary.json``: validation statistics and errors;
- ``manifests/{training,testing}_manifest_with_validation.json``: the input lines, each
  with the ``errors`` found for it (unreadable image, several labels);
- ``manifests/output/{training,testing}.manifest``: the lines actually used.

The model, its evaluation and ``TRAINING_COMPLETED`` are stored with the task's
completion in one transaction. Data that cannot train a model fails the version
(``TRAINING_FAILED`` with the reason) and the task without retry; anything else is
retried by the queue, and the version fails when the last attempt does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from typing import Any

from sqlalchemy import select

from sightline.customlabels.datasets import read_ref
from sightline.customlabels.db import writing
from sightline.customlabels.evaluation import summary_document
from sightline.customlabels.extractors import choose_extractor
from sightline.customlabels.manifest import EntryError, ManifestEntry, parse_manifest, source_ref
from sightline.customlabels.training import TESTING, TRAINING, TrainingOutcome, train
from sightline.customlabels.versions import (
    TRAIN_KIND,
    TRAINING_COMPLETED,
    TRAINING_FAILED,
    TRAINING_IN_PROGRESS,
    asset_location,
    set_status,
    version_arn,
    version_dir,
)
from sightline.db.models.customlabels import ClDataset, ClDatasetEntry, ClProject, ClVersion
from sightline.errors import InvalidInputError, SightlineError
from sightline.pipeline.queue import ClaimedTask
from sightline.runtime import Runtime

log = logging.getLogger(__name__)

# Share of the progress bar each step takes (features dominate the time).
_STEPS = {"features": (0.0, 0.8), "fitting": (0.8, 0.95), "evaluating": (0.95, 0.98)}
_REPORT_EVERY = 1.0  # seconds between progress writes


class TrainingStage:
    """Trains the version a ``customlabels-train`` task names."""

    kind = TRAIN_KIND

    def __init__(self, runtime: Runtime, pool: object = None) -> None:
        self.runtime = runtime

    def run(self, task: ClaimedTask, owner: str) -> str:
        rt = self.runtime
        version_id = int(task.payload["version"])
        with writing(rt.engine) as s:
            version = s.get(ClVersion, version_id)
            project = s.get(ClProject, version.project_id) if version is not None else None
            if version is None or project is None or version.status != TRAINING_IN_PROGRESS:
                rt.tasks.complete(owner, [task.id], conn=s.connection())
                return "skipped"
            version.training_started_at = time.time()
            version.status_message = "Reading the training data."
            arn = version_arn(rt, project, version)
            names = (project.name, version.name)
            training_assets = list(version.training_input["Assets"])
            testing_assets = list(version.testing_input.get("Assets") or [])
            output = (version.output_bucket, version_dir(version.output_prefix, *names))
        try:
            training = _read_assets(rt, training_assets)
            testing = _read_assets(rt, testing_assets) if testing_assets else None
            outcome = train(
                training,
                testing,
                lambda ref: read_ref(rt.store, ref),
                choose_extractor(rt.settings),
                rt.settings,
                progress=_Reporter(rt, version_id),
            )
            files = _write_outputs(rt, outcome, arn, names, output, training, testing)
        except InvalidInputError as e:
            # The data cannot train a model: retrying would fail the same way.
            set_status(rt, version_id, TRAINING_FAILED, str(e), expect=[TRAINING_IN_PROGRESS])
            rt.tasks.fail(owner, task.id, str(e), retryable=False)
            return "failed"
        except Exception as e:
            message = e.message if isinstance(e, SightlineError) else f"{type(e).__name__}: {e}"
            log.exception("training version %s failed (attempt %d)", version_id, task.attempts)
            if task.attempts >= task.max_attempts:
                set_status(
                    rt,
                    version_id,
                    TRAINING_FAILED,
                    f"The training failed after {task.attempts} attempt(s): {message}",
                    expect=[TRAINING_IN_PROGRESS],
                )
                rt.tasks.fail(owner, task.id, message, retryable=False)
                return "failed"
            set_status(
                rt,
                version_id,
                TRAINING_IN_PROGRESS,
                f"Attempt {task.attempts} failed ({message}); the training will be retried.",
                expect=[TRAINING_IN_PROGRESS],
            )
            rt.tasks.fail(owner, task.id, message, retryable=True)
            return "retry"
        refs = {(TRAINING, e.line): e.source_ref for e in training} | {
            (TESTING, e.line): e.source_ref for e in testing or []
        }
        errors = {refs[k]: err for k, err in outcome.entry_errors.items() if k in refs}
        self._finish(task, owner, version_id, outcome, files, errors)
        return "succeeded"

    def _finish(
        self,
        task: ClaimedTask,
        owner: str,
        version_id: int,
        outcome: TrainingOutcome,
        files: dict[str, Any],
        errors: dict[str, EntryError],
    ) -> None:
        """Store the model and its evaluation, and mark the project's dataset entries
        whose images could not be used, in the transaction that completes the task."""
        ev = outcome.evaluation
        summary = (
            f"Trained a {outcome.classifier} classifier on {ev.training_images} images "
            f"({len(outcome.labels)} labels); F1 {ev.f1:.3f} on {ev.test_images} test images."
        )
        problems = len(outcome.entry_errors) + len(outcome.dataset_errors)
        if problems:
            summary += f" {problems} problem(s) were left out: see the manifest summary."
        with writing(self.runtime.engine) as s:
            version = s.get(ClVersion, version_id)
            if version is None or version.status != TRAINING_IN_PROGRESS:
                self.runtime.tasks.complete(owner, [task.id], conn=s.connection())
                return
            version.status, version.status_message = TRAINING_COMPLETED, summary
            version.progress = 1.0
            version.model = outcome.model
            version.model_sha256 = hashlib.sha256(outcome.model).hexdigest()
            version.extractor, version.classifier = outcome.extractor_id, outcome.classifier
            version.labels = list(outcome.labels)
            version.f1 = ev.f1
            version.evaluation = {
                **ev.as_dict(),
                "classifier_scores": outcome.scores,
                "training_seconds": outcome.seconds,
                "entry_errors": [
                    {"dataset": side, "line": line, **err.as_dict()}
                    for (side, line), err in sorted(outcome.entry_errors.items())
                ],
                "dataset_errors": [err.as_dict() for err in outcome.dataset_errors],
            }
            version.files = files
            version.training_ended_at = time.time()
            version.updated_at = time.time()
            if errors:
                datasets = select(ClDataset.id).where(ClDataset.project_id == version.project_id)
                for entry in s.scalars(
                    select(ClDatasetEntry).where(
                        ClDatasetEntry.dataset_id.in_(datasets),
                        ClDatasetEntry.source_ref.in_(list(errors)),
                    )
                ):
                    entry.error_code = errors[entry.source_ref].code
                    entry.error = errors[entry.source_ref].message
            self.runtime.tasks.complete(owner, [task.id], conn=s.connection())


class _Reporter:
    """Writes training progress to the version's row, at most once a second."""

    def __init__(self, runtime: Runtime, version_id: int) -> None:
        self.runtime = runtime
        self.version_id = version_id
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < _REPORT_EVERY and done not in (0, total):
            return
        self._last = now
        low, high = _STEPS.get(stage, (0.98, 1.0))
        fraction = low + (high - low) * (done / total if total else 0.0)
        if stage == "features":
            message = f"Reading images and extracting features: {done} of {total}."
        elif stage == "evaluating":
            message = f"Evaluating on {total} test images."
        elif stage == "exporting":
            message = "Exporting the model to ONNX."
        else:
            message = f"Training: {stage}."
        with writing(self.runtime.engine) as s:
            version = s.get(ClVersion, self.version_id)
            if version is not None and version.status == TRAINING_IN_PROGRESS:
                version.progress, version.status_message = fraction, message
                version.updated_at = time.time()


def _read_assets(runtime: Runtime, assets: list[dict[str, Any]]) -> list[ManifestEntry]:
    """Every line of the asset manifests, renumbered in order across files."""
    out: list[ManifestEntry] = []
    for asset in assets:
        bucket, key = asset_location(asset)
        for e in parse_manifest(runtime.store.get(bucket, key), name=source_ref(bucket, key)):
            out.append(ManifestEntry(len(out) + 1, e.source_ref, e.label, e.document, e.error))
    return out


def _write_outputs(
    runtime: Runtime,
    outcome: TrainingOutcome,
    arn: str,
    names: tuple[str, str],
    output: tuple[str, str],
    training: list[ManifestEntry],
    testing: list[ManifestEntry] | None,
) -> dict[str, Any]:
    """Write the summary, validation and output manifests; their keys by role."""
    store = runtime.store
    bucket, folder = output
    store.ensure_bucket(bucket)
    keys = {
        "summary": f"{folder}EvaluationResultSummary-{names[0]}-{names[1]}.json",
        "manifest_summary": f"{folder}manifests/manifest_summary.json",
        "training_validation": f"{folder}manifests/training_manifest_with_validation.json",
        "training_output": f"{folder}manifests/output/training.manifest",
        "testing_output": f"{folder}manifests/output/testing.manifest",
    }
    if testing is not None:
        keys["testing_validation"] = f"{folder}manifests/testing_manifest_with_validation.json"
    finished = dt.datetime.now(dt.timezone.utc)
    summary = summary_document(outcome.evaluation, arn, finished)
    store.put(bucket, keys["summary"], _json(summary), content_type="application/json")
    store.put(
        bucket,
        keys["manifest_summary"],
        _json(_manifest_summary(outcome)),
        content_type="application/json",
    )
    sides = [(TRAINING, training)] + ([(TESTING, testing)] if testing is not None else [])
    by_key = {(side, e.line): e for side, entries in sides for e in entries}
    for side, entries in sides:
        store.put(bucket, keys[f"{side}_validation"], _validated(side, entries, outcome))
    for role, refs in (
        ("training_output", outcome.train_refs),
        ("testing_output", outcome.test_refs),
    ):
        store.put(bucket, keys[role], _lines(by_key[k].document for k in refs))
    return {"bucket": bucket, **keys}


def _validated(side: str, entries: list[ManifestEntry], outcome: TrainingOutcome) -> bytes:
    docs = []
    for e in entries:
        doc = dict(e.document)
        error = outcome.entry_errors.get((side, e.line))
        if error is not None:
            doc["errors"] = [error.as_dict()]
        docs.append(doc)
    return _lines(docs)


def _manifest_summary(outcome: TrainingOutcome) -> dict[str, Any]:
    statistics: dict[str, Any] = {}
    for side, st in outcome.stats.items():
        statistics[side] = {
            "use_case": "IMAGE_LEVEL_LABELS",
            "total_json_lines": st.total,
            "valid_json_lines": st.valid,
            "invalid_json_lines": st.invalid,
            "ignored_json_lines": st.ignored,
            "error_json_line_indices": list(st.error_lines),
            "errors": [
                {"line": line, **err.as_dict()}
                for (s, line), err in sorted(outcome.entry_errors.items())
                if s == side
            ],
        }
    return {
        "version": 1,
        "statistics": statistics,
        "errors": [err.as_dict() for err in outcome.dataset_errors],
        "test_set": "auto-created" if outcome.auto_test else "explicit",
    }


def _json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _lines(docs: Any) -> bytes:
    out = "".join(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n" for d in docs)
    return out.encode("utf-8")
