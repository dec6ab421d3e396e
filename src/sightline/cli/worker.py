"""``sightline worker``: worker processes alone, for more machines on one database.

Point every machine at the same PostgreSQL (``SIGHTLINE_DATABASE_URL``) and S3 endpoint
(``[storage] backend = "s3"``); rate limits and concurrency caps hold across all of
them because they are enforced in the database's claim.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Optional

import typer

from sightline.cli.context import state


def worker(
    ctx: typer.Context,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--workers", "-n", help="Processes; default pipeline.workers"),
    ] = None,
    kinds: Annotated[
        str, typer.Option(help="Task kinds to run, comma-separated")
    ] = "image,video,video-job,workflow",
) -> None:
    """Run worker processes until interrupted (SIGINT/SIGTERM finish the task in hand)."""
    import logging

    from sightline.executors.local import LocalExecutor
    from sightline.runtime import Runtime

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = state(ctx).settings()
    runtime = Runtime.open(settings)  # migrates once, before the processes start
    runtime.apply_limits()
    runtime.close()
    names = [k.strip() for k in kinds.split(",") if k.strip()]
    executor = LocalExecutor(settings, workers=workers, kinds=names)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    executor.start()
    typer.echo(f"{executor.count} worker process(es) for {', '.join(names)}; Ctrl-C stops them")
    done.wait()
    typer.echo("stopping: finishing tasks in hand")
    executor.stop()
