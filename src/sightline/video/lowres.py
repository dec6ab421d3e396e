"""Every frame of a video, small: the decoding behind segment detection.

:func:`low_res_frames` opens a file with PyAV (threaded decoding) and yields each frame
of its first video stream, numbered from 0, with its presentation time in milliseconds
from the start of the stream (rounded down, never decreasing) and its pixels scaled to
a small RGB size with swscale's area filter.
"""

from __future__ import annotations

import math
import os
from collections.abc import Generator
from fractions import Fraction
from types import TracebackType
from typing import Any, NamedTuple

import av
import numpy as np
from numpy.typing import NDArray

from sightline.errors import InvalidVideoError

__all__ = ["LOW_RES_SIZE", "LowResFrame", "LowResVideo", "low_res_frames"]

# 64x36 (16:9, 2304 pixels): enough for colour and layout cues (TransNet V2 detects shots
# at 48x27), 1% of the frame is still 23 pixels for the black-coverage test, and the
# per-frame work stays small next to decoding when every frame of a long video is read.
LOW_RES_SIZE: tuple[int, int] = (64, 36)


class LowResFrame(NamedTuple):
    """One decoded frame: its 0-based number, time in ms (rounded down), RGB pixels."""

    frame_number: int
    timestamp_ms: int
    pixels: NDArray[np.uint8]  # (height, width, 3) RGB


def low_res_frames(
    path: str | os.PathLike[str], size: tuple[int, int] = LOW_RES_SIZE, *, threads: int = 0
) -> LowResVideo:
    """Open ``path`` and iterate every frame of its first video stream at ``size``.

    The file is opened (and refused) at once; frames are decoded as they are iterated.
    ``threads`` 0 lets FFmpeg choose the decoder thread count.

    Raises:
        InvalidVideoError: not a video (no video stream, an image, unreadable data); while
            iterating, after the frames that did decode, when decoding fails or the file
            ends before the frames its header declares (truncated). The error's
            ``context`` has ``frames_decoded``: frames yielded before it are valid, the
            results built on them partial.
        FileNotFoundError: ``path`` does not exist.
    """
    return LowResVideo(path, size, threads=threads)


class LowResVideo:
    """Every frame of a video's first video stream, small RGB; an iterator (read once).

    Attributes: ``frame_rate`` (average frames a second), ``duration_ms`` (the stream's
    or container's, None if neither says), ``declared_frames`` (0 if the container does
    not say), ``width`` and ``height`` of the source, ``frames_decoded`` so far.
    """

    def __init__(
        self, path: str | os.PathLike[str], size: tuple[int, int], *, threads: int = 0
    ) -> None:
        self.path = os.fspath(path)
        self.size = size
        self.frames_decoded = 0
        name = os.path.basename(self.path)
        try:
            container = av.open(self.path, metadata_errors="ignore")
        except FileNotFoundError:
            raise
        except (av.error.FFmpegError, OSError, ValueError) as e:
            raise InvalidVideoError(f"{name} is not a video FFmpeg can read: {e}") from e
        try:
            format_name = container.format.name
            if format_name == "image2" or format_name.endswith("_pipe"):
                raise InvalidVideoError(f"{name} is a still image ({format_name}), not a video")
            if not container.streams.video:
                raise InvalidVideoError(f"{name} has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if threads:
                stream.codec_context.thread_count = threads
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate or rate <= 0:
                raise InvalidVideoError(f"{name} does not state a frame rate")
        except BaseException:
            container.close()
            raise
        self._container = container
        self._stream = stream
        self.frame_rate = float(rate)
        self.width = int(stream.codec_context.width)
        self.height = int(stream.codec_context.height)
        self.declared_frames = int(stream.frames or 0)
        self._stream_duration_ms: int | None = None
        if stream.duration and stream.time_base:
            self._stream_duration_ms = math.floor(stream.duration * stream.time_base * 1000)
        self.duration_ms: int | None = self._stream_duration_ms
        if self.duration_ms is None and container.duration:
            self.duration_ms = container.duration // 1000  # AV_TIME_BASE is microseconds
        start, time_base = stream.start_time, stream.time_base
        self._origin: Fraction | None = None
        if start is not None and time_base is not None:
            self._origin = Fraction(start * time_base)
        self._frames = self._decode(name)

    def __iter__(self) -> LowResVideo:
        return self

    def __next__(self) -> LowResFrame:
        return next(self._frames)

    def __enter__(self) -> LowResVideo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._frames.close()
        self._container.close()

    def _decode(self, name: str) -> Generator[LowResFrame, None, None]:
        width, height = self.size
        last_ms = 0
        try:
            try:
                for frame in self._container.decode(self._stream):
                    pixels = np.asarray(
                        frame.to_ndarray(
                            width=width, height=height, format="rgb24", interpolation="AREA"
                        ),
                        dtype=np.uint8,
                    )
                    last_ms = max(last_ms, self._timestamp_ms(frame))
                    yield LowResFrame(self.frames_decoded, last_ms, pixels)
                    self.frames_decoded += 1
            except (av.error.FFmpegError, ValueError) as e:
                raise self._partial(name, f"decoding failed ({e})") from e
            if self.frames_decoded == 0:
                raise InvalidVideoError(f"{name}: no frame of its video stream decodes")
            self._check_complete(name, last_ms)
        finally:
            self._container.close()

    def _timestamp_ms(self, frame: Any) -> int:
        if frame.pts is None or frame.time_base is None:
            return math.floor(self.frames_decoded * 1000 / self.frame_rate)
        time = Fraction(frame.pts * frame.time_base)
        if self._origin is None:
            self._origin = time
        return max(0, math.floor((time - self._origin) * 1000))

    def _check_complete(self, name: str, last_ms: int) -> None:
        """Raise if the file ended before what its header declares (truncated)."""
        frame_ms = 1000.0 / self.frame_rate
        if self.declared_frames:
            # A couple of frames may legitimately be cut by an edit list.
            if self.frames_decoded < self.declared_frames - 2:
                raise self._partial(
                    name, f"the file ends early: {self.declared_frames} frames declared"
                )
        elif self._stream_duration_ms is not None:
            missing_ms = self._stream_duration_ms - (last_ms + frame_ms)
            if missing_ms > max(3 * frame_ms, 250.0):
                raise self._partial(
                    name, f"the file ends early: {self._stream_duration_ms} ms declared"
                )

    def _partial(self, name: str, why: str) -> InvalidVideoError:
        return InvalidVideoError(
            f"{name}: {why}; only the first {self.frames_decoded} frames could be read, "
            "so the results are partial",
            path=self.path,
            frames_decoded=self.frames_decoded,
            partial=True,
        )
