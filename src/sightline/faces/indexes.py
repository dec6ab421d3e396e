"""One in-memory :class:`FaceIndex` per collection, kept current with the database.

The database is the source of truth; index files are a cache. The protocol:

- Every transaction that adds or deletes a collection's faces bumps
  ``face_collections.generation``. After it commits, the writer applies the same change
  to the in-memory index *if* the index is at the generation just before (otherwise
  another writer got in between and the index is left behind, to be caught up below).
- Every search first reads the collection row (it must exist anyway) and compares its
  generation with the index's. Behind (a write by another process, or a skipped
  delta) -> catch up by diffing the keys in the database against the keys in the
  index, fetching only the missing vectors. A million keys diff in about a second;
  in-process writes never need it.
- The generation is read *before* the keys, so an index may be labelled older than
  its contents but never newer: the next search then catches up again, and adds and
  removes are idempotent.
- On first use a collection's index is loaded from ``<data_dir>/indexes/<name>.*``;
  a missing, corrupt or foreign file (another collection once had the name, another
  model) is rebuilt from the database and written back.
- Files are written after ``save_after`` changes (and at least 5% of the collection)
  and on :meth:`IndexManager.close`, so a crash loses only work the next catch-up
  redoes from the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from sightline.errors import IndexCorruptError
from sightline.faces import store
from sightline.faces.index import FaceIndex, HnswParams

log = logging.getLogger(__name__)

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class CollectionKey:
    """What identifies a collection's index: its name, row id, model and vector size."""

    name: str
    pk: int
    embedding_version: str
    dim: int


@dataclass
class _Entry:
    key: CollectionKey
    index: FaceIndex
    sync: threading.Lock = field(default_factory=threading.Lock)
    unsaved: int = 0


class IndexManager:
    """Owns the per-collection indexes of one process.

    Args:
        directory: where index files live (``<data_dir>/indexes``).
        read_session: opens a read-only session (a context manager).
        exact_max, hnsw: passed to every :class:`FaceIndex`.
        save_after: write a collection's files after this many changes.
    """

    def __init__(
        self,
        directory: Path,
        read_session: SessionFactory,
        *,
        exact_max: int = 50_000,
        hnsw: HnswParams | None = None,
        save_after: int = 1000,
    ) -> None:
        self.directory = directory
        self._session = read_session
        self.exact_max = exact_max
        self.hnsw = hnsw or HnswParams()
        self.save_after = save_after
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()  # guards _entries and _loading
        self._loading: dict[str, threading.Lock] = {}

    # --- reading -------------------------------------------------------------------

    def get(self, key: CollectionKey, generation: int) -> FaceIndex:
        """The collection's index, at least as current as ``generation``."""
        entry = self._entry(key)
        if entry.index.generation != generation:
            with entry.sync:
                if entry.index.generation != generation:
                    self._catch_up(entry)
        return entry.index

    def _entry(self, key: CollectionKey) -> _Entry:
        with self._lock:
            entry = self._entries.get(key.name)
            if entry is not None and entry.key == key:
                return entry
            loading = self._loading.setdefault(key.name, threading.Lock())
        # First use, or the name now belongs to a new collection: load outside the
        # manager's lock, so a long rebuild holds up only this collection.
        with loading:
            with self._lock:
                entry = self._entries.get(key.name)
                if entry is not None and entry.key == key:
                    return entry
            entry = _Entry(key, self._load_or_rebuild(key))
            with self._lock:
                self._entries[key.name] = entry
            return entry

    def _load_or_rebuild(self, key: CollectionKey) -> FaceIndex:
        stem = self.stem(key.name)
        if stem.with_name(stem.name + ".json").exists():
            try:
                index = FaceIndex.load(
                    stem,
                    dim=key.dim,
                    exact_max=self.exact_max,
                    hnsw=self.hnsw,
                    meta=self._meta(key),
                )
            except IndexCorruptError as exc:
                log.warning("rebuilding the index of collection %s: %s", key.name, exc)
            else:
                self._catch_up_index(key, index)
                return index
        index = self._rebuild(key)
        self._save(key, index)
        return index

    def _rebuild(self, key: CollectionKey) -> FaceIndex:
        with self._session() as s:
            generation = store.read_generation(s, key.pk) or 0
            total = store.count_faces(s, key.pk)
            index = FaceIndex(
                key.dim,
                exact_max=self.exact_max,
                hnsw=self.hnsw,
                generation=generation,
                backend="hnsw" if total > self.exact_max else "exact",
            )
            for ids, vectors in store.iter_embeddings(s, key.pk, key.dim):
                index.add(ids, vectors)
        return index

    def _catch_up(self, entry: _Entry) -> None:
        changed = self._catch_up_index(entry.key, entry.index)
        entry.unsaved += changed
        self._maybe_save(entry)

    def _catch_up_index(self, key: CollectionKey, index: FaceIndex) -> int:
        """Make ``index`` hold exactly the database's faces; returns how many changed."""
        with self._session() as s:
            generation = store.read_generation(s, key.pk)  # before the keys: see above
            if generation is None:
                return 0  # deleted meanwhile; the caller's next read says so
            in_db = store.face_keys(s, key.pk)
            in_index = index.ids()
            missing = np.setdiff1d(in_db, in_index, assume_unique=True)
            extra = np.setdiff1d(in_index, in_db, assume_unique=True)
            ids: list[NDArray[np.int64]] = []
            vectors: list[NDArray[np.float32]] = []
            for chunk_ids, chunk in store.iter_embeddings(
                s, key.pk, key.dim, keys=missing.tolist()
            ):
                ids.append(chunk_ids)
                vectors.append(chunk)
        index.apply(
            remove_ids=extra.tolist(),
            add_ids=np.concatenate(ids) if ids else np.empty(0, np.int64),
            add_vectors=np.concatenate(vectors) if vectors else None,
            generation=generation,
        )
        return len(missing) + len(extra)

    # --- writing -------------------------------------------------------------------

    def applied(
        self,
        key: CollectionKey,
        generation: int,
        *,
        add_ids: Sequence[int] = (),
        add_vectors: NDArray[np.float32] | None = None,
        remove_ids: Sequence[int] = (),
    ) -> None:
        """Mirror a committed change (that moved the collection to ``generation``)."""
        with self._lock:
            entry = self._entries.get(key.name)
        if entry is None or entry.key != key:
            return  # not loaded here: the first search loads the current state
        with entry.sync:
            done = entry.index.apply(
                remove_ids=remove_ids,
                add_ids=np.asarray(add_ids, np.int64),
                add_vectors=add_vectors,
                generation=generation,
                expect_generation=generation - 1,
            )
            if done >= 0:
                entry.unsaved += len(add_ids) + len(remove_ids)
                self._maybe_save(entry)

    def drop(self, name: str) -> None:
        """Forget a deleted collection and remove its files."""
        with self._lock:
            self._entries.pop(name, None)
        stem = self.stem(name)
        for suffix in (".json", ".npz", ".usearch"):
            stem.with_name(stem.name + suffix).unlink(missing_ok=True)

    def flush(self) -> None:
        """Write every index with unsaved changes."""
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            with entry.sync:
                if entry.unsaved:
                    self._save(entry.key, entry.index)
                    entry.unsaved = 0

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._entries.clear()

    # --- files ---------------------------------------------------------------------

    def stem(self, name: str) -> Path:
        # CollectionId's pattern ([a-zA-Z0-9_.-]+) cannot hold a path separator.
        return self.directory / name

    def _maybe_save(self, entry: _Entry) -> None:
        # At least save_after changes, and at least 5% of the collection: rewriting a
        # million-face graph (~0.5 GB) every thousand faces would dominate ingestion.
        if entry.unsaved >= max(self.save_after, len(entry.index) // 20):
            self._save(entry.key, entry.index)
            entry.unsaved = 0

    def _save(self, key: CollectionKey, index: FaceIndex) -> None:
        try:
            index.save(self.stem(key.name), meta=self._meta(key))
        except OSError as exc:  # a cache: a full disk must not fail the request
            log.warning("could not write the index of collection %s: %s", key.name, exc)

    @staticmethod
    def _meta(key: CollectionKey) -> dict[str, object]:
        return {"collection_pk": key.pk, "embedding_version": key.embedding_version}
