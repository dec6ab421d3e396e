"""The ``sightline`` command. Each command group lives in its own module here.

Heavy libraries (models, servers) are imported inside the commands, so ``sightline
--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sightline.cli import analyze as analyze_cmd
from sightline.cli import backfill as backfill_cmd
from sightline.cli import batches as batches_cmd
from sightline.cli import collections as collections_cmd
from sightline.cli import customlabels as customlabels_cmd
from sightline.cli import keys as keys_cmd
from sightline.cli import models as models_cmd
from sightline.cli import notify as notify_cmd
from sightline.cli import serve as serve_cmd
from sightline.cli import status as status_cmd
from sightline.cli import tasks as tasks_cmd
from sightline.cli import tokens as tokens_cmd
from sightline.cli import users as users_cmd
from sightline.cli import video as video_cmd
from sightline.cli import worker as worker_cmd
from sightline.cli.context import CliState

app = typer.Typer(
    name="sightline",
    help="Self-hosted image and video analysis with a Rekognition-compatible API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path],  # noqa: UP045  (typer reads the annotation at runtime on 3.10)
        typer.Option("--config", "-c", help="Settings file (TOML); default ./sightline.toml"),
    ] = None,
    data_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--data-dir", help="Embedded data folder; default ./sightline-data"),
    ] = None,
) -> None:
    ctx.obj = CliState(config=config, data_dir=data_dir)


app.command("serve")(serve_cmd.serve)
app.command("analyze")(analyze_cmd.analyze)
app.add_typer(models_cmd.app, name="models")
app.add_typer(collections_cmd.app, name="collections")
app.command("worker")(worker_cmd.worker)
app.command("status")(status_cmd.status)
app.command("backfill")(backfill_cmd.backfill)
app.add_typer(tasks_cmd.app, name="tasks")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(tokens_cmd.app, name="tokens")
app.add_typer(users_cmd.app, name="users")
app.add_typer(customlabels_cmd.app, name="customlabels")
app.add_typer(batches_cmd.app, name="batch")
app.add_typer(notify_cmd.app, name="notify")
app.add_typer(video_cmd.app, name="video")


def main() -> None:
    app()
