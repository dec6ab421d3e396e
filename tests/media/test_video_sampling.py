"""The timing rules of frame sampling, on made-up packet and frame times."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sightline.media.video_sampling import (
    PacketGate,
    SampleClock,
    expected_samples,
    sample_index_after,
)

# (name, time, keyframe) in decode order: 10 fps, a keyframe each second, no B-frames.
IPPP = [(f"f{i}", i / 10, i % 10 == 0) for i in range(40)]


def run(gate: PacketGate[str], packets: Sequence[tuple[str, float | None, bool]]) -> list[str]:
    """Names passed to the decoder; reference-only ones in brackets, gaps as '|'."""
    out: list[str] = []
    for name, t, key in packets:
        for gated in gate.push(name, t, key):
            if gated.after_gap:
                out.append("|")
            out.append(f"({gated.packet})" if gated.reference_only else gated.packet)
    gate.finish()
    return out


@pytest.mark.parametrize(
    ("times", "fps", "taken"),
    [
        ([i / 10 for i in range(20)], 2, [0.0, 0.5, 1.0, 1.5]),  # regular
        ([0.0, 0.49999, 1.0], 2, [0.0, 0.49999, 1.0]),  # rounding below a sample time
        ([0.0, 1.7, 2.2], 2, [0.0, 1.7, 2.2]),  # gaps: each frame used once
        ([0.0, 0.1, 0.2], 0.5, [0.0]),  # shorter than one interval
    ],
)
def test_clock_takes_the_first_frame_at_or_after_each_time(
    times: list[float], fps: float, taken: list[float]
) -> None:
    clock = SampleClock(fps)
    assert [t for t in times if clock.take(t)] == taken


def test_sample_index_and_expected_count() -> None:
    assert sample_index_after(0.0, 2) == 1
    assert sample_index_after(0.4, 2) == 1
    assert sample_index_after(0.4999, 2) == 2  # within the tolerance: it stands for 0.5 s
    assert expected_samples(6.0, 2) == 12
    assert expected_samples(6.0, 0.4) == 3
    assert expected_samples(0.0, 2) == 0


def test_gate_skips_groups_without_a_sample() -> None:
    # One sample every 2 s: the group starting at 1 s is never decoded, nor the tails.
    gate: PacketGate[str] = PacketGate(fps=0.5)
    assert run(gate, IPPP) == ["f0", "|", "f20"]
    assert gate.passed == 2 and gate.skipped == 38


def test_gate_passes_the_references_leading_to_a_sample() -> None:
    gate: PacketGate[str] = PacketGate(fps=1 / 1.5)  # samples at 0, 1.5, 3.0 s
    out = run(gate, IPPP)
    assert out == [
        "f0",
        "|",
        "(f10)",
        "(f11)",
        "(f12)",
        "(f13)",
        "(f14)",
        "f15",
        "|",
        "f30",
    ]


def test_gate_passes_b_frames_presented_before_the_packet_that_reached_the_sample() -> None:
    # Decode order I0 P3 B1 B2 P6 B4 B5 ... at 10 fps; a sample at 0.2 s is B2, which
    # is decoded after P3 (the first packet at or after 0.2 s in decode order).
    order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8]
    packets = [(f"f{i}", i / 10, i == 0) for i in order]
    gate: PacketGate[str] = PacketGate(fps=5)  # 0.0, 0.2, 0.4, 0.6, 0.8
    out = run(gate, packets)
    # f1 and f7 precede a sample time: decoded as references only. f5 lies between
    # the sample time 0.4 and f6, which reached it: it might have been the sample.
    assert out == ["f0", "f3", "(f1)", "f2", "f6", "f4", "f5", "f9", "(f7)", "f8"]


def test_gate_keeps_a_tail_an_open_gop_keyframe_may_need() -> None:
    # Sample at 1.95 s; the next keyframe is at 2.0 s (after it): pictures decoded after
    # the keyframe but shown before it may reference the held tail, so it is kept.
    gate: PacketGate[str] = PacketGate(fps=1 / 1.95)
    out = run(gate, IPPP[:25])
    assert out[:2] == ["f0", "|"]
    assert out[2:] == [f"({name})" for name, _, _ in IPPP[10:20]] + ["f20"]


def test_gate_in_keyframe_mode_passes_keyframes_at_sample_times() -> None:
    gate: PacketGate[str] = PacketGate(fps=0.5, keyframes_only=True)
    assert run(gate, IPPP) == ["f0", "|", "f20"]
    gate = PacketGate(fps=2, keyframes_only=True)
    assert run(gate, IPPP) == ["f0", "|", "f10", "|", "f20", "|", "f30"]


def test_gate_passes_packets_without_a_time() -> None:
    gate: PacketGate[str] = PacketGate(fps=0.1)
    packets: list[tuple[str, float | None, bool]] = [("a", 0.0, True), ("b", None, False)]
    assert run(gate, packets) == ["a", "b"]
