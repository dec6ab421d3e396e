"""``sightline notify list | retry | purge``: inspect and repair the notification outbox."""

from __future__ import annotations

import json
import time
from typing import Annotated, Optional

import typer

from sightline.cli.context import state
from sightline.cli.tasks import parse_duration

app = typer.Typer(help="Inspect and repair the notification outbox.", no_args_is_help=True)

_STATES = ("pending", "delivered", "dead")


def _states(text: str | None) -> list[str]:
    states = [p.strip() for p in (text or "").split(",") if p.strip()]
    bad = [s for s in states if s not in _STATES]
    if bad:
        raise typer.BadParameter(f"unknown state(s) {bad}; use {', '.join(_STATES)}")
    return states


@app.command("list")
def list_notifications(
    ctx: typer.Context,
    state_: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--state", help="pending,delivered,dead (comma-separated)"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List notifications, newest first."""
    from sightline.notify.outbox import Outbox
    from sightline.runtime import Runtime

    states = _states(state_)
    rt = Runtime.open(state(ctx).settings())
    try:
        rows = Outbox(rt.engine).list(states=states, limit=limit)
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("id", "state", "attempts", "age", "channel", "target", "topic", "last error"):
        table.add_column(col)
    now = time.time()
    for r in rows:
        table.add_row(
            str(r.id),
            r.state,
            str(r.attempts),
            f"{now - r.created_at:.0f}s",
            r.channel,
            r.target,
            r.topic_arn,
            (r.last_error or "")[:80],
        )
    Console().print(table)


@app.command()
def retry(
    ctx: typer.Context,
    ids: Annotated[
        Optional[list[int]],  # noqa: UP045
        typer.Argument(help="Notification ids; default every dead one"),
    ] = None,
) -> None:
    """Requeue dead notifications (all, or the given ones) with fresh attempts."""
    from sightline.notify.outbox import Outbox
    from sightline.runtime import Runtime

    rt = Runtime.open(state(ctx).settings())
    try:
        n = Outbox(rt.engine).retry(ids or [])
    finally:
        rt.close()
    typer.echo(f"requeued {n} notification(s)")


@app.command()
def purge(
    ctx: typer.Context,
    state_: Annotated[str, typer.Option("--state", help="delivered and/or dead")] = "delivered",
    older_than: Annotated[str, typer.Option(help="Age, e.g. 7d, 12h, 0")] = "7d",
) -> None:
    """Delete old delivered (or dead) notifications; pending ones are never purged."""
    from sightline.notify.outbox import Outbox
    from sightline.runtime import Runtime

    states = _states(state_)
    if "pending" in states:
        raise typer.BadParameter("pending notifications are never purged")
    rt = Runtime.open(state(ctx).settings())
    try:
        n = Outbox(rt.engine).purge(states=states, older_than=parse_duration(older_than))
    finally:
        rt.close()
    typer.echo(f"purged {n} notification(s)")
