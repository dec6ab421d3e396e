"""The automatic train/test split: stratified by label, seeded, stable.

Each label's images are shuffled with a generator seeded by ``seed`` and the label's
name (so adding a label does not reshuffle the others), and ``fraction`` of them
(rounded, at least one, never all) go to the test set. The same inputs always give the
same split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def stratified_split(
    items: Sequence[tuple[K, str]], fraction: float, seed: int
) -> tuple[list[K], list[K]]:
    """``(train, test)`` keys of ``items`` (``(key, label)`` pairs).

    Labels with a single item go entirely to training (the caller decides whether such
    a label is usable at all). Order within each side follows ``items``.
    """
    by_label: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(items):
        by_label.setdefault(label, []).append(i)
    test: set[int] = set()
    for label, indexes in sorted(by_label.items()):
        if len(indexes) < 2:
            continue
        n_test = min(max(1, round(len(indexes) * fraction)), len(indexes) - 1)
        digest = hashlib.sha256(f"{seed}\0{label}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        chosen = rng.permutation(len(indexes))[:n_test]
        test.update(indexes[int(j)] for j in chosen)
    train = [key for i, (key, _) in enumerate(items) if i not in test]
    held = [key for i, (key, _) in enumerate(items) if i in test]
    return train, held
