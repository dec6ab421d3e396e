"""SMPTE timecodes for frame numbers, drop-frame at 29.97 and 59.94 fps.

Rekognition's segment timecodes are ``HH:MM:SS:FF`` and, at the NTSC rates 30000/1001
and 60000/1001, drop-frame ``HH:MM:SS;FF``: frame *labels* 0 and 1 (0-3 at 59.94) are
skipped at the start of every minute except each tenth minute, so that the label keeps
to the wall clock (1 hour of 29.97 video is 107 892 frames and reads ``01:00:00;00``).
Every other rate counts ``round(rate)`` labels a second (23.976 counts 24) with no drops.
Hours are not wrapped at 24: a duration reads as elapsed time.
"""

from __future__ import annotations

import math

# Frame labels dropped each minute (except each tenth) for the NTSC rates.
_DROP_RATES: tuple[tuple[float, int], ...] = ((30000 / 1001, 2), (60000 / 1001, 4))
# Containers report NTSC rates as 30000/1001, 2997/100, or a float32 of either.
_RATE_TOLERANCE = 0.01


def is_drop_frame(frame_rate: float) -> bool:
    """Whether ``frame_rate`` is counted in drop-frame timecode (29.97 or 59.94 fps)."""
    return _dropped_per_minute(frame_rate) > 0


def smpte(frame_number: int, frame_rate: float) -> str:
    """The SMPTE timecode of ``frame_number`` (0-based) at ``frame_rate`` frames a second.

    ``HH:MM:SS;FF`` for 29.97/59.94 fps (drop-frame), ``HH:MM:SS:FF`` otherwise. A frame
    *count* (a segment's duration) is formatted the same way, as Rekognition's
    ``DurationSMPTE`` is.

    Raises:
        ValueError: a negative frame number, or a rate that is not a positive number.
    """
    if frame_number < 0:
        raise ValueError(f"frame number must be >= 0, got {frame_number}")
    if not (math.isfinite(frame_rate) and frame_rate > 0):
        raise ValueError(f"frame rate must be a positive number, got {frame_rate}")
    base = max(1, round(frame_rate))
    drop = _dropped_per_minute(frame_rate)
    label = frame_number
    separator = ":"
    if drop:
        separator = ";"
        per_minute = base * 60 - drop
        per_ten_minutes = base * 600 - drop * 9
        tens, rest = divmod(frame_number, per_ten_minutes)
        label += drop * 9 * tens
        if rest > drop:
            label += drop * ((rest - drop) // per_minute)
    frames = label % base
    seconds = label // base
    return (
        f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{separator}{frames:02d}"
    )


def _dropped_per_minute(frame_rate: float) -> int:
    for rate, drop in _DROP_RATES:
        if abs(frame_rate - rate) < _RATE_TOLERANCE:
            return drop
    return 0
