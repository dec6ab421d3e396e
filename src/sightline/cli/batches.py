"""``sightline batch ...``: scheduled custom-label batches.

``create`` defines one (source, version, final bucket, cron schedule); ``sightline
serve`` runs it on schedule; ``run`` runs it now, here, with progress; ``runs`` shows
its history.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer

from sightline.cli.customlabels import fail, open_runtime, s3_location
from sightline.errors import SightlineError

app = typer.Typer(help="Scheduled custom-label batches.", no_args_is_help=True)


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every batch, its schedule and next run."""
    from sightline.customlabels.batches import list_batches

    rt = open_runtime(ctx)
    try:
        for b in list_batches(rt):
            state_ = "enabled" if b.enabled else "disabled"
            typer.echo(
                f"{b.name}\t{b.schedule}\t{state_}\tnext {_when(b.next_run_at)}\t"
                f"s3://{b.source_bucket}/{b.source_prefix} -> s3://{b.final_bucket}/{b.final_prefix}"
                f"\t{b.version_arn}"
            )
    finally:
        rt.close()


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    project: Annotated[str, typer.Option(help="Project name or ARN")],
    version: Annotated[str, typer.Option(help="Version name or ARN")],
    source: Annotated[str, typer.Option(help="s3://bucket/prefix/ where images arrive")],
    final: Annotated[str, typer.Option(help="s3://bucket/prefix/ for images and results")],
    schedule: Annotated[str, typer.Option(help="Cron expression; default hourly")] = "0 * * * *",
    units: Annotated[int, typer.Option(help="Inference units while it runs")] = 1,
    min_confidence: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="0-100; default: each label's assumed threshold"),
    ] = None,
) -> None:
    """Define a batch."""
    from sightline.customlabels.batches import create_batch
    from sightline.customlabels.versions import version_arn_by_name

    src_bucket, src_prefix = s3_location(source)
    dst_bucket, dst_prefix = s3_location(final)
    rt = open_runtime(ctx)
    try:
        b = create_batch(
            rt,
            name,
            version_arn_by_name(rt, project, version),
            source_bucket=src_bucket,
            source_prefix=src_prefix,
            final_bucket=dst_bucket,
            final_prefix=dst_prefix,
            schedule=schedule,
            units=units,
            min_confidence=min_confidence,
        )
        typer.echo(f"{b.name}: next run {_when(b.next_run_at)}")
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("run")
def run(ctx: typer.Context, name: str) -> None:
    """Run a batch now, in this process: load the model only if images wait."""
    from rich.progress import Progress

    from sightline.customlabels.batch_runner import BatchRunner
    from sightline.customlabels.host import VersionHost

    rt = open_runtime(ctx)
    host = VersionHost(rt)
    try:
        with Progress(transient=True) as bar:
            job = bar.add_task(f"batch {name}", total=None)
            record = BatchRunner(host).run(name, on_progress=lambda outcome, key: bar.advance(job))
        typer.echo(
            f"run {record.id}: {record.status}; {record.queued} queued, {record.processed} "
            f"processed, {record.failed} failed, model loaded {record.model_loads} time(s)"
        )
        for f in record.failures[:20]:
            typer.echo(f"  failed: {f.get('key')}: {f.get('error')}", err=True)
        if record.error:
            typer.echo(f"  {record.error}", err=True)
        if record.status == "FAILED":
            raise typer.Exit(1)
    except SightlineError as e:
        fail(e)
    finally:
        host.close()
        rt.close()


@app.command("runs")
def runs(ctx: typer.Context, name: str, limit: int = 20) -> None:
    """A batch's recent runs."""
    from sightline.customlabels.batches import list_runs

    rt = open_runtime(ctx)
    try:
        for r in list_runs(rt, name, limit=limit):
            typer.echo(
                f"{r.id}\t{_when(r.started_at)}\t{r.trigger}\t{r.status}\tqueued {r.queued}\t"
                f"processed {r.processed}\tfailed {r.failed}\tloads {r.model_loads}"
                + (f"\t{r.error}" if r.error else "")
            )
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("delete")
def delete(ctx: typer.Context, name: str) -> None:
    """Delete a batch (its queued images stay in the source bucket)."""
    from sightline.customlabels.batches import delete_batch

    rt = open_runtime(ctx)
    try:
        delete_batch(rt, name)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("enable")
def enable(ctx: typer.Context, name: str) -> None:
    """Let the scheduler run the batch."""
    _toggle(ctx, name, True)


@app.command("disable")
def disable(ctx: typer.Context, name: str) -> None:
    """Keep the scheduler from running the batch (``run`` still works)."""
    _toggle(ctx, name, False)


def _toggle(ctx: typer.Context, name: str, enabled: bool) -> None:
    from sightline.customlabels.batches import set_enabled

    rt = open_runtime(ctx)
    try:
        set_enabled(rt, name, enabled)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()
