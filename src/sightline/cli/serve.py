"""``sightline serve``: the whole embedded system in one process tree."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from sightline.cli.context import state


def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port; default 8400")] = None,  # noqa: UP045
) -> None:
    """Serve the API (and, as they land, workers, watcher and scheduler)."""
    import uvicorn

    from sightline.api.app import create_app
    from sightline.api.services import build_services

    settings = state(ctx).settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(settings)
    # Custom labels: the version host, trainer and scheduled batches run with the server.
    services.customlabels().start()
    try:
        uvicorn.run(
            create_app(settings, services=services),
            host=host or settings.server.host,
            port=port or settings.server.port,
            log_level="info",
        )
    finally:
        services.close()
