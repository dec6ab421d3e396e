"""The distance -> similarity map: anchored at the published operating points."""

from __future__ import annotations

import itertools
import math

import pytest

from sightline.faces.similarity import DLIB_SCALE, SFACE_SCALE, SimilarityScale


@pytest.mark.parametrize("scale", [DLIB_SCALE, SFACE_SCALE], ids=["dlib", "sface"])
def test_anchors(scale: SimilarityScale) -> None:
    # the operating point reads Rekognition's default threshold, the genuine anchor 99
    assert scale.similarity(scale.operating_point) == pytest.approx(80.0)
    assert scale.similarity(scale.genuine) == pytest.approx(99.0)
    assert scale.similarity(scale.centre) == pytest.approx(50.0)


def test_dlib_operating_point_is_the_published_one() -> None:
    assert DLIB_SCALE.max_distance(80.0) == pytest.approx(0.6)
    # SFace's cosine threshold 0.363, as an L2 distance between unit vectors
    assert SFACE_SCALE.max_distance(80.0) == pytest.approx(math.sqrt(2 - 2 * 0.363), abs=1e-3)


@pytest.mark.parametrize("threshold", [1.0, 50.0, 70.0, 80.0, 95.0, 99.9])
def test_max_distance_inverts_similarity(threshold: float) -> None:
    d = DLIB_SCALE.max_distance(threshold)
    assert DLIB_SCALE.similarity(d) == pytest.approx(threshold)
    assert DLIB_SCALE.similarity(d + 1e-6) < threshold


def test_monotone_and_bounded() -> None:
    values = [DLIB_SCALE.similarity(d / 100) for d in range(0, 300)]
    assert all(a >= b for a, b in itertools.pairwise(values))
    assert 99.99 < values[0] <= 100.0
    assert DLIB_SCALE.similarity(50.0) == 0.0  # far beyond any face: no overflow


def test_threshold_edges() -> None:
    assert DLIB_SCALE.max_distance(0.0) == math.inf  # everything matches
    assert DLIB_SCALE.max_distance(100.0) == 0.0  # only an identical vector


def test_bad_anchors_are_refused() -> None:
    with pytest.raises(ValueError, match="genuine"):
        SimilarityScale(operating_point=0.4, genuine=0.6)
