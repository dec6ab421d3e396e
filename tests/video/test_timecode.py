"""SMPTE timecodes: non-drop and drop-frame (29.97, 59.94) against known values."""

from __future__ import annotations

import re

import pytest

from sightline.video.timecode import is_drop_frame, smpte

NTSC = 30000 / 1001


@pytest.mark.parametrize(
    ("frame", "rate", "expected"),
    [
        (0, 25.0, "00:00:00:00"),
        (24, 25.0, "00:00:00:24"),
        (25, 25.0, "00:00:01:00"),
        (90_000, 25.0, "01:00:00:00"),
        (86_400, 24.0, "01:00:00:00"),
        (1800, 30.0, "00:01:00:00"),  # integer 30 fps never drops
        (24, 24000 / 1001, "00:00:01:00"),  # 23.976 counts 24 labels, no drop
        (1799, NTSC, "00:00:59;29"),
        (1800, NTSC, "00:01:00;02"),  # labels ;00 and ;01 of minute 1 are skipped
        (1801, NTSC, "00:01:00;03"),
        (3598, NTSC, "00:02:00;02"),
        (17_981, NTSC, "00:09:59;29"),
        (17_982, NTSC, "00:10:00;00"),  # every tenth minute keeps its ;00
        (17_983, NTSC, "00:10:00;01"),
        (107_892, NTSC, "01:00:00;00"),  # one hour of 29.97 is 107 892 frames
        (1800, 29.970029830932617, "00:01:00;02"),  # a float32 rate as containers give
        (1800, 29.97, "00:01:00;02"),  # 2997/100
        (3599, 60000 / 1001, "00:00:59;59"),
        (3600, 60000 / 1001, "00:01:00;04"),  # 59.94 drops four labels a minute
        (35_964, 60000 / 1001, "00:10:00;00"),
        (215_784, 60000 / 1001, "01:00:00;00"),
        (90_000 * 25, 25.0, "25:00:00:00"),  # durations do not wrap at 24 h
    ],
)
def test_smpte_known_values(frame: int, rate: float, expected: str) -> None:
    assert smpte(frame, rate) == expected


@pytest.mark.parametrize(("rate", "drop"), [(NTSC, 2), (60000 / 1001, 4)])
def test_drop_frame_labels_skip_exactly_the_dropped_ones(rate: float, drop: int) -> None:
    base = round(rate)
    previous = -1
    for frame in range(0, 25 * 60 * base):  # 25 minutes of labels
        hh, mm, ss, ff = map(int, re.split("[:;]", smpte(frame, rate)))
        if ss == 0 and mm % 10 != 0:
            assert ff >= drop, f"label {ff} of minute {mm} must be dropped"
        label = ((hh * 60 + mm) * 60 + ss) * base + ff
        minutes = hh * 60 + mm
        # Label minus the labels dropped so far gives back the frame number.
        assert label - drop * (minutes - minutes // 10) == frame
        assert label > previous
        previous = label


def test_drop_frame_rates() -> None:
    assert is_drop_frame(NTSC) and is_drop_frame(60000 / 1001)
    assert not any(is_drop_frame(rate) for rate in (24000 / 1001, 24.0, 25.0, 30.0, 60.0))


@pytest.mark.parametrize(("frame", "rate"), [(-1, 25.0), (0, 0.0), (0, -25.0), (0, float("nan"))])
def test_smpte_refuses_bad_input(frame: int, rate: float) -> None:
    with pytest.raises(ValueError):
        smpte(frame, rate)
