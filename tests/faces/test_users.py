"""Users and person records over the fake analyzer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from sightline.api.rekognition.shapes import collections as shapes
from sightline.errors import (
    ConflictError,
    InvalidParameterError,
    ResourceNotFoundError,
)
from sightline.faces.service import FaceService
from tests.botocore_shapes import assert_valid_output
from tests.faces.fakes import BLUE, GREEN, RED, canvas

C = {"CollectionId": "people"}


@pytest.fixture
def faces(service: FaceService) -> dict[str, str]:
    """A collection with two red faces (one person), a green and a blue one."""
    service.create_collection(C)
    result = service.index_faces(
        {**C, "Image": canvas((5, 5, 60, RED), (100, 5, 50, RED), (5, 100, 45, GREEN))}
    )
    red1, red2, green = (f.record.face_id for f in result.indexed)
    blue = service.index_faces({**C, "Image": canvas((5, 5, 40, BLUE))}).indexed[0].record.face_id
    return {"red1": red1, "red2": red2, "green": green, "blue": blue}


def test_user_lifecycle(service: FaceService, faces: dict[str, str]) -> None:
    user = {**C, "UserId": "alice"}
    service.create_user({**user, "ClientRequestToken": "t-1"})
    assert_valid_output("CreateUser", shapes.empty_response())
    service.create_user({**user, "ClientRequestToken": "t-1"})  # a retry: fine
    with pytest.raises(ConflictError, match="alice"):
        service.create_user(user)
    page = service.list_users(C)
    assert_valid_output("ListUsers", shapes.list_users_response(page))
    assert [(u.user_id, u.status) for u in page.items] == [("alice", "CREATED")]

    missing = "00000000-0000-4000-8000-000000000000"
    first = service.associate_faces({**user, "FaceIds": [faces["red1"], missing]})
    assert_valid_output("AssociateFaces", shapes.associate_faces_response(first))
    assert first.associated == (faces["red1"],)
    assert [(f.face_id, f.reasons) for f in first.unsuccessful] == [(missing, ("FACE_NOT_FOUND",))]
    assert first.user_status == "ACTIVE"
    # the same person joins; somebody else does not reach UserMatchThreshold
    second = service.associate_faces(
        {**user, "FaceIds": [faces["red2"], faces["green"], faces["red1"]]}
    )
    assert second.associated == (faces["red2"],)  # red1 again: ignored silently
    (low,) = second.unsuccessful
    assert (low.face_id, low.reasons) == (faces["green"], ("LOW_MATCH_CONFIDENCE",))
    assert low.confidence is not None and low.confidence < 75

    service.create_user({**C, "UserId": "bob"})
    taken = service.associate_faces({**C, "UserId": "bob", "FaceIds": [faces["red1"]]})
    assert [(f.reasons, f.user_id) for f in taken.unsuccessful] == [
        (("ASSOCIATED_TO_A_DIFFERENT_USER",), "alice")
    ]
    # a face with a user cannot be deleted
    refused = service.delete_faces({**C, "FaceIds": [faces["red1"]]})
    assert refused.deleted == ()
    assert [(f.reasons, f.user_id) for f in refused.unsuccessful] == [
        (("ASSOCIATED_TO_AN_EXISTING_USER",), "alice")
    ]
    listed, _ = service.list_faces({**C, "UserId": "alice"})
    assert {f.face_id for f in listed.items} == {faces["red1"], faces["red2"]}
    assert {f.user_id for f in listed.items} == {"alice"}

    gone = service.disassociate_faces({**C, "UserId": "bob", "FaceIds": [faces["red1"]]})
    assert_valid_output("DisassociateFaces", shapes.disassociate_faces_response(gone))
    assert gone.unsuccessful[0].reasons == ("ASSOCIATED_TO_A_DIFFERENT_USER",)
    gone = service.disassociate_faces({**user, "FaceIds": [faces["red2"], faces["blue"]]})
    assert gone.disassociated == (faces["red2"],)  # blue had no user: ignored
    assert gone.user_status == "ACTIVE"

    service.delete_user(user)
    assert_valid_output("DeleteUser", shapes.empty_response())
    with pytest.raises(ResourceNotFoundError, match="alice"):
        service.delete_user(user)
    # its faces stay, without a user
    listed, _ = service.list_faces({**C, "FaceIds": [faces["red1"]]})
    assert listed.items[0].user_id is None
    assert service.describe_collection(C).user_count == 1


def test_search_users(service: FaceService, faces: dict[str, str]) -> None:
    for uid, members in (("alice", ["red1", "red2"]), ("gary", ["green"])):
        service.create_user({**C, "UserId": uid})
        service.associate_faces({**C, "UserId": uid, "FaceIds": [faces[m] for m in members]})
    service.create_user({**C, "UserId": "empty"})

    by_face = service.search_users({**C, "FaceId": faces["red2"]})
    assert_valid_output("SearchUsers", shapes.search_users_response(by_face))
    assert [(m.user.user_id, m.user.status) for m in by_face.matches] == [("alice", "ACTIVE")]
    by_user = service.search_users({**C, "UserId": "gary"})
    assert [m.user.user_id for m in by_user.matches] == ["gary"]
    with pytest.raises(InvalidParameterError, match="exactly one"):
        service.search_users(C)

    image = canvas((10, 10, 70, RED), (120, 120, 30, GREEN))
    by_image = service.search_users_by_image({**C, "Image": image})
    assert_valid_output("SearchUsersByImage", shapes.search_users_by_image_response(by_image))
    assert [m.user.user_id for m in by_image.matches] == ["alice"]
    assert by_image.matches[0].similarity >= 99
    assert [u.reasons for u in by_image.unsearched] == [("FACE_NOT_LARGEST",)]
    # a stranger matches no user
    stranger = service.search_users_by_image({**C, "Image": canvas((10, 10, 70, BLUE))})
    assert stranger.matches == ()
    # no face: an empty answer, no SearchedFace
    nobody = service.search_users_by_image({**C, "Image": canvas()})
    assert nobody.searched is None and nobody.matches == ()
    assert_valid_output("SearchUsersByImage", shapes.search_users_by_image_response(nobody))


def test_list_users_pages(service: FaceService) -> None:
    service.create_collection(C)
    for uid in ("u3", "u1", "u2"):
        service.create_user({**C, "UserId": uid})
    first = service.list_users({**C, "MaxResults": 2})
    assert [u.user_id for u in first.items] == ["u1", "u2"]
    rest = service.list_users({**C, "MaxResults": 2, "NextToken": first.next_token})
    assert [u.user_id for u in rest.items] == ["u3"] and rest.next_token is None


def test_person_records(service: FaceService, faces: dict[str, str]) -> None:
    service.create_user({**C, "UserId": "alice"})
    service.associate_faces({**C, "UserId": "alice", "FaceIds": [faces["red1"]]})
    alice = service.put_person(
        "people",
        name="Alice Liddell",
        notes="front desk",
        attributes={"team": "ops"},
        user_id="alice",
    )
    assert alice.user_id == "alice"
    # a person attached to an ExternalImageId
    service.index_faces({**C, "Image": canvas((5, 5, 50, GREEN)), "ExternalImageId": "badge-7"})
    gary = service.put_person("people", name="Gary", external_image_id="badge-7", person_id="gary")
    assert service.get_person("people", "gary") == gary
    assert [p.name for p in service.list_persons("people")] == ["Alice Liddell", "Gary"]

    red = service.search_faces_by_image({**C, "Image": canvas((5, 5, 60, RED))})
    people = {m.face.face_id: m.person for m in red.matches}
    assert people[faces["red1"]] == alice
    assert people[faces["red2"]] is None  # not associated with alice
    green = service.search_faces_by_image({**C, "Image": canvas((5, 5, 50, GREEN))})
    assert {m.person.name for m in green.matches if m.person} == {"Gary"}
    users = service.list_users(C)
    assert users.items[0].person == alice

    with pytest.raises(ConflictError, match="alice"):
        service.put_person("people", name="Impostor", user_id="alice")
    with pytest.raises(InvalidParameterError, match="not both"):
        service.put_person("people", name="X", user_id="alice", external_image_id="badge-7")
    with pytest.raises(ResourceNotFoundError, match="nobody"):
        service.put_person("people", name="X", user_id="nobody")
    updated = service.put_person(
        "people", person_id="gary", name="Gary Oak", external_image_id="badge-7"
    )
    assert updated.name == "Gary Oak"
    service.delete_person("people", "gary")
    with pytest.raises(ResourceNotFoundError):
        service.get_person("people", "gary")
    # deleting the user keeps the person record, detached
    service.disassociate_faces({**C, "UserId": "alice", "FaceIds": [faces["red1"]]})
    service.delete_user({**C, "UserId": "alice"})
    assert service.get_person("people", alice.person_id).user_id is None
