"""Calibration of face similarity on the real faces available offline.

Measures dlib descriptor distances (through the faces analyzer, as collections compute
them) for pairs of the same person and of different people, then counts false matches
and false non-matches at Rekognition's default threshold of 80 for two mappings side by
side: the calibrated logistic (``sightline.faces.similarity.DLIB_SCALE``) and a naive
linear ``100 * (1 - d)``. The figures go into docs/face-similarity.md.

Samples (all offline, small — read the counts):
- astronaut.png (skimage) and grace_hopper.jpg (matplotlib), each as 9 variants (the
  original, half size, rotated +-10 degrees, darkened, blurred, mirrored, JPEG q10,
  and a combination): same-person pairs are pairs of variants of one photo, so they
  measure robustness to degradation, not to a different photo of the person.
- skimage's ``lfw_subset``: 100 LFW faces, 25x25 grey, no identity labels. Used as
  different-people pairs (an upper bound on false matches: some pairs may be the same
  person) and, with their mirror images, as same-person pairs.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Callable

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFilter

from sightline.analyzers.base import AnalyzerPool
from sightline.config import Settings
from sightline.faces.similarity import DLIB_SCALE
from sightline.media.image import Image

THRESHOLD = 80.0


def variants(pixels: np.ndarray) -> dict[str, np.ndarray]:
    im = PILImage.fromarray(pixels)
    w, h = im.size
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=10)
    combo = im.resize((w // 2, h // 2)).rotate(8).filter(ImageFilter.GaussianBlur(1))
    return {
        "original": pixels,
        "half": np.asarray(im.resize((w // 2, h // 2), PILImage.Resampling.LANCZOS)),
        "rot+10": np.asarray(im.rotate(10, resample=PILImage.Resampling.BICUBIC)),
        "rot-10": np.asarray(im.rotate(-10, resample=PILImage.Resampling.BICUBIC)),
        "dark": (pixels * 0.4).astype(np.uint8),
        "blur": np.asarray(im.filter(ImageFilter.GaussianBlur(2))),
        "mirror": np.ascontiguousarray(pixels[:, ::-1]),
        "jpeg10": np.asarray(PILImage.open(io.BytesIO(buf.getvalue())).convert("RGB")),
        "combo": (np.asarray(combo) * 0.6).astype(np.uint8),
    }


def main() -> None:
    import skimage.data
    from tests.conftest import rgb

    analyzer = AnalyzerPool(Settings()).get("faces")

    def embed(pixels: np.ndarray) -> np.ndarray | None:
        image = Image.from_array(np.ascontiguousarray(pixels))
        faces = analyzer.detect(image)  # type: ignore[attr-defined]
        if not faces:
            return None
        return np.asarray(analyzer.embed(image, faces[:1])[0])  # type: ignore[attr-defined]

    started = time.perf_counter()
    named: dict[str, list[np.ndarray]] = {}
    for name in ("astronaut.png", "grace_hopper.jpg"):
        vectors = [embed(v) for v in variants(rgb(name)).values()]
        named[name] = [v for v in vectors if v is not None]
    lfw_faces, lfw_mirrors = [], []
    for crop in skimage.data.lfw_subset()[:100]:  # the first 100 are faces
        grey = PILImage.fromarray((crop * 255).astype(np.uint8))
        big = np.asarray(grey.resize((150, 150), PILImage.Resampling.BICUBIC).convert("RGB"))
        face, mirror = embed(big), embed(np.ascontiguousarray(big[:, ::-1]))
        if face is not None and mirror is not None:
            lfw_faces.append(face)
            lfw_mirrors.append(mirror)
    elapsed = time.perf_counter() - started

    # What LFW-subset-sized crops do to the named faces: 25x25 grey, upscaled.
    tiny = {}
    for name in ("astronaut.png", "grace_hopper.jpg"):
        pixels = rgb(name)
        box = analyzer.detect(Image.from_array(pixels))[0].box  # type: ignore[attr-defined]
        crop = PILImage.fromarray(pixels).crop((box.x0, box.y0, box.x1, box.y1)).convert("L")
        small = crop.resize((25, 25), PILImage.Resampling.LANCZOS)
        tiny[name] = embed(
            np.asarray(small.resize((150, 150), PILImage.Resampling.BICUBIC).convert("RGB"))
        )

    a, g = named["astronaut.png"], named["grace_hopper.jpg"]
    genuine_named = [_d(x, y) for vs in (a, g) for x, y in itertools.combinations(vs, 2)]
    impostor_named = [_d(x, y) for x in a for y in g]
    genuine_lfw = [_d(x, y) for x, y in zip(lfw_faces, lfw_mirrors, strict=True)]
    impostor_lfw = [_d(x, y) for x, y in itertools.combinations(lfw_faces, 2)]
    impostor_cross = [_d(x, y) for x in (a[0], g[0]) for y in lfw_faces]

    print(
        f"embedded {len(a) + len(g)} named variants and {len(lfw_faces)} LFW faces "
        f"(+ mirrors) in {elapsed:.1f} s"
    )
    sets = [
        ("same person, named variants", genuine_named, True),
        ("same person, LFW face vs its mirror", genuine_lfw, True),
        ("different people, astronaut vs grace_hopper variants", impostor_named, False),
        ("different people (unlabelled), LFW vs LFW", impostor_lfw, False),
        ("different people, named originals vs LFW", impostor_cross, False),
    ]
    print("\nL2 distances")
    for label, ds, _ in sets:
        x = np.asarray(ds)
        print(
            f"  {label:<55} n={len(x):>5}  min {x.min():.3f}  median {np.median(x):.3f}  "
            f"max {x.max():.3f}"
        )
    mappings: list[tuple[str, Callable[[float], float]]] = [
        ("calibrated logistic", DLIB_SCALE.similarity),
        ("naive 100*(1-d)", lambda d: max(0.0, 100.0 * (1.0 - d))),
    ]
    print(f"\nerrors at similarity >= {THRESHOLD:.0f}")
    rates: dict[str, list[float]] = {}
    for name, fn in mappings:
        print(f"  {name}")
        for label, ds, same in sets:
            sims = np.asarray([fn(d) for d in ds])
            wrong = int((sims < THRESHOLD).sum()) if same else int((sims >= THRESHOLD).sum())
            kind = "false non-match" if same else "false match"
            rate = wrong / len(sims)
            rates.setdefault(name, []).append(rate)
            print(f"    {label:<55} {kind:<16} {wrong:>4}/{len(sims):<5} = {rate:6.2%}")
    genuine = np.asarray([DLIB_SCALE.similarity(d) for d in genuine_named + genuine_lfw])
    named_imp = np.asarray([DLIB_SCALE.similarity(d) for d in impostor_named + impostor_cross])
    lfw_imp = np.asarray([DLIB_SCALE.similarity(d) for d in impostor_lfw])
    print(
        "\ncalibrated, by threshold: false non-match (same person, n="
        f"{len(genuine)}) | false match named (n={len(named_imp)}) | "
        f"false match LFW-subset upper bound (n={len(lfw_imp)})"
    )
    for t in (50.0, 70.0, 80.0, 90.0, 95.0, 99.0):
        print(
            f"  >= {t:4.0f}  distance <= {DLIB_SCALE.max_distance(t):.3f}   "
            f"{(genuine < t).mean():6.2%} | {(named_imp >= t).mean():6.2%} | "
            f"{(lfw_imp >= t).mean():6.2%}"
        )
    ta, tg = tiny["astronaut.png"], tiny["grace_hopper.jpg"]
    if ta is not None and tg is not None:
        print(
            "\nnamed faces cut down to LFW-subset size (25x25 grey): same person "
            f"{_d(ta, a[0]):.3f} / {_d(tg, g[0]):.3f} (full size: 0), different people "
            f"{_d(ta, tg):.3f} (full size: {_d(a[0], g[0]):.3f})"
        )
    fnmr_cal = np.mean([r for r, s in zip(rates["calibrated logistic"], sets, strict=True) if s[2]])
    fnmr_naive = np.mean([r for r, s in zip(rates["naive 100*(1-d)"], sets, strict=True) if s[2]])
    print(
        f"\nmean false non-match rate at 80: calibrated {fnmr_cal:.2%}, naive {fnmr_naive:.2%} "
        "(goal: 80 keeps the same person and turns different people away)"
    )


def _d(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.linalg.norm(x - y))


if __name__ == "__main__":
    main()
