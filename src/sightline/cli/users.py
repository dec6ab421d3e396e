"""``sightline users create|list|disable|enable|passwd``: accounts of the web app.

The first admin can also be created in the browser: while no user exists, the app's
first page asks for one. Passwords are prompted for (twice, hidden) or read from
standard input with ``--password-stdin`` (one line), never taken as an argument.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from sightline.cli.context import state

if TYPE_CHECKING:
    from sightline.accounts.users import UserInfo, UserStore

app = typer.Typer(help="Users of the web app (albums): create, list, disable, passwords.")

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]


def _store(ctx: typer.Context) -> UserStore:
    from sightline.accounts.users import UserStore
    from sightline.runtime import Runtime

    return UserStore(Runtime.open(state(ctx).settings()).engine)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name (letters, digits, '.', '_', '-')")],
    admin: Annotated[
        bool, typer.Option("--admin", help="An admin sees and manages every album")
    ] = False,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (a member, or an admin with --admin)."""
    from sightline.accounts.users import ADMIN, MEMBER
    from sightline.errors import SightlineError

    store = _store(ctx)
    try:
        user = store.create(name, _password(password_stdin), ADMIN if admin else MEMBER)
    except SightlineError as exc:
        raise _fail(exc) from exc
    typer.echo(f"Created {user.role} {user.username}. Sign in at http://<host>:<port>/login.")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """List users with their role and state."""
    users = _store(ctx).list()
    if as_json:
        typer.echo(json.dumps([_record(u) for u in users], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("User", "Role", "Created", "State")
    for u in users:
        table.add_row(
            u.username,
            u.role,
            u.created_at.strftime("%Y-%m-%d %H:%M"),
            "active" if u.active else f"disabled {u.disabled_at:%Y-%m-%d}",
        )
    Console().print(table)


@app.command("disable")
def disable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Disable a user: their sessions end and they cannot sign in (albums stay)."""
    _set_disabled(ctx, name, True)


@app.command("enable")
def enable(ctx: typer.Context, name: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Let a disabled user sign in again."""
    _set_disabled(ctx, name, False)


def _set_disabled(ctx: typer.Context, name: str, disabled: bool) -> None:
    from sightline.errors import SightlineError

    try:
        user = _store(ctx).set_disabled(name, disabled)
    except SightlineError as exc:
        raise _fail(exc) from exc
    typer.echo(f"{user.username} is {'disabled' if disabled else 'enabled'}.")


@app.command("passwd")
def passwd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (their sessions end: they sign in again)."""
    from sightline.errors import SightlineError

    try:
        user = _store(ctx).set_password(name, _password(password_stdin))
    except SightlineError as exc:
        raise _fail(exc) from exc
    typer.echo(f"Password of {user.username} changed; their sessions have ended.")


def _record(user: UserInfo) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "created_at": user.created_at.isoformat(),
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
    }
