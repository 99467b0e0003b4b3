"""The learned interfaces of SNMP checks, kept in the store (the probe's LearnedPorts seam).

Read from the store at every poll of a learning check (one primary-key lookup), so that
`bridge probe DEVICE --learn` or the API's learn action takes effect at the next poll.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from bridge.probes.snmp.learned import CheckId
from bridge.store import Engine
from bridge.store.learned import load_learned, save_learned

StoreCall = Callable[[Callable[[Engine], Any]], Awaitable[Any]]


class StoredPorts:
    """LearnedPorts on the store: `read` and `write` run a function with an engine."""

    def __init__(self, read: StoreCall, write: StoreCall) -> None:
        self._read = read
        self._write = write

    async def load(self, check_id: CheckId) -> frozenset[str] | None:
        """The names learned, or None."""
        names: frozenset[str] | None = await self._read(
            lambda engine: load_learned(engine, *check_id))
        return names

    async def save(self, check_id: CheckId, names: frozenset[str]) -> None:
        """Keep them, with when."""
        now = datetime.now(UTC)
        await self._write(lambda engine: save_learned(engine, *check_id, names, now))
