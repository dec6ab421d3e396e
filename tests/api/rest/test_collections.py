"""Face collections over REST (``/api/v1/collections``) on a real server and real faces.

One server and one collection ("people") are shared by the module: astronaut.png
indexed from a multipart upload, grace_hopper.jpg from JSON bytes, and a rotated,
scaled-down astronaut from JSON naming an object in the store. dlib costs about half a
second per image here, so tests that change faces use collections of their own.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from sightline.analyzers.base import AnalyzerPool
from sightline.api.app import create_app
from sightline.api.services import ApiServices, build_services
from sightline.config import Settings
from tests.api.face_images import astronaut_copy, mirrored_astronaut, two_people
from tests.api.live import rekognition, serve
from tests.conftest import sample_bytes

pytestmark = pytest.mark.slow

API = "/api/v1"
PEOPLE = f"{API}/collections/people"
BUCKET = "photos"


@dataclass
class Rest:
    url: str
    client: httpx.Client
    services: ApiServices
    boto: Any
    faces: dict[str, str] = field(default_factory=dict)  # FaceId by external image id
    indexed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def upload(self, path: str, *files: tuple[str, bytes], **params: Any) -> httpx.Response:
        parts = [(name, (f"{name}.img", data, "application/octet-stream")) for name, data in files]
        return self.client.post(path, files=parts, params=params)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def b64(data: bytes) -> dict[str, str]:
    return {"bytes": base64.b64encode(data).decode()}


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["message"]
    return str(body["code"])


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory, analyzer_pool: AnalyzerPool) -> Iterator[Rest]:
    root: Path = tmp_path_factory.mktemp("collections-rest")
    settings = Settings(data_dir=root / "data", models={"model_dir": root / "models"})
    services = build_services(settings, analyzers=analyzer_pool)
    token = services.tokens.create("collections").token
    key = services.keys.create(name="collections")
    with (
        serve(create_app(settings, services=services)) as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client,
    ):
        r = Rest(
            url, client, services, rekognition(url, key.info.access_key_id, key.secret_access_key)
        )
        r.ok(client.post(f"{API}/collections", json={"collection_id": "people"}), 201)
        services.store.ensure_bucket(BUCKET)
        services.store.put(BUCKET, "people/astronaut-copy.jpg", astronaut_copy())
        r.indexed["astronaut"] = r.ok(
            r.upload(
                f"{PEOPLE}/faces",
                ("image", sample_bytes("astronaut.png")),
                external_image_id="astronaut",
            )
        )
        r.indexed["grace_hopper"] = r.ok(
            client.post(
                f"{PEOPLE}/faces",
                params={"external_image_id": "grace_hopper"},
                json={"image": b64(sample_bytes("grace_hopper.jpg"))},
            )
        )
        r.indexed["astronaut-copy"] = r.ok(
            client.post(
                f"{PEOPLE}/faces",
                params={"external_image_id": "astronaut-copy"},
                json={
                    "image": {"s3_object": {"bucket": BUCKET, "name": "people/astronaut-copy.jpg"}}
                },
            )
        )
        for name, response in r.indexed.items():
            assert len(response["indexed"]) == 1, response
            r.faces[name] = response["indexed"][0]["face"]["face_id"]
        yield r
    services.close()


def matched(result: dict[str, Any]) -> dict[str, float]:
    return {m["face"]["external_image_id"]: m["similarity"] for m in result["matches"]}


# --- authentication ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/collections"),
        ("POST", "/collections"),
        ("GET", "/collections/people"),
        ("POST", "/collections/people/faces"),
        ("POST", "/collections/people/search"),
        ("POST", "/faces/compare"),
        ("GET", "/collections/people/users"),
        ("GET", "/collections/people/persons"),
    ],
)
def test_a_bearer_token_is_required(rest: Rest, method: str, path: str) -> None:
    with httpx.Client(base_url=rest.url) as anonymous:
        assert error(anonymous.request(method, API + path), 401) == (
            "MissingAuthenticationTokenException"
        )
        forged = {"Authorization": "Bearer slt_nope_0000"}
        response = anonymous.request(method, API + path, headers=forged)
        assert error(response, 401) == "UnrecognizedClientException"


# --- collections ---------------------------------------------------------------------


def test_collection_lifecycle(rest: Rest) -> None:
    created = rest.ok(
        rest.client.post(
            f"{API}/collections", json={"collection_id": "staff", "tags": {"team": "qa"}}
        ),
        201,
    )
    assert created["collection_id"] == "staff" and created["arn"].endswith(":collection/staff")
    assert (created["face_model"], created["face_model_version"]) == ("dlib", "1.0")
    assert (created["face_count"], created["user_count"]) == (0, 0)

    listed = rest.ok(rest.client.get(f"{API}/collections"))
    by_id = {c["collection_id"]: c for c in listed["collections"]}
    assert {"people", "staff"} <= set(by_id) and listed["next_token"] is None
    assert by_id["staff"]["face_count"] is None  # a listing does not count faces
    first = rest.ok(rest.client.get(f"{API}/collections", params={"limit": 1}))
    assert len(first["collections"]) == 1 and first["next_token"]

    described = rest.ok(rest.client.get(f"{API}/collections/people"))
    assert described["face_count"] == 3 and described["user_count"] >= 0

    again = rest.client.post(f"{API}/collections", json={"collection_id": "staff"})
    assert error(again, 409) == "ResourceAlreadyExistsException"
    # the wire API sees the same collections
    assert rest.boto.describe_collection(CollectionId="staff")["FaceCount"] == 0

    assert rest.client.delete(f"{API}/collections/staff").status_code == 204
    assert error(rest.client.get(f"{API}/collections/staff"), 404) == "ResourceNotFoundException"
    with pytest.raises(ClientError):
        rest.boto.describe_collection(CollectionId="staff")


def test_a_model_that_is_not_installed_is_refused(rest: Rest) -> None:
    response = rest.client.post(
        f"{API}/collections", json={"collection_id": "sface-people", "face_model": "sface"}
    )
    assert error(response, 400) == "ResourceNotReadyException"
    assert "models pull sface" in response.json()["message"]


def test_unknown_collections_are_404(rest: Rest) -> None:
    nowhere = f"{API}/collections/nowhere"
    for response in (
        rest.client.get(nowhere),
        rest.client.delete(nowhere),
        rest.client.get(f"{nowhere}/faces"),
        rest.upload(f"{nowhere}/faces", ("image", b"not read: the collection comes first")),
        rest.client.post(f"{nowhere}/search", json={"image": b64(b"not read")}),
        rest.client.get(f"{nowhere}/users"),
        rest.client.get(f"{nowhere}/persons"),
    ):
        assert error(response, 404) == "ResourceNotFoundException"
        assert "nowhere" in response.json()["message"]


# --- faces ---------------------------------------------------------------------------


def test_indexing_answers_the_stored_face_and_its_detection(rest: Rest) -> None:
    response = rest.indexed["astronaut"]
    assert response["unindexed"] == [] and response["notes"] == []
    assert response["face_model_version"] == "1.0"
    (indexed,) = response["indexed"]
    face, detection = indexed["face"], indexed["detection"]
    assert face["external_image_id"] == "astronaut" and face["user_id"] is None
    assert 50 < face["confidence"] <= 100
    box = face["bounding_box"]
    assert 0 < box["width"] < 1 and 0 < box["height"] < 1
    assert 0.3 < box["left"] + box["width"] / 2 < 0.7 and box["top"] < 0.5
    assert detection["bounding_box"] == box
    assert {lm["type"] for lm in detection["landmarks"]} >= {"eyeLeft", "eyeRight", "nose"}
    assert all(0 <= lm["x"] <= 1 and 0 <= lm["y"] <= 1 for lm in detection["landmarks"])
    assert detection["pose"] and detection["quality"]


def test_an_image_without_a_face_says_why(rest: Rest) -> None:
    response = rest.ok(rest.upload(f"{PEOPLE}/faces", ("image", sample_bytes("coffee.png"))))
    assert response["indexed"] == [] and response["notes"] == ["No face was detected in the image."]


def test_faces_are_listed_a_page_at_a_time(rest: Rest) -> None:
    first = rest.ok(rest.client.get(f"{PEOPLE}/faces", params={"limit": 2}))
    assert len(first["faces"]) == 2 and first["next_token"]
    second = rest.ok(
        rest.client.get(f"{PEOPLE}/faces", params={"limit": 2, "next_token": first["next_token"]})
    )
    assert len(second["faces"]) == 1 and second["next_token"] is None
    assert [f["external_image_id"] for f in first["faces"] + second["faces"]] == [
        "astronaut",
        "grace_hopper",
        "astronaut-copy",
    ]
    bad = rest.client.get(f"{PEOPLE}/faces", params={"next_token": "garbage"})
    assert error(bad, 400) == "InvalidPaginationTokenException"


def test_search_by_upload_finds_the_astronaut_only(rest: Rest) -> None:
    response = rest.ok(rest.upload(f"{PEOPLE}/search", ("image", mirrored_astronaut())))
    assert response["face_model_version"] == "1.0"
    (result,) = response["results"]
    found = matched(result)
    assert set(found) == {"astronaut", "astronaut-copy"} and min(found.values()) >= 80
    assert result["searched_face"]["confidence"] > 50 and result["searched_face_id"] is None
    similarities = [m["similarity"] for m in result["matches"]]
    assert similarities == sorted(similarities, reverse=True)


def test_search_every_face_of_an_image(rest: Rest) -> None:
    image = ("image", two_people())
    largest = rest.ok(rest.upload(f"{PEOPLE}/search", image))
    assert [set(matched(r)) for r in largest["results"]] == [{"grace_hopper"}]
    every = rest.ok(rest.upload(f"{PEOPLE}/search", image, all="true"))
    assert [set(matched(r)) for r in every["results"]] == [
        {"grace_hopper"},
        {"astronaut", "astronaut-copy"},
    ]
    left = [r["searched_face"]["bounding_box"]["left"] for r in every["results"]]
    assert left[0] > 0.5 > left[1]  # grace_hopper is on the right


def test_search_by_face_id_and_by_object(rest: Rest) -> None:
    by_id = rest.ok(rest.client.post(f"{PEOPLE}/search", json={"face_id": rest.faces["astronaut"]}))
    (result,) = by_id["results"]
    assert result["searched_face_id"] == rest.faces["astronaut"] and result["searched_face"] is None
    assert set(matched(result)) == {"astronaut-copy"}

    rest.services.store.put(BUCKET, "query.png", mirrored_astronaut())
    by_object = rest.client.post(
        f"{PEOPLE}/search", json={"image": {"s3_object": {"bucket": BUCKET, "name": "query.png"}}}
    )
    by_upload = rest.upload(f"{PEOPLE}/search", ("image", mirrored_astronaut()))
    assert rest.ok(by_object) == rest.ok(by_upload)
    missing = rest.client.post(
        f"{PEOPLE}/search", json={"image": {"s3_object": {"bucket": BUCKET, "name": "nope.png"}}}
    )
    assert error(missing, 400) == "InvalidS3ObjectException"


def test_a_face_can_be_deleted_alone_or_with_others(rest: Rest) -> None:
    rest.ok(rest.client.post(f"{API}/collections", json={"collection_id": "deletions"}), 201)
    base = f"{API}/collections/deletions"
    ids = [
        rest.ok(
            rest.client.post(
                f"{base}/faces", params={"external_image_id": name}, json={"image": b64(data)}
            )
        )["indexed"][0]["face"]["face_id"]
        for name, data in [("a", sample_bytes("astronaut.png")), ("b", astronaut_copy())]
    ]
    assert rest.client.delete(f"{base}/faces/{ids[1]}").status_code == 204
    assert error(rest.client.delete(f"{base}/faces/{ids[1]}"), 404) == "ResourceNotFoundException"
    (result,) = rest.ok(rest.client.post(f"{base}/search", json={"face_id": ids[0]}))["results"]
    assert result["matches"] == []

    unknown = "00000000-0000-4000-8000-000000000000"
    bulk = rest.ok(rest.client.post(f"{base}/faces/delete", json={"face_ids": [ids[0], unknown]}))
    assert bulk["deleted"] == [ids[0]]
    assert bulk["unsuccessful"] == [
        {"face_id": unknown, "reasons": ["FACE_NOT_FOUND"], "user_id": None, "confidence": None}
    ]
    assert rest.ok(rest.client.get(base))["face_count"] == 0
    assert rest.client.delete(base).status_code == 204


# --- CompareFaces --------------------------------------------------------------------


def test_compare_faces(rest: Rest) -> None:
    other = rest.ok(
        rest.upload(
            f"{API}/faces/compare",
            ("source", sample_bytes("astronaut.png")),
            ("target", sample_bytes("grace_hopper.jpg")),
        )
    )
    assert other["matches"] == [] and len(other["unmatched"]) == 1
    assert other["source_face"]["confidence"] > 50
    same = rest.ok(
        rest.client.post(
            f"{API}/faces/compare",
            json={"source": b64(sample_bytes("astronaut.png")), "target": b64(astronaut_copy())},
        )
    )
    (match,) = same["matches"]
    assert match["similarity"] >= 80 and same["unmatched"] == []


# --- users and persons ---------------------------------------------------------------


def test_users_and_persons(rest: Rest) -> None:
    users = f"{PEOPLE}/users"
    astronaut, copy, grace = (
        rest.faces[k] for k in ("astronaut", "astronaut-copy", "grace_hopper")
    )
    created = rest.ok(rest.client.post(users, json={"user_id": "astro"}), 201)
    assert created == {"user_id": "astro", "status": "CREATED", "face_count": 0, "person": None}
    assert error(rest.client.post(users, json={"user_id": "astro"}), 400) == "ConflictException"

    associated = rest.ok(
        rest.client.post(f"{users}/astro/faces", json={"face_ids": [astronaut, copy, grace]})
    )
    assert sorted(associated["associated"]) == sorted([astronaut, copy])
    (refused,) = associated["unsuccessful"]
    assert refused["face_id"] == grace and refused["reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert refused["confidence"] < 75 and associated["user_status"] == "ACTIVE"

    person = rest.ok(
        rest.client.put(
            f"{PEOPLE}/persons/p-astro",
            json={"name": "Eileen Collins", "notes": "STS-93", "user_id": "astro"},
        )
    )
    assert person == {
        "person_id": "p-astro",
        "name": "Eileen Collins",
        "notes": "STS-93",
        "attributes": {},
        "user_id": "astro",
        "external_image_id": None,
    }
    grace_person = rest.ok(
        rest.client.post(
            f"{PEOPLE}/persons",
            json={
                "name": "Grace Hopper",
                "external_image_id": "grace_hopper",
                "attributes": {"rank": "Rear Admiral"},
            },
        ),
        201,
    )
    assert grace_person["person_id"] and grace_person["attributes"] == {"rank": "Rear Admiral"}
    listed_persons = rest.ok(rest.client.get(f"{PEOPLE}/persons"))
    assert [p["name"] for p in listed_persons] == ["Eileen Collins", "Grace Hopper"]
    assert rest.ok(rest.client.get(f"{PEOPLE}/persons/p-astro")) == person

    (listed,) = rest.ok(rest.client.get(users))["users"]
    assert listed == {"user_id": "astro", "status": "ACTIVE", "face_count": 2, "person": person}
    mine = rest.ok(rest.client.get(f"{PEOPLE}/faces", params={"user_id": "astro"}))["faces"]
    assert {f["face_id"] for f in mine} == {astronaut, copy}

    # search matches carry the person record of their user or external image id
    (found,) = rest.ok(rest.upload(f"{PEOPLE}/search", ("image", mirrored_astronaut())))["results"]
    assert {m["person"]["name"] for m in found["matches"]} == {"Eileen Collins"}
    grace_photo = ("image", sample_bytes("grace_hopper.jpg"))
    (hopper,) = rest.ok(rest.upload(f"{PEOPLE}/search", grace_photo))["results"]
    assert [m["person"]["name"] for m in hopper["matches"]] == ["Grace Hopper"]

    by_image = rest.ok(rest.upload(f"{users}/search", ("image", mirrored_astronaut())))
    (match,) = by_image["matches"]
    assert (match["user_id"], match["status"]) == ("astro", "ACTIVE") and match["similarity"] >= 80
    assert by_image["searched_face"]["confidence"] > 50 and by_image["unsearched"] == []
    by_face = rest.ok(rest.client.post(f"{users}/search", json={"face_id": astronaut}))
    assert [m["user_id"] for m in by_face["matches"]] == ["astro"]
    assert by_face["searched_face_id"] == astronaut
    by_user = rest.ok(rest.client.post(f"{users}/search", json={"user_id": "astro"}))
    assert by_user["searched_user_id"] == "astro" and len(by_user["matches"]) == 1
    nobody = rest.ok(rest.client.post(f"{users}/search", json={"face_id": grace}))
    assert nobody["matches"] == []
    both = rest.client.post(f"{users}/search", json={"face_id": grace, "user_id": "astro"})
    assert error(both, 400) == "InvalidParameterException"

    # an associated face cannot be deleted
    kept = rest.client.delete(f"{PEOPLE}/faces/{copy}")
    assert error(kept, 400) == "ConflictException" and "astro" in kept.json()["message"]

    gone = rest.ok(
        rest.client.delete(
            f"{users}/astro/faces", params=[("face_id", astronaut), ("face_id", copy)]
        )
    )
    assert sorted(gone["disassociated"]) == sorted([astronaut, copy])
    assert gone["user_status"] == "CREATED"
    assert rest.client.delete(f"{users}/astro").status_code == 204
    assert rest.ok(rest.client.get(users))["users"] == []
    # the record stays, no longer attached to a user
    assert rest.ok(rest.client.get(f"{PEOPLE}/persons/p-astro"))["user_id"] is None
    for person_id in ("p-astro", grace_person["person_id"]):
        assert rest.client.delete(f"{PEOPLE}/persons/{person_id}").status_code == 204
    missing = rest.client.get(f"{PEOPLE}/persons/p-astro")
    assert error(missing, 404) == "ResourceNotFoundException"


# --- bad requests --------------------------------------------------------------------


def test_bad_image_bodies_are_400s(rest: Rest) -> None:
    faces = f"{PEOPLE}/faces"
    cases = {
        "text/plain": rest.client.post(
            faces, content=b"hello", headers={"Content-Type": "text/plain"}
        ),
        "no image field": rest.upload(faces, ("photo", sample_bytes("astronaut.png"))),
        "bad base64": rest.client.post(faces, json={"image": {"bytes": "***"}}),
        "neither source": rest.client.post(faces, json={"image": {}}),
        "unknown member": rest.client.post(faces, json={"image": b64(b"x"), "extra": 1}),
        "not json": rest.client.post(
            faces, content=b"{", headers={"Content-Type": "application/json"}
        ),
        "both": rest.client.post(
            f"{PEOPLE}/search", json={"image": b64(b"x"), "face_id": rest.faces["astronaut"]}
        ),
        "not an image": rest.upload(faces, ("image", b"%PDF-1.7 not a photo")),
    }
    codes = {name: error(response, 400) for name, response in cases.items()}
    assert codes["not json"] == "SerializationException"
    assert codes["not an image"] == "InvalidImageFormatException"
    assert all(
        c == "InvalidParameterException"
        for name, c in codes.items()
        if name not in ("not json", "not an image")
    ), codes


def test_an_upload_over_the_byte_limit_is_too_large(rest: Rest) -> None:
    big = b"\xff\xd8\xff\xe0" + bytes(rest.services.settings.limits.max_bytes)
    response = rest.upload(f"{PEOPLE}/faces", ("image", big))
    assert error(response, 400) == "ImageTooLargeException"
    assert "'image'" in response.json()["message"]
