"""Decoding every frame small: numbering, times, and refusing what is not a whole video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from sightline.errors import InvalidVideoError
from sightline.video.lowres import LOW_RES_SIZE, low_res_frames
from sightline.video.segments import SegmentDetector
from tests.video.clips import CHELSEA, brief_scene, write_clip


@pytest.mark.parametrize("codec", ["libx264", "mpeg4"])
def test_every_frame_numbered_and_timed(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "clip.mp4"
    write_clip(path, brief_scene, 1.0, codec, fps=25)
    with low_res_frames(path) as video:
        assert (video.frame_rate, video.declared_frames) == (25.0, 25)
        assert (video.width, video.height) == (320, 180)
        assert video.duration_ms == 1000
        frames = list(video)
    assert video.frames_decoded == 25
    assert [f.frame_number for f in frames] == list(range(25))
    assert [f.timestamp_ms for f in frames] == [40 * i for i in range(25)]
    width, height = LOW_RES_SIZE
    assert all(f.pixels.shape == (height, width, 3) for f in frames)
    assert all(f.pixels.dtype == np.uint8 for f in frames)
    assert frames[0].pixels.max() == 0  # limited-range black decodes to RGB 0
    assert frames[20].pixels.mean() > 50  # chelsea from 0.5 s


def test_times_round_down_at_ntsc_rates(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(30000, 1001))
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for _ in range(31):
            frame = av.VideoFrame.from_ndarray(np.zeros((36, 64, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with low_res_frames(path) as video:
        assert abs(video.frame_rate - 30000 / 1001) < 1e-6
        times = [f.timestamp_ms for f in video]
    assert times[1] == 33 and times[2] == 66 and times[30] == 1001  # 30 x 1001/30 ms


def test_truncated_file_yields_what_decodes_then_reports_it(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    write_clip(whole, brief_scene, 4.0, "libx264", faststart=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])

    detector = SegmentDetector(30.0)
    with pytest.raises(InvalidVideoError, match="partial") as failure:
        for low_res in low_res_frames(cut):
            detector.push(low_res)
    decoded = failure.value.context["frames_decoded"]
    assert 0 < decoded < 120 and failure.value.context["partial"] is True
    partial = detector.finish()  # what did decode is still detected
    assert partial.frame_count == decoded
    assert (partial.shots[0].start_frame, partial.shots[-1].end_frame) == (0, decoded - 1)
    first = partial.technical_cues[0]
    assert (first.type, first.start_frame) == ("BlackFrames", 0)


def test_index_at_the_end_cut_off_is_refused_at_open(tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    write_clip(whole, brief_scene, 1.0, "libx264")  # index (moov) written last
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[:2000])
    with pytest.raises(InvalidVideoError, match="not a video"):
        low_res_frames(cut)


def test_not_a_video(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(np.random.default_rng(0).bytes(20_000))
    with pytest.raises(InvalidVideoError, match="not a video"):
        low_res_frames(noise)
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    with pytest.raises(InvalidVideoError):
        low_res_frames(empty)
    image = tmp_path / "chelsea.png"
    cv2.imwrite(str(image), CHELSEA[:, :, ::-1])
    with pytest.raises(InvalidVideoError, match="still image"):
        low_res_frames(image)
    with pytest.raises(FileNotFoundError):
        low_res_frames(tmp_path / "missing.mp4")


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        samples = (np.sin(np.arange(8000) / 10) * 3000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode())
    with pytest.raises(InvalidVideoError, match="no video stream"):
        low_res_frames(path)


def test_reading_can_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    write_clip(path, brief_scene, 1.0, "mpeg4")
    with low_res_frames(path, size=(32, 18)) as video:
        first = next(video)
    assert first.frame_number == 0 and first.pixels.shape == (18, 32, 3)
