"""The admin dashboard: the pipeline at a glance, failures to retry, scheduled batches.

``/dashboard`` (admins only; others get 403) shows what ``sightline status`` and
``GET /status`` show — one :func:`sightline.pipeline.status.snapshot` — laid out for
people: queue depth by kind and state, throughput, rate limits and concurrency caps,
live workers, items by status, running video jobs with their progress; then the dead
tasks with their last error and a Retry button (``tasks.retry``, CSRF-checked), and
the scheduled custom-label batches with their recent runs. The page refreshes itself
every few seconds from ``/dashboard/live`` (``static/live.js``).

The same data as JSON for scripts: ``GET /api/v1/dashboard`` and ``POST
/api/v1/dashboard/tasks/{id}/retry`` (a bearer token, or an admin's session with its
CSRF header).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from sightline.accounts.actor import Actor
from sightline.api.rest.models import ERROR_RESPONSES
from sightline.api.web.auth import ApiActor, PageActor, api_csrf, csrf
from sightline.api.web.context import WebContext
from sightline.api.web.render import page_router, renderer, see_other
from sightline.customlabels.batches import Batch, BatchRun, list_batches, list_runs
from sightline.errors import AccessDeniedError, ConflictError, ResourceNotFoundError
from sightline.pipeline.queue import DEAD, TaskRow
from sightline.pipeline.status import snapshot
from sightline.runtime import Runtime

# Task ids are 64-bit integers (BIGINT): anything larger names no task and must not
# reach the database driver.
TaskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
STATES = ("queued", "running", "done", "dead")
DEAD_SHOWN = 50
RUNS_SHOWN = 5
REFRESH_SECONDS = 3


@dataclass(frozen=True)
class BatchView:
    batch: Batch
    runs: list[BatchRun]  # newest first


@dataclass(frozen=True)
class Dashboard:
    snapshot: dict[str, Any]
    depth: list[tuple[str, dict[str, int]]]  # kind -> state -> count
    dead: list[TaskRow]  # newest first, at most DEAD_SHOWN
    dead_total: int
    batches: list[BatchView]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.snapshot,
            "dead_tasks": {
                "total": self.dead_total,
                "tasks": [
                    {k: v for k, v in asdict(t).items() if k != "payload"} for t in self.dead
                ],
            },
            "batches": [
                {"batch": asdict(b.batch), "runs": [asdict(r) for r in b.runs]}
                for b in self.batches
            ],
        }


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise AccessDeniedError("The dashboard is for admins.")


def gather(runtime: Runtime) -> Dashboard:
    snap = snapshot(runtime)
    depth: dict[str, dict[str, int]] = {}
    for row in snap["queue"]:
        depth.setdefault(row["kind"], {})[row["state"]] = row["count"]
    dead_total = sum(states.get(DEAD, 0) for states in depth.values())
    return Dashboard(
        snapshot=snap,
        depth=sorted(depth.items()),
        dead=runtime.tasks.list(states=[DEAD], limit=DEAD_SHOWN),
        dead_total=dead_total,
        batches=[
            BatchView(b, list_runs(runtime, b.name, limit=RUNS_SHOWN))
            for b in list_batches(runtime)
        ],
    )


def retry_dead(runtime: Runtime, task_id: int) -> TaskRow:
    """Queue a dead task again with fresh attempts.

    Raises:
        ResourceNotFoundError: no such task (purged meanwhile).
        ConflictError: the task is not dead (retried already, or never failed).
    """
    task = runtime.tasks.get(task_id)
    if task is None:
        raise ResourceNotFoundError(f"No task {task_id}: it may have been purged.")
    if task.state != DEAD:
        raise ConflictError(f"Task {task_id} is {task.state}, not dead: nothing to retry.")
    runtime.tasks.retry(ids=[task_id])
    return runtime.tasks.get(task_id) or task


def dashboard_pages(ctx: WebContext) -> APIRouter:
    router = page_router()
    runtime = ctx.services.runtime

    def context(request: Request) -> dict[str, Any]:
        retried = request.query_params.get("retried", "")
        return {
            "d": gather(runtime),
            "states": STATES,
            "retried": int(retried) if retried.isdigit() else None,
            "refresh": REFRESH_SECONDS,
        }

    @router.get("/dashboard")
    def dashboard(request: Request, actor: PageActor) -> Response:
        require_admin(actor)
        return renderer(request).page(request, "dashboard.html", context(request))

    @router.get("/dashboard/live")
    def dashboard_live(request: Request, actor: PageActor) -> Response:
        require_admin(actor)
        response = renderer(request).page(request, "_dashboard.html", context(request))
        response.headers["X-Live-Active"] = "true"
        return response

    @router.post("/dashboard/tasks/{task_id}/retry", dependencies=[Depends(csrf)])
    def retry(request: Request, actor: PageActor, task_id: TaskId) -> Response:
        require_admin(actor)
        retry_dead(runtime, task_id)
        return see_other(f"/dashboard?retried={task_id}#failures")

    return router


def dashboard_api(ctx: WebContext) -> APIRouter:
    router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"], responses=ERROR_RESPONSES)
    runtime = ctx.services.runtime

    @router.get("", summary="Queue, workers, video jobs, dead tasks and batches (admins)")
    def get_dashboard(actor: ApiActor) -> dict[str, Any]:
        require_admin(actor)
        return gather(runtime).to_json()

    @router.post(
        "/tasks/{task_id}/retry",
        dependencies=[Depends(api_csrf)],
        summary="Queue a dead task again (admins)",
    )
    def retry_task(actor: ApiActor, task_id: TaskId) -> dict[str, Any]:
        require_admin(actor)
        task = retry_dead(runtime, task_id)
        return {k: v for k, v in asdict(task).items() if k != "payload"}

    return router
