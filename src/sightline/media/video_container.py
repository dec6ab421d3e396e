"""Facts FFmpeg knows about a video container, and why one will not open.

Helpers of :mod:`sightline.media.video`: opening with clear errors, durations, frame
rate, the display rotation and the square-pixel display size.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import av.error
from av.container import InputContainer
from av.video.frame import VideoFrame as AVFrame
from av.video.stream import VideoStream

from sightline.errors import InvalidVideoError
from sightline.media.sniff import SNIFF_BYTES, describe_unknown, sniff

# Packets the probe reads looking for the first decodable frame.
PROBE_PACKETS = 300


def ffmpeg_reason(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None) or str(exc)
    return re.sub(r":\s*'[^']*'$", "", str(reason)).strip()


@contextmanager
def open_video(path: str | os.PathLike[str]) -> Iterator[tuple[InputContainer, VideoStream]]:
    """The container and its video stream, or an InvalidVideoError saying what is wrong."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InvalidVideoError(f"the video file cannot be read: {exc}", path=str(p)) from exc
    kind = sniff(head)
    if kind is None:
        raise InvalidVideoError(f"the file is not a video: {describe_unknown(head)}", path=str(p))
    if kind.is_image:
        raise InvalidVideoError(
            f"the file is a {kind.format.upper()} image, not a video", path=str(p)
        )
    try:
        container = av.open(str(p), "r")
    except av.error.FFmpegError as exc:
        raise InvalidVideoError(
            f"the {kind.format.upper()} file cannot be read: {_damage(p, kind.format)} "
            f"(FFmpeg: {ffmpeg_reason(exc)})",
            path=str(p),
        ) from exc
    with container:
        if not container.streams.video:
            others = ", ".join(sorted({s.type for s in container.streams})) or "no streams"
            raise InvalidVideoError(
                f"the {kind.format.upper()} file has no video stream ({others})", path=str(p)
            )
        yield container, container.streams.video[0]


def _damage(path: Path, fmt: str) -> str:
    """Why a file of a known container could not be opened, as far as its bytes tell."""
    if fmt in ("mp4", "mov"):
        boxes, truncated = _mp4_boxes(path)
        if b"moov" not in boxes:
            if truncated:
                return "it is truncated and has no index (moov box): an incomplete upload?"
            return "it has no index (moov box): incomplete or still being written?"
        if truncated:
            return "it is truncated"
    return "it is truncated or corrupt"


def _mp4_boxes(path: Path) -> tuple[list[bytes], bool]:
    """The top-level box types of an MP4/MOV file, and whether the last one is cut off."""
    boxes: list[bytes] = []
    size = path.stat().st_size
    with path.open("rb") as fh:
        pos = 0
        while pos + 8 <= size and len(boxes) < 1000:
            fh.seek(pos)
            header = fh.read(16)
            length = int.from_bytes(header[:4], "big")
            boxes.append(header[4:8])
            if length == 1 and len(header) >= 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:  # the box runs to the end of the file
                length = size - pos
            if length < 8:
                return boxes, True
            pos += length
        return boxes, pos > size


# --- probing ----------------------------------------------------------------------


def duration_s(container: InputContainer, stream: VideoStream) -> tuple[float, bool]:
    """The video's duration in seconds, and whether the stream itself declared it.

    Falls back to the container's duration (which may include a longer audio track).
    """
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base), True
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    if tag:
        match = re.fullmatch(r"(\d+):(\d+):(\d+(?:\.\d*)?)", tag.strip())
        if match:
            h, m, s = match.groups()
            return int(h) * 3600 + int(m) * 60 + float(s), True
    if container.duration:
        return container.duration / av.time_base, False
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate), True
    return 0.0, False


def declared_s(container: InputContainer, stream: VideoStream) -> tuple[float, bool]:
    """The longest duration the headers declare (AVI keeps its frame count in the header
    but its duration in the index at the end, which a truncated file lacks)."""
    duration, own = duration_s(container, stream)
    rate = frame_rate(stream)
    if stream.frames and rate:
        return max(duration, stream.frames / rate), True
    return duration, own


def frame_rate(stream: VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and 0 < rate < 1000:
            return float(rate)
    return 0.0


def clockwise(frame: AVFrame, stream: VideoStream) -> int:
    """Degrees clockwise to turn ``frame`` upright, from its display matrix.

    PyAV >= 14 reads the display matrix side data into ``frame.rotation``
    (counter-clockwise degrees, FFmpeg's convention); older builds exposed the mov
    demuxer's clockwise ``rotate`` tag instead.
    """
    ccw = getattr(frame, "rotation", None)
    if ccw is not None:
        degrees = -float(ccw)
    else:
        try:
            degrees = float(stream.metadata.get("rotate", 0))
        except ValueError:
            degrees = 0.0
    return (round(degrees / 90) * 90) % 360


def display_size(frame_w: int, frame_h: int, stream: VideoStream) -> tuple[int, int]:
    """The stored frame's size in square pixels (anamorphic video is widened)."""
    sar = stream.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:
        return max(1, round(frame_w * sar)), frame_h
    return frame_w, frame_h


def first_frame(container: InputContainer, stream: VideoStream, path: object) -> AVFrame:
    errors = 0
    reason = "the stream holds no video frames"
    cut = False
    for n, packet in enumerate(container.demux(stream)):
        if n > PROBE_PACKETS:
            break
        if packet.size == 0:  # PyAV's end-of-stream marker
            continue
        cut = cut or packet.is_corrupt
        try:
            frames = stream.decode(packet)
        except av.error.FFmpegError as exc:
            errors += 1
            reason = f"its first packets cannot be decoded (FFmpeg: {ffmpeg_reason(exc)})"
            continue
        if frames:
            return frames[0]
    else:  # the whole stream was read without a frame
        if cut:
            reason = "the file is truncated before its first frame ends"
    raise InvalidVideoError(
        f"the {stream.codec_context.codec.name} video stream cannot be decoded: {reason}",
        path=str(path),
        errors=errors,
    )


def scan_end_s(container: InputContainer, stream: VideoStream) -> float:
    """The end of the stream's last packet, in seconds, read from the packets themselves.

    For files whose headers declare no duration (live recordings); demuxing only.
    """
    base = float(stream.time_base or 0)
    start = stream.start_time or 0
    end = 0.0
    try:
        for packet in container.demux(stream):
            ts = packet.pts if packet.pts is not None else packet.dts
            if ts is not None:
                end = max(end, (ts - start + (packet.duration or 0)) * base)
    except av.error.FFmpegError:
        pass  # a damaged tail: the duration is what could be read
    return end
