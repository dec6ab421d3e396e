"""FaceIndex: exact and HNSW backends, the automatic switch, persistence, threads."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from sightline.errors import IndexCorruptError
from sightline.faces.index import FaceIndex, HnswParams

DIM = 16


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    vectors = unit(rng, 400)
    ids = np.arange(1000, 1400, dtype=np.int64)
    return ids, vectors


def near(v: np.ndarray, scale: float = 0.01) -> np.ndarray:
    return v + np.random.default_rng(1).standard_normal(v.shape).astype(np.float32) * scale


def test_exact_nearest_first(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = FaceIndex(DIM)
    index.add(ids, vectors)
    hits = index.search(near(vectors[5]), k=3)
    assert hits.ids[0] == ids[5]
    assert list(hits.distances) == sorted(hits.distances)
    brute = np.linalg.norm(vectors - near(vectors[5]), axis=1)
    assert hits.distances[0] == pytest.approx(brute.min(), abs=1e-5)


def test_threshold_turns_a_stranger_away(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = FaceIndex(DIM)
    index.add(ids, vectors)
    stranger = -vectors[0]  # far from vectors[0], and from most others at distance ~1.4
    assert len(index.search(stranger, k=1)) == 1  # without a threshold: the nearest
    assert len(index.search(stranger, k=1, threshold=0.1)) == 0


def test_remove_and_replace_are_visible_to_the_next_search(
    data: tuple[np.ndarray, np.ndarray],
) -> None:
    ids, vectors = data
    index = FaceIndex(DIM)
    index.add(ids, vectors)
    assert index.remove([int(ids[5]), 999_999]) == 1  # unknown ids are ignored
    assert ids[5] not in index.search(vectors[5], k=5).ids
    index.add([int(ids[6])], vectors[7:8])  # replace in place
    assert len(index) == 399
    top = index.search(vectors[7], k=2)
    assert set(top.ids.tolist()) == {int(ids[6]), int(ids[7])}


def test_switches_to_hnsw_above_exact_max(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = FaceIndex(DIM, exact_max=100, hnsw=HnswParams(dtype="f32"))
    index.add(ids[:100], vectors[:100])
    assert index.backend == "exact"
    index.add(ids[100:], vectors[100:])
    assert index.backend == "hnsw"
    assert len(index) == 400
    found = [index.search(near(vectors[i]), k=1).ids[0] for i in range(0, 400, 7)]
    assert found == [ids[i] for i in range(0, 400, 7)]
    index.remove([int(ids[0])])
    assert ids[0] not in index.search(vectors[0], k=3).ids
    assert sorted(index.ids().tolist()) == ids[1:].tolist()


def test_apply_only_on_the_expected_generation(data: tuple[np.ndarray, np.ndarray]) -> None:
    ids, vectors = data
    index = FaceIndex(DIM, generation=3)
    assert index.apply(add_ids=ids[:1], add_vectors=vectors[:1], expect_generation=2) == -1
    assert len(index) == 0 and index.generation == 3
    index.apply(add_ids=ids[:1], add_vectors=vectors[:1], generation=4, expect_generation=3)
    assert len(index) == 1 and index.generation == 4


def test_bad_vectors_are_refused() -> None:
    index = FaceIndex(DIM)
    with pytest.raises(ValueError, match="2 ids but 1 vectors"):
        index.add([1, 2], np.zeros((1, DIM)))
    with pytest.raises(ValueError, match="NaN"):
        index.add([1], np.full((1, DIM), np.nan))
    with pytest.raises(ValueError, match="16-d"):
        index.search(np.zeros(3), k=1)


@pytest.mark.parametrize("exact_max", [1000, 50], ids=["exact", "hnsw"])
def test_save_and_load_round_trip(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], exact_max: int
) -> None:
    ids, vectors = data
    index = FaceIndex(DIM, exact_max=exact_max, generation=9)
    index.add(ids, vectors)
    index.remove([int(ids[3])])
    stem = tmp_path / "indexes" / "people"
    index.save(stem, meta={"collection": 1})
    loaded = FaceIndex.load(stem, dim=DIM, exact_max=exact_max, meta={"collection": 1})
    assert loaded.backend == index.backend
    assert loaded.generation == 9
    assert sorted(loaded.ids().tolist()) == sorted(index.ids().tolist())
    assert loaded.search(vectors[10], k=1).ids[0] == ids[10]


def test_load_refuses_damaged_or_foreign_files(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    ids, vectors = data
    stem = tmp_path / "people"
    index = FaceIndex(DIM)
    index.add(ids, vectors)
    index.save(stem, meta={"collection": 1})
    # another collection under the same name
    with pytest.raises(IndexCorruptError, match="another collection"):
        FaceIndex.load(stem, dim=DIM, meta={"collection": 2})
    # another model's vector size
    with pytest.raises(IndexCorruptError, match="16-d"):
        FaceIndex.load(stem, dim=128)
    # one flipped byte in the data file
    data_file = tmp_path / "people.npz"
    raw = bytearray(data_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data_file.write_bytes(bytes(raw))
    with pytest.raises(IndexCorruptError, match="checksum"):
        FaceIndex.load(stem, dim=DIM)
    # the data file deleted
    data_file.unlink()
    with pytest.raises(IndexCorruptError, match="missing"):
        FaceIndex.load(stem, dim=DIM)
    # the header garbled
    (tmp_path / "people.json").write_text("{not json")
    with pytest.raises(IndexCorruptError, match="unreadable"):
        FaceIndex.load(stem, dim=DIM)


@pytest.mark.parametrize("exact_max", [10_000, 150], ids=["exact", "hnsw"])
def test_concurrent_readers_and_a_writer(
    data: tuple[np.ndarray, np.ndarray], exact_max: int
) -> None:
    ids, vectors = data
    index = FaceIndex(DIM, exact_max=exact_max)
    index.add(ids[:200], vectors[:200])
    stable = set(ids[:100].tolist())  # never touched by the writer
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            while not done.is_set():
                for i in range(0, 100, 9):
                    hits = index.search(vectors[i], k=1)
                    assert hits.ids[0] == ids[i]
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for round_ in range(5):
            index.add(
                ids[200 + 40 * round_ : 240 + 40 * round_],
                vectors[200 + 40 * round_ : 240 + 40 * round_],
            )
            index.remove(ids[100 + 20 * round_ : 120 + 20 * round_].tolist())
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert stable <= set(index.ids().tolist())
    assert len(index) == 400 - 100


def test_every_face_of_an_hnsw_graph_is_reachable() -> None:
    # usearch's parallel insertion left some vectors unreachable; the index inserts on
    # one thread, so a face in the graph is always found by a search for itself.
    rng = np.random.default_rng(11)
    vectors = unit(rng, 3000)
    ids = np.arange(3000, dtype=np.int64)
    index = FaceIndex(DIM, exact_max=500, hnsw=HnswParams(dtype="f32"))
    index.add(ids[:600], vectors[:600])  # switches to HNSW
    index.add(ids[600:], vectors[600:])
    assert index.backend == "hnsw"
    found = np.array([index.search(v, k=1).ids[0] for v in vectors])
    assert (found == ids).all()
