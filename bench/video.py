"""Video sampling speed on a 1080p H.264 clip (goal: the 1 fps path >= 30x realtime).

A 30 s, 30 fps, 1920 x 1080 H.264 clip with a 2 s GOP (x264 ``faster``: CABAC,
B-frames, ~6 Mbit/s) is generated into a temporary folder: a pan across an upscaled
sample photograph with film grain, so every frame carries new detail. Paths, each
timed on the same file, in turns:

- ``sightline 1 fps``: ``sample_frames`` at 1 fps, ``max_side`` 1280, as configured by
  default: GOP-aligned spans decoded by one thread per core (two here), each decoding
  what its samples need (the packet gate), 30 frames converted to 1280 x 720 RGB;
- ``sightline 1 fps, one pass``: the same in a single pass (``workers=1``) with
  FFmpeg's frame threads - the path before spans;
- ``sightline 1 fps, fast_decode``: spans with the deblocking filter skipped
  (``skip_loop_filter=all``; not bit-exact - its PSNR/SSIM against the exact frames is
  printed after the table), and the same in one pass;
- ``tried: spans, 3 decoder threads each``: spans with FFmpeg's frame threads in each
  worker's decoder (its automatic count on 2 cores) instead of one;
- ``sightline keyframes``: the same with ``keyframes_only`` (decoder told NONKEY);
- ``ffmpeg CLI, every frame``: ``ffmpeg -v error -threads 0 -i clip.mp4 -f null -``,
  the reference for decoding everything (falls back to PyAV decoding every frame, and
  says so, when the CLI is not installed: ``apt-get install ffmpeg``);
- ``floor: gated decode only``: the packets the gate passes at 1 fps, decoded in a
  bare loop with no conversion - the decoding exact time sampling cannot avoid;
- ``tried: decode all, sample``: PyAV, threaded, decoding every frame and converting
  the sampled ones - sampling without the packet gate;
- ``tried: seek per sample``: ``container.seek`` to the keyframe before each sample
  time, then decoding forward to it - the seek strategy, at 1 fps and at 0.2 fps
  (a sample every 5 s, where seeking skips even the reading), beside
  ``sightline 0.2 fps``.

Then, on 30 frames decoded once, the conversion to 1280 x 720 RGB: swscale (one
reused context, the chosen path), ``frame.reformat`` (a context per frame) and
``to_ndarray`` + ``cv2.resize``.

Then the frames ``fast_decode`` gives against the exact ones (PSNR, SSIM) and the load
average (other work on a shared machine takes cores from the spans' second worker).

    python -m bench video
    BENCH_VIDEO_SECONDS=10 python -m bench video      # a shorter clip
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from sightline.media.video import SamplingPlan, probe, sample_frames
from sightline.media.video_sampling import PacketGate

SECONDS = float(os.environ.get("BENCH_VIDEO_SECONDS", "30"))
FPS = 30
GOP_S = 2
SIZE = (1920, 1080)
MAX_SIDE = 1280
GOAL = 30.0  # x realtime for the 1 fps path
REPEATS = 5


def sample_photo() -> np.ndarray:
    """A sample photograph (RGB) from scikit-image, else a synthetic scene."""
    try:
        import skimage.data

        return np.asarray(skimage.data.astronaut())  # type: ignore[no-untyped-call]
    except ImportError:  # the dev extra is not installed: a synthetic scene instead
        yy, xx = np.mgrid[0:512, 0:512].astype(np.float32)
        scene = np.stack([xx / 2, yy / 2, (xx + yy) / 4], axis=-1)
        cv2.circle(scene, (256, 256), 150, (200, 80, 40), -1)
        return scene.astype(np.uint8)


def make_clip(path: Path) -> None:
    """The benchmark clip: a pan over a 2x-wide photograph, grain, 2 s GOP."""
    w, h = SIZE
    canvas = cv2.resize(sample_photo(), (2 * w, h), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(0)
    grains = [rng.integers(-8, 9, (h, w, 1), dtype=np.int16) for _ in range(7)]
    count = round(SECONDS * FPS)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.codec_context.gop_size = GOP_S * FPS
        stream.options = {
            "preset": "faster",
            "crf": "23",
            "keyint_min": str(GOP_S * FPS),
            "sc_threshold": "0",
        }
        for i in range(count):
            x = round(i * (w / count))  # the pan crosses half the canvas
            view = canvas[:, x : x + w].astype(np.int16) + grains[i % len(grains)]
            pixels = np.clip(view, 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


# --- paths ---------------------------------------------------------------------------


def sightline(path: Path, plan: SamplingPlan) -> int:
    sampler = sample_frames(path, plan)
    count = sum(1 for _ in sampler)
    assert sampler.stats.complete, sampler.stats
    return count


def sampled_pixels(path: Path, plan: SamplingPlan) -> list[np.ndarray]:
    return [frame.image.pixels for frame in sample_frames(path, plan)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def fast_decode_quality(path: Path, exact: SamplingPlan, fast: SamplingPlan) -> None:
    """How far ``fast_decode``'s sampled frames are from the exact ones."""
    a, b = sampled_pixels(path, exact), sampled_pixels(path, fast)
    assert len(a) == len(b)
    pairs = list(zip(a, b, strict=True))
    psnrs = [psnr(x, y) for x, y in pairs]
    largest = max(int(np.abs(x.astype(np.int16) - y).max()) for x, y in pairs)
    line = (
        f"\nfast_decode vs exact, {len(a)} sampled frames at {a[0].shape[1]}x{a[0].shape[0]}: "
        f"PSNR min {min(psnrs):.1f} dB, median {statistics.median(psnrs):.1f} dB, "
        f"largest pixel difference {largest}"
    )
    try:
        from skimage.metrics import structural_similarity

        ssim = [
            structural_similarity(x, y, channel_axis=2)  # type: ignore[no-untyped-call]
            for x, y in pairs
        ]
        line += f", SSIM min {min(ssim):.4f}"
    except ImportError:  # the dev extra is not installed
        pass
    print(line)


def ffmpeg_cli(path: Path) -> int:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-threads", "0", "-i", str(path), "-f", "null", "-"],
        check=True,
    )
    return 0


def pyav_every_frame(path: Path) -> int:
    """Decode every frame (threaded), convert none: the in-process full-decode floor."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def decode_all_and_sample(path: Path, fps: float = 1.0) -> int:
    """Every frame decoded; the first at or after each sample time converted."""
    reformatter = VideoReformatter()
    count, next_t = 0, 0.0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= next_t - 1e-3:
                reformatter.reformat(
                    frame, MAX_SIDE, 720, "rgb24", interpolation="AREA"
                ).to_ndarray()
                count += 1
                next_t = (int((frame.time + 1e-3) * fps) + 1) / fps
    return count


def gated_floor(path: Path, fps: float = 1.0) -> int:
    """Only the decoding the 1 fps samples need: the packet gate's packets, no
    conversion, no bookkeeping - what no exact time sampling can go below."""
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        cc = stream.codec_context
        cc.thread_type = "AUTO"
        assert stream.time_base is not None
        tb = float(stream.time_base)
        gate: PacketGate[Any] = PacketGate(fps)
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            for gated in gate.push(packet, packet.pts * tb, packet.is_keyframe):
                if gated.after_gap:
                    count += len(cc.decode(None))
                    cc.flush_buffers()
                cc.skip_frame = "NONREF" if gated.reference_only else "DEFAULT"
                count += len(cc.decode(gated.packet))
        count += len(cc.decode(None))
    return count


def seek_per_sample(path: Path, fps: float = 1.0) -> int:
    """For each sample time: seek to the keyframe before it, decode forward to it."""
    reformatter = VideoReformatter()
    count = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        assert stream.time_base is not None
        tb = stream.time_base
        duration = float(container.duration or 0) / av.time_base
        n = 0
        while n / fps < duration:
            target = n / fps
            container.seek(int(target / tb), stream=stream, backward=True)
            for frame in container.decode(stream):
                if frame.time is not None and frame.time >= target - 1e-3:
                    reformatter.reformat(
                        frame, MAX_SIDE, 720, "rgb24", interpolation="AREA"
                    ).to_ndarray()
                    count += 1
                    n = int((frame.time + 1e-3) * fps) + 1
                    break
            else:
                break
    return count


# --- timing ---------------------------------------------------------------------------


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the ffmpeg CLI)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_round_robin(
    paths: dict[str, Callable[[], int]], repeats: int = REPEATS
) -> dict[str, tuple[float, float, float]]:
    """(min, median) wall seconds and median CPU seconds of each path, run in turns.

    Each round runs every path once, so a burst of load from elsewhere on a shared
    machine hits all paths alike. CPU seconds do not depend on how many cores the
    other processes leave free; wall seconds do.
    """
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(repeats):
        for name, fn in paths.items():
            cpu_before, started = cpu_seconds(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(cpu_seconds() - cpu_before)
    return {
        name: (min(wall[name]), statistics.median(wall[name]), statistics.median(cpu[name]))
        for name in paths
    }


def conversions(path: Path) -> None:
    """Decoded frame -> 1280 x 720 RGB, three ways, on the frames the 1 fps plan takes."""
    frames: list[av.VideoFrame] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if frame.pts is not None and frame.pts % FPS == 0 and frame.time is not None:
                frames.append(frame)
    reformatter = VideoReformatter()
    w, h = MAX_SIDE, 720
    ways: dict[str, Callable[[av.VideoFrame], np.ndarray]] = {
        "swscale area, reused context (chosen)": lambda f: reformatter.reformat(
            f, w, h, "rgb24", interpolation="AREA"
        ).to_ndarray(),
        "swscale bilinear (PyAV's default)": lambda f: reformatter.reformat(
            f, w, h, "rgb24"
        ).to_ndarray(),
        "frame.reformat, area (new context)": lambda f: f.reformat(
            w, h, "rgb24", interpolation="AREA"
        ).to_ndarray(),
        "to_ndarray(rgb24) + cv2.resize linear": lambda f: cv2.resize(
            f.to_ndarray(format="rgb24"), (w, h), interpolation=cv2.INTER_LINEAR
        ),
        "to_ndarray(rgb24) + cv2.resize area": lambda f: cv2.resize(
            f.to_ndarray(format="rgb24"), (w, h), interpolation=cv2.INTER_AREA
        ),
    }
    per_frame: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(5):
        for name, fn in ways.items():
            started = time.perf_counter()
            for frame in frames:
                assert fn(frame).shape == (h, w, 3)
            per_frame[name].append((time.perf_counter() - started) / len(frames))
    chosen = statistics.median(per_frame["swscale area, reused context (chosen)"])
    print(f"\nconversion of one 1080p frame to {w}x{h} RGB ({len(frames)} frames, median of 5)")
    for name, runs in per_frame.items():
        ms = statistics.median(runs) * 1e3
        print(f"  {name:40s} {ms:6.2f} ms  {ms / 1e3 / chosen:5.2f}x the chosen's time")


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="sightline-bench-video-") as tmp:
        path = Path(tmp) / "clip.mp4"
        started = time.perf_counter()
        make_clip(path)
        encode_s = time.perf_counter() - started
        meta = probe(path)
        seconds = meta.duration_ms / 1000
        print(
            f"{meta.width}x{meta.height} {meta.codec} {seconds:.0f} s at {meta.frame_rate:.0f} "
            f"fps, {GOP_S} s GOP, {path.stat().st_size / 1e6 / seconds * 8:.1f} Mbit/s "
            f"(encoded in {encode_s:.0f} s); {os.cpu_count()} cores"
        )
        one_fps = SamplingPlan(fps=1.0, max_side=MAX_SIDE)
        one_pass = SamplingPlan(fps=1.0, max_side=MAX_SIDE, workers=1)
        fast = SamplingPlan(fps=1.0, max_side=MAX_SIDE, fast_decode=True)
        fast_one_pass = SamplingPlan(fps=1.0, max_side=MAX_SIDE, fast_decode=True, workers=1)
        spans_frame_threads = SamplingPlan(fps=1.0, max_side=MAX_SIDE, threads=3)
        keyframes = SamplingPlan(fps=1.0, max_side=MAX_SIDE, keyframes_only=True)
        sparse = SamplingPlan(fps=0.2, max_side=MAX_SIDE)  # a sample every 5 s
        have_cli = shutil.which("ffmpeg") is not None
        full_name = "ffmpeg CLI, every frame" if have_cli else "PyAV, every frame (no CLI)"
        if not have_cli:
            print("ffmpeg CLI not found (apt-get install ffmpeg): PyAV decodes every frame")
        paths: dict[str, Callable[[], int]] = {
            "sightline 1 fps (max_side 1280)": lambda: sightline(path, one_fps),
            "sightline 1 fps, one pass": lambda: sightline(path, one_pass),
            "sightline 1 fps, fast_decode": lambda: sightline(path, fast),
            "sightline 1 fps, fast_decode, one pass": lambda: sightline(path, fast_one_pass),
            "tried: spans, 3 decoder threads each": lambda: sightline(path, spans_frame_threads),
            "sightline keyframes only": lambda: sightline(path, keyframes),
            full_name: (lambda: ffmpeg_cli(path)) if have_cli else lambda: pyav_every_frame(path),
            "floor: gated decode only, 1 fps": lambda: gated_floor(path),
            "tried: decode all, sample 1 fps": lambda: decode_all_and_sample(path),
            "tried: seek per sample, 1 fps": lambda: seek_per_sample(path),
            "sightline 0.2 fps": lambda: sightline(path, sparse),
            "tried: seek per sample, 0.2 fps": lambda: seek_per_sample(path, fps=0.2),
        }
        if have_cli:
            paths["PyAV, every frame, no conversion"] = lambda: pyav_every_frame(path)
        counts = {name: fn() for name, fn in paths.items()}  # warm-up and a check
        assert counts["sightline 1 fps (max_side 1280)"] == round(seconds), counts
        results = timed_round_robin(paths)
        print(
            f"\n{'path':40s} {'min s':>7s} {'median s':>9s} {'x realtime':>11s} "
            f"{'CPU s':>7s} {'x realtime/CPU s':>17s}"
        )
        for name, (best, median, cpu) in results.items():
            print(
                f"{name:40s} {best:7.2f} {median:9.2f} {seconds / median:10.1f}x "
                f"{cpu:7.2f} {seconds / cpu:16.1f}x"
            )
        ours = results["sightline 1 fps (max_side 1280)"]
        print()
        for name in (
            "sightline 1 fps, one pass",
            full_name,
            "tried: decode all, sample 1 fps",
            "tried: seek per sample, 1 fps",
        ):
            print(
                f"sightline 1 fps vs {name}: {results[name][1] / ours[1]:.2f}x faster "
                f"(wall), {results[name][2] / ours[2]:.2f}x less CPU"
            )
        floor = results["floor: gated decode only, 1 fps"]
        single = results["sightline 1 fps, one pass"]
        print(
            f"sightline 1 fps, one pass, over the floor: {single[1] / floor[1] - 1:+.0%} wall, "
            f"{single[2] / floor[2] - 1:+.0%} CPU (conversion, bookkeeping, checks)"
        )
        seek = results["tried: seek per sample, 0.2 fps"]
        sparse_ours = results["sightline 0.2 fps"]
        print(
            f"sightline 0.2 fps vs seek per sample: {seek[1] / sparse_ours[1]:.2f}x faster "
            f"(wall), {seek[2] / sparse_ours[2]:.2f}x less CPU"
        )
        for name in ("sightline 1 fps (max_side 1280)", "sightline 1 fps, fast_decode"):
            wall, cpu = results[name][1], results[name][2]
            verdict = "meets" if seconds / wall >= GOAL else "misses"
            print(
                f"{name}: {seconds / wall:.1f}x realtime (median wall) - {verdict} "
                f"the {GOAL:.0f}x goal; {seconds / cpu:.1f}x realtime per CPU-second"
            )
        for name, plan in (("spans", one_fps), ("one pass", one_pass)):
            sampler = sample_frames(path, plan)
            for _ in sampler:
                pass
            s = sampler.stats
            print(
                f"packets decoded at 1 fps, {name}: {s.packets_decoded} of {s.packets_read} "
                f"({s.frames_decoded} frames out of the decoders, non-reference ones "
                f"skipped; {s.spans} span(s), {s.workers} worker(s))"
            )
        fast_decode_quality(path, one_pass, fast_one_pass)
        conversions(path)
    print(f"\nload average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
