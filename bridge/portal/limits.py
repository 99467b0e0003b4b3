"""Sign-in attempts: a few failures per user name and per client address, then a wait.

The failures are kept in the store (store/sign_in_failures.py) with their wall-clock time,
so every instance of the portal on one database counts them together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bridge.portal.service import PortalService
from bridge.store.sign_in_failures import add_failure, forget_failures, recent_failures


def _keys(name: str, address: str) -> tuple[str, str]:
    return f"name:{name.lower()}"[:200], f"addr:{address}"[:200]


class SignInLimiter:
    """Counts failed sign-ins in a sliding window, by name and by address."""

    def __init__(self, attempts: int, window_s: float, wall: Callable[[], float]) -> None:
        self._attempts = attempts
        self._window = timedelta(seconds=window_s)
        self._wall = wall

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._wall(), UTC)

    async def wait_s(self, service: PortalService, name: str, address: str) -> float:
        """How long these must wait before trying again; 0 when they may try now."""
        now, keys = self._now(), _keys(name, address)
        found = await service.read(lambda e: recent_failures(e, keys, now - self._window))
        waits = [(oldest + self._window - now).total_seconds()
                 for count, oldest in found.values() if count >= self._attempts]
        return max([0.0, *waits])

    async def failed(self, service: PortalService, name: str, address: str) -> None:
        """Count a failed sign-in against the name and the address."""
        now, keys = self._now(), _keys(name, address)
        await service.write(lambda e: add_failure(e, keys, now, now - self._window))

    async def succeeded(self, service: PortalService, name: str) -> None:
        """The person got in: their name's failures are forgotten (the address's stay)."""
        key = _keys(name, "")[0]
        await service.write(lambda e: forget_failures(e, key))
