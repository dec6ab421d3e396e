"""``sightline backfill``: enqueue existing objects from an inventory or a listing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sightline.cli.context import state


def backfill(
    ctx: typer.Context,
    inventory: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--inventory",
            exists=True,
            dir_okay=False,
            help="CSV of bucketName,objectName rows, or an S3 Inventory manifest.json",
        ),
    ] = None,
    bucket: Annotated[Optional[str], typer.Option(help="List this bucket instead")] = None,  # noqa: UP045
    prefix: Annotated[str, typer.Option(help="Only keys under this prefix")] = "",
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Rejected-rows CSV; default under <data-dir>/backfill/"),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per transaction")] = 1000,
    probe: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--probe/--no-probe",
            help="Read each object's first bytes now even when the inventory gives its facts",
        ),
    ] = None,
    restart: Annotated[bool, typer.Option(help="Ignore saved progress; start over")] = False,
) -> None:
    """Queue every listed object for analysis; resumable, with a rejected-rows report."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from sightline.pipeline.backfill import Backfill
    from sightline.pipeline.inventory import count_rows
    from sightline.runtime import Runtime

    if (inventory is None) == (bucket is None):
        raise typer.BadParameter("give either --inventory FILE or --bucket B [--prefix P]")
    runtime = Runtime.open(state(ctx).settings())
    try:
        job = Backfill(runtime, batch_size=batch_size, probe=probe, report=report)
        total = count_rows(inventory) if inventory is not None else None
        with Progress(
            TextColumn("[bold]backfill"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        ) as bar:
            task = bar.add_task("rows", total=total)

            def advance(n: int) -> None:
                bar.advance(task, n)

            if inventory is not None:
                summary = job.run_inventory(inventory, restart=restart, progress=advance)
            else:
                summary = job.run_listing(str(bucket), prefix, restart=restart, progress=advance)
    finally:
        runtime.close()
    if summary.already_done:
        typer.echo(
            f"{summary.source}: already backfilled ({summary.new} new, {summary.known} known, "
            f"{summary.rejected} rejected); --restart to run it again"
        )
        return
    if summary.resumed_after:
        typer.echo(f"resumed after row {summary.resumed_after}")
    typer.echo(
        f"{summary.source}: {summary.rows} rows in {summary.seconds:.1f}s "
        f"({summary.rate:,.0f}/s): {summary.new} new, {summary.known} already known, "
        f"{summary.skipped} skipped, {summary.rejected} rejected"
    )
    for reason, n in summary.reasons.most_common():
        typer.echo(f"  {n:>8}  {reason}")
    if summary.rejected:
        typer.echo(f"rejected rows: {summary.report}")
