"""``sightline analyze PATH...``: one-off analysis of files and folders.

Writes ``{name}-analysis/{analysis}.json`` beside each file (or under ``--out``,
mirroring the tree): Rekognition's response shapes for labels, faces, text and
moderation, Sightline's own documents for metadata and thumbnails (plus the
thumbnail images), and a ``summary.json``. Exits 0 only when every file and every
analysis succeeded, 1 when anything failed, 2 on a usage error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sightline.cli.context import state

if TYPE_CHECKING:
    from rich.console import Console

    from sightline.cli.batch import FileReport

DEFAULT_ANALYSES = ("labels", "faces", "text", "moderation", "metadata", "thumbnail")
MAX_DEFAULT_WORKERS = 4


def analyze(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Image files and folders (walked)")],
    analyses: Annotated[
        str,
        typer.Option("--analyses", "-a", help="Comma-separated analyses to run", show_default=True),
    ] = ",".join(DEFAULT_ANALYSES),
    out: Annotated[
        Optional[Path],  # noqa: UP045  (typer reads the annotation at runtime on 3.10)
        typer.Option("--out", "-o", help="Write outputs here, mirroring the input tree"),
    ] = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--workers", "-w", min=1, help="Worker processes; default: CPUs, at most 4"),
    ] = None,
    request: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--request",
            help='Request members per analysis as JSON, e.g. \'{"labels": {"MinConfidence": 80}}\'',
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable results on stdout")
    ] = False,
) -> None:
    """Analyse images and write {name}-analysis/{analysis}.json beside them."""
    from rich.console import Console

    from sightline.cli.batch import collect, run_batch, write_batch_summary

    chosen = _parse_analyses(analyses)
    options = _parse_request(request, chosen)
    settings = state(ctx).settings()
    jobs, others = collect(paths, out)
    count = workers or max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS, len(jobs)))
    console = Console(stderr=True)

    with _progress(console, len(jobs), quiet=as_json and not console.is_terminal) as advance:
        reports = run_batch(
            jobs,
            settings,
            chosen,
            options,
            workers=count,
            with_documents=as_json,
            on_done=advance,
        )
    reports = sorted(reports + others, key=lambda r: r.path)
    if out is not None:
        write_batch_summary(out, reports)
    failed = [r for r in reports if r.status == "failed"]
    if as_json:
        payload = {
            "files": [r.as_dict() for r in reports],
            "summary": _totals(reports, chosen, count),
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_summary(Console(), reports, chosen, count)
    raise typer.Exit(1 if failed else 0)


def _parse_analyses(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in DEFAULT_ANALYSES]
    if not chosen or unknown:
        raise typer.BadParameter(
            f"unknown analysis {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {','.join(DEFAULT_ANALYSES)}",
            param_hint="--analyses",
        )
    return list(dict.fromkeys(chosen))


def _parse_request(text: str | None, chosen: list[str]) -> dict[str, dict[str, Any]]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--request") from exc
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise typer.BadParameter(
            'give an object of objects, e.g. {"labels": {"MinConfidence": 80}}',
            param_hint="--request",
        )
    extra = sorted(set(value) - set(chosen))
    if extra:
        raise typer.BadParameter(
            f"request members for analyses not chosen: {', '.join(extra)}", param_hint="--request"
        )
    return value


class _progress:
    """A rich progress bar on stderr; ``advance(report)`` after each file."""

    def __init__(self, console: Console, total: int, *, quiet: bool) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]analyse"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=console,
            disable=quiet or total == 0,
        )
        self.task = self.progress.add_task("analyse", total=total, failed=0, current="")
        self.failed = 0

    def __enter__(self) -> Any:
        self.progress.start()
        return self.advance

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def advance(self, report: FileReport) -> None:
        if report.status == "failed":
            self.failed += 1
        self.progress.update(
            self.task, advance=1, failed=self.failed, current=Path(report.path).name
        )


def _totals(reports: list[FileReport], chosen: list[str], workers: int) -> dict[str, Any]:
    per_analysis: dict[str, dict[str, Any]] = {}
    for name in chosen:
        entries = [r.analyses[name] for r in reports if name in r.analyses]
        ok = [e for e in entries if e.get("status") == "ok"]
        seconds = [e["seconds"] for e in ok]
        per_analysis[name] = {
            "ok": len(ok),
            "failed": len(entries) - len(ok),
            "mean_seconds": round(sum(seconds) / len(seconds), 6) if seconds else None,
        }
    statuses = [r.status for r in reports]
    return {
        "files": len(reports),
        "ok": statuses.count("ok"),
        "failed": statuses.count("failed"),
        "skipped": statuses.count("skipped"),
        "workers": workers,
        "analyses": per_analysis,
    }


def _print_summary(
    console: Console, reports: list[FileReport], chosen: list[str], workers: int
) -> None:
    from rich.table import Table

    totals = _totals(reports, chosen, workers)
    table = Table(title="sightline analyze", title_justify="left")
    table.add_column("analysis")
    table.add_column("ok", justify="right")
    table.add_column("failed", justify="right")
    table.add_column("mean s/image", justify="right")
    for name, row in totals["analyses"].items():
        mean = row["mean_seconds"]
        table.add_row(
            name,
            str(row["ok"]),
            f"[red]{row['failed']}[/]" if row["failed"] else "0",
            "-" if mean is None else f"{mean:.3f}",
        )
    console.print(table)
    console.print(
        f"files: {totals['files']}  ok: {totals['ok']}  failed: {totals['failed']}  "
        f"skipped: {totals['skipped']}  workers: {workers}"
    )
    problems = [r for r in reports if r.status != "ok"]
    if not problems:
        return
    detail = Table(title="problems", title_justify="left", show_lines=False)
    detail.add_column("file", overflow="fold")
    detail.add_column("status")
    detail.add_column("error")
    for report in problems:
        detail.add_row(report.path, report.status, _problem_text(report))
    console.print(detail)


def _problem_text(report: FileReport) -> str:
    if report.status == "skipped":
        return report.reason or ""
    if report.error is not None:
        return f"{report.error['type']}: {report.error['message']}"
    lines = [
        f"{name}: {entry['error']['type']}: {entry['error']['message']}"
        for name, entry in report.analyses.items()
        if entry.get("status") == "failed"
    ]
    return "\n".join(lines)
