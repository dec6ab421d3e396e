"""Person records: who a user or an ExternalImageId is (a Sightline extension).

Rekognition stops at identifiers; the applications built on it (a photo album naming
people, an alert saying who was seen) keep a name and notes somewhere. Here a person
record lives in the collection and is attached to one UserId or one ExternalImageId;
search results carry it (:attr:`sightline.faces.types.FaceMatch.person`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sightline.db.models.faces import FaceUser, Person
from sightline.errors import ConflictError, InvalidParameterError, ResourceNotFoundError
from sightline.faces import store
from sightline.faces.context import FaceContext
from sightline.faces.requests import COLLECTION_ID, EXTERNAL_IMAGE_ID, USER_ID, check_string
from sightline.faces.types import PersonRecord

PERSON_ID = USER_ID  # same alphabet and length as a UserId


def put_person(
    ctx: FaceContext,
    collection_id: str,
    *,
    name: str,
    notes: str = "",
    attributes: dict[str, Any] | None = None,
    user_id: str | None = None,
    external_image_id: str | None = None,
    person_id: str | None = None,
) -> PersonRecord:
    """Create or replace a person record; ``person_id`` is generated when not given.

    Attach it to at most one of ``user_id`` (which must exist) or
    ``external_image_id``. Another record attached to the same target is refused.
    """
    check_string("CollectionId", collection_id, COLLECTION_ID)
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise InvalidParameterError("A person's name must be 1 to 255 characters.")
    if user_id is not None and external_image_id is not None:
        raise InvalidParameterError("Attach a person to a UserId or an ExternalImageId, not both.")
    if attributes is not None and not isinstance(attributes, dict):
        raise InvalidParameterError("A person's attributes must be a JSON object.")
    pid = check_string("PersonId", person_id or str(uuid.uuid4()), PERSON_ID)
    with ctx.write() as s:
        row = store.get_collection(s, collection_id)
        user_pk = None
        if user_id is not None:
            user_pk = store.get_user(s, row.id, check_string("UserId", user_id, USER_ID)).id
        if external_image_id is not None:
            check_string("ExternalImageId", external_image_id, EXTERNAL_IMAGE_ID)
        _refuse_taken(s, row.id, pid, user_pk, external_image_id, user_id)
        person = _find(s, row.id, pid) or Person(collection_pk=row.id, person_id=pid)
        person.name = name
        person.notes = notes
        person.attributes = dict(attributes or {})
        person.user_pk = user_pk
        person.external_image_id = external_image_id
        s.add(person)
        s.flush()
        return store.to_person(person, user_id)


def get_person(ctx: FaceContext, collection_id: str, person_id: str) -> PersonRecord:
    with ctx.read() as s:
        row = store.get_collection(s, collection_id)
        person = _find(s, row.id, person_id)
        if person is None:
            raise ResourceNotFoundError(f"The person id: {person_id} does not exist")
        return store.to_person(person, _user_id(s, person))


def list_persons(ctx: FaceContext, collection_id: str) -> list[PersonRecord]:
    with ctx.read() as s:
        row = store.get_collection(s, collection_id)
        q = (
            select(Person, FaceUser.user_id)
            .outerjoin(FaceUser, Person.user_pk == FaceUser.id)
            .where(Person.collection_pk == row.id)
            .order_by(Person.name, Person.person_id)
        )
        return [store.to_person(p, uid) for p, uid in s.execute(q)]


def delete_person(ctx: FaceContext, collection_id: str, person_id: str) -> None:
    with ctx.write() as s:
        row = store.get_collection(s, collection_id)
        person = _find(s, row.id, person_id)
        if person is None:
            raise ResourceNotFoundError(f"The person id: {person_id} does not exist")
        s.delete(person)


def _find(s: Session, pk: int, person_id: str) -> Person | None:
    return s.scalar(select(Person).where(Person.collection_pk == pk, Person.person_id == person_id))


def _user_id(s: Session, person: Person) -> str | None:
    if person.user_pk is None:
        return None
    return s.scalar(select(FaceUser.user_id).where(FaceUser.id == person.user_pk))


def _refuse_taken(
    s: Session,
    pk: int,
    person_id: str,
    user_pk: int | None,
    external_image_id: str | None,
    user_id: str | None,
) -> None:
    if user_pk is not None:
        other = s.scalar(
            select(Person.person_id).where(Person.collection_pk == pk, Person.user_pk == user_pk)
        )
        if other is not None and other != person_id:
            raise ConflictError(f"UserId {user_id} already has person record {other}.")
    if external_image_id is not None:
        other = s.scalar(
            select(Person.person_id).where(
                Person.collection_pk == pk, Person.external_image_id == external_image_id
            )
        )
        if other is not None and other != person_id:
            raise ConflictError(
                f"ExternalImageId {external_image_id} already has person record {other}."
            )
