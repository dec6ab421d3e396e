"""``sightline keys create|list|revoke``: access keys for the Rekognition API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from sightline.cli.context import state

if TYPE_CHECKING:
    from sightline.auth.keys import AccessKeyStore, KeyInfo

app = typer.Typer(help="Access keys for the Rekognition-compatible API (AWS SigV4).")


def _store(ctx: typer.Context) -> AccessKeyStore:
    from sightline.auth.keys import AccessKeyStore
    from sightline.auth.secrets import load_cipher
    from sightline.runtime import Runtime

    settings = state(ctx).settings()
    return AccessKeyStore(Runtime.open(settings).engine, load_cipher(settings))


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Option(help="A label for the key")] = None,  # noqa: UP045
    operations: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Comma-separated operations or patterns (Detect*); default: all"),
    ] = None,
    rate: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Requests per second for this key; default: settings.api.rate_per_key"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Create an access key and print its id and secret (shown only this once)."""
    from sightline.errors import SightlineError

    try:
        new = _store(ctx).create(
            name=name,
            operations=operations.split(",") if operations else None,
            rate_per_second=rate,
        )
    except SightlineError as exc:
        raise _fail(exc) from exc
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "AccessKeyId": new.info.access_key_id,
                    "SecretAccessKey": new.secret_access_key,
                    "Name": new.info.name,
                    "Operations": list(new.info.operations) if new.info.operations else None,
                    "RatePerSecond": new.info.rate_per_second,
                }
            )
        )
        return
    typer.echo(f"AccessKeyId:     {new.info.access_key_id}")
    typer.echo(f"SecretAccessKey: {new.secret_access_key}")
    typer.echo(f"Name:            {new.info.name}")
    typer.echo(f"Operations:      {_operations(new.info)}")
    typer.echo("The secret is shown only now; keep it where your client reads credentials.")


@app.command("list")
def list_(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Include revoked keys")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List access keys (never their secrets)."""
    keys = _store(ctx).list(include_revoked=show_all)
    if as_json:
        typer.echo(json.dumps([_record(k) for k in keys], indent=2))
        return
    from rich.console import Console
    from rich.table import Column, Table

    table = Table("Name", "Operations", "Rate/s", "Created", "Revoked")
    table.columns.insert(0, Column("AccessKeyId", no_wrap=True))
    for k in keys:
        table.add_row(
            k.access_key_id,
            k.name,
            _operations(k),
            "default" if k.rate_per_second is None else f"{k.rate_per_second:g}",
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    Console().print(table)


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    access_key_id: Annotated[str, typer.Argument(help="The key to revoke")],
) -> None:
    """Revoke an access key: its requests are refused from then on."""
    from sightline.errors import SightlineError

    try:
        info = _store(ctx).revoke(access_key_id)
    except SightlineError as exc:
        raise _fail(exc) from exc
    typer.echo(f"Revoked {info.access_key_id} ({info.name}).")


def _operations(info: KeyInfo) -> str:
    return ", ".join(info.operations) if info.operations else "all"


def _record(info: KeyInfo) -> dict[str, object]:
    return {
        "AccessKeyId": info.access_key_id,
        "Name": info.name,
        "Operations": list(info.operations) if info.operations else None,
        "RatePerSecond": info.rate_per_second,
        "CreatedAt": info.created_at.isoformat(),
        "RevokedAt": info.revoked_at.isoformat() if info.revoked_at else None,
    }
