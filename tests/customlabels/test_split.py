"""The automatic split: stratified, seeded, stable."""

from __future__ import annotations

from collections import Counter

from sightline.customlabels.split import stratified_split


def items(counts: dict[str, int]) -> list[tuple[str, str]]:
    return [(f"{label}{i}", label) for label, n in counts.items() for i in range(n)]


def test_stratified_and_reproducible() -> None:
    data = items({"a": 40, "b": 40, "c": 10})
    train, test = stratified_split(data, 0.2, seed=0)
    assert Counter(k[0] for k in test) == {"a": 8, "b": 8, "c": 2}
    assert set(train) | set(test) == {k for k, _ in data} and not set(train) & set(test)
    assert stratified_split(data, 0.2, seed=0) == (train, test)
    assert stratified_split(data, 0.2, seed=1)[1] != test


def test_adding_a_label_keeps_the_others_split() -> None:
    _, before = stratified_split(items({"a": 30, "b": 30}), 0.2, seed=0)
    _, after = stratified_split(items({"a": 30, "b": 30, "z": 5}), 0.2, seed=0)
    assert [k for k in after if not k.startswith("z")] == before


def test_small_labels_keep_a_training_image() -> None:
    train, test = stratified_split(items({"a": 2, "b": 1}), 0.9, seed=0)
    assert sorted(test) == ["a0"] or sorted(test) == ["a1"]
    assert "b0" in train
