"""What the intake needs from the daemon, as a protocol (the daemon implements it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from bridge.config.model import Config
from bridge.store import Engine
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import Desk

T = TypeVar("T")


class IntakeService(Protocol):
    """The running config, the desk's clock, the API's maintenance windows, reads, ticket
    writes."""

    def current_config(self) -> Config: ...
    def now(self) -> datetime: ...
    async def maintenance_windows(self) -> list[MaintenanceWindowRow]: ...
    async def read(self, fn: Callable[[Engine], T]) -> T: ...
    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T], *,
                            changed: Callable[[T], bool] | None = None) -> T:
        """Run `fn` as a ticket write; `changed` says whether its result touched a ticket
        (none: the desk's counts and outbox are not woken for it)."""
        ...
