"""Rate limits on what a source may send: a token bucket per source, and for HTTP per
source and client address, on the monotonic clock (a wall clock's jump never refills or
drains a bucket).

A bucket holds at most `burst` tokens and gains `rate_per_s` a second; each request (HTTP)
or datagram (SNMP trap) takes one. Over the limit, HTTP answers 429 with Retry-After and
traps are dropped; nothing over the limit reaches the store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

# Buckets kept at most (client addresses are the sender's choice); beyond, the full ones go.
MAX_BUCKETS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by key, each with the rate and burst its caller passes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}

    def take(self, key: Hashable, rate_per_s: float, burst: int) -> float | None:
        """None if `key` may go on (one token taken), else the seconds until it may."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now, rate_per_s, burst)
            bucket = self._buckets[key] = _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * rate_per_s)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate_per_s

    def _forget_full(self, now: float, rate_per_s: float, burst: int) -> None:
        """Drop the buckets that are full again (forgetting them changes nothing), or, if
        none is, all of them (a flood of addresses must not grow this without bound)."""
        full = [k for k, b in self._buckets.items()
                if b.tokens + (now - b.at) * rate_per_s >= burst]
        for key in full or list(self._buckets):
            del self._buckets[key]


def retry_after(wait_s: float) -> str:
    """Retry-After's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait_s)))
