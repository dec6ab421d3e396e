"""``sightline video analyze | jobs | get``: one-off video analysis and the job list.

``analyze`` runs one analysis of a local file in this process (no server, no queue),
with a progress bar, and writes or prints the same document a Get* call returns for a
finished job. ``jobs`` and ``get`` read the jobs that Start* and the pipeline queued.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sightline.cli.context import state

app = typer.Typer(help="Analyse stored videos; list and read video jobs.", no_args_is_help=True)

# Short names for the command line -> the Rekognition API they run.
SHORT_NAMES = {
    "labels": "LabelDetection",
    "faces": "FaceDetection",
    "search": "FaceSearch",
    "people": "PersonTracking",
    "text": "TextDetection",
    "moderation": "ContentModeration",
    "segments": "SegmentDetection",
}


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A video file (mp4, mov, mkv, webm, avi)")],
    api: Annotated[
        str, typer.Option("--api", "-a", help=f"One of {', '.join(SHORT_NAMES)}")
    ] = "labels",
    collection: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Collection searched by --api search"),
    ] = None,
    request: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Extra Start* request members as JSON, e.g. '{\"MinConfidence\": 70}'"),
    ] = None,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write the document here; default {file}-analysis/{api}.json"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the document")] = False,
) -> None:
    """Analyse one video file now and write the Get* document of the result."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from sightline.analyzers.base import AnalyzerPool
    from sightline.errors import SightlineError
    from sightline.video.apis import api_named
    from sightline.video.runner import analyze_video, document_for

    if api not in SHORT_NAMES:
        raise typer.BadParameter(f"--api must be one of {', '.join(SHORT_NAMES)}")
    video_api = api_named(SHORT_NAMES[api])
    members: dict[str, Any] = json.loads(request) if request else {}
    if video_api.name == "FaceSearch":
        if not collection:
            raise typer.BadParameter("--api search needs --collection")
        members["CollectionId"] = collection
    if video_api.name == "SegmentDetection":
        members.setdefault("SegmentTypes", ["TECHNICAL_CUE", "SHOT"])
    if not path.is_file():
        raise typer.BadParameter(f"{path} is not a file")
    settings = state(ctx).settings()
    pool = AnalyzerPool(settings)
    faces_service: list[Any] = []

    def faces() -> Any:
        from sightline.faces.service import FaceService

        if not faces_service:
            faces_service.append(FaceService(settings, pool=pool))
        return faces_service[0]

    started = time.perf_counter()
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
            disable=as_json,
        ) as bar:
            task = bar.add_task(f"{video_api.name} {path.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            output = analyze_video(
                path, video_api, members, settings, pool, faces=faces, progress=progress
            )
    except SightlineError as exc:
        typer.echo(f"{path}: {type(exc).__name__}: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    finally:
        for service in faces_service:
            service.close()
    document = document_for(video_api, path, members, output)
    if as_json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    target = out or path.with_name(f"{path.name}-analysis") / f"{api}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    results = document.get(video_api.results, [])
    typer.echo(
        f"{path}: {len(results)} {video_api.results} in {time.perf_counter() - started:.1f} s "
        f"({output.details.get('frames', {}).get('frames', 0)} sampled frames) -> {target}"
    )
    if output.partial:
        typer.echo(output.partial, err=True)


@app.command("jobs")
def jobs(
    ctx: typer.Context,
    status: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="IN_PROGRESS, SUCCEEDED or FAILED"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List video jobs with their progress, newest first."""
    from sightline.runtime import Runtime
    from sightline.video.jobs import jobs_of

    rt = Runtime.open(state(ctx).settings())
    try:
        rows = jobs_of(rt).list(status=status, limit=limit)
    finally:
        rt.close()
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in rows], indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("job", "api", "status", "frames", "video", "tag", "age", "message"):
        table.add_column(col)
    now = time.time()
    for r in rows:
        frames = f"{r.frames_done}/{r.frames_total}" if r.frames_total else str(r.frames_done)
        table.add_row(
            r.job_id[:12],
            r.api,
            r.status,
            frames,
            f"{r.bucket}/{r.name}",
            r.job_tag or "",
            f"{now - r.created_at:.0f}s",
            (r.status_message or "")[:60],
        )
    Console().print(table)


@app.command("get")
def get(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="A JobId")],
    sort_by: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--sort-by", help="TIMESTAMP, NAME or INDEX"),
    ] = None,
    aggregate_by: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--aggregate-by", help="TIMESTAMPS or SEGMENTS"),
    ] = None,
) -> None:
    """Print a job's whole Get* document (every page)."""
    from sightline.api.rekognition.shapes.video import get_response
    from sightline.db import tx
    from sightline.errors import SightlineError
    from sightline.runtime import Runtime
    from sightline.video.apis import aggregation, sort_order
    from sightline.video.jobs import jobs_of
    from sightline.video.records import page

    rt = Runtime.open(state(ctx).settings())
    try:
        store = jobs_of(rt)
        try:
            job = store.get(job_id)
            api = job.video
            sort, aggregate = sort_order(api, sort_by), aggregation(api, aggregate_by)
        except SightlineError as exc:
            typer.echo(f"{type(exc).__name__}: {exc.message}", err=True)
            raise typer.Exit(1) from exc
        records: list[dict[str, Any]] = []
        token: str | None = None
        while job.finished:
            with tx.read(rt.engine) as conn:
                chunk, token = page(
                    conn,
                    job.job_id,
                    aggregation=aggregate,
                    sort=sort,
                    max_results=1000,
                    next_token=token,
                )
            records.extend(chunk)
            if token is None:
                break
    finally:
        rt.close()
    document = get_response(api, job, records, sort_by=sort, aggregate_by=aggregate)
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
