"""Keys generated once into the data folder (``secret.key``, ``notify.key``).

A key file is created on first use with mode 0600, and it appears atomically: the key is
written to a private temporary file that is then hard-linked into place, so a process
racing another one either creates the file or reads the winner's complete key, never a
half-written one. A key file that others can read is reported on every load.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def load_or_create(path: Path, generate: Callable[[], bytes], *, created: str) -> bytes:
    """The key stored at ``path`` (surrounding whitespace stripped).

    When the file does not exist, ``generate()`` makes a key that is stored there and
    ``created`` is logged as a warning (``%s`` in it is replaced by the path): the
    operator should know a key now lives beside the data, and back it up.
    """
    if not path.exists() and _create(path, generate()):
        log.warning(created, path)
    _warn_if_readable_by_others(path)
    return path.read_bytes().strip()


def _create(path: Path, key: bytes) -> bool:
    """Store ``key`` at ``path`` unless the file exists; whether this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(key + b"\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False  # another process created it first; use theirs
        return True
    finally:
        os.unlink(tmp)


def _warn_if_readable_by_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning(
            "%s is accessible to other users (mode %o); run `chmod 600 %s`.",
            path,
            stat.S_IMODE(mode),
            path,
        )
