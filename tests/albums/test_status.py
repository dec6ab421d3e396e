"""A pipeline item's row as the four states a photo shows."""

from __future__ import annotations

import pytest

from sightline.albums.status import PhotoState, item_status


@pytest.mark.parametrize(
    ("status", "attempts", "error", "reason", "state", "retrying"),
    [
        ("PENDING", 0, None, None, PhotoState.UPLOADED, False),  # queued, untouched
        ("IN_PROGRESS", 1, None, None, PhotoState.PROCESSING, False),
        # an attempt failed and the next is due: still processing, and why is shown
        ("PENDING", 1, "StorageError", "connection reset", PhotoState.PROCESSING, True),
        ("SUCCEEDED", 1, None, None, PhotoState.COMPLETED, False),
        ("FAILED", 1, "InvalidImageFormatError", "truncated", PhotoState.FAILED, False),
        # refused when recorded (not an image): failed at once, with the reason
        ("REJECTED", 0, "InvalidImageFormatError", "text", PhotoState.FAILED, False),
    ],
)
def test_item_rows_map_to_photo_states(
    status: str,
    attempts: int,
    error: str | None,
    reason: str | None,
    state: PhotoState,
    retrying: bool,
) -> None:
    got = item_status("item1", status, error, reason, attempts)
    assert got.state is state
    assert got.retrying is retrying
    assert (got.run_kind, got.run_id) == ("item", "item1")
    assert got.to_json()["state"] == state.value
    if state is PhotoState.FAILED:
        assert (got.error, got.reason) == (error, reason)
