"""The iterator behind :func:`sightline.media.video.sample_frames`.

The decoding itself is :class:`~sightline.media.video_pass.DecodePass` (one pass over
the packets: the packet gate, FFmpeg, the sample clock, swscale, damage handling),
run once over the whole video or over GOP-aligned spans on several threads
(:mod:`sightline.media.video_parallel`) with the same frames either way.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sightline.errors import InvalidVideoError
from sightline.media.video_parallel import sample_video
from sightline.media.video_types import OnError, SampleStats, VideoFrame

if TYPE_CHECKING:
    from sightline.media.video import SamplingPlan

__all__ = ["FrameSampler", "OnError", "SampleStats", "VideoFrame"]


class FrameSampler(Iterator[VideoFrame]):
    """The iterator :func:`~sightline.media.video.sample_frames` returns.

    :attr:`stats` tells how the run went, in particular whether it stopped early.
    Close it (or use it as a context manager) to release the file before the end.
    """

    def __init__(self, path: str | os.PathLike[str], plan: SamplingPlan, on_error: OnError):
        if on_error not in ("raise", "stop"):
            raise ValueError(f"on_error must be 'raise' or 'stop', got {on_error!r}")
        self.path = Path(path)
        self.plan = plan
        self.on_error = on_error
        self.stats = SampleStats()
        self._frames = self._run()

    def __iter__(self) -> FrameSampler:
        return self

    def __next__(self) -> VideoFrame:
        return next(self._frames)

    def close(self) -> None:
        self._frames.close()

    def __enter__(self) -> FrameSampler:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self) -> Generator[VideoFrame, None, None]:
        try:
            failure = yield from sample_video(self.path, self.plan, self.stats)
        except InvalidVideoError as exc:  # the file cannot be opened at all
            failure = exc
        self.stats.finished = True
        if failure is not None:
            self.stats.error = failure
            if self.on_error == "raise":
                raise failure
