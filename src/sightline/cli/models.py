"""``sightline models ...``: list, pull, add and remove models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer

from sightline.cli.context import state
from sightline.errors import SightlineError

app = typer.Typer(
    help="Manage models: built-ins, the downloadable catalog, your own ONNX files.",
    no_args_is_help=True,
)


def _fail(error: SightlineError) -> NoReturn:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command("list")
def list_models(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Built-in models with their versions, the catalog, and the user's own models."""
    from sightline.models.catalog import BUILTINS, catalog
    from sightline.models.pull import partial_path
    from sightline.models.registry import Registry

    registry = Registry.from_settings(state(ctx).settings())
    installed, problems = registry.scan()
    by_name = {m.name: m for m in installed}

    builtin_rows = [
        {
            "name": b.name,
            "tasks": list(b.tasks),
            "version": b.version,
            "packages": b.versions(),
            "installed": b.installed,
            "description": b.description,
        }
        for b in BUILTINS
    ]
    catalog_rows = []
    for e in catalog().values():
        have = by_name.get(e.name)
        part = partial_path(registry, e)
        status = (
            "installed"
            if have is not None and have.sha256 == e.sha256
            else "outdated"
            if have is not None
            else "partial"
            if part.is_file()
            else "available"
        )
        catalog_rows.append(
            {
                "name": e.name,
                "task": e.task,
                "file": e.file,
                "size": e.size,
                "sha256": e.sha256,
                "license": e.license,
                "status": status,
                "installed": status == "installed",
                "partial_bytes": part.stat().st_size if status == "partial" else 0,
                "supported": e.supported,
            }
        )
    user_rows = [
        {
            "name": m.name,
            "task": m.task,
            "file": m.file,
            "size": m.size,
            "sha256": m.sha256,
            "layout": m.layout,
            "labels": m.labels,
            "classes": len(m.label_names()),
            "installed_at": m.installed_at,
            "origin": m.origin,
        }
        for m in installed
        if m.source == "user"
    ]
    if as_json:
        payload = {
            "model_dir": str(registry.root),
            "builtin": builtin_rows,
            "catalog": catalog_rows,
            "user": user_rows,
            "problems": problems,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    _print_tables(str(registry.root), builtin_rows, catalog_rows, user_rows, problems)


def _print_tables(
    root: str,
    builtins: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    users: list[dict[str, Any]],
    problems: list[str],
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="Built-in models (from installed packages)", title_justify="left")
    for col in ("name", "tasks", "version"):
        t.add_column(col)
    for b in builtins:
        t.add_row(b["name"], ", ".join(b["tasks"]), b["version"])
    console.print(t)

    t = Table(title=f"Catalog (`sightline models pull NAME`) into {root}", title_justify="left")
    for col in ("name", "task", "size", "license", "status"):
        t.add_column(col)
    for e in entries:
        status = e["status"]
        if status == "partial":
            status = f"partial ({e['partial_bytes']:,} bytes; pull resumes)"
        if not e["supported"]:
            status += " (no adapter uses it yet)"
        t.add_row(e["name"], e["task"], f"{e['size'] / 1e6:.1f} MB", e["license"], status)
    console.print(t)

    if users:
        t = Table(title="Your models (`sightline models add`)", title_justify="left")
        for col in ("name", "task", "layout", "classes", "size"):
            t.add_column(col)
        for u in users:
            t.add_row(
                u["name"], u["task"], u["layout"] or "", str(u["classes"]), f"{u['size']:,} B"
            )
        console.print(t)
    for p in problems:
        console.print(f"[yellow]warning:[/yellow] {p}", highlight=False)


@app.command("pull")
def pull_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Catalog model name (see `sightline models list`)")],
    url: Annotated[
        Optional[list[str]],  # noqa: UP045  (typer reads the annotation at runtime on 3.10)
        typer.Option("--url", help="Mirror URL to use instead of the catalog's; repeatable"),
    ] = None,
) -> None:
    """Download a catalog model, verify its size and SHA-256, and install it."""
    from sightline.models.pull import RichProgress, pull

    try:
        model = pull(name, state(ctx).settings(), url or None, progress=RichProgress())
    except SightlineError as e:
        _fail(e)
    typer.echo(f"{model.name}: installed {model.path} (sha256 {model.sha256})")


@app.command("add")
def add_model(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="ONNX model file")],
    task: Annotated[str, typer.Option("--task", help="object-detection or image-classification")],
    labels: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--labels", help="Class names, one per line, in output order"),
    ] = None,
    name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--name", help="Model name; default from the file name"),
    ] = None,
    layout: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--layout",
            help="Output layout: yolox (default), yolov5, yolov8 for detectors; imagenet",
        ),
    ] = None,
) -> None:
    """Check your own ONNX detector or classifier and install it."""
    from sightline.models.add import add_model as add

    try:
        model = add(file, task, state(ctx).settings(), labels=labels, name=name, layout=layout)
    except SightlineError as e:
        _fail(e)
    classes = len(model.label_names())
    typer.echo(
        f"{model.name}: installed {model.task} model ({model.layout}, {classes} classes) "
        f"at {model.path}"
    )


@app.command("remove")
def remove_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Installed model name")],
) -> None:
    """Uninstall a pulled or added model (built-ins come and go with their packages)."""
    from sightline.errors import InvalidParameterError
    from sightline.models.catalog import builtin
    from sightline.models.registry import Registry

    try:
        if builtin(name) is not None:
            raise InvalidParameterError(
                f"{name!r} is a built-in model: it is part of an installed Python package "
                "and cannot be removed here."
            )
        model = Registry.from_settings(state(ctx).settings()).remove(name)
    except SightlineError as e:
        _fail(e)
    typer.echo(f"{model.name}: removed {model.directory}")
