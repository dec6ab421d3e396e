"""People over the real face-collection service with the fake face model (coloured
squares are faces, the colour is who): registration, faces, permissions, deletion,
face search, and the faces of album photos scanned once and searched for a person.
Both databases."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage
from sqlalchemy import func, select, update

from sightline.accounts.actor import Actor
from sightline.accounts.users import ADMIN, MEMBER, UserStore
from sightline.albums.photos import IncomingFile, PhotoInfo
from sightline.albums.service import AlbumService
from sightline.config import Settings
from sightline.db import tx
from sightline.db.models.albums import PhotoFaceScan
from sightline.db.models.faces import FaceCollection, StoredFace
from sightline.errors import AccessDeniedError, InvalidParameterError, ResourceNotFoundError
from sightline.faces.service import FaceService
from sightline.media.image import Image
from sightline.people.registry import PeopleRegistry
from sightline.people.scan import PhotoFaces
from sightline.people.search import search_people
from sightline.runtime import Runtime
from tests.faces.fakes import BLUE, GREEN, RED, FakePool, canvas

PASSWORD = "correct horse battery"


def png(image: Image) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(image.pixels).save(buf, "PNG")
    return buf.getvalue()


RED_FACE = png(canvas((50, 50, 80, RED)))
RED_AGAIN = png(canvas((20, 30, 100, RED), size=240))  # the same person, another photo
GREEN_FACE = png(canvas((50, 50, 80, GREEN)))
TWO_FACES = png(canvas((10, 10, 70, RED), (110, 110, 70, BLUE)))
TINY_FACE = png(canvas((90, 90, 12, RED)))  # under AUTO's 20 px bar
NO_FACE = png(canvas())


@dataclass
class World:
    rt: Runtime
    faces: FaceService
    people: PeopleRegistry
    photo_faces: PhotoFaces
    albums: AlbumService
    alice: Actor
    bob: Actor
    admin: Actor

    def count(self, collection: str, external: str | None = None) -> int:
        query = select(func.count()).select_from(StoredFace)
        if external is not None:
            query = query.where(StoredFace.external_image_id == external)
        with tx.read(self.rt.engine) as conn:
            n = conn.execute(query).scalar_one()
        return (
            int(n)
            if external is not None
            else self.faces.describe_collection({"CollectionId": collection}).face_count
        )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    rt = Runtime.open(settings)
    rt.ensure_buckets()
    rt.store.ensure_bucket("albums")
    faces = FaceService(
        settings,
        engine=rt.engine,
        pool=FakePool(),
        image_resolver=lambda obj: rt.store.get(obj["Bucket"], obj["Name"]),
        migrate=False,
    )
    users = UserStore(rt.engine)
    people = PeopleRegistry(rt, lambda: faces)
    try:
        yield World(
            rt,
            faces,
            people,
            PhotoFaces(rt, lambda: faces, people),
            AlbumService(rt, users, lambda: faces),
            Actor(users.create("alice", PASSWORD, MEMBER), "session"),
            Actor(users.create("bob", PASSWORD, MEMBER), "session"),
            Actor(users.create("root", PASSWORD, ADMIN), "session"),
        )
    finally:
        faces.close()
        rt.close()


def test_a_person_is_a_user_with_their_face_a_record_and_a_crop(world: World) -> None:
    assert world.people.everyone() == [] and not world.people.exists()
    person = world.people.register(world.alice, "  Ada   Lovelace ", "  mathematician ", RED_FACE)
    assert (person.name, person.notes, person.registered_by) == (
        "Ada Lovelace",
        "mathematician",
        "alice",
    )
    assert person.face_count == 1 and person.registered_at is not None
    assert world.people.everyone() == [person]
    # The collection's own concepts: a user holding the face, a person record on it.
    users = world.faces.list_users({"CollectionId": "people"}).items
    assert [(u.user_id, u.face_count, u.person.name if u.person else None) for u in users] == [
        (person.id, 1, "Ada Lovelace")
    ]
    with world.people.crop(person.id, person.face_ids[0]) as stream:
        crop = PILImage.open(io.BytesIO(stream.read()))
        assert crop.format == "JPEG" and max(crop.size) <= 160
    with pytest.raises(ResourceNotFoundError):
        world.people.crop(person.id, "0" * 8 + "-0000-0000-0000-" + "0" * 12)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (NO_FACE, "No face was found in this photo"),
        (TWO_FACES, "This photo shows 2 faces: use one where only Ada's face can be seen"),
        (TINY_FACE, "The face in this photo is too small to be recognised reliably"),
        (b"", "Choose a photo of the person"),
    ],
)
def test_a_photo_without_exactly_one_good_face_is_refused_and_leaves_nothing(
    world: World, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        world.people.register(world.alice, "Ada", "", data)
    assert world.people.everyone() == []
    if world.people.exists():
        assert world.count("people") == 0
        assert world.faces.list_users({"CollectionId": "people"}).items == ()
    assert list(world.rt.store.list("albums", "people/")) == []


def test_names_and_notes_are_checked(world: World) -> None:
    with pytest.raises(InvalidParameterError, match="Give the person a name"):
        world.people.register(world.alice, "   ", "", RED_FACE)
    with pytest.raises(InvalidParameterError, match="Notes may have at most 2000"):
        world.people.register(world.alice, "Ada", "x" * 2001, RED_FACE)


def test_another_face_must_look_like_the_person(world: World) -> None:
    ada = world.people.register(world.alice, "Ada", "", RED_FACE)
    ada = world.people.add_face(world.alice, ada.id, RED_AGAIN)
    assert ada.face_count == 2
    with pytest.raises(InvalidParameterError, match=r"This face does not look like Ada \(sim"):
        world.people.add_face(world.alice, ada.id, GREEN_FACE)
    assert world.people.get(ada.id).face_count == 2
    assert world.count("people") == 2  # the refused face left the index again
    assert len(list(world.rt.store.list("albums", f"people/{ada.id}/"))) == 2


def test_only_the_registrant_and_admins_change_a_person(world: World) -> None:
    ada = world.people.register(world.alice, "Ada", "", RED_FACE)
    assert not world.people.can_edit(world.bob, ada)
    with pytest.raises(AccessDeniedError, match="Only alice"):
        world.people.add_face(world.bob, ada.id, RED_AGAIN)
    with pytest.raises(AccessDeniedError):
        world.people.delete(world.bob, ada.id)
    assert world.people.add_face(world.admin, ada.id, RED_AGAIN).face_count == 2
    with pytest.raises(ResourceNotFoundError):
        world.people.get("no-such-person")


def test_deleting_a_person_takes_their_faces_out_of_the_index(world: World) -> None:
    ada = world.people.register(world.alice, "Ada", "", RED_FACE)
    ada = world.people.add_face(world.alice, ada.id, RED_AGAIN)
    grace = world.people.register(world.bob, "Grace", "", GREEN_FACE)
    world.people.delete(world.admin, ada.id)
    assert [p.name for p in world.people.everyone()] == ["Grace"]
    assert world.count("people") == 1
    assert [u.user_id for u in world.faces.list_users({"CollectionId": "people"}).items] == [
        grace.id
    ]
    assert list(world.rt.store.list("albums", f"people/{ada.id}/")) == []
    result = search_people(world.people, world.people.decode(RED_FACE))
    assert not result.matched  # Ada is no longer found


def test_face_search_names_people_with_their_similarity(world: World) -> None:
    with pytest.raises(ResourceNotFoundError, match="Nobody is registered yet"):
        search_people(world.people, world.people.decode(RED_FACE))
    ada = world.people.register(world.alice, "Ada", "notes", RED_FACE)
    world.people.register(world.alice, "Bea", "", png(canvas((50, 50, 80, BLUE))))

    largest = search_people(world.people, world.people.decode(RED_AGAIN))
    assert largest.matched and len(largest.faces) == 1
    [match] = largest.faces[0].matches
    assert (match.person_id, match.name, match.notes) == (ada.id, "Ada", "notes")
    assert match.similarity > 99
    face = largest.faces[0]
    assert (face.left, face.top) == pytest.approx((20 / 240, 30 / 240), abs=0.01)

    every = search_people(world.people, world.people.decode(TWO_FACES), every_face=True)
    assert [[m.name for m in f.matches] for f in every.faces] == [["Ada"], ["Bea"]]
    nobody = search_people(world.people, world.people.decode(GREEN_FACE))
    assert not nobody.matched and nobody.faces[0].matches == ()
    with pytest.raises(InvalidParameterError, match="No face was found"):
        search_people(world.people, world.people.decode(NO_FACE))


def upload(world: World, *files: tuple[str, bytes]) -> list[PhotoInfo]:
    album = world.albums.create(world.alice, "Holiday")
    return world.albums.upload(
        world.alice, album.id, [IncomingFile(name, io.BytesIO(data)) for name, data in files]
    )


def scans(world: World) -> dict[str, Any]:
    with tx.read(world.rt.engine) as conn:
        rows = conn.execute(select(PhotoFaceScan.photo_id, PhotoFaceScan.faces)).all()
    return {photo_id: faces for photo_id, faces in rows}


def test_photo_faces_are_scanned_once_and_found_for_a_person(world: World) -> None:
    photos = upload(
        world,
        ("red.png", RED_AGAIN),
        ("both.png", TWO_FACES),
        ("green.png", GREEN_FACE),
        ("empty.png", NO_FACE),
    )
    red, both, green, empty = photos
    report = world.photo_faces.scan(photos, budget=60)
    assert (report.scanned, report.pending, report.faces) == (4, 0, 4)
    assert scans(world) == {red.id: 1, both.id: 2, green.id: 1, empty.id: 0}
    assert world.photo_faces.scan(photos, budget=60).scanned == 0  # once per photo
    assert world.count("album-faces", f"photo-{both.id}") == 2

    # Registered after the scan, found in the photos scanned before.
    ada = world.people.register(world.alice, "Ada", "", RED_FACE)
    found = world.photo_faces.photos_showing(ada.id)
    assert set(found) == {red.id, both.id} and min(found.values()) > 99
    assert world.count("people") == 1  # photo faces never enter the people collection

    # Deleting a photo removes its faces and its scan record.
    world.albums.delete_photo(world.alice, red.album_id, red.id)
    assert world.count("album-faces", f"photo-{red.id}") == 0
    assert red.id not in scans(world)
    assert set(world.photo_faces.photos_showing(ada.id)) == {both.id}


def test_a_scan_stops_when_its_time_is_up_and_the_next_one_continues(world: World) -> None:
    photos = upload(world, *[(f"{n}.png", RED_FACE if n % 2 else GREEN_FACE) for n in range(3)])
    ticks = iter(range(100))
    world.photo_faces.clock = lambda: float(next(ticks))
    first = world.photo_faces.scan(photos, budget=1.5)
    assert (first.scanned, first.pending) == (2, 1)  # ticks 0 (deadline 1.5), 1, then 2
    second = world.photo_faces.scan(photos, budget=0)
    assert (second.scanned, second.pending) == (1, 0)  # always one photo, at least
    assert len(scans(world)) == 3


def test_a_face_is_searched_in_another_collection_only_with_the_same_model(
    world: World,
) -> None:
    ada = world.people.register(world.alice, "Ada", "", RED_FACE)
    [photo] = upload(world, ("red.png", RED_AGAIN))
    world.photo_faces.scan([photo], budget=60)
    request = {"CollectionId": "album-faces", "FaceId": ada.face_ids[0]}
    found = world.faces.search_faces(request, source_collection="people")
    assert [m.face.external_image_id for m in found.matches] == [f"photo-{photo.id}"]
    with pytest.raises(ResourceNotFoundError):  # not in album-faces itself
        world.faces.search_faces(request)
    with tx.write(world.rt.engine) as conn:
        conn.execute(
            update(FaceCollection)
            .where(FaceCollection.name == "people")  # as if made with another model
            .values(embedding_version="another-model")
        )
    with pytest.raises(InvalidParameterError, match="use different face models"):
        world.faces.search_faces(request, source_collection="people")
