"""One batch image, end to end, inside an inference unit; and the loop that drains a batch.

For each task (one source object) the unit:

1. reads the source image;
2. runs the model (DetectCustomLabels' answer, Rekognition's shape);
3. writes a copy of the image to ``final_bucket/final_prefix + key`` and the answer to
   the same key plus ``.json``;
4. checks both are there, with the right sizes, before it
5. deletes the source, and
6. completes the task.

A crash anywhere before 5 leaves the source in place and the task leased; the lease
ends (or the host fails it when it sees the unit die) and the image runs again, writing
the same two objects. A crash between 5 and 6 leaves a task whose source is gone but
whose results exist: the next attempt sees both results and completes it. An image the
model cannot read (not an image, corrupt) fails its task without retry and stays in
the source bucket; the run records why.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sightline.api.rekognition.shapes.customlabels import detect_custom_labels_response
from sightline.customlabels.model import CustomLabelModel
from sightline.errors import (
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageFormatError,
    ObjectNotFoundError,
    SightlineError,
)
from sightline.pipeline.queue import QUEUED, RUNNING, ClaimedTask
from sightline.runtime import Runtime

log = logging.getLogger(__name__)

BATCH_KIND_PREFIX = "clbatch:"
# Backed-off retries due this soon are waited for; later ones are left to the next run.
WAIT_FOR_RETRY_SECONDS = 30.0
_PERMANENT = (InvalidImageFormatError, ImageTooLargeError, ImageTooSmallError)

Send = Callable[..., None]


def batch_kind(name: str) -> str:
    """The queue kind of a batch's images (one kind per batch, so depth and claims are
    per batch, and per-kind queue limits apply to it)."""
    return f"{BATCH_KIND_PREFIX}{name}"


def result_keys(prefix: str, key: str) -> tuple[str, str]:
    """Where an image's copy and its ``.json`` go in the final bucket."""
    return f"{prefix}{key}", f"{prefix}{key}.json"


@dataclass
class DrainStats:
    processed: int = 0
    failed: int = 0
    lost: int = 0  # tasks whose lease ran out under us (someone else redoes them)
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "failed": self.failed,
            "lost": self.lost,
            "failures": list(self.failures),
        }


class BatchDrainer:
    """Claims a batch kind's tasks one at a time and processes them until none is left."""

    def __init__(
        self, runtime: Runtime, model: CustomLabelModel, owner: str, kind: str, send: Send
    ) -> None:
        self.runtime = runtime
        self.model = model
        self.owner = owner
        self.kind = kind
        self.send = send
        self.lease = runtime.settings.customlabels.batch_lease_seconds
        self.stats = DrainStats()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Finish the image in hand, then return."""
        self._stop.set()

    def run(self) -> None:
        try:
            self._loop()
        except Exception as e:  # the database went away: report what was done
            log.exception("draining %s stopped", self.kind)
            self.stats.failures.append({"key": "", "error": f"{type(e).__name__}: {e}"})
        self.send("drained", self.kind, self.stats.as_dict())

    def _loop(self) -> None:
        tasks = self.runtime.tasks
        while not self._stop.is_set():
            # One task per claim: an image takes milliseconds, far inside the lease, so
            # no heartbeat is needed, and a killed unit strands at most one image.
            claim = tasks.claim([self.kind], 1, owner=self.owner, lease=self.lease)
            if claim.tasks:
                task = claim.tasks[0]
                outcome, error = self.process(task)
                self.send("progress", self.kind, outcome, str(task.payload.get("key", "")), error)
                continue
            wait = self._next_retry_in()
            if wait is None:
                return
            self._stop.wait(wait)

    def _next_retry_in(self) -> float | None:
        """Seconds until a backed-off task of this kind is due, when soon; else None."""
        rows = self.runtime.tasks.list(states=[QUEUED, RUNNING], kinds=[self.kind], limit=1000)
        now = time.time()
        due = [r.not_before - now for r in rows if r.state == QUEUED]
        if any(r.state == RUNNING for r in rows) and not due:
            return 0.5  # another unit is finishing; its failure could come back to us
        soon = [d for d in due if d <= WAIT_FOR_RETRY_SECONDS]
        return max(0.05, min(soon)) if soon else None

    def process(self, task: ClaimedTask) -> tuple[str, str | None]:
        """Handle one image; the outcome (``succeeded``, ``failed``, ``retry``, ``lost``)
        and, unless it succeeded, why."""
        p = task.payload
        bucket, key = str(p["bucket"]), str(p["key"])
        final_bucket, prefix = str(p["final_bucket"]), str(p.get("final_prefix", ""))
        store = self.runtime.store
        copy_key, json_key = result_keys(prefix, key)
        try:
            try:
                data = store.get(bucket, key)
            except ObjectNotFoundError:
                # Deleted after its results were written, before the task completed?
                if self._exists(final_bucket, copy_key) and self._exists(final_bucket, json_key):
                    return self._complete(task)
                raise
            min_confidence = p.get("min_confidence")
            found = self.model.detect(
                data, min_confidence=None if min_confidence is None else float(min_confidence)
            )
            document = json.dumps(detect_custom_labels_response(found), indent=2).encode()
            store.put(final_bucket, copy_key, data, content_type=p.get("content_type"))
            store.put(final_bucket, json_key, document, content_type="application/json")
            if store.head(final_bucket, copy_key).size != len(data) or store.head(
                final_bucket, json_key
            ).size != len(document):
                raise SightlineError(f"the results of {key} did not read back at their size")
            store.delete(bucket, key)
        except _PERMANENT as e:
            return self._fail(task, key, e.message, retryable=False)
        except ObjectNotFoundError as e:
            return self._fail(task, key, f"the source is gone and has no results: {e}", False)
        except Exception as e:
            message = e.message if isinstance(e, SightlineError) else f"{type(e).__name__}: {e}"
            return self._fail(task, key, message, retryable=True)
        return self._complete(task)

    def _complete(self, task: ClaimedTask) -> tuple[str, str | None]:
        if self.runtime.tasks.complete(self.owner, [task.id]):
            self.stats.processed += 1
            return "succeeded", None
        self.stats.lost += 1
        return "lost", "the task's lease ran out before it completed; it runs again"

    def _fail(
        self, task: ClaimedTask, key: str, message: str, retryable: bool
    ) -> tuple[str, str | None]:
        state = self.runtime.tasks.fail(self.owner, task.id, message, retryable=retryable)
        if state == QUEUED:
            return "retry", message
        if state is None:
            self.stats.lost += 1
            return "lost", message
        self.stats.failed += 1
        self.stats.failures.append({"key": key, "error": message})
        return "failed", message

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self.runtime.store.head(bucket, key)
        except ObjectNotFoundError:
            return False
        return True
