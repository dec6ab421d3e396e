"""FaceService over the fake analyzer, on SQLite and PostgreSQL: collections, faces,
searches, persistence, index files, staleness across processes, pagination."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from sightline.api.rekognition.shapes import collections as shapes
from sightline.errors import (
    IndexCorruptError,
    InvalidPaginationTokenError,
    InvalidParameterError,
    ModelNotInstalledError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from sightline.faces.service import FaceService
from tests.botocore_shapes import assert_valid_output
from tests.conftest import encode
from tests.faces.conftest import MakeService
from tests.faces.fakes import BLUE, GREEN, RED, YELLOW, canvas

C = {"CollectionId": "people"}


def index(service: FaceService, image: object, **members: object) -> list[str]:
    result = service.index_faces({**C, "Image": image, **members})
    assert_valid_output("IndexFaces", shapes.index_faces_response(result))
    return [f.record.face_id for f in result.indexed]


def matches(service: FaceService, image: object, **members: object) -> list[tuple[str, float]]:
    result = service.search_faces_by_image({**C, "Image": image, **members})
    assert_valid_output("SearchFacesByImage", shapes.search_faces_by_image_response(result))
    return [(m.face.face_id, m.similarity) for m in result.matches]


def test_collection_lifecycle(service: FaceService) -> None:
    created = service.create_collection(C)
    assert_valid_output("CreateCollection", shapes.create_collection_response(created))
    assert created.arn.endswith(":collection/people")
    assert created.face_model_version == "1.0"
    with pytest.raises(ResourceAlreadyExistsError, match="people"):
        service.create_collection(C)
    service.create_collection({"CollectionId": "another.one"})
    index(service, canvas((10, 10, 40, RED), (100, 100, 30, GREEN)))
    info = service.describe_collection(C)
    assert_valid_output("DescribeCollection", shapes.describe_collection_response(info))
    assert (info.face_count, info.user_count) == (2, 0)
    page = service.list_collections()
    assert_valid_output("ListCollections", shapes.list_collections_response(page))
    assert [c.collection_id for c in page.items] == ["another.one", "people"]
    service.delete_collection(C)
    assert_valid_output("DeleteCollection", shapes.delete_collection_response())
    with pytest.raises(ResourceNotFoundError, match="people"):
        service.describe_collection(C)
    with pytest.raises(ResourceNotFoundError):
        service.index_faces({**C, "Image": canvas((10, 10, 40, RED))})


@pytest.mark.parametrize(
    ("request_", "member"),
    [
        ({"CollectionId": "bad/name"}, "CollectionId"),  # a path separator
        ({"CollectionId": ""}, "CollectionId"),  # empty
        ({"CollectionId": "x" * 256}, "CollectionId"),  # over 255
        ({"CollectionId": "ok", "Colour": "red"}, "Colour"),  # unknown member
    ],
)
def test_invalid_requests_name_the_member(
    service: FaceService, request_: dict[str, str], member: str
) -> None:
    with pytest.raises(InvalidParameterError, match=member):
        service.create_collection(request_)


def test_index_search_and_a_stranger(service: FaceService) -> None:
    service.create_collection(C)
    red, green = index(service, canvas((10, 10, 60, RED), (100, 100, 40, GREEN)))
    # the largest face of the query is searched
    found = matches(service, canvas((50, 50, 70, RED), (5, 5, 20, GREEN)))
    assert [f for f, _ in found] == [red]
    assert found[0][1] >= 99
    # every face of the image, on request
    every = service.search_all_faces_by_image(
        {**C, "Image": canvas((50, 50, 70, RED), (5, 5, 20, GREEN))}
    )
    assert [[m.face.face_id for m in r.matches] for r in every] == [[red], [green]]
    # somebody the collection does not know: no match, not the nearest face
    assert matches(service, canvas((20, 20, 50, BLUE))) == []
    # ... unless the caller lowers the threshold to nothing
    assert len(matches(service, canvas((20, 20, 50, BLUE)), FaceMatchThreshold=0.0)) == 2
    by_id = service.search_faces({**C, "FaceId": red})
    assert_valid_output("SearchFaces", shapes.search_faces_response(by_id))
    assert by_id.matches == ()  # the searched face is not its own match


def test_no_face_in_the_image(service: FaceService) -> None:
    service.create_collection(C)
    result = service.index_faces({**C, "Image": canvas()})
    assert result.indexed == () and result.unindexed == ()
    assert result.notes == ("No face was detected in the image.",)
    with pytest.raises(InvalidParameterError, match="no faces"):
        service.search_faces_by_image({**C, "Image": canvas()})


def test_bytes_images_and_reindexing_the_same_image(service: FaceService) -> None:
    service.create_collection(C)
    png = encode(canvas((10, 10, 60, RED), (100, 100, 40, GREEN)).pixels, "PNG")
    first = index(service, {"Bytes": png}, ExternalImageId="photo-1")
    again = service.index_faces({**C, "Image": {"Bytes": png}, "ExternalImageId": "photo-1"})
    assert [f.record.face_id for f in again.indexed] == first  # no duplicates stored
    assert "already indexed" in again.notes[0]
    assert service.describe_collection(C).face_count == 2
    # the same bytes under another ExternalImageId are another image
    index(service, {"Bytes": png}, ExternalImageId="photo-2")
    assert service.describe_collection(C).face_count == 4


def test_delete_faces_is_visible_to_the_next_search(service: FaceService) -> None:
    service.create_collection(C)
    (red,) = index(service, canvas((10, 10, 60, RED)))
    assert [f for f, _ in matches(service, canvas((30, 30, 50, RED)))] == [red]
    missing = "00000000-0000-4000-8000-000000000000"
    result = service.delete_faces({**C, "FaceIds": [red, missing]})
    assert_valid_output("DeleteFaces", shapes.delete_faces_response(result))
    assert result.deleted == (red,)
    assert [(f.face_id, f.reasons) for f in result.unsuccessful] == [(missing, ("FACE_NOT_FOUND",))]
    assert matches(service, canvas((30, 30, 50, RED))) == []


def test_restart_keeps_collections_faces_and_index(
    make_service: MakeService, tmp_path: Path
) -> None:
    first = make_service()
    first.create_collection(C)
    (red,) = index(first, canvas((10, 10, 60, RED)))
    assert matches(first, canvas((30, 30, 50, RED)))  # loads the index, so close saves it
    first.close()
    assert (tmp_path / "data" / "indexes" / "people.json").is_file()
    second = make_service()
    assert second.describe_collection(C).face_count == 1
    assert [f for f, _ in matches(second, canvas((30, 30, 50, RED)))] == [red]


@pytest.mark.parametrize("damage", ["delete", "corrupt", "truncate"])
def test_a_damaged_index_file_is_rebuilt(
    make_service: MakeService, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_service()
    first.create_collection(C)
    (red,) = index(first, canvas((10, 10, 60, RED)))
    assert matches(first, canvas((30, 30, 50, RED)))
    first.close()
    data = tmp_path / "data" / "indexes" / "people.npz"
    if damage == "delete":
        data.unlink()
    elif damage == "corrupt":
        raw = bytearray(data.read_bytes())
        raw[-20] ^= 0x55
        data.write_bytes(bytes(raw))
    else:
        data.write_bytes(data.read_bytes()[:100])
    second = make_service()
    with caplog.at_level("WARNING", logger="sightline.faces.indexes"):
        assert [f for f, _ in matches(second, canvas((30, 30, 50, RED)))] == [red]
    assert "rebuilding the index of collection people" in caplog.text
    # ... and written back whole
    from sightline.faces.index import FaceIndex

    try:
        loaded = FaceIndex.load(tmp_path / "data" / "indexes" / "people", dim=128)
    except IndexCorruptError as exc:  # pragma: no cover - the assertion below reports it
        pytest.fail(f"index not rewritten: {exc}")
    assert len(loaded) == 1


def test_another_process_sees_changes_at_its_next_search(make_service: MakeService) -> None:
    writer, reader = make_service(), make_service()  # two services: two processes' state
    writer.create_collection(C)
    (red,) = index(writer, canvas((10, 10, 60, RED)))
    assert [f for f, _ in matches(reader, canvas((30, 30, 50, RED)))] == [red]
    (green,) = index(writer, canvas((10, 10, 60, GREEN)))
    assert [f for f, _ in matches(reader, canvas((30, 30, 50, GREEN)))] == [green]
    writer.delete_faces({**C, "FaceIds": [red]})
    assert matches(reader, canvas((30, 30, 50, RED))) == []
    # a collection deleted and re-created under the same name starts empty
    writer.delete_collection(C)
    writer.create_collection(C)
    assert matches(reader, canvas((30, 30, 50, GREEN))) == []


def test_list_faces_pages(service: FaceService) -> None:
    service.create_collection(C)
    ids = []
    for colour in (RED, GREEN, BLUE, YELLOW):
        ids += index(service, canvas((10, 10, 60, colour)))
    seen: list[str] = []
    token = None
    while True:
        request = {**C, "MaxResults": 3, **({"NextToken": token} if token else {})}
        page, version = service.list_faces(request)
        assert_valid_output("ListFaces", shapes.list_faces_response(page, version))
        seen += [f.face_id for f in page.items]
        token = page.next_token
        if token is None:
            break
    assert seen == ids
    only, _ = service.list_faces({**C, "FaceIds": ids[1:3]})
    assert [f.face_id for f in only.items] == ids[1:3]
    with pytest.raises(InvalidPaginationTokenError):
        service.list_faces({**C, "NextToken": "garbage"})
    service.create_collection({"CollectionId": "other"})
    first, _ = service.list_faces({**C, "MaxResults": 1})
    assert first.next_token is not None
    with pytest.raises(InvalidPaginationTokenError, match="another listing"):
        service.list_faces({"CollectionId": "other", "NextToken": first.next_token})


def test_large_collections_search_hnsw_with_exact_similarities(make_service: MakeService) -> None:
    service = make_service(exact_max=3)
    service.create_collection(C)
    colours = [RED, GREEN, BLUE, YELLOW, (250, 130, 30), (130, 30, 250)]
    ids = [index(service, canvas((10, 10, 60, c)))[0] for c in colours]
    index_ = service.ctx.indexes.get(service.ctx.key(_row(service)), _row(service).generation)
    assert index_.backend == "hnsw"
    for face_id, colour in zip(ids, colours, strict=True):
        found = matches(service, canvas((30, 30, 60, colour)))
        assert [f for f, _ in found] == [face_id]
        assert found[0][1] == pytest.approx(100.0, abs=0.01)


def test_a_collection_never_mixes_models(service: FaceService) -> None:
    service.create_collection(C)
    index(service, canvas((10, 10, 60, RED)))
    service.ctx.pool.get("faces").embedding_model_version = "fake-colour-v2"  # type: ignore[attr-defined]
    with pytest.raises(ModelNotInstalledError, match="never share a collection"):
        service.index_faces({**C, "Image": canvas((10, 10, 60, GREEN))})
    with pytest.raises(ModelNotInstalledError):
        service.search_faces_by_image({**C, "Image": canvas((10, 10, 60, GREEN))})


def test_concurrent_searches_while_indexing(service: FaceService) -> None:
    service.create_collection(C)
    (red,) = index(service, canvas((10, 10, 60, RED)))
    errors: list[BaseException] = []
    done = threading.Event()

    def search() -> None:
        try:
            while not done.is_set():
                found = matches(service, canvas((30, 30, 50, RED)))
                assert [f for f, _ in found] == [red]
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    readers = [threading.Thread(target=search) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        for shade in range(6):
            (face,) = index(service, canvas((10, 10, 60, (30, 30 + 30 * shade, 250))))
            service.delete_faces({**C, "FaceIds": [face]})
    finally:
        done.set()
        for t in readers:
            t.join()
    assert not errors, errors
    assert service.describe_collection(C).face_count == 1


def _row(service: FaceService):  # type: ignore[no-untyped-def]
    from sightline.faces import store

    with service.ctx.read() as s:
        return store.get_collection(s, "people")


def test_index_vectors_match_the_database(service: FaceService) -> None:
    service.create_collection(C)
    index(service, canvas((10, 10, 60, RED), (100, 100, 40, GREEN)))
    row = _row(service)
    idx = service.ctx.indexes.get(service.ctx.key(row), row.generation)
    assert sorted(idx.ids().tolist()) == sorted(int(k) for k in np.asarray(_keys(service, row.id)))


def _keys(service: FaceService, pk: int) -> list[int]:
    from sightline.faces import store

    with service.ctx.read() as s:
        return [int(k) for k in store.face_keys(s, pk)]


def test_an_index_file_behind_the_database_catches_up(
    make_service: MakeService, caplog: pytest.LogCaptureFixture
) -> None:
    first = make_service()
    first.create_collection(C)
    (red,) = index(first, canvas((10, 10, 60, RED)))
    assert matches(first, canvas((30, 30, 50, RED)))
    first.close()  # the file holds red, at this generation
    other = make_service()  # another process writes, never loading the index
    (green,) = index(other, canvas((10, 10, 60, GREEN)))
    other.delete_faces({**C, "FaceIds": [red]})
    other.close()
    later = make_service()  # loads the old file, sees the newer generation, diffs
    with caplog.at_level("WARNING", logger="sightline.faces.indexes"):
        assert [f for f, _ in matches(later, canvas((30, 30, 50, GREEN)))] == [green]
    assert not caplog.records  # the file was used, not rebuilt
    assert matches(later, canvas((30, 30, 50, RED))) == []
