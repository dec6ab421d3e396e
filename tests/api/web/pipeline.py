"""Run the queued analyses of a runtime inline (real stages, real analyzers)."""

from __future__ import annotations

from sightline.analyzers.base import AnalyzerPool
from sightline.pipeline.stages import build_stages
from sightline.pipeline.worker import WorkerLoop, WorkerRegistry
from sightline.runtime import Runtime


def drain(rt: Runtime, pool: AnalyzerPool) -> None:
    """Process every queued task (of whatever kind uploads were routed to) until idle."""
    kinds = sorted(
        {kind for (kind, state), n in rt.tasks.depth().items() if n and state == "queued"}
    )
    if not kinds:
        return
    loop = WorkerLoop(
        rt.tasks,
        build_stages(rt, pool, kinds),
        owner="inline:web-tests",
        idle_poll=0.01,
        registry=WorkerRegistry(rt.engine),
    )
    loop.run(until_idle=True)
