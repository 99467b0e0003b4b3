"""Maintenance windows made through the API and the portal: kept in the store, and put in
force in the rule engine as soon as they are added or ended."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from bridge.core.maintenance import MaintenanceRule
from bridge.store import Engine
from bridge.store.maintenance import WindowEnd, add_window, as_rule, current_windows, end_window
from bridge.store.models import MaintenanceWindowRow

log = logging.getLogger(__name__)
T = TypeVar("T")
Query = Callable[[Callable[[Engine], T]], Awaitable[T]]


class ApiWindows:
    """The stored windows, through the daemon's reader pool and writer thread."""

    def __init__(self, read: Query[list[MaintenanceWindowRow]], write: Query[object],
                 now: Callable[[], datetime],
                 put_in_force: Callable[[tuple[MaintenanceRule, ...]], None]) -> None:
        self._read, self._write, self._now = read, write, now
        self._put_in_force = put_in_force

    async def current(self) -> list[MaintenanceWindowRow]:
        """The windows that have not ended."""
        return await self._read(lambda e: current_windows(e, self._now()))

    async def add(self, row: MaintenanceWindowRow) -> int:
        """Store a window and put it in force at once."""
        window_id = await self._write(lambda e: add_window(e, row))
        assert isinstance(window_id, int)
        await self.refresh()
        log.info("maintenance window api-%d added by %s: %s to %s", window_id, row.created_by,
                 row.starts_at.isoformat(), row.ends_at.isoformat())
        return window_id

    async def end(self, window_id: int) -> WindowEnd | None:
        """Drop a window, or end it now if it is running; None if there is none to end."""
        ended = await self._write(lambda e: end_window(e, window_id, self._now()))
        assert ended is None or isinstance(ended, WindowEnd)
        await self.refresh()
        return ended

    async def refresh(self) -> None:
        """Put the stored windows in force (after a change, and at start)."""
        self._put_in_force(tuple(as_rule(r) for r in await self.current()))
