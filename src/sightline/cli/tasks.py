"""``sightline tasks list | retry | purge | limit``: inspect and steer the queue."""

from __future__ import annotations

import json
import re
import time
from typing import Annotated, Optional

import typer

from sightline.cli.context import state

app = typer.Typer(help="Inspect and steer the task queue.", no_args_is_help=True)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")


def parse_duration(text: str) -> float:
    """Seconds in ``30``, ``30s``, ``15m``, ``12h`` or ``7d``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration like 30s, 15m, 12h or 7d")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


@app.command("list")
def list_tasks(
    ctx: typer.Context,
    state_: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--state", help="queued,running,done,dead (comma-separated)"),
    ] = None,
    kind: Annotated[Optional[str], typer.Option(help="Task kinds, comma-separated")] = None,  # noqa: UP045
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List tasks, newest first."""
    from sightline.runtime import Runtime

    rt = Runtime.open(state(ctx).settings())
    try:
        rows = rt.tasks.list(states=_split(state_), kinds=_split(kind), limit=limit)
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("id", "kind", "state", "attempts", "priority", "age", "key", "last error"):
        table.add_column(col)
    now = time.time()
    for r in rows:
        table.add_row(
            str(r.id),
            r.kind,
            r.state,
            f"{r.attempts}/{r.max_attempts}",
            str(r.priority),
            f"{now - r.created_at:.0f}s",
            r.key,
            (r.last_error or "")[:80],
        )
    Console().print(table)


@app.command()
def retry(
    ctx: typer.Context,
    ids: Annotated[Optional[list[int]], typer.Argument(help="Task ids; default all dead")] = None,  # noqa: UP045
    kind: Annotated[Optional[str], typer.Option(help="Only these kinds")] = None,  # noqa: UP045
) -> None:
    """Queue dead tasks (or the given ones) again, with fresh attempts."""
    from sightline.runtime import Runtime

    rt = Runtime.open(state(ctx).settings())
    try:
        n = rt.tasks.retry(ids=ids or [], kinds=_split(kind))
    finally:
        rt.close()
    typer.echo(f"queued {n} task(s) again")


@app.command()
def purge(
    ctx: typer.Context,
    state_: Annotated[str, typer.Option("--state", help="done and/or dead")] = "done",
    older_than: Annotated[str, typer.Option(help="Age, e.g. 7d, 12h, 0")] = "7d",
    kind: Annotated[Optional[str], typer.Option(help="Only these kinds")] = None,  # noqa: UP045
) -> None:
    """Delete finished tasks (queued and running ones are never purged)."""
    from sightline.runtime import Runtime

    states = _split(state_)
    bad = [s for s in states if s not in ("done", "dead")]
    if bad:
        raise typer.BadParameter(f"only done and dead tasks can be purged, not {bad}")
    rt = Runtime.open(state(ctx).settings())
    try:
        n = rt.tasks.purge(states=states, kinds=_split(kind), older_than=parse_duration(older_than))
    finally:
        rt.close()
    typer.echo(f"purged {n} task(s)")


@app.command()
def limit(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Task kind, e.g. image")],
    rate: Annotated[Optional[float], typer.Option(help="Tasks per second")] = None,  # noqa: UP045
    burst: Annotated[Optional[float], typer.Option(help="Bucket size")] = None,  # noqa: UP045
    concurrency: Annotated[Optional[int], typer.Option(help="Most running at once")] = None,  # noqa: UP045
) -> None:
    """Set (or, with no options, remove) a kind's rate limit and concurrency cap, for
    every worker at once."""
    from sightline.runtime import Runtime

    rt = Runtime.open(state(ctx).settings())
    try:
        lim = rt.tasks.set_limit(kind, rate=rate, burst=burst, max_running=concurrency)
    finally:
        rt.close()
    if lim.rate is None and lim.max_running is None:
        typer.echo(f"{kind}: no limits")
    else:
        typer.echo(
            f"{kind}: rate {lim.rate if lim.rate is not None else '-'}/s, burst {lim.burst:g}, "
            f"max running {lim.max_running if lim.max_running is not None else '-'}"
        )
