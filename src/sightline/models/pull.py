"""``sightline models pull NAME``: download a catalog model, verify it, install it.

The only code in Sightline that downloads a model. The sequence:

1. The file is streamed into ``<model_dir>/<name>/<file>.part``, resuming from the bytes
   already there with an HTTP ``Range`` request. A connection that drops mid-file is
   retried at once from where it stopped, as long as each attempt makes progress; a URL
   that makes none is abandoned for the entry's next URL.
2. The size and SHA-256 of the whole file are checked against the catalog. A mismatch
   deletes the partial file (and the model folder, if that leaves it empty): nothing of
   a wrong download is left behind.
3. The verified file is fsync'ed and renamed to its real name, then the manifest is
   written atomically: from that moment, and not before, the model is installed.

A download that fails for network reasons keeps its partial file so that running the
same command again resumes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Protocol

from sightline import __version__
from sightline.config import Settings
from sightline.errors import ModelDownloadError, ModelError, ModelIntegrityError
from sightline.models.catalog import CatalogEntry, catalog_entry
from sightline.models.files import CHUNK, fsync_dir, sha256_file
from sightline.models.registry import InstalledModel, Registry, now_iso

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.progress import TaskID

# Attempts on one URL while each attempt makes progress (a flaky link, not a dead one).
MAX_ATTEMPTS_PER_URL = 20


class DownloadProgress(Protocol):
    """Where a download reports its progress (a terminal bar, a log, nothing)."""

    def begin(self, description: str, total: int, completed: int) -> None: ...

    def update(self, completed: int) -> None: ...

    def end(self) -> None: ...


class RichProgress:
    """A rich progress bar with bytes, speed and time left."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def begin(self, description: str, total: int, completed: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, completed=completed)

    def update(self, completed: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=completed)

    def end(self) -> None:
        self._progress.stop()


def partial_path(registry: Registry, entry: CatalogEntry) -> Path:
    return registry.model_dir(entry.name) / f"{entry.file}.part"


def pull(
    name: str,
    settings: Settings,
    urls: list[str] | None = None,
    *,
    progress: DownloadProgress | None = None,
    client: httpx.Client | None = None,
) -> InstalledModel:
    """Download, verify and install the catalog model ``name``; return its record.

    ``urls`` replaces the entry's URLs (a mirror); they are tried in turn. A model that
    is already installed with the catalog's checksum is returned without downloading.

    Raises :class:`ModelIntegrityError` when no URL served the catalog's bytes (nothing
    is left behind) and :class:`ModelDownloadError` when none could be downloaded (the
    partial file is kept for the next attempt).
    """
    import httpx

    entry = catalog_entry(name)
    registry = Registry.from_settings(settings)
    existing = registry.find(name)
    if existing is not None and _intact(existing, entry):
        return existing

    directory = registry.model_dir(name)
    directory.mkdir(parents=True, exist_ok=True)
    owned_client = client is None
    if client is None:
        client = httpx.Client(
            follow_redirects=True,
            timeout=httpx.Timeout(30.0, read=60.0),
            headers={"User-Agent": f"sightline/{__version__}"},
        )
    try:
        with _Partial(partial_path(registry, entry), entry) as part:
            origin = _download(client, entry, list(urls or entry.urls), part, progress)
            final = directory / entry.file
            part.install(final)
    except ModelIntegrityError:
        _remove_if_empty(directory)  # an empty model folder means nothing: leave none
        raise
    finally:
        if owned_client:
            client.close()

    model = InstalledModel(
        name=entry.name,
        task=entry.task,
        file=entry.file,
        sha256=entry.sha256,
        size=entry.size,
        source="catalog",
        labels=entry.labels,
        license=entry.license,
        installed_at=now_iso(),
        layout=entry.layout,
        origin=origin,
        directory=directory,
    )
    registry.write_manifest(model)
    if existing is not None and existing.file != entry.file:
        existing.path.unlink(missing_ok=True)  # the catalog renamed the file
    return model


def _intact(model: InstalledModel, entry: CatalogEntry) -> bool:
    if model.sha256 != entry.sha256 or not model.path.is_file():
        return False
    return model.path.stat().st_size == entry.size and sha256_file(model.path) == entry.sha256


def _download(
    client: httpx.Client,
    entry: CatalogEntry,
    urls: list[str],
    part: _Partial,
    progress: DownloadProgress | None,
) -> str:
    """Fill ``part`` with the verified file from the first URL that serves it; its URL."""
    errors: list[str] = []
    integrity_failed = False
    queue = list(urls)
    while queue:
        url = queue.pop(0)
        if progress is not None:
            progress.begin(f"{entry.name}", entry.size, part.size)
        try:
            if part.size < entry.size:  # a whole partial left by an earlier run needs no fetch
                _fetch_all(client, url, part, progress, errors)
        except ModelIntegrityError as e:
            errors.append(f"{url}: {e}")
            integrity_failed = True
            part.reset()
            continue
        finally:
            if progress is not None:
                progress.end()
        if part.size != entry.size:
            continue  # this URL gave up; the next one resumes from here
        digest = part.hexdigest()
        if digest == entry.sha256:
            return url
        errors.append(f"{url}: SHA-256 {digest} instead of the catalog's {entry.sha256}")
        integrity_failed = True
        if part.resumed:
            # Bytes kept from an earlier run may belong to another file: one fresh try.
            queue.insert(0, url)
        part.reset()

    detail = "; ".join(errors) or "no URL to try"
    if integrity_failed:
        part.discard()
        raise ModelIntegrityError(
            f"Refused to install {entry.name!r}: no download matched the catalog's size "
            f"({entry.size} bytes) and SHA-256 ({detail}). Nothing was installed."
        )
    kept = f"; {part.size} of {entry.size} bytes are kept in {part.path}" if part.size else ""
    raise ModelDownloadError(
        f"Could not download {entry.name!r} ({detail}){kept}. Run the same command again to resume."
    )


def _fetch_all(
    client: httpx.Client,
    url: str,
    part: _Partial,
    progress: DownloadProgress | None,
    errors: list[str],
) -> None:
    """Request ``url`` until ``part`` is complete or an attempt brings no new bytes."""
    import httpx

    for _ in range(MAX_ATTEMPTS_PER_URL):
        before = part.size
        try:
            _fetch_once(client, url, part, progress)
        except (httpx.TransportError, _HttpStatusError) as e:
            errors.append(f"{url}: {type(e).__name__}: {e}")
        if part.size >= part.entry.size or part.size <= before:
            return


class _HttpStatusError(Exception):
    pass


def _fetch_once(
    client: httpx.Client, url: str, part: _Partial, progress: DownloadProgress | None
) -> None:
    entry = part.entry
    # identity: byte ranges and the checksum refer to the file, not a compressed stream
    headers = {"Accept-Encoding": "identity"}
    if part.size:
        headers["Range"] = f"bytes={part.size}-"
    with client.stream("GET", url, headers=headers) as response:
        status = response.status_code
        if status == 416 and part.size:
            # The server has nothing after our bytes: the partial is whole (or too long,
            # which the size check after the loop catches).
            if part.size != entry.size:
                raise ModelIntegrityError(
                    f"the server refused a range from byte {part.size}: the file is "
                    f"shorter than the catalog's {entry.size} bytes"
                )
            return
        if status == 206:
            start, total = _content_range(response.headers.get("content-range", ""))
            if start != part.size:
                raise _HttpStatusError(f"asked for bytes from {part.size}, got from {start}")
            _check_total(entry, total)
        elif status == 200:
            if part.size:
                part.reset()  # the server ignored the range: start over
            length = response.headers.get("content-length")
            _check_total(entry, int(length) if length and length.isdigit() else None)
        else:
            raise _HttpStatusError(f"HTTP {status}")
        # No chunk size: a chunker would hold back bytes that a dropped link then loses.
        for chunk in response.iter_bytes():
            part.write(chunk)
            if progress is not None:
                progress.update(part.size)


def _content_range(value: str) -> tuple[int, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); an unknown total (``*``) gives None."""
    try:
        unit, _, rest = value.partition(" ")
        span, _, total = rest.partition("/")
        start = int(span.split("-", 1)[0])
        if unit != "bytes":
            raise ValueError(unit)
    except ValueError as e:
        raise _HttpStatusError(f"malformed Content-Range {value!r}") from e
    return start, (int(total) if total.isdigit() else None)


def _check_total(entry: CatalogEntry, total: int | None) -> None:
    if total is not None and total != entry.size:
        raise ModelIntegrityError(
            f"the server's file has {total} bytes, the catalog says {entry.size}"
        )


class _Partial:
    """The ``.part`` file of one pull, with a running SHA-256 of its contents.

    Held under an exclusive ``flock`` (where the platform has it), so two pulls of the
    same model cannot interleave their bytes.
    """

    def __init__(self, path: Path, entry: CatalogEntry) -> None:
        self.path = path
        self.entry = entry
        self._hash = hashlib.sha256()
        self._file: IO[bytes] | None = None
        self.size = 0
        self.resumed = False

    def __enter__(self) -> _Partial:
        self._file = self.path.open("ab+")
        _lock(self._file, self.path)
        self._file.seek(0)
        while chunk := self._file.read(CHUNK):
            self._hash.update(chunk)
            self.size += len(chunk)
        self.resumed = self.size > 0
        if self.size > self.entry.size:
            self.reset()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def file(self) -> IO[bytes]:
        if self._file is None:
            raise ModelError(f"{self.path} is not open")
        return self._file

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.entry.size:
            raise ModelIntegrityError(
                f"the download is longer than the catalog's {self.entry.size} bytes"
            )
        self.file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def reset(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self._hash = hashlib.sha256()
        self.size = 0
        self.resumed = False

    def discard(self) -> None:
        self.reset()
        self.path.unlink(missing_ok=True)

    def install(self, final: Path) -> None:
        """fsync the verified bytes and rename them to ``final`` (atomic)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        os.replace(self.path, final)
        fsync_dir(final.parent)


def _lock(f: IO[bytes], path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent pulls are the user's call
        return
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        f.close()
        raise ModelDownloadError(f"Another pull is writing {path}; wait for it to finish.") from e


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: something else lives there
        directory.rmdir()
