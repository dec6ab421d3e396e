"""``sightline customlabels ...``: projects, datasets, training, versions, start and stop.

Projects and versions are named (``textures``, ``v1``) or given by ARN. ``train``
queues the training and, unless ``--queue-only``, runs it here with a progress bar
(otherwise the workers of ``sightline serve`` pick it up). ``start`` and ``stop`` record
what is wanted; the server running ``sightline serve`` loads or unloads the model.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from sightline.cli.context import state
from sightline.errors import SightlineError

if TYPE_CHECKING:
    from sightline.runtime import Runtime

app = typer.Typer(
    help="Custom labels: projects, datasets, training, evaluation and versions.",
    no_args_is_help=True,
)
dataset_app = typer.Typer(help="A project's TRAIN and TEST datasets.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")

TypeOption = Annotated[str, typer.Option("--type", help="TRAIN or TEST", case_sensitive=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


def fail(error: SightlineError) -> NoReturn:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def open_runtime(ctx: typer.Context) -> Runtime:
    from sightline.runtime import Runtime

    return Runtime.open(state(ctx).settings())


def s3_location(uri: str) -> tuple[str, str]:
    """``s3://bucket/key-or-prefix`` -> ``(bucket, key-or-prefix)``."""
    bucket, _, rest = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket:
        raise typer.BadParameter(f"{uri!r} is not an s3://bucket/... location")
    return bucket, rest


def _echo(doc: Any) -> None:
    typer.echo(json.dumps(doc, indent=2, default=str))


@app.command("projects")
def projects(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List projects and their datasets."""
    from sightline.customlabels.projects import describe_projects

    rt = open_runtime(ctx)
    try:
        found, _ = describe_projects(rt, max_results=100)
    finally:
        rt.close()
    if as_json:
        _echo([p.__dict__ for p in found])
        return
    for p in found:
        sets = ", ".join(f"{d.type.lower()} ({d.status})" for d in p.datasets) or "no datasets"
        typer.echo(f"{p.name}\t{p.status}\t{sets}\t{p.arn}")


@app.command("create-project")
def create_project(ctx: typer.Context, name: str) -> None:
    """Create a project; print its ARN."""
    from sightline.customlabels.projects import create_project as create

    rt = open_runtime(ctx)
    try:
        typer.echo(create(rt, name))
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("delete-project")
def delete_project(ctx: typer.Context, project: str) -> None:
    """Delete a project (its versions must be deleted first)."""
    from sightline.customlabels.projects import delete_project as delete
    from sightline.customlabels.projects import project_arn

    rt = open_runtime(ctx)
    try:
        typer.echo(delete(rt, project_arn(rt, project)))
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@dataset_app.command("create")
def dataset_create(
    ctx: typer.Context,
    project: str,
    dataset_type: TypeOption = "TRAIN",
    folder: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="A folder with one sub-folder of images per label"),
    ] = None,
    manifest: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="s3://bucket/key of a Ground Truth manifest in the object store"),
    ] = None,
    prefix: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="s3://bucket/prefix/ holding <label>/<image> objects"),
    ] = None,
) -> None:
    """Create a dataset from a folder per label, a manifest, or a bucket prefix."""
    from rich.progress import Progress

    from sightline.customlabels import dataset_import, datasets
    from sightline.customlabels.projects import project_arn

    if sum(x is not None for x in (folder, manifest, prefix)) != 1:
        raise typer.BadParameter("give exactly one of --folder, --manifest, --prefix")
    kind = dataset_type.upper()
    rt = open_runtime(ctx)
    try:
        arn_of = project_arn(rt, project)
        if folder is not None:
            with Progress(transient=True) as bar:
                job = bar.add_task("importing", total=None)
                report = dataset_import.import_folder(
                    rt,
                    arn_of,
                    kind,
                    folder,
                    progress=lambda _s, done, total: bar.update(job, completed=done, total=total),
                )
            arn = report.arn
            if report.skipped:
                typer.echo(f"skipped {len(report.skipped)} file(s) that are not images:", err=True)
                for name in report.skipped[:20]:
                    typer.echo(f"  {name}", err=True)
        elif manifest is not None:
            arn = datasets.create_dataset(rt, arn_of, kind, manifest=s3_location(manifest))
        else:
            bucket, key_prefix = s3_location(prefix or "")
            arn = dataset_import.import_prefix(rt, arn_of, kind, bucket, key_prefix)
        _print_dataset(datasets.describe_dataset(rt, arn))
        if folder is None:
            typer.echo("images are checked at training; `dataset validate` checks them now")
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


def _dataset_arn(rt: Runtime, project: str, kind: str) -> str:
    from sightline.customlabels.projects import describe_projects, project_arn

    arn = project_arn(rt, project)
    found, _ = describe_projects(rt, names=[arn.split("/")[-2]])
    for d in found[0].datasets if found else ():
        if d.type == kind.upper():
            return d.arn
    raise typer.BadParameter(f"project {project} has no {kind.upper()} dataset")


def _print_dataset(d: Any) -> None:
    st = d.stats
    typer.echo(
        f"{d.arn}\n  {d.status}: {st.total} images, {st.labeled} labelled, {st.errors} with errors"
    )
    for label, n in d.label_counts.items():
        typer.echo(f"  {label}: {n}")


@dataset_app.command("describe")
def dataset_describe(ctx: typer.Context, project: str, dataset_type: TypeOption = "TRAIN") -> None:
    """Statistics of a dataset: images, labels, images per label, errors."""
    from sightline.customlabels.datasets import describe_dataset, list_entries

    rt = open_runtime(ctx)
    try:
        arn = _dataset_arn(rt, project, dataset_type)
        _print_dataset(describe_dataset(rt, arn))
        bad, _ = list_entries(rt, arn, has_errors=True, max_results=20)
        for line in bad:
            typer.echo(f"  error: {json.loads(line)['source-ref']}", err=True)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@dataset_app.command("validate")
def dataset_validate(ctx: typer.Context, project: str, dataset_type: TypeOption = "TRAIN") -> None:
    """Read every image now and record which cannot be used."""
    from rich.progress import Progress

    from sightline.customlabels.dataset_import import validate_dataset

    rt = open_runtime(ctx)
    try:
        arn = _dataset_arn(rt, project, dataset_type)
        with Progress(transient=True) as bar:
            job = bar.add_task("validating", total=None)
            d = validate_dataset(
                rt, arn, progress=lambda _s, n, total: bar.update(job, completed=n, total=total)
            )
        _print_dataset(d)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@dataset_app.command("distribute")
def dataset_distribute(ctx: typer.Context, project: str) -> None:
    """Move a stratified share of the TRAIN images to the (empty) TEST dataset."""
    from sightline.customlabels.datasets import create_dataset, distribute
    from sightline.customlabels.projects import project_arn

    rt = open_runtime(ctx)
    try:
        train = _dataset_arn(rt, project, "TRAIN")
        try:
            test = _dataset_arn(rt, project, "TEST")
        except typer.BadParameter:
            test = create_dataset(rt, project_arn(rt, project), "TEST")
        distribute(rt, train, test)
        typer.echo(f"distributed {train} -> {test}")
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("train")
def train(
    ctx: typer.Context,
    project: str,
    version: str,
    bucket: Annotated[Optional[str], typer.Option(help="Output bucket")] = None,  # noqa: UP045
    prefix: Annotated[str, typer.Option(help="Output key prefix")] = "",
    queue_only: Annotated[
        bool, typer.Option("--queue-only", help="Queue it for serve's workers and return")
    ] = False,
) -> None:
    """Create a version and train it (here, with progress, unless --queue-only)."""
    from sightline.customlabels.projects import project_arn
    from sightline.customlabels.versions import create_version

    rt = open_runtime(ctx)
    try:
        arn = create_version(
            rt, project_arn(rt, project), version, output_bucket=bucket, output_prefix=prefix
        )
        typer.echo(arn)
        if not queue_only:
            _train_here(rt, arn)
            _describe_one(rt, arn)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


def _train_here(rt: Runtime, arn: str) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sightline.customlabels.trainer import TrainingStage
    from sightline.customlabels.versions import TRAIN_KIND, TRAINING_IN_PROGRESS, describe_version

    owner = f"cli:{time.time():.0f}"

    def work() -> None:
        stage = TrainingStage(rt)
        while describe_version(rt, arn).status == TRAINING_IN_PROGRESS:
            claim = rt.tasks.claim([TRAIN_KIND], 1, owner=owner, lease=3600)
            if not claim.tasks:
                time.sleep(0.5)  # another worker holds it; follow its progress
                continue
            stage.run(claim.tasks[0], owner)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        job = bar.add_task("queued", total=1.0)
        while worker.is_alive():
            v = describe_version(rt, arn)
            bar.update(job, completed=v.progress, description=v.status_message or v.status)
            worker.join(0.5)


def _describe_one(rt: Runtime, arn: str) -> None:
    from sightline.customlabels.versions import describe_version

    v = describe_version(rt, arn)
    typer.echo(f"{v.name}: {v.status} — {v.status_message}")
    ev = v.evaluation
    if ev:
        typer.echo(
            f"  F1 {ev['f1']:.3f}  precision {ev['precision']:.3f}  recall {ev['recall']:.3f}"
        )
        for m in ev["per_label"]:
            typer.echo(
                f"  {m['label']:<20} F1 {m['f1']:.3f}  P {m['precision']:.3f}  "
                f"R {m['recall']:.3f}  threshold {m['threshold']:.3f}  ({m['test_images']} test)"
            )
        labels = ev["labels"]
        typer.echo("  confusion (rows: truth, columns: predicted): " + ", ".join(labels))
        for label, row in zip(labels, ev["confusion"], strict=True):
            typer.echo(f"  {label:<20} " + " ".join(f"{x:5.2f}" for x in row))
        for err in ev.get("entry_errors", []) + ev.get("dataset_errors", []):
            typer.echo(f"  left out: {err['message']}")
    if v.files:
        typer.echo(f"  summary: s3://{v.files['bucket']}/{v.files['summary']}")
    if v.memory:
        for u in v.memory.get("units", []):
            typer.echo(
                f"  unit {u.get('pid')}: RSS {_mb(u.get('idle'))} idle, "
                f"{_mb(u.get('loaded'))} loaded, {_mb(u.get('unloaded'))} unloaded"
            )


def _mb(value: Any) -> str:
    return f"{value / 1e6:.1f} MB" if isinstance(value, (int, float)) else "-"


@app.command("describe")
def describe(
    ctx: typer.Context,
    project: str,
    version: Annotated[Optional[str], typer.Argument()] = None,  # noqa: UP045
    as_json: JsonOption = False,
) -> None:
    """A project's versions (or one): status, evaluation, memory of its units."""
    from sightline.customlabels.projects import project_arn
    from sightline.customlabels.versions import describe_versions

    rt = open_runtime(ctx)
    try:
        found, _ = describe_versions(
            rt, project_arn(rt, project), names=[version] if version else None
        )
        if as_json:
            _echo([{k: v for k, v in d.__dict__.items()} for d in found])
            return
        for d in found:
            _describe_one(rt, d.arn)
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("start")
def start(
    ctx: typer.Context,
    project: str,
    version: str,
    units: Annotated[int, typer.Option(help="Inference units (worker processes)")] = 1,
) -> None:
    """Ask for a version to run (sightline serve loads it)."""
    from sightline.customlabels.versions import request_start, version_arn_by_name

    rt = open_runtime(ctx)
    try:
        typer.echo(request_start(rt, version_arn_by_name(rt, project, version), units))
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("stop")
def stop(ctx: typer.Context, project: str, version: str) -> None:
    """Ask for a running version to stop (its units unload the model and exit)."""
    from sightline.customlabels.versions import request_stop, version_arn_by_name

    rt = open_runtime(ctx)
    try:
        typer.echo(request_stop(rt, version_arn_by_name(rt, project, version)))
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()


@app.command("delete-version")
def delete_version(ctx: typer.Context, project: str, version: str) -> None:
    """Delete a version that is neither training nor running."""
    from sightline.customlabels.versions import delete_version as delete
    from sightline.customlabels.versions import version_arn_by_name

    rt = open_runtime(ctx)
    try:
        typer.echo(delete(rt, version_arn_by_name(rt, project, version)))
    except SightlineError as e:
        fail(e)
    finally:
        rt.close()
