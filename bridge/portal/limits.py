"""Sign-in attempts: a few failures per user name and per client address, then a wait."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

_MAX_KEYS = 100_000  # a flood of names or addresses costs bounded memory


class SignInLimiter:
    """Counts failed sign-ins in a sliding window, by name and by address."""

    def __init__(self, attempts: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and found[0] <= now - self._window_s:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def wait_s(self, name: str, address: str) -> float:
        """How long these must wait before trying again; 0 when they may try now."""
        now = self._clock()
        wait = 0.0
        for key in (f"name:{name.lower()}", f"addr:{address}"):
            recent = self._recent(key, now)
            if len(recent) >= self._attempts:
                wait = max(wait, recent[0] + self._window_s - now)
        return wait

    def failed(self, name: str, address: str) -> None:
        """Count a failed sign-in against the name and the address."""
        now = self._clock()
        if len(self._failures) >= _MAX_KEYS:
            for key in list(self._failures):
                self._recent(key, now)
        for key in (f"name:{name.lower()}", f"addr:{address}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        """The person got in: their name's failures are forgotten (the address's stay)."""
        self._failures.pop(f"name:{name.lower()}", None)
