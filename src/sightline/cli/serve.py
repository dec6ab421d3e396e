"""``sightline serve``: the whole embedded system in one process tree.

API (port 8400 unless ``--port``), worker processes, the folder watcher on the input
bucket and the scheduler (which also drives custom labels: versions' inference units,
background training, scheduled batches), all on the data folder (``--data-dir``, default
``./sightline-data``): SQLite at ``sightline.db``, buckets as folders under
``storage/``. A file saved as ``storage/content/labels/a.jpg`` is analysed and its
answer written to ``storage/output/sync/labels/a.jpg-analysis/<itemId>/response.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sightline.cli.context import state


def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port; default 8400")] = None,  # noqa: UP045
    data_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-dir", help="Data folder; default ./sightline-data"),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Worker processes; default pipeline.workers (2)"),
    ] = None,
    watch: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option("--watch/--no-watch", help="Watch the input bucket's folder"),
    ] = None,
) -> None:
    """Serve the API, run workers, watch the input bucket, run scheduled jobs."""
    import logging

    import uvicorn

    from sightline.api.app import create_app
    from sightline.api.services import build_services
    from sightline.customlabels.service import CustomLabelsService
    from sightline.embedded import EmbeddedSystem
    from sightline.storage.local import LocalStore

    cli = state(ctx)
    if data_dir is not None:
        cli.data_dir = data_dir
    settings = cli.settings(**({"data_dir": data_dir} if data_dir is not None else {}))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    system = EmbeddedSystem(settings, workers=workers, watch=watch)
    p = settings.pipeline
    bind_host = host or settings.server.host
    bind_port = port or settings.server.port
    store = system.runtime.store
    if isinstance(store, LocalStore):
        typer.echo(f"data:    {settings.data_dir.resolve()}")
        typer.echo(
            f"input:   {store.bucket_path(p.input_bucket)}/<labels|faces|text|moderation>/..."
        )
        typer.echo(
            f"output:  {store.bucket_path(p.output_bucket)}/{p.output_prefix}"
            "<key>-analysis/<itemId>/response.json"
        )
    typer.echo(f"api:     http://{bind_host}:{bind_port}  (status: /status, metrics: /metrics)")
    services = build_services(settings, runtime=system.runtime)
    # One custom-labels service: the API's Start/Stop/DetectCustomLabels and the
    # scheduler's reconcile, training and batch jobs share its version host.
    services.custom_labels = CustomLabelsService(system.runtime)
    services.custom_labels.schedule(system.scheduler)
    system.start()
    try:
        uvicorn.run(
            create_app(settings, services=services, runtime=system.runtime),
            host=bind_host,
            port=bind_port,
            log_level="info",
        )
    finally:
        # The scheduler stops first, so nothing restarts what the service then stops.
        system.stop()
        services.close()
