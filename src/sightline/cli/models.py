"""``sightline models ...``: list, pull, add and remove models."""

from __future__ import annotations

import typer

app = typer.Typer(help="Manage models: built-ins, the downloadable catalog, your own ONNX files.")
