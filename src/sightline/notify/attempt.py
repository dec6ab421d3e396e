"""The outcome of one delivery attempt, shared by every channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """Why a delivery attempt failed. ``unreachable``: the destination never answered,
    so the batch's other messages for it are put off instead of waiting on it too."""

    error: str
    unreachable: bool
