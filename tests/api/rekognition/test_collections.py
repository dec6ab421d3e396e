"""Face collections over the wire: an unmodified boto3 client, a real server, real faces.

One server and one collection ("people": astronaut.png, a rotated and scaled-down copy
of it, grace_hopper.jpg) are shared by the module, since each image costs the 2-core
test machine about half a second of dlib. Tests that delete faces use collections of
their own. Every response is checked against botocore's output shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sightline.analyzers.base import AnalyzerPool
from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from tests.api.face_images import astronaut_copy, mirrored_astronaut
from tests.api.live import rekognition, serve
from tests.botocore_shapes import assert_valid_output
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow

BUCKET = "photos"
PEOPLE = "people"


@dataclass
class Live:
    url: str
    services: ApiServices
    client: Any
    key: tuple[str, str]  # access key id, secret
    # FaceIds of the "people" collection, by ExternalImageId
    faces: dict[str, str] = field(default_factory=dict)
    indexed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, key: str, data: bytes) -> dict[str, Any]:
        self.services.store.ensure_bucket(BUCKET)
        self.services.store.put(BUCKET, key, data)
        return {"S3Object": {"Bucket": BUCKET, "Name": key}}


def strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def call(live: Live, operation: str, **request: Any) -> dict[str, Any]:
    """``client.<operation>(**request)``, checked against botocore's output shape."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
    response = strip(getattr(live.client, method)(**request))
    assert_valid_output(operation, response)
    return response


def code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[Live]:
    root: Path = tmp_path_factory.mktemp("collections-wire")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    services = build_services(settings, analyzers=analyzer_pool)
    key = services.keys.create(name="collections")
    with serve(create_app(settings, services=services)) as url:
        client = rekognition(url, key.info.access_key_id, key.secret_access_key)
        live = Live(url, services, client, (key.info.access_key_id, key.secret_access_key))
        call(live, "CreateCollection", CollectionId=PEOPLE)
        for external_id, data in [
            ("astronaut", sample_bytes("astronaut.png")),
            ("astronaut-copy", astronaut_copy()),
            ("grace_hopper", sample_bytes("grace_hopper.jpg")),
        ]:
            response = call(
                live,
                "IndexFaces",
                CollectionId=PEOPLE,
                Image={"Bytes": data},
                ExternalImageId=external_id,
                DetectionAttributes=["DEFAULT"],
            )
            assert len(response["FaceRecords"]) == 1, response
            live.faces[external_id] = response["FaceRecords"][0]["Face"]["FaceId"]
            live.indexed[external_id] = response
        yield live
    services.close()


def matched(response: dict[str, Any]) -> dict[str, float]:
    return {m["Face"]["ExternalImageId"]: m["Similarity"] for m in response["FaceMatches"]}


# --- collections -------------------------------------------------------------------


def test_collection_lifecycle(live: Live) -> None:
    created = call(live, "CreateCollection", CollectionId="lifecycle", Tags={"team": "qa"})
    assert created["StatusCode"] == 200
    assert created["CollectionArn"].endswith(":collection/lifecycle")
    assert created["FaceModelVersion"] == "1.0"

    described = call(live, "DescribeCollection", CollectionId="lifecycle")
    assert (described["FaceCount"], described["UserCount"]) == (0, 0)
    assert described["CollectionARN"] == created["CollectionArn"]
    assert described["CreationTimestamp"].tzinfo is not None  # parsed by botocore

    listed = call(live, "ListCollections")
    assert {"lifecycle", PEOPLE} <= set(listed["CollectionIds"])
    assert len(listed["FaceModelVersions"]) == len(listed["CollectionIds"])

    with pytest.raises(ClientError) as info:
        live.client.create_collection(CollectionId="lifecycle")
    assert code(info) == "ResourceAlreadyExistsException"

    assert call(live, "DeleteCollection", CollectionId="lifecycle")["StatusCode"] == 200
    with pytest.raises(ClientError) as info:
        live.client.describe_collection(CollectionId="lifecycle")
    assert code(info) == "ResourceNotFoundException"


def test_list_collections_pages(live: Live) -> None:
    for name in ("page-a", "page-b"):
        call(live, "CreateCollection", CollectionId=name)
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = call(live, "ListCollections", MaxResults=1, **token)
        assert len(page["CollectionIds"]) == 1
        seen += page["CollectionIds"]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert seen == sorted(seen) and {"page-a", "page-b", PEOPLE} <= set(seen)
    for name in ("page-a", "page-b"):
        call(live, "DeleteCollection", CollectionId=name)


def test_describe_counts_the_indexed_faces(live: Live) -> None:
    described = call(live, "DescribeCollection", CollectionId=PEOPLE)
    assert described["FaceCount"] == 3


# --- faces -------------------------------------------------------------------------


def test_index_faces_returns_the_stored_face_and_its_detail(live: Live) -> None:
    response = live.indexed["astronaut"]
    assert response["FaceModelVersion"] == "1.0"
    assert response["UnindexedFaces"] == []
    record = response["FaceRecords"][0]
    face, detail = record["Face"], record["FaceDetail"]
    assert face["ExternalImageId"] == "astronaut"
    assert face["IndexFacesModelVersion"] == "1.0"
    assert face["Confidence"] > 50 and face["ImageId"]
    box = face["BoundingBox"]
    assert 0 < box["Width"] < 1 and 0 < box["Height"] < 1
    # the astronaut's face is in the upper middle of the picture
    assert 0.3 < box["Left"] + box["Width"] / 2 < 0.7 and box["Top"] < 0.5
    assert {"BoundingBox", "Landmarks", "Pose", "Quality", "Confidence"} <= set(detail)
    assert detail["BoundingBox"] == box


def test_index_faces_of_an_image_without_a_face(live: Live) -> None:
    response = call(
        live, "IndexFaces", CollectionId=PEOPLE, Image={"Bytes": sample_bytes("coffee.png")}
    )
    assert response["FaceRecords"] == [] and response["UnindexedFaces"] == []


def test_list_faces_pages_with_max_results_and_next_token(live: Live) -> None:
    first = call(live, "ListFaces", CollectionId=PEOPLE, MaxResults=2)
    assert len(first["Faces"]) == 2 and first["NextToken"]
    assert first["FaceModelVersion"] == "1.0"
    second = call(
        live, "ListFaces", CollectionId=PEOPLE, MaxResults=2, NextToken=first["NextToken"]
    )
    assert len(second["Faces"]) == 1 and "NextToken" not in second
    ids = [f["FaceId"] for f in first["Faces"] + second["Faces"]]
    assert sorted(ids) == sorted(live.faces.values())
    # indexing order
    assert [f["ExternalImageId"] for f in first["Faces"] + second["Faces"]] == [
        "astronaut",
        "astronaut-copy",
        "grace_hopper",
    ]
    only = call(live, "ListFaces", CollectionId=PEOPLE, FaceIds=[live.faces["grace_hopper"]])
    assert [f["ExternalImageId"] for f in only["Faces"]] == ["grace_hopper"]


def test_a_token_of_another_listing_is_refused(live: Live) -> None:
    token = call(live, "ListFaces", CollectionId=PEOPLE, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as info:
        live.client.list_users(CollectionId=PEOPLE, NextToken=token)
    assert code(info) == "InvalidPaginationTokenException"


def test_search_faces_by_image_finds_the_astronaut_only(live: Live) -> None:
    response = call(
        live, "SearchFacesByImage", CollectionId=PEOPLE, Image={"Bytes": mirrored_astronaut()}
    )
    found = matched(response)
    assert set(found) == {"astronaut", "astronaut-copy"}, found
    assert min(found.values()) >= 80
    assert response["SearchedFaceConfidence"] > 50
    assert 0 < response["SearchedFaceBoundingBox"]["Width"] < 1
    assert response["FaceModelVersion"] == "1.0"
    similarities = [m["Similarity"] for m in response["FaceMatches"]]
    assert similarities == sorted(similarities, reverse=True)


def test_grace_hopper_does_not_match_the_astronaut(live: Live) -> None:
    response = call(
        live,
        "SearchFacesByImage",
        CollectionId=PEOPLE,
        Image={"Bytes": sample_bytes("grace_hopper.jpg")},
        MaxFaces=5,
    )
    assert set(matched(response)) == {"grace_hopper"}
    # the stored grace_hopper is the same bytes: an exact match
    assert response["FaceMatches"][0]["Similarity"] > 99


def test_search_faces_by_face_id(live: Live) -> None:
    response = call(live, "SearchFaces", CollectionId=PEOPLE, FaceId=live.faces["astronaut"])
    assert response["SearchedFaceId"] == live.faces["astronaut"]
    found = matched(response)
    assert set(found) == {"astronaut-copy"} and found["astronaut-copy"] >= 80
    strict = call(
        live,
        "SearchFaces",
        CollectionId=PEOPLE,
        FaceId=live.faces["astronaut"],
        FaceMatchThreshold=100,
    )
    assert strict["FaceMatches"] == []


def test_s3_object_gives_the_same_answer_as_bytes(live: Live) -> None:
    data = mirrored_astronaut()
    image = live.put("people/astronaut-mirrored.png", data)
    by_bytes = call(live, "SearchFacesByImage", CollectionId=PEOPLE, Image={"Bytes": data})
    by_object = call(live, "SearchFacesByImage", CollectionId=PEOPLE, Image=image)
    assert by_object == by_bytes
    with pytest.raises(ClientError) as info:
        live.client.search_faces_by_image(
            CollectionId=PEOPLE, Image={"S3Object": {"Bucket": BUCKET, "Name": "nope.png"}}
        )
    assert code(info) == "InvalidS3ObjectException"


def test_search_without_a_face_is_an_invalid_parameter(live: Live) -> None:
    with pytest.raises(ClientError) as info:
        live.client.search_faces_by_image(
            CollectionId=PEOPLE, Image={"Bytes": sample_bytes("coffee.png")}
        )
    assert code(info) == "InvalidParameterException"
    assert "no faces" in info.value.response["Error"]["Message"]


def test_delete_faces_then_searches_miss(live: Live) -> None:
    c = {"CollectionId": "deletions"}
    call(live, "CreateCollection", **c)
    stored = [
        call(live, "IndexFaces", **c, Image={"Bytes": data}, ExternalImageId=name)["FaceRecords"][
            0
        ]["Face"]["FaceId"]
        for name, data in [("a", sample_bytes("astronaut.png")), ("b", astronaut_copy())]
    ]
    assert set(matched(call(live, "SearchFaces", **c, FaceId=stored[0]))) == {"b"}
    unknown = "00000000-0000-4000-8000-000000000000"
    deleted = call(live, "DeleteFaces", **c, FaceIds=[stored[1], unknown])
    assert deleted["DeletedFaces"] == [stored[1]]
    assert deleted["UnsuccessfulFaceDeletions"] == [
        {"FaceId": unknown, "Reasons": ["FACE_NOT_FOUND"]}
    ]
    assert call(live, "SearchFaces", **c, FaceId=stored[0])["FaceMatches"] == []
    by_image = call(live, "SearchFacesByImage", **c, Image={"Bytes": astronaut_copy()})
    assert set(matched(by_image)) == {"a"}  # the deleted copy is gone, the original found
    assert call(live, "DescribeCollection", **c)["FaceCount"] == 1
    call(live, "DeleteCollection", **c)


# --- CompareFaces --------------------------------------------------------------------


def test_compare_faces(live: Live) -> None:
    astronaut = {"Bytes": sample_bytes("astronaut.png")}
    same = call(
        live, "CompareFaces", SourceImage=astronaut, TargetImage={"Bytes": astronaut_copy()}
    )
    assert len(same["FaceMatches"]) == 1 and same["FaceMatches"][0]["Similarity"] >= 80
    assert same["UnmatchedFaces"] == []
    assert same["SourceImageFace"]["Confidence"] > 50
    other = call(
        live,
        "CompareFaces",
        SourceImage=astronaut,
        TargetImage={"Bytes": sample_bytes("grace_hopper.jpg")},
    )
    assert other["FaceMatches"] == [] and len(other["UnmatchedFaces"]) == 1
    assert {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"} <= set(
        other["UnmatchedFaces"][0]
    )


# --- users ---------------------------------------------------------------------------


def test_users_round_trip(live: Live) -> None:
    c = {"CollectionId": PEOPLE}
    assert call(live, "CreateUser", **c, UserId="astro") == {}
    with pytest.raises(ClientError) as info:
        live.client.create_user(**c, UserId="astro")
    assert code(info) == "ConflictException"
    assert call(live, "ListUsers", **c)["Users"] == [{"UserId": "astro", "UserStatus": "CREATED"}]

    astronaut, copy, grace = (
        live.faces[k] for k in ("astronaut", "astronaut-copy", "grace_hopper")
    )
    associated = call(live, "AssociateFaces", **c, UserId="astro", FaceIds=[astronaut, copy])
    assert sorted(f["FaceId"] for f in associated["AssociatedFaces"]) == sorted([astronaut, copy])
    assert associated["UnsuccessfulFaceAssociations"] == [] and associated["UserStatus"] == "ACTIVE"
    # grace_hopper's face is not like the astronaut's: refused with its confidence
    refused = call(live, "AssociateFaces", **c, UserId="astro", FaceIds=[grace])
    (failure,) = refused["UnsuccessfulFaceAssociations"]
    assert failure["FaceId"] == grace and failure["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert failure["Confidence"] < 75

    assert call(live, "ListUsers", **c)["Users"] == [{"UserId": "astro", "UserStatus": "ACTIVE"}]
    listed = call(live, "ListFaces", **c, UserId="astro")
    assert {f["FaceId"] for f in listed["Faces"]} == {astronaut, copy}
    assert all(f["UserId"] == "astro" for f in listed["Faces"])

    by_face = call(live, "SearchUsers", **c, FaceId=astronaut)
    assert by_face["SearchedFace"] == {"FaceId": astronaut}
    assert [m["User"]["UserId"] for m in by_face["UserMatches"]] == ["astro"]
    by_user = call(live, "SearchUsers", **c, UserId="astro")
    assert by_user["SearchedUser"] == {"UserId": "astro"}
    assert by_user["UserMatches"][0]["User"] == {"UserId": "astro", "UserStatus": "ACTIVE"}
    nobody = call(live, "SearchUsers", **c, FaceId=grace)
    assert nobody["UserMatches"] == []

    by_image = call(live, "SearchUsersByImage", **c, Image={"Bytes": mirrored_astronaut()})
    (match,) = by_image["UserMatches"]
    assert match["User"]["UserId"] == "astro" and match["Similarity"] >= 80
    assert by_image["SearchedFace"]["FaceDetail"]["Confidence"] > 50
    not_a_user = call(
        live, "SearchUsersByImage", **c, Image={"Bytes": sample_bytes("grace_hopper.jpg")}
    )
    assert not_a_user["UserMatches"] == []

    # a face with a user cannot be deleted
    kept = call(live, "DeleteFaces", **c, FaceIds=[copy])
    assert kept["DeletedFaces"] == []
    assert kept["UnsuccessfulFaceDeletions"][0]["Reasons"] == ["ASSOCIATED_TO_AN_EXISTING_USER"]

    gone = call(live, "DisassociateFaces", **c, UserId="astro", FaceIds=[astronaut, copy])
    assert sorted(f["FaceId"] for f in gone["DisassociatedFaces"]) == sorted([astronaut, copy])
    assert gone["UserStatus"] == "CREATED"
    assert call(live, "DeleteUser", **c, UserId="astro") == {}
    assert call(live, "ListUsers", **c)["Users"] == []
    with pytest.raises(ClientError) as info:
        live.client.delete_user(**c, UserId="astro")
    assert code(info) == "ResourceNotFoundException"


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "request_members"),
    [
        ("describe_collection", {}),
        ("delete_collection", {}),
        ("list_faces", {}),
        ("index_faces", {"Image": {"Bytes": b"not read: the collection is checked first"}}),
        ("search_faces_by_image", {"Image": {"Bytes": b"not read"}}),
        ("search_faces", {"FaceId": "00000000-0000-4000-8000-000000000000"}),
        ("delete_faces", {"FaceIds": ["00000000-0000-4000-8000-000000000000"]}),
        ("create_user", {"UserId": "u"}),
        ("list_users", {}),
    ],
)
def test_an_unknown_collection_is_not_found(
    live: Live, operation: str, request_members: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as info:
        getattr(live.client, operation)(CollectionId="no-such-collection", **request_members)
    assert code(info) == "ResourceNotFoundException"
    assert "no-such-collection" in info.value.response["Error"]["Message"]


def test_missing_members_are_invalid_parameters(live: Live) -> None:
    # botocore validates before sending; turn that off to see the server's answer
    unchecked = rekognition(live.url, *live.key, parameter_validation=False)
    with pytest.raises(ClientError) as info:
        unchecked.index_faces(CollectionId=PEOPLE)
    assert code(info) == "InvalidParameterException"
    assert "Image" in info.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as info:
        unchecked.compare_faces(SourceImage={"Bytes": sample_bytes("astronaut.png")})
    assert code(info) == "InvalidParameterException"
    assert "TargetImage" in info.value.response["Error"]["Message"]
    # SearchUsers needs one of UserId or FaceId, which the model cannot say
    with pytest.raises(ClientError) as info:
        live.client.search_users(CollectionId=PEOPLE)
    assert code(info) == "InvalidParameterException"


def test_an_image_that_is_not_one_is_an_invalid_format(live: Live) -> None:
    with pytest.raises(ClientError) as info:
        live.client.index_faces(CollectionId=PEOPLE, Image={"Bytes": b"%PDF-1.7 not a photo"})
    assert code(info) == "InvalidImageFormatException"
