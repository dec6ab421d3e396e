"""``/api/v1/customlabels/batches``: scheduled batches and their runs, for dashboards.

``GET .../batches`` lists every batch with its last run; ``GET .../batches/{name}/runs``
returns a batch's recent runs (start, stop, counts, failures); ``POST
.../batches/{name}/runs`` starts a run now on the server's runner and answers 202 (the
run appears in the list; when a run is already in progress, that one is the answer).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from sightline.api.services import ApiServices
from sightline.customlabels.batches import BatchRun, get_batch, list_batches, list_runs
from sightline.errors import ResourceInUseError

BatchName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,56}$")]


class RunModel(BaseModel):
    id: int
    trigger: str = Field(description="schedule or manual")
    status: str = Field(description="RUNNING, EMPTY, SUCCEEDED, PARTIAL or FAILED")
    started_at: float = Field(description="Epoch seconds")
    ended_at: float | None = None
    queued: int = Field(description="Images waiting when the run began")
    processed: int
    failed: int
    model_loads: int = Field(description="Inference-unit processes that loaded the model")
    model_started_at: float | None = None
    model_stopped_at: float | None = None
    failures: list[dict[str, str]] = Field(description="{key, error} of each failed image")
    error: str | None = None


class BatchModel(BaseModel):
    name: str
    version_arn: str
    source: str
    final: str
    schedule: str
    units: int
    enabled: bool
    next_run_at: float | None
    last_run: RunModel | None


def _run(r: BatchRun) -> RunModel:
    return RunModel(
        id=r.id,
        trigger=r.trigger,
        status=r.status,
        started_at=r.started_at,
        ended_at=r.ended_at,
        queued=r.queued,
        processed=r.processed,
        failed=r.failed,
        model_loads=r.model_loads,
        model_started_at=r.model_started_at,
        model_stopped_at=r.model_stopped_at,
        failures=[{str(k): str(v) for k, v in f.items()} for f in r.failures],
        error=r.error,
    )


def customlabels_router(services: ApiServices) -> APIRouter:
    router = APIRouter(prefix="/customlabels", tags=["custom labels"])

    @router.get("/batches", response_model=list[BatchModel], summary="Batches and last runs")
    def batches() -> list[BatchModel]:
        runtime = services.customlabels().runtime
        out = []
        for b in list_batches(runtime):
            last = list_runs(runtime, b.name, limit=1)
            out.append(
                BatchModel(
                    name=b.name,
                    version_arn=b.version_arn,
                    source=f"s3://{b.source_bucket}/{b.source_prefix}",
                    final=f"s3://{b.final_bucket}/{b.final_prefix}",
                    schedule=b.schedule,
                    units=b.units,
                    enabled=b.enabled,
                    next_run_at=b.next_run_at,
                    last_run=_run(last[0]) if last else None,
                )
            )
        return out

    @router.get("/batches/{name}/runs", response_model=list[RunModel], summary="A batch's runs")
    def runs(name: BatchName, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[RunModel]:
        return [_run(r) for r in list_runs(services.customlabels().runtime, name, limit=limit)]

    @router.post("/batches/{name}/runs", status_code=202, summary="Run a batch now")
    def run_now(name: BatchName) -> dict[str, str]:
        service = services.customlabels()
        get_batch(service.runtime, name)  # 404 before anything starts

        def run() -> None:
            with contextlib.suppress(ResourceInUseError):  # one in progress: the list shows it
                service.runner.run(name, trigger="manual")

        threading.Thread(target=run, name=f"cl-batch-{name}", daemon=True).start()
        return {"status": "started"}

    return router
