"""The pipeline at a glance: queue depth, throughput, limits, workers, items.

One snapshot feeds ``sightline status``, ``GET /status`` and the Prometheus collector
behind ``/metrics``, so the three always agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sightline.pipeline.worker import WorkerRegistry

if TYPE_CHECKING:
    from sightline.runtime import Runtime


def alive_window(runtime: Runtime) -> float:
    """A worker is alive if it beat within three heartbeat intervals."""
    return 3 * runtime.settings.pipeline.heartbeat_interval() + 5


def snapshot(runtime: Runtime, *, window: float = 60.0) -> dict[str, Any]:
    """JSON-ready state of the pipeline.

    ``queue``: ``[{"kind", "state", "count"}]``; ``throughput``: tasks done per second
    by kind over ``window`` seconds; ``limits``: configured rate/burst/cap and the
    tokens now in each bucket; ``workers``: live workers; ``items``: counts by status;
    ``video``: jobs by status and the progress (frames done / expected) of each job
    that has started and not finished.
    """
    from sightline.video.jobs import jobs_of

    depth = runtime.tasks.depth()
    jobs = jobs_of(runtime)
    return {
        "queue": [{"kind": k, "state": s, "count": n} for (k, s), n in sorted(depth.items())],
        "throughput": {
            "window_seconds": window,
            "per_second": runtime.tasks.throughput(window),
        },
        "limits": [asdict(lim) for lim in runtime.tasks.limits()],
        "workers": [
            asdict(w)
            for w in WorkerRegistry(runtime.engine).workers(alive_within=alive_window(runtime))
        ],
        "items": runtime.catalog.counts(),
        "video": {
            "jobs": jobs.counts(),
            "running": [
                {
                    "job_id": j.job_id,
                    "api": j.api,
                    "video": f"{j.bucket}/{j.name}",
                    "frames_done": j.frames_done,
                    "frames_total": j.frames_total,
                    "started_at": j.started_at,
                }
                for j in jobs.list(status="IN_PROGRESS", limit=50)
                if j.started_at is not None
            ],
        },
    }


class PipelineCollector:
    """A Prometheus collector reading :func:`snapshot` at scrape time."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        snap = snapshot(self.runtime)
        tasks = GaugeMetricFamily(
            "sightline_tasks", "Tasks in the queue by kind and state", labels=["kind", "state"]
        )
        for row in snap["queue"]:
            tasks.add_metric([row["kind"], row["state"]], row["count"])
        yield tasks
        items = GaugeMetricFamily("sightline_items", "Items by status", labels=["status"])
        for status, count in sorted(snap["items"].items()):
            items.add_metric([status], count)
        yield items
        rate = GaugeMetricFamily(
            "sightline_tasks_completed_per_second",
            "Tasks completed per second over the last minute",
            labels=["kind"],
        )
        for kind, value in sorted(snap["throughput"]["per_second"].items()):
            rate.add_metric([kind], value)
        yield rate
        workers = GaugeMetricFamily("sightline_workers", "Live worker processes")
        workers.add_metric([], len(snap["workers"]))
        yield workers
        limit_rate = GaugeMetricFamily(
            "sightline_rate_limit_per_second", "Configured task rate by kind", labels=["kind"]
        )
        tokens = GaugeMetricFamily(
            "sightline_rate_limit_tokens", "Tokens in the kind's bucket", labels=["kind"]
        )
        cap = GaugeMetricFamily(
            "sightline_concurrency_cap", "Most tasks of the kind running at once", labels=["kind"]
        )
        for lim in snap["limits"]:
            if lim["rate"] is not None:
                limit_rate.add_metric([lim["kind"]], lim["rate"])
                tokens.add_metric([lim["kind"]], lim["tokens"])
            if lim["max_running"] is not None:
                cap.add_metric([lim["kind"]], lim["max_running"])
        yield limit_rate
        yield tokens
        yield cap
        video = GaugeMetricFamily("sightline_video_jobs", "Video jobs by status", labels=["status"])
        for status, count in sorted(snap["video"]["jobs"].items()):
            video.add_metric([status], count)
        yield video
