"""The token buckets of bridge.intake.limits, on a clock the test moves."""

from __future__ import annotations

from bridge.intake import limits
from bridge.intake.limits import RateLimiter, retry_after


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_burst_passes_then_the_rate_applies_and_the_wait_is_told() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    assert [limiter.take("a", 2.0, 3) for _ in range(3)] == [None, None, None]
    wait = limiter.take("a", 2.0, 3)
    assert wait == 0.5
    assert retry_after(wait) == "1"
    assert limiter.take("b", 2.0, 3) is None  # another key has its own bucket
    clock.t += 0.5
    assert limiter.take("a", 2.0, 3) is None  # one token back
    assert limiter.take("a", 2.0, 3) is not None
    clock.t += 3600
    # never more than the burst, however long the quiet
    assert [limiter.take("a", 2.0, 3) for _ in range(4)][-1] is not None


def test_a_refused_request_spends_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    limiter.take("a", 1.0, 1)
    for _ in range(10):
        assert limiter.take("a", 1.0, 1) is not None
    clock.t += 1.0
    assert limiter.take("a", 1.0, 1) is None


def test_the_buckets_stay_bounded_whatever_the_keys() -> None:
    clock = Clock()
    limiter = RateLimiter(clock)
    limits_max = limits.MAX_BUCKETS
    try:
        limits.MAX_BUCKETS = 10
        for i in range(25):
            limiter.take(("src", f"10.0.0.{i}"), 1.0, 5)
        assert len(limiter._buckets) <= 10
    finally:
        limits.MAX_BUCKETS = limits_max
