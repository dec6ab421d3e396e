"""Test videos written in code with PyAV's encoders (nothing is committed).

:func:`write_video` encodes frames drawn by a function of time into any container the
bundled FFmpeg writes (the extension picks the container and a default codec).
Ready-made scenes carry the facts their tests assert on:

- :func:`astronaut_scene`: the astronaut's face is on screen only during a known
  interval of a clip whose other frames hold no face.
- :func:`cut_scene`: black, a cat, a hard cut to a rocket, black again.
- :func:`truncate`, :func:`corrupt` and :func:`not_a_video` damage or fake files.

Clips are small (at most 640 x 360, a few seconds, 10-25 fps) so a suite on two cores
stays fast. Sample pictures come from scikit-image and matplotlib.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import av.container
import cv2
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream
from numpy.typing import NDArray

from tests.conftest import encode, rgb

RGB = NDArray[np.uint8]
FrameFn = Callable[[float], RGB]

# Container (by extension) -> the codec written when none is named.
DEFAULT_CODEC = {
    "mp4": "libx264",
    "mov": "libx264",
    "mkv": "libx264",
    "webm": "libvpx-vp9",
    "avi": "mpeg4",
}

# Fast settings per encoder: the tests measure our decoding, not the encoders.
_ENCODER_OPTIONS = {
    "libx264": {"preset": "veryfast", "crf": "23"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "mpeg4": {"q": "4"},
}


def write_video(
    path: str | os.PathLike[str],
    frames: FrameFn,
    duration_s: float,
    fps: float = 25.0,
    *,
    codec: str | None = None,
    gop: int | None = None,
    rotation: int = 0,
    full_range: bool = False,
    times: Sequence[float] | None = None,
    faststart: bool = False,
    audio: bool = False,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode ``frames(t)`` (an H x W x 3 RGB array, even sides) for ``t`` in [0, duration).

    Args:
        path: the output file; its extension picks the container (mp4, mov, mkv,
            webm, avi).
        frames: the picture at time ``t`` seconds; every call returns the same size.
        duration_s: video length; frames are drawn at ``i / fps``.
        fps: the nominal frame rate.
        codec: an FFmpeg encoder name; default :data:`DEFAULT_CODEC` by container.
        gop: frames from one keyframe to the next, exactly (scene-cut keyframes are
            switched off); None keeps the encoder's default.
        rotation: degrees clockwise a player turns the stored frames to show them
            upright (a phone held upright records 90): written as the stream's
            display matrix, which is what FFmpeg reads as the ``rotate`` tag.
        full_range: encode full-range (JPEG) YUV and tag the stream so.
        times: explicit presentation times in seconds (a variable frame rate clip);
            overrides ``duration_s`` and ``fps`` for the frame times.
        faststart: put the MP4/MOV index before the media data, as streaming
            uploads do (a truncated file then still opens).
        audio: add a quiet 440 Hz tone track, interleaved with the video and running
            on through variable-frame-rate pauses.
        options: more encoder options, over the fast defaults.
    """
    path = Path(path)
    ext = path.suffix.lstrip(".").lower()
    codec = codec or DEFAULT_CODEC[ext]
    explicit = times is not None
    if times is None:
        count = round(duration_s * fps)
        times = [i / fps for i in range(count)]
    # A millisecond clock for explicit times; the frame rate's own for regular ones.
    rate = Fraction(fps).limit_denominator(1001)
    time_base = Fraction(1, 1000) if explicit else 1 / rate
    container_options = {"movflags": "+faststart"} if faststart else {}
    first = frames(times[0])
    height, width = first.shape[:2]
    with av.open(str(path), "w", options=container_options) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream, VideoStream), codec
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = time_base
        stream.options = {**_ENCODER_OPTIONS.get(codec, {}), **(options or {})}
        if gop is not None:
            stream.codec_context.gop_size = gop
            stream.options = {**stream.options, "keyint_min": str(gop), "sc_threshold": "0"}
        if full_range:
            stream.codec_context.color_range = 2  # AVCOL_RANGE_JPEG
        if rotation:
            if ext == "avi":
                raise ValueError("AVI has no display matrix: rotation cannot be written")
            # FFmpeg's matrix angle is counter-clockwise; the tag we model is clockwise.
            stream.set_display_rotation(-rotation)
        tone = _Tone(container, ext) if audio else None
        for i, t in enumerate(times):
            picture = frames(t) if i else first
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
            frame = frame.reformat(
                format="yuv420p", dst_color_range="JPEG" if full_range else "MPEG"
            )
            frame.pts = round(t / time_base)
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
            if tone is not None:  # the sound up to this frame's time
                tone.until(t)
        for packet in stream.encode():
            container.mux(packet)
        if tone is not None:
            tone.until(times[-1] + 1 / fps)
            tone.close()
    return path


class _Tone:
    """A quiet sine tone written to its own stream, a frame of samples at a time."""

    RATE = 48000
    CHUNK = 960  # 20 ms

    def __init__(self, container: av.container.OutputContainer, ext: str) -> None:
        # PCM in AVI: an encoder delay (MP3's) would shift the video by a frame there.
        codec = {"webm": "libopus", "avi": "pcm_s16le"}.get(ext, "aac")
        self.container = container
        stream = container.add_stream(codec, rate=self.RATE, layout="mono")
        assert isinstance(stream, AudioStream), codec
        self.stream = stream
        self.written = 0

    def until(self, t: float) -> None:
        while self.written < t * self.RATE:
            n = np.arange(self.written, self.written + self.CHUNK)
            wave = 0.1 * np.sin(2 * np.pi * 440 * n / self.RATE)
            if self.stream.codec_context.name == "pcm_s16le":
                samples = (wave * 32767).astype(np.int16)[None, :]
                frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            else:
                samples32 = wave.astype(np.float32)[None, :]
                frame = av.AudioFrame.from_ndarray(samples32, format="fltp", layout="mono")
            frame.sample_rate = self.RATE
            frame.pts = self.written
            frame.time_base = Fraction(1, self.RATE)
            for packet in self.stream.encode(frame):
                self.container.mux(packet)
            self.written += self.CHUNK

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)


# --- pictures ---------------------------------------------------------------------

SIZE = (640, 360)  # width, height of the ready-made scenes


@cache
def picture(name: str, size: tuple[int, int] = SIZE) -> RGB:
    """A sample picture (``tests.conftest`` name) resized to fill ``size``, centre-cropped."""
    pixels = rgb(name)
    w, h = size
    f = max(w / pixels.shape[1], h / pixels.shape[0])
    scaled = cv2.resize(pixels, (round(pixels.shape[1] * f), round(pixels.shape[0] * f)))
    y0 = (scaled.shape[0] - h) // 2
    x0 = (scaled.shape[1] - w) // 2
    out = np.ascontiguousarray(scaled[y0 : y0 + h, x0 : x0 + w], dtype=np.uint8)
    out.setflags(write=False)
    return out


def pan(pixels: RGB, t: float, speed: float = 6.0) -> RGB:
    """``pixels`` shifted sideways by ``speed`` px/s (a slow camera pan, wrapping)."""
    return np.asarray(np.roll(pixels, round(t * speed), axis=1), dtype=np.uint8)


def grain(pixels: RGB, t: float, amount: int = 6) -> RGB:
    """Mild sensor noise, the same for the same ``t`` (so re-encodes are identical)."""
    rng = np.random.default_rng(round(t * 1000))
    noise = rng.integers(-amount, amount + 1, pixels.shape[:2], dtype=np.int16)[..., None]
    return np.asarray(np.clip(pixels.astype(np.int16) + noise, 0, 255), dtype=np.uint8)


def gradient(t: float, size: tuple[int, int] = SIZE) -> RGB:
    """A moving colour gradient: texture-free, faceless."""
    w, h = size
    xx = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    phase = t * 0.2
    r = 60 + 120 * ((xx + phase) % 1.0) + 0 * yy
    g = 40 + 100 * yy + 0 * xx
    b = 160 - 80 * ((xx + yy) / 2)
    return np.asarray(np.stack([r, g, b], axis=-1), dtype=np.uint8)


# --- ready-made scenes ----------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """A generated clip and the facts its tests assert on (times in seconds)."""

    path: Path
    duration_s: float
    fps: float
    width: int
    height: int
    face_interval: tuple[float, float] | None = None  # astronaut on screen [start, end)
    face_box: tuple[int, int, int, int] | None = None  # her face: x0, y0, x1, y1 in px
    cut_s: float | None = None  # hard cut between two shots
    black: tuple[tuple[float, float], ...] = ()  # black stretches [start, end)


# astronaut.png (512 x 512): the crop shown, and her face within it (x0, y0, x1, y1).
_ASTRONAUT_CROP = (80, 0, 380, 300)
_ASTRONAUT_FACE = (90, 50, 190, 190)
_ASTRONAUT_AT = (170, 30)  # where the crop's top-left corner lands in the frame


def astronaut_crop() -> RGB:
    """The part of astronaut.png that :func:`astronaut_scene` shows (300 x 300)."""
    x0, y0, x1, y1 = _ASTRONAUT_CROP
    return np.ascontiguousarray(rgb("astronaut.png")[y0:y1, x0:x1])


def astronaut_scene(
    path: str | os.PathLike[str],
    *,
    duration_s: float = 6.0,
    fps: float = 15.0,
    visible: tuple[float, float] = (2.0, 4.0),
    codec: str | None = None,
) -> Scene:
    """The astronaut's face on screen only during ``visible`` ([start, end) seconds).

    The rest of the clip is coffee.png (no face) panning slowly with light grain. While
    visible, a 300 x 300 crop of astronaut.png covers part of the frame at
    :data:`_ASTRONAUT_AT`, her face at :attr:`Scene.face_box` (about 100 x 140 px, big
    enough for dlib's HOG detector).
    """
    background = picture("coffee.png")
    crop = astronaut_crop()
    ax, ay = _ASTRONAUT_AT
    ch, cw = crop.shape[:2]

    def frame(t: float) -> RGB:
        out = grain(pan(background, t), t)
        if visible[0] <= t < visible[1]:
            out[ay : ay + ch, ax : ax + cw] = crop
        return out

    fx0, fy0, fx1, fy1 = _ASTRONAUT_FACE
    w, h = SIZE
    written = write_video(path, frame, duration_s, fps, codec=codec)
    return Scene(
        path=written,
        duration_s=duration_s,
        fps=fps,
        width=w,
        height=h,
        face_interval=visible,
        face_box=(ax + fx0, ay + fy0, ax + fx1, ay + fy1),
    )


def cut_scene(
    path: str | os.PathLike[str],
    *,
    fps: float = 15.0,
    black_s: float = 0.5,
    shot_s: float = 2.5,
    codec: str | None = None,
) -> Scene:
    """Black, then chelsea.png (a cat), a hard cut to rocket.jpg, then black again.

    Each shot drifts slowly (a pan) so nothing is a still; the only abrupt changes are
    at ``black_s``, the cut at ``black_s + shot_s`` and the fade-less end of the second
    shot at ``black_s + 2 * shot_s``.
    """
    cat, rocket = picture("chelsea.png"), picture("rocket.jpg")
    cut = black_s + shot_s
    end = cut + shot_s
    duration = end + black_s
    w, h = SIZE

    def frame(t: float) -> RGB:
        if t < black_s or t >= end:
            return np.zeros((h, w, 3), np.uint8)
        return grain(pan(cat if t < cut else rocket, t), t, amount=3)

    written = write_video(path, frame, duration, fps, codec=codec)
    return Scene(
        path=written,
        duration_s=duration,
        fps=fps,
        width=w,
        height=h,
        cut_s=cut,
        black=((0.0, black_s), (end, duration)),
    )


def counter_scene(
    path: str | os.PathLike[str],
    *,
    duration_s: float = 6.0,
    fps: float = 10.0,
    size: tuple[int, int] = (320, 180),
    **kwargs: object,
) -> Path:
    """A clip whose frame ``i`` is readable from its pixels (:func:`frame_number`).

    The frame is split into 8 vertical bars, each black or white: bit ``k`` of ``i``.
    Keyword arguments go to :func:`write_video` (codec, gop, rotation, times...).
    """
    w, h = size

    def frame(t: float) -> RGB:
        index = round(t * fps)
        out = np.zeros((h, w, 3), np.uint8)
        for bit in range(8):
            if index >> bit & 1:
                out[:, bit * w // 8 : (bit + 1) * w // 8] = 255
        return out

    return write_video(path, frame, duration_s, fps, **kwargs)  # type: ignore[arg-type]


def frame_number(pixels: RGB) -> int:
    """The frame index a :func:`counter_scene` frame shows (any size, upright)."""
    h, w = pixels.shape[:2]
    row = pixels[h // 2, :, :].mean(axis=-1)
    bits = [row[(2 * bit + 1) * w // 16] > 127 for bit in range(8)]
    return sum(1 << bit for bit, on in enumerate(bits) if on)


# --- damaged and fake files -----------------------------------------------------


def truncate(src: str | os.PathLike[str], dest: str | os.PathLike[str], keep: float) -> Path:
    """Copy the first ``keep`` fraction (0-1) of ``src``'s bytes: an interrupted upload."""
    data = Path(src).read_bytes()
    out = Path(dest)
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def corrupt(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    start: float = 0.3,
    length: float = 0.4,
    seed: int = 0,
) -> Path:
    """Copy ``src`` with random bytes over [start, start + length) of it (fractions)."""
    data = bytearray(Path(src).read_bytes())
    a = int(len(data) * start)
    b = int(len(data) * (start + length))
    data[a:b] = np.random.default_rng(seed).integers(0, 256, b - a, dtype=np.uint8).tobytes()
    out = Path(dest)
    out.write_bytes(bytes(data))
    return out


def not_a_video(path: str | os.PathLike[str], kind: str = "png") -> Path:
    """A file named like a video holding something else: ``png``, ``text`` or ``empty``."""
    out = Path(path)
    if kind == "png":
        out.write_bytes(encode(picture("chelsea.png"), "PNG"))
    elif kind == "text":
        out.write_text("This is not a video, only text with a video's name.\n" * 20)
    elif kind == "empty":
        out.write_bytes(b"")
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return out
