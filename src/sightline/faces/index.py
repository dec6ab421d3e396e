"""Nearest-neighbour index over one collection's face embeddings.

:class:`FaceIndex` maps integer ids (the ``faces.id`` primary key) to embedding vectors
and answers "which stored faces are within distance ``threshold`` of this vector,
nearest first". Distances are Euclidean (L2), in the embedding's own units — dlib's
published operating point (0.6) and SFace's (1.128 on unit vectors) are L2 distances,
so one metric serves every model.

Two backends, chosen automatically by size:

- **exact**: a contiguous ``float32`` matrix scanned with one matrix-vector product per
  query. Below ~50k faces this is faster than any graph (a 50k x 128 scan is ~1 ms) and
  needs no build.
- **hnsw**: usearch's HNSW graph, vectors stored as ``f16`` by default. Sub-millisecond
  at a million faces; built once when the collection crosses ``exact_max`` (and when an
  index is rebuilt from the database at that size). Distances it reports come from the
  stored ``f16`` vectors (relative error ~1e-3); callers that need exact distances
  re-rank the candidates with the stored ``float32`` embeddings.

Thread safety: searches run concurrently under the read side of an :class:`RWLock`;
``add``/``remove``/``apply`` are serialised by a mutation lock and hold the write side
only while they change the structures, so a backend switch (an HNSW build of 50k
vectors takes seconds) does not block searches.

Persistence: ``save(stem)`` writes ``<stem>.npz`` (exact) or ``<stem>.usearch`` (hnsw)
and then ``<stem>.json`` naming that file with its SHA-256, count and generation;
files are written to a temporary name and renamed, so a reader sees either the old
pair or the new one. ``load`` verifies all of it and raises :class:`IndexCorruptError`
on any mismatch, so the caller rebuilds from the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sightline.errors import IndexCorruptError
from sightline.faces.locks import RWLock

FORMAT_VERSION = 1
Backend = Literal["exact", "hnsw"]


@dataclass(frozen=True)
class HnswParams:
    """usearch HNSW parameters (see bench/faces_index.py for how they were chosen)."""

    connectivity: int = 32  # graph degree M: memory ~ 2*M*4 bytes per vector at level 0
    expansion_add: int = 64  # efConstruction: build quality vs build time
    expansion_search: int = 256  # ef: recall vs latency (0.994 recall@1 at 1M, p99 3.4 ms)
    dtype: Literal["f32", "f16"] = "f16"


@dataclass(frozen=True)
class Hits:
    """Search results, nearest first: ``ids`` (int64) and L2 ``distances`` (float32)."""

    ids: NDArray[np.int64]
    distances: NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.empty(0, np.int64), np.empty(0, np.float32))


@dataclass
class _Exact:
    """Dense float32 rows with a key -> row map; removal moves the last row into the gap."""

    dim: int
    keys: NDArray[np.int64] = field(init=False)
    vectors: NDArray[np.float32] = field(init=False)
    sqnorms: NDArray[np.float32] = field(init=False)
    count: int = 0
    slots: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._allocate(1024)

    def _allocate(self, capacity: int) -> None:
        keys = np.empty(capacity, np.int64)
        vectors = np.empty((capacity, self.dim), np.float32)
        sqnorms = np.empty(capacity, np.float32)
        if self.count:
            keys[: self.count] = self.keys[: self.count]
            vectors[: self.count] = self.vectors[: self.count]
            sqnorms[: self.count] = self.sqnorms[: self.count]
        self.keys, self.vectors, self.sqnorms = keys, vectors, sqnorms

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32]) -> None:
        needed = self.count + len(ids)
        if needed > len(self.keys):
            self._allocate(max(needed, 2 * len(self.keys)))
        norms = np.einsum("ij,ij->i", vectors, vectors)
        for key, vec, norm in zip(ids.tolist(), vectors, norms, strict=True):
            slot = self.slots.get(key)
            if slot is None:  # new id; an existing one is overwritten in place
                slot = self.count
                self.count += 1
                self.slots[key] = slot
                self.keys[slot] = key
            self.vectors[slot] = vec
            self.sqnorms[slot] = norm

    def remove(self, ids: Iterable[int]) -> int:
        removed = 0
        for key in ids:
            slot = self.slots.pop(key, None)
            if slot is None:
                continue
            last = self.count - 1
            if slot != last:
                moved = int(self.keys[last])
                self.keys[slot] = moved
                self.vectors[slot] = self.vectors[last]
                self.sqnorms[slot] = self.sqnorms[last]
                self.slots[moved] = slot
            self.count = last
            removed += 1
        return removed

    def search(self, query: NDArray[np.float32], k: int) -> Hits:
        n = self.count
        if n == 0 or k <= 0:
            return Hits.empty()
        # |x - q|^2 = |x|^2 - 2 x.q + |q|^2, one BLAS matrix-vector product, on one
        # thread: searches run in parallel across requests, and a threaded BLAS on busy
        # cores measured 10x slower per query (bench/faces_index.py).
        with _one_blas_thread():
            products = self.vectors[:n] @ query
        d2 = self.sqnorms[:n] - 2.0 * products + float(query @ query)
        if k < n:
            top = np.argpartition(d2, k - 1)[:k]
            order = top[np.argsort(d2[top], kind="stable")]
        else:
            order = np.argsort(d2, kind="stable")
        dist = np.sqrt(np.maximum(d2[order], 0.0)).astype(np.float32)
        return Hits(self.keys[order].copy(), dist)

    def ids(self) -> NDArray[np.int64]:
        return np.array(self.keys[: self.count], dtype=np.int64)


class _Hnsw:
    """usearch's HNSW graph; keys are the face ids, metric squared L2."""

    def __init__(self, dim: int, params: HnswParams, index: Any = None) -> None:
        from usearch.index import Index  # a compiled extension: import on first use

        self.dim = dim
        self.params = params
        self.index = index or Index(
            ndim=dim,
            metric="l2sq",
            dtype=params.dtype,
            connectivity=params.connectivity,
            expansion_add=params.expansion_add,
            expansion_search=params.expansion_search,
        )

    @property
    def count(self) -> int:
        return len(self.index)

    def add(self, ids: NDArray[np.int64], vectors: NDArray[np.float32], threads: int = 1) -> None:
        present = np.asarray(self.index.contains(ids), dtype=bool).reshape(-1)
        if present.any():  # usearch refuses duplicate keys: replace means remove + add
            self.index.remove(ids[present])
        # One thread: usearch's parallel insertion leaves some vectors unreachable by any
        # search (measured: 6-12 of 20,000 128-d vectors per build, none on one thread,
        # at twice the build time), and a face no search reaches is a person not found.
        self.index.add(ids.astype(np.uint64), vectors, threads=threads)

    def remove(self, ids: Iterable[int]) -> int:
        keys = np.fromiter(ids, np.int64)
        if not len(keys):
            return 0
        present = np.asarray(self.index.contains(keys), dtype=bool).reshape(-1)
        if not present.any():
            return 0
        self.index.remove(keys[present].astype(np.uint64))
        return int(present.sum())

    def search(self, query: NDArray[np.float32], k: int) -> Hits:
        if self.count == 0 or k <= 0:
            return Hits.empty()
        matches = self.index.search(query, min(k, self.count))
        keys = np.asarray(matches.keys, dtype=np.int64)
        d2 = np.asarray(matches.distances, dtype=np.float32)
        return Hits(keys, np.sqrt(np.maximum(d2, 0.0)).astype(np.float32))

    def ids(self) -> NDArray[np.int64]:
        # usearch's key view predates numpy 2's copy= protocol: convert, then copy.
        keys: NDArray[np.int64] = np.asarray(self.index.keys).astype(np.int64, copy=True)
        return keys


class FaceIndex:
    """One collection's vectors: exact below ``exact_max`` faces, HNSW above.

    Args:
        dim: vector length (128 for dlib and SFace).
        exact_max: the size above which the index switches to HNSW (once; it stays
            HNSW until it is rebuilt from the database at a smaller size).
        hnsw: HNSW parameters.
        generation: the database generation these contents reflect (see
            :mod:`sightline.faces.indexes`).
    """

    def __init__(
        self,
        dim: int,
        *,
        exact_max: int = 50_000,
        hnsw: HnswParams | None = None,
        generation: int = 0,
        backend: Backend | None = None,
    ) -> None:
        self.dim = dim
        self.exact_max = exact_max
        self.hnsw_params = hnsw or HnswParams()
        self.generation = generation
        self._rw = RWLock()
        self._mutate = threading.RLock()
        self._impl: _Exact | _Hnsw = (
            _Hnsw(dim, self.hnsw_params) if backend == "hnsw" else _Exact(dim)
        )

    # --- reading -------------------------------------------------------------------

    @property
    def backend(self) -> Backend:
        return "hnsw" if isinstance(self._impl, _Hnsw) else "exact"

    def __len__(self) -> int:
        return self._impl.count

    def search(self, vector: ArrayLike, k: int, threshold: float | None = None) -> Hits:
        """The ``k`` nearest ids to ``vector``, nearest first.

        ``threshold`` (an L2 distance) drops hits farther than it, so a query unlike
        every stored face returns nothing rather than its nearest neighbour.
        """
        query = self._vector(vector)
        with self._rw.read():
            hits = self._impl.search(query, k)
        if threshold is not None and len(hits):
            keep = hits.distances <= threshold
            hits = Hits(hits.ids[keep], hits.distances[keep])
        return hits

    def ids(self) -> NDArray[np.int64]:
        """Every id in the index (unordered)."""
        with self._rw.read():
            return self._impl.ids()

    # --- writing -------------------------------------------------------------------

    def add(self, ids: Sequence[int] | NDArray[np.int64], vectors: ArrayLike) -> None:
        """Add (or replace) ``vectors[i]`` under ``ids[i]``; visible to the next search."""
        self.apply(add_ids=ids, add_vectors=vectors)

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids (unknown ones are ignored); returns how many were present."""
        return self.apply(remove_ids=ids)

    def apply(
        self,
        *,
        remove_ids: Iterable[int] = (),
        add_ids: Sequence[int] | NDArray[np.int64] = (),
        add_vectors: ArrayLike | None = None,
        generation: int | None = None,
        expect_generation: int | None = None,
    ) -> int:
        """Remove then add in one step, optionally moving to a new generation.

        With ``expect_generation``, nothing changes (and -1 is returned) unless the
        index is at that generation: a delta is only valid on the state it follows.
        Returns the number of ids removed.
        """
        ids = np.asarray(add_ids, dtype=np.int64).reshape(-1)
        vectors = self._matrix(add_vectors, len(ids))
        with self._mutate:
            if expect_generation is not None and self.generation != expect_generation:
                return -1
            with self._rw.write():
                removed = self._impl.remove(np.asarray(list(remove_ids), np.int64).tolist())
                if len(ids):
                    self._impl.add(ids, vectors)
                if generation is not None:
                    self.generation = generation
            self._maybe_switch()
            return removed

    def _maybe_switch(self) -> None:
        """Move to HNSW once the exact matrix passes ``exact_max`` (caller holds _mutate)."""
        impl = self._impl
        if not isinstance(impl, _Exact) or impl.count <= self.exact_max:
            return
        # Build from a snapshot while searches keep using the exact matrix: no writer
        # can run (we hold the mutation lock) and readers do not modify it.
        graph = _Hnsw(self.dim, self.hnsw_params)
        graph.add(impl.keys[: impl.count], impl.vectors[: impl.count])
        with self._rw.write():
            self._impl = graph

    # --- persistence ---------------------------------------------------------------

    def save(self, stem: Path, meta: dict[str, Any] | None = None) -> None:
        """Write ``<stem>.npz|.usearch`` then ``<stem>.json``; atomic per file."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        with self._mutate:  # a consistent snapshot: no writer while we serialise
            impl = self._impl
            if isinstance(impl, _Exact):
                data = stem.with_name(stem.name + ".npz")
                tmp = _tmp(data)
                with open(tmp, "wb") as fh:
                    np.savez(fh, ids=impl.ids(), vectors=impl.vectors[: impl.count])
            else:
                data = stem.with_name(stem.name + ".usearch")
                tmp = _tmp(data)
                impl.index.save(str(tmp))
            digest = _sha256(tmp)
            os.replace(tmp, data)
            header = {
                "format": FORMAT_VERSION,
                "backend": self.backend,
                "dim": self.dim,
                "count": len(self),
                "generation": self.generation,
                "data": data.name,
                "sha256": digest,
                "hnsw": asdict(self.hnsw_params),
                "meta": meta or {},
            }
            meta_path = stem.with_name(stem.name + ".json")
            tmp_meta = _tmp(meta_path)
            tmp_meta.write_text(json.dumps(header, indent=1))
            os.replace(tmp_meta, meta_path)

    @classmethod
    def load(
        cls,
        stem: Path,
        *,
        dim: int,
        exact_max: int = 50_000,
        hnsw: HnswParams | None = None,
        meta: dict[str, Any] | None = None,
    ) -> FaceIndex:
        """Read an index written by :meth:`save`.

        Raises:
            IndexCorruptError: a file is missing, truncated, fails its checksum, or its
                header disagrees with ``dim`` or with ``meta`` (e.g. another collection
                or model version under the same name).
        """
        meta_path = stem.with_name(stem.name + ".json")
        try:
            header = json.loads(meta_path.read_text())
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"Index header {meta_path} is unreadable ({exc}).") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
            raise IndexCorruptError(f"Index header {meta_path} has an unknown format.")
        if header.get("dim") != dim:
            raise IndexCorruptError(f"Index {meta_path} holds {header.get('dim')}-d vectors.")
        for key, value in (meta or {}).items():
            if header.get("meta", {}).get(key) != value:
                raise IndexCorruptError(f"Index {meta_path} belongs to another {key}.")
        data = stem.with_name(str(header.get("data", "")))
        if data.parent != stem.parent or not data.is_file():
            raise IndexCorruptError(f"Index data {data} is missing.")
        if _sha256(data) != header.get("sha256"):
            raise IndexCorruptError(f"Index data {data} fails its checksum.")
        params = hnsw or HnswParams()
        index = cls(dim, exact_max=exact_max, hnsw=params, generation=int(header["generation"]))
        try:
            if header.get("backend") == "hnsw":
                from usearch.index import Index

                raw = Index.restore(str(data))
                if raw is None or raw.ndim != dim:
                    raise IndexCorruptError(f"Index data {data} is not a usearch index.")
                # usearch defines this setter after another property, which mypy misreads.
                raw.expansion_search = params.expansion_search  # type: ignore[misc]
                index._impl = _Hnsw(dim, params, raw)
            else:
                with np.load(data, allow_pickle=False) as npz:
                    ids = np.asarray(npz["ids"], np.int64)
                    vectors = np.asarray(npz["vectors"], np.float32)
                if vectors.shape != (len(ids), dim):
                    raise IndexCorruptError(f"Index data {data} has inconsistent arrays.")
                index._impl.add(ids, vectors)
        except IndexCorruptError:
            raise
        except Exception as exc:  # usearch and numpy raise plain errors on bad files
            raise IndexCorruptError(f"Index data {data} could not be read ({exc}).") from exc
        if len(index) != header.get("count"):
            raise IndexCorruptError(
                f"Index data {data} holds {len(index)} vectors, not {header['count']}."
            )
        with index._mutate:
            index._maybe_switch()
        return index

    # --- helpers -------------------------------------------------------------------

    def _vector(self, vector: ArrayLike) -> NDArray[np.float32]:
        q = np.asarray(vector, dtype=np.float32).reshape(-1)
        if q.shape != (self.dim,):
            raise ValueError(f"expected a {self.dim}-d vector, got shape {q.shape}")
        return q

    def _matrix(self, vectors: ArrayLike | None, n: int) -> NDArray[np.float32]:
        if vectors is None:
            if n:
                raise ValueError("ids given without vectors")
            return np.empty((0, self.dim), np.float32)
        m = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(m) != n:
            raise ValueError(f"{n} ids but {len(m)} vectors")
        if not np.isfinite(m).all():
            raise ValueError("vectors contain NaN or infinity")
        return m


_BLAS: Any = None


def _one_blas_thread() -> Any:
    """A context limiting BLAS to one thread (threadpoolctl; ~20 us to enter)."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
