"""The folder watcher: files saved into a local input bucket become work.

watchdog reports file events under ``<root>/<bucket>/``; a file is ingested once it has
been quiet (no further event) for ``quiet`` seconds, so a file still being copied is
read whole. On start, the watcher begins observing *before* it scans the folder, so a
file saved while Sightline was stopped, or during the scan, is never missed; the
catalog makes seeing a file twice harmless. The scan leaves files changed within the
quiet period to the event path, so a file being copied at start-up is not recorded
half-written. Partial writes of the local store
(``*.sightline-part``) are ignored; their final rename is the event that counts.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sightline.pipeline.ingest import Ingestor
from sightline.storage.local import LocalStore

log = logging.getLogger(__name__)
_BATCH = 500
_CHANGES = frozenset({"created", "modified", "moved", "closed"})


class FolderWatcher:
    def __init__(
        self,
        store: LocalStore,
        bucket: str,
        ingestor: Ingestor,
        *,
        quiet: float = 0.3,
        scan: bool = True,
    ) -> None:
        self.store = store
        self.bucket = bucket
        self.ingestor = ingestor
        self.quiet = quiet
        self.scan_on_start = scan
        self._pending: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._observer: Any = None
        self.ingested = 0
        self.scanned = threading.Event()

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        folder = self.store.bucket_path(self.bucket)
        folder.mkdir(parents=True, exist_ok=True)
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Only changes count: reading a file (our own probes included) raises
                # opened/closed_no_write events, which would re-ingest it forever.
                if event.is_directory or event.event_type not in _CHANGES:
                    return
                path = getattr(event, "dest_path", "") or event.src_path
                watcher._touch(path if isinstance(path, str) else path.decode())

        self._observer = Observer()
        self._observer.schedule(Handler(), str(folder), recursive=True)
        self._observer.start()
        self._spawn(self._drain, "watcher")
        if self.scan_on_start:
            self._spawn(self._scan, "watcher-scan")
        else:
            self.scanned.set()

    def _spawn(self, target: Any, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _touch(self, path: str) -> None:
        key = self.store.key_of(self.bucket, path)
        if key is not None:
            with self._lock:
                self._pending[key] = time.monotonic()

    def _scan(self) -> None:
        """Ingest what is already in the folder, a page at a time."""
        try:
            batch = []
            for info in self.store.list(self.bucket):
                if self._stop.is_set():
                    return
                if time.time() - info.mtime < self.quiet:
                    # Still being written, maybe: the event path ingests it once quiet,
                    # so a half-copied file is never recorded as a version of its own.
                    with self._lock:
                        self._pending.setdefault(info.key, time.monotonic())
                    continue
                batch.append(info)
                if len(batch) >= _BATCH:
                    self._ingest_listed(batch)
                    batch = []
            if batch:
                self._ingest_listed(batch)
        except Exception:
            log.exception("scanning bucket %s failed", self.bucket)
        finally:
            self.scanned.set()

    def _ingest_listed(self, batch: list[Any]) -> None:
        recorded, _ = self.ingestor.ingest_listed(batch, "watch")
        self.ingested += sum(1 for r in recorded if r.new)

    def _drain(self) -> None:
        while not self._stop.wait(min(0.1, self.quiet / 2 or 0.05)):
            now = time.monotonic()
            with self._lock:
                due = [k for k, t in self._pending.items() if now - t >= self.quiet]
                for k in due:
                    del self._pending[k]
            for start in range(0, len(due), _BATCH):
                chunk = due[start : start + _BATCH]
                try:
                    recorded, _ = self.ingestor.ingest_keys(self.bucket, chunk, "watch")
                    self.ingested += sum(1 for r in recorded if r.new)
                except Exception:
                    log.exception("ingesting %d file(s) from %s failed", len(chunk), self.bucket)
                    with self._lock:  # try again on the next round
                        for k in chunk:
                            self._pending.setdefault(k, now)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=10)
        for thread in self._threads:
            thread.join(timeout=30)
