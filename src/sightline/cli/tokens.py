"""``sightline tokens create|list|revoke``: bearer tokens for the REST API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sightline.cli.context import state

if TYPE_CHECKING:
    from sightline.auth.tokens import TokenInfo, TokenStore

app = typer.Typer(help="Bearer tokens for the native REST API (/api/v1).")


def _store(ctx: typer.Context) -> TokenStore:
    from sightline.auth.tokens import TokenStore
    from sightline.runtime import Runtime

    return TokenStore(Runtime.open(state(ctx).settings()).engine)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Option(help="A label for the token")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create a token and print it (shown only this once; stored hashed)."""
    new = _store(ctx).create(name)
    if as_json:
        typer.echo(json.dumps({"token": new.token, **_record(new.info)}))
        return
    typer.echo(f"Token: {new.token}")
    typer.echo(f"Id:    {new.info.token_id}  Name: {new.info.name}")
    typer.echo("Send it as 'Authorization: Bearer <token>'. It is shown only now.")


@app.command("list")
def list_(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include revoked tokens")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List tokens (ids and names; the tokens themselves are not stored)."""
    tokens = _store(ctx).list(include_revoked=show_all)
    if as_json:
        typer.echo(json.dumps([_record(t) for t in tokens], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("Id", "Name", "Created", "Revoked")
    for t in tokens:
        table.add_row(
            t.token_id,
            t.name,
            t.created_at.strftime("%Y-%m-%d %H:%M"),
            t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else "",
        )
    Console().print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(help="The token's id (or the token itself)")],
) -> None:
    """Revoke a token: requests carrying it are refused from then on."""
    from sightline.errors import SightlineError

    try:
        info = _store(ctx).revoke(token_id)
    except SightlineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Revoked {info.token_id} ({info.name}).")


def _record(info: TokenInfo) -> dict[str, object]:
    return {
        "id": info.token_id,
        "name": info.name,
        "created_at": info.created_at.isoformat(),
        "revoked_at": info.revoked_at.isoformat() if info.revoked_at else None,
    }
