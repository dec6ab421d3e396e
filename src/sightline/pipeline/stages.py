"""Stages: what a worker does with a task of each kind.

A stage owns its task from claim to the end: it completes the task itself, in the same
transaction as the results it stores, or fails it (retryable or not). A stage that
raises instead is failed as retryable by the worker loop. Kinds are registered here by
import path, so later work (video jobs, workflows, custom-label batches) adds one line
and the queue stays generic.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sightline.errors import UnsupportedError

if TYPE_CHECKING:
    from sightline.analyzers.base import AnalyzerPool
    from sightline.pipeline.queue import ClaimedTask
    from sightline.runtime import Runtime

# kind -> "module:Class"; the class is built once per worker process.
STAGES: dict[str, str] = {
    "image": "sightline.pipeline.image_task:ImageStage",
    # Ingested videos become one job per analysis; jobs run under the video cap.
    "video": "sightline.video.stage:VideoItemStage",
    "video-job": "sightline.video.stage:VideoJobStage",
    # Items a rule routes to a workflow definition (image-album, ...).
    "workflow": "sightline.pipeline.workflows.stage:WorkflowStage",
    # serve trains in its own trainer process; other machines can take trainings with
    # `sightline worker --kinds customlabels-train`.
    "customlabels-train": "sightline.customlabels.trainer:TrainingStage",
}


class Stage(Protocol):
    """``begin(tasks)``, when a stage has it, is called once per claimed batch (of its
    kind) before any of them runs, so it can record the claim in one transaction."""

    kind: str

    def run(self, task: ClaimedTask, owner: str) -> str:
        """Process ``task`` (leased by ``owner``) and settle it; a short outcome word
        (``succeeded``, ``failed``, ``rejected``, ``retry``, ``handed-off``)."""
        ...


def build_stages(runtime: Runtime, pool: AnalyzerPool, kinds: Sequence[str]) -> dict[str, Any]:
    """One stage per kind, or ``UnsupportedError`` naming the kinds with no stage."""
    unknown = [k for k in kinds if k not in STAGES]
    if unknown:
        raise UnsupportedError(
            f"No stage handles task kinds {unknown}; known kinds: {sorted(STAGES)}."
        )
    out: dict[str, Any] = {}
    for kind in kinds:
        module_name, _, cls_name = STAGES[kind].partition(":")
        out[kind] = getattr(importlib.import_module(module_name), cls_name)(runtime, pool)
    return out
