"""Sign-in throttling per (user, address), on a fake clock."""

from __future__ import annotations

from sightline.accounts.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_repeated_failures_pause_the_pair_only() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, lockout_seconds=60, clock=clock)
    for _ in range(2):
        throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 0.0
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 60.0
    # Another address, another user: unaffected.
    assert throttle.retry_after("alice", "10.0.0.2") == 0.0
    assert throttle.retry_after("bob", "10.0.0.1") == 0.0

    clock.now += 45
    assert throttle.retry_after("alice", "10.0.0.1") == 15.0
    clock.now += 15
    assert throttle.retry_after("alice", "10.0.0.1") == 0.0
    # After a pause, counting starts again.
    throttle.failed("alice", "10.0.0.1")
    assert throttle.retry_after("alice", "10.0.0.1") == 0.0


def test_success_clears_the_count() -> None:
    throttle = LoginThrottle(max_failures=2, lockout_seconds=60, clock=Clock())
    throttle.failed("alice", "a")
    throttle.succeeded("alice", "a")
    throttle.failed("alice", "a")
    assert throttle.retry_after("alice", "a") == 0.0
