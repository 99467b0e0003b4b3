"""Where a check keeps the interfaces it learned (`learn = true`): a seam the daemon fills.

A learning check judges only the ports that were up when it first saw them, as
Zabbix-style discovery does; the set must outlive a restart, so the daemon stores it
(bridge/store/learned.py). Forgetting it makes the next poll learn again.
"""

from __future__ import annotations

from typing import Protocol

CheckId = tuple[str, str]  # device, probe


class LearnedPorts(Protocol):
    """The learned interface names of each check."""

    async def load(self, check_id: CheckId) -> frozenset[str] | None:
        """The names learned, or None: learn on this poll."""

    async def save(self, check_id: CheckId, names: frozenset[str]) -> None:
        """Keep the names learned on this poll."""


class RememberedPorts:
    """Learned names kept in memory only (tests, and a daemon without a store)."""

    def __init__(self) -> None:
        self._names: dict[CheckId, frozenset[str]] = {}

    async def load(self, check_id: CheckId) -> frozenset[str] | None:
        """The names learned, or None."""
        return self._names.get(check_id)

    async def save(self, check_id: CheckId, names: frozenset[str]) -> None:
        """Keep them."""
        self._names[check_id] = names

    def forget(self, check_id: CheckId) -> None:
        """Learn again on the next poll."""
        self._names.pop(check_id, None)
