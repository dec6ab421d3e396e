"""``sightline status``: queue depth by kind and state, throughput, limits, workers."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer

from sightline.cli.context import state


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the pipeline: queue, throughput, rate limits, workers, items."""
    from sightline.pipeline.status import snapshot
    from sightline.runtime import Runtime

    runtime = Runtime.open(state(ctx).settings())
    try:
        snap = snapshot(runtime)
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(snap, indent=2, default=str))
        return
    _print(snap)


def _print(snap: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    queue = Table(title="Queue")
    for col in ("kind", "queued", "running", "done", "dead", "done/s (1 min)"):
        queue.add_column(col, justify="left" if col == "kind" else "right")
    kinds = sorted({r["kind"] for r in snap["queue"]} | set(snap["throughput"]["per_second"]))
    counts = {(r["kind"], r["state"]): r["count"] for r in snap["queue"]}
    for kind in kinds:
        rate = snap["throughput"]["per_second"].get(kind, 0.0)
        queue.add_row(
            kind,
            *(str(counts.get((kind, s), 0)) for s in ("queued", "running", "done", "dead")),
            f"{rate:.2f}",
        )
    console.print(queue)
    items = Table(title="Items")
    for status in ("PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"):
        items.add_column(status, justify="right")
    items.add_row(
        *(
            str(snap["items"].get(s, 0))
            for s in ("PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED")
        )
    )
    console.print(items)
    limits = Table(title="Limits")
    for col in ("kind", "rate/s", "burst", "tokens", "max running"):
        limits.add_column(col)
    for lim in snap["limits"]:
        limits.add_row(
            lim["kind"],
            "-" if lim["rate"] is None else f"{lim['rate']:g}",
            f"{lim['burst']:g}",
            f"{lim['tokens']:.2f}",
            "-" if lim["max_running"] is None else str(lim["max_running"]),
        )
    console.print(limits if snap["limits"] else "Limits: none (every kind runs unthrottled)")
    workers = Table(title="Workers")
    for col in ("worker", "kinds", "state", "tasks held", "processed", "failed", "last beat"):
        workers.add_column(col)
    for w in snap["workers"]:
        workers.add_row(
            w["id"],
            ",".join(w["kinds"]),
            w["state"],
            str(w["current"]),
            str(w["processed"]),
            str(w["failed"]),
            f"{time.time() - w['heartbeat_at']:.0f}s ago",
        )
    console.print(workers if snap["workers"] else "Workers: none alive")
    video = snap.get("video", {})
    jobs = video.get("jobs", {})
    console.print(
        "Video jobs: " + ", ".join(f"{n} {s.lower()}" for s, n in sorted(jobs.items()))
        if jobs
        else "Video jobs: none"
    )
    if video.get("running"):
        running = Table(title="Video jobs running")
        for col in ("job", "api", "video", "frames", "for"):
            running.add_column(col)
        for j in video["running"]:
            total = j["frames_total"]
            running.add_row(
                j["job_id"][:12],
                j["api"],
                j["video"],
                f"{j['frames_done']}/{total}" if total else str(j["frames_done"]),
                f"{time.time() - j['started_at']:.0f}s",
            )
        console.print(running)
