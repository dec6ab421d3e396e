"""``sightline collections ...``: face collections from the command line.

The same :class:`sightline.faces.service.FaceService` the Rekognition API calls, so a
collection built here is searched over the wire and the other way round. Every
command prints a short human summary, or with ``--json`` the operation's Rekognition
response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from sightline.cli.context import state

if TYPE_CHECKING:
    from sightline.faces.service import FaceService

app = typer.Typer(help="Face collections: index faces, search them, compare, group into users.")
users_app = typer.Typer(help="Users: named groups of one person's faces.")
persons_app = typer.Typer(help="Person records (name, notes) for users and external ids.")
app.add_typer(users_app, name="users")
app.add_typer(persons_app, name="persons")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the Rekognition response")]
Threshold = Annotated[float, typer.Option("--threshold", "-t", min=0, max=100)]


@contextmanager
def _service(ctx: typer.Context) -> Iterator[FaceService]:
    """The service for this invocation; Sightline errors become one line and exit 1."""
    from sightline.errors import SightlineError
    from sightline.faces.service import FaceService

    try:
        with FaceService(state(ctx).settings()) as service:
            yield service
    except SightlineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _emit(as_json: bool, response: dict[str, Any], human: Callable[[], None]) -> None:
    if as_json:
        typer.echo(json.dumps(response, indent=2, default=str))
    else:
        human()


def _image(path: Path) -> dict[str, bytes]:
    try:
        return {"Bytes": path.read_bytes()}
    except OSError as exc:
        typer.echo(f"error: cannot read {path}: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc


def external_id(path: Path) -> str:
    """A file name as an ExternalImageId: characters outside [a-zA-Z0-9_.-:] become _."""
    return re.sub(r"[^a-zA-Z0-9_.\-:]", "_", path.name)[:255] or "image"


# --- collections -------------------------------------------------------------------


@app.command("create")
def create(
    ctx: typer.Context,
    name: str,
    model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Face model: dlib (built in) or sface (after `models pull sface`)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a collection."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        info = service.create_collection({"CollectionId": name}, face_model=model)
        _emit(
            as_json,
            shapes.create_collection_response(info),
            lambda: typer.echo(
                f"created {name} (face model {info.face_model} {info.face_model_version})"
            ),
        )


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List collections with their face and user counts."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        page = service.list_collections({"MaxResults": 4096})
        infos = [service.describe_collection({"CollectionId": c.collection_id}) for c in page.items]

        def human() -> None:
            if not infos:
                typer.echo("no collections")
            for i in infos:
                typer.echo(
                    f"{i.collection_id}\t{i.face_count} faces\t{i.user_count} users\t"
                    f"model {i.face_model} {i.face_model_version}"
                )

        _emit(as_json, shapes.list_collections_response(page), human)


@app.command("describe")
def describe(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """Show a collection's model, counts and creation time."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        i = service.describe_collection({"CollectionId": name})
        _emit(
            as_json,
            shapes.describe_collection_response(i),
            lambda: typer.echo(
                f"{i.collection_id}: {i.face_count} faces, {i.user_count} users, face model "
                f"{i.face_model} {i.face_model_version}, created {i.created_at:%Y-%m-%d %H:%M:%S}Z\n"
                f"arn {i.arn}"
            ),
        )


@app.command("delete")
def delete(
    ctx: typer.Context,
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask")] = False,
) -> None:
    """Delete a collection with its faces, users and person records."""
    if not yes:
        typer.confirm(f"Delete collection {name} and every face in it?", abort=True)
    with _service(ctx) as service:
        service.delete_collection({"CollectionId": name})
        typer.echo(f"deleted {name}")


# --- faces -------------------------------------------------------------------------


@app.command("index")
def index(
    ctx: typer.Context,
    name: str,
    files: Annotated[list[Path], typer.Argument(help="Images to index")],
    max_faces: Annotated[int, typer.Option(min=1, max=100)] = 100,
    quality: Annotated[str, typer.Option(help="QualityFilter: NONE AUTO LOW MEDIUM HIGH")] = "AUTO",
    as_json: JsonOpt = False,
) -> None:
    """Index the faces of images; each file's name is its ExternalImageId."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        for path in files:
            result = service.index_faces(
                {
                    "CollectionId": name,
                    "Image": _image(path),
                    "ExternalImageId": external_id(path),
                    "MaxFaces": max_faces,
                    "QualityFilter": quality,
                }
            )

            def human(result: Any = result, path: Path = path) -> None:
                typer.echo(f"{path}: {len(result.indexed)} indexed, {len(result.unindexed)} not")
                for f in result.indexed:
                    typer.echo(f"  + {f.record.face_id}  confidence {f.detection.confidence:.2f}")
                for u in result.unindexed:
                    typer.echo(f"  - {', '.join(u.reasons)}")
                for note in result.notes:
                    typer.echo(f"  {note}")

            _emit(as_json, shapes.index_faces_response(result), human)


@app.command("faces")
def faces(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """List a collection's faces."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        token: str | None = None
        while True:
            request: dict[str, Any] = {"CollectionId": name, "MaxResults": 4096}
            if token:
                request["NextToken"] = token
            page, version = service.list_faces(request)

            def human(page: Any = page) -> None:
                for f in page.items:
                    typer.echo(
                        f"{f.face_id}\t{f.external_image_id or '-'}\t{f.user_id or '-'}\t"
                        f"confidence {f.confidence:.2f}"
                    )

            _emit(as_json, shapes.list_faces_response(page, version), human)
            token = page.next_token
            if token is None:
                break


@app.command("search")
def search(
    ctx: typer.Context,
    name: str,
    file: Path,
    threshold: Threshold = 80.0,
    max_faces: Annotated[int, typer.Option(min=1, max=4096)] = 10,
    every_face: Annotated[
        bool, typer.Option("--all", help="Search every face in the image, not only the largest")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Find a photo's largest face (or every face) in a collection."""
    from sightline.api.rekognition.shapes import collections as shapes

    request = {
        "CollectionId": name,
        "Image": _image(file),
        "FaceMatchThreshold": threshold,
        "MaxFaces": max_faces,
    }
    with _service(ctx) as service:
        results = (
            service.search_all_faces_by_image(request)
            if every_face
            else [service.search_faces_by_image(request)]
        )
        for result in results:

            def human(result: Any = result) -> None:
                b = result.searched.box
                typer.echo(f"face at ({b.x0:.0f}, {b.y0:.0f})-({b.x1:.0f}, {b.y1:.0f}):")
                if not result.matches:
                    typer.echo(f"  no match at similarity >= {threshold:g}")
                for m in result.matches:
                    who = m.person.name if m.person else m.face.user_id or m.face.external_image_id
                    typer.echo(f"  {m.similarity:6.2f}  {m.face.face_id}  {who or '-'}")

            _emit(as_json, shapes.search_faces_by_image_response(result), human)


@app.command("compare")
def compare(
    ctx: typer.Context,
    source: Path,
    target: Path,
    threshold: Threshold = 80.0,
    as_json: JsonOpt = False,
) -> None:
    """Compare the largest face of SOURCE with every face of TARGET."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        result = service.compare_faces(
            {
                "SourceImage": _image(source),
                "TargetImage": _image(target),
                "SimilarityThreshold": threshold,
            }
        )

        def human() -> None:
            for m in result.matches:
                typer.echo(f"match     {m.similarity:6.2f}  at {_box(m.face.box)}")
            for f in result.unmatched:
                typer.echo(f"no match          at {_box(f.box)}")

        _emit(as_json, shapes.compare_faces_response(result), human)


def _box(box: Any) -> str:
    return f"({box.x0:.0f}, {box.y0:.0f})-({box.x1:.0f}, {box.y1:.0f})"


# --- users -------------------------------------------------------------------------


@users_app.command("create")
def user_create(ctx: typer.Context, name: str, user_id: str) -> None:
    """Create a user in a collection."""
    with _service(ctx) as service:
        service.create_user({"CollectionId": name, "UserId": user_id})
        typer.echo(f"created user {user_id}")


@users_app.command("list")
def user_list(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """List a collection's users."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        page = service.list_users({"CollectionId": name})

        def human() -> None:
            for u in page.items:
                person = f"\t{u.person.name}" if u.person else ""
                typer.echo(f"{u.user_id}\t{u.status}\t{u.face_count} faces{person}")

        _emit(as_json, shapes.list_users_response(page), human)


@users_app.command("delete")
def user_delete(ctx: typer.Context, name: str, user_id: str) -> None:
    """Delete a user (its faces stay in the collection)."""
    with _service(ctx) as service:
        service.delete_user({"CollectionId": name, "UserId": user_id})
        typer.echo(f"deleted user {user_id}")


@users_app.command("associate")
def user_associate(ctx: typer.Context, name: str, user_id: str, face_ids: list[str]) -> None:
    """Add faces (by FaceId) to a user."""
    with _service(ctx) as service:
        r = service.associate_faces({"CollectionId": name, "UserId": user_id, "FaceIds": face_ids})
        typer.echo(f"{len(r.associated)} associated; user is {r.user_status}")
        for f in r.unsuccessful:
            typer.echo(f"  {f.face_id}: {', '.join(f.reasons)}")


@users_app.command("disassociate")
def user_disassociate(ctx: typer.Context, name: str, user_id: str, face_ids: list[str]) -> None:
    """Remove faces (by FaceId) from a user."""
    with _service(ctx) as service:
        r = service.disassociate_faces(
            {"CollectionId": name, "UserId": user_id, "FaceIds": face_ids}
        )
        typer.echo(f"{len(r.disassociated)} disassociated; user is {r.user_status}")
        for f in r.unsuccessful:
            typer.echo(f"  {f.face_id}: {', '.join(f.reasons)}")


@users_app.command("search")
def user_search(
    ctx: typer.Context, name: str, file: Path, threshold: Threshold = 80.0, as_json: JsonOpt = False
) -> None:
    """Find the users whose faces match a photo's largest face."""
    from sightline.api.rekognition.shapes import collections as shapes

    with _service(ctx) as service:
        result = service.search_users_by_image(
            {"CollectionId": name, "Image": _image(file), "UserMatchThreshold": threshold}
        )

        def human() -> None:
            if result.searched is None:
                typer.echo("no usable face in the image")
            elif not result.matches:
                typer.echo(f"no user at similarity >= {threshold:g}")
            for m in result.matches:
                typer.echo(f"{m.similarity:6.2f}  {m.user.user_id}")

        _emit(as_json, shapes.search_users_by_image_response(result), human)


# --- person records ----------------------------------------------------------------


@persons_app.command("set")
def person_set(
    ctx: typer.Context,
    name: str,
    person_name: Annotated[str, typer.Option("--name", help="The person's name")],
    user_id: Annotated[Optional[str], typer.Option("--user")] = None,  # noqa: UP045
    external_image_id: Annotated[Optional[str], typer.Option("--external-id")] = None,  # noqa: UP045
    person_id: Annotated[Optional[str], typer.Option("--id")] = None,  # noqa: UP045
    notes: str = "",
) -> None:
    """Create or update a person record attached to a user or an ExternalImageId."""
    with _service(ctx) as service:
        p = service.put_person(
            name,
            name=person_name,
            notes=notes,
            user_id=user_id,
            external_image_id=external_image_id,
            person_id=person_id,
        )
        typer.echo(f"person {p.person_id}: {p.name}")


@persons_app.command("list")
def person_list(ctx: typer.Context, name: str) -> None:
    """List a collection's person records."""
    with _service(ctx) as service:
        for p in service.list_persons(name):
            target = f"user {p.user_id}" if p.user_id else f"image {p.external_image_id or '-'}"
            typer.echo(f"{p.person_id}\t{p.name}\t{target}\t{p.notes}")
