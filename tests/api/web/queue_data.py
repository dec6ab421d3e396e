"""Real queue and batch records for the dashboard tests: a task that failed for good,
and a scheduled custom-label batch with a run (an empty one: the model never loads)."""

from __future__ import annotations

import json

from sightline.customlabels.batch_runner import BatchRunner
from sightline.customlabels.batches import BatchRun, create_batch
from sightline.customlabels.host import VersionHost
from sightline.customlabels.projects import create_project
from sightline.customlabels.versions import create_version
from sightline.runtime import Runtime

# A kind no embedded worker claims: a dead task of it stays where the test put it.
PARKED_KIND = "clbatch:parked"


def dead_task(rt: Runtime, key: str, error: str, kind: str = PARKED_KIND) -> int:
    """A task whose only attempt failed for good, with ``error`` as its last error."""
    task_id = rt.tasks.enqueue(kind, key, {"note": "dashboard test"}, max_attempts=1)
    assert task_id is not None
    claim = rt.tasks.claim([kind], 1, owner="dashboard-test", lease=60)
    assert [t.id for t in claim.tasks] == [task_id]
    assert rt.tasks.fail("dashboard-test", task_id, error, retryable=False) == "dead"
    return task_id


def batch_with_a_run(rt: Runtime, name: str) -> BatchRun:
    """A scheduled batch on an (untrained) version, run once with nothing queued."""
    rt.store.ensure_bucket("manifests")
    line = {"source-ref": "s3://manifests/a.jpg", "a": 0, "a-metadata": {"class-name": "x"}}
    rt.store.put("manifests", f"{name}.manifest", (json.dumps(line) + "\n").encode())
    project = create_project(rt, f"{name}-project")
    version = create_version(rt, project, "v1", training_assets=[("manifests", f"{name}.manifest")])
    create_batch(rt, name, version, source_bucket=f"{name}-in", final_bucket=f"{name}-out")
    host = VersionHost(rt)
    try:
        return BatchRunner(host).run(name, trigger="manual")
    finally:
        host.close()
