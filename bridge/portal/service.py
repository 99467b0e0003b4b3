"""What the portal needs from the daemon, as a protocol (the daemon implements it)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Protocol, TypeVar

from aiohttp import web

from bridge.availability.windows import WindowTallies
from bridge.config.model import Config
from bridge.core.state import CheckKey, CheckState
from bridge.store import Engine
from bridge.store.maintenance import WindowEnd
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import Desk

T = TypeVar("T")


class LiveState(Protocol):
    """The checks' live state, as the daemon last saw it."""

    @property
    def states(self) -> Mapping[CheckKey, CheckState]: ...
    @property
    def monitoring_gap(self) -> bool: ...


class RollingWindows(Protocol):
    """The rolling windows of availability, as the daemon last computed them."""

    @property
    def windows(self) -> Mapping[str, WindowTallies]: ...
    @property
    def computed_at(self) -> datetime | None: ...


class PortalService(Protocol):
    """What the portal's pages need from the running daemon."""

    def current_config(self) -> Config: ...
    def now(self) -> datetime: ...
    def snapshot(self) -> LiveState: ...
    async def live_states(self, keys: Collection[CheckKey], values: bool = False
                          ) -> Mapping[CheckKey, CheckState]: ...
    def availability_latest(self) -> RollingWindows: ...
    async def read(self, fn: Callable[[Engine], T]) -> T: ...
    async def write(self, fn: Callable[[Engine], T]) -> T: ...
    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T]) -> T: ...
    async def maintenance_windows(self) -> list[MaintenanceWindowRow]: ...
    async def add_maintenance(self, row: MaintenanceWindowRow) -> int: ...
    async def end_maintenance(self, window_id: int) -> WindowEnd | None: ...


PORTAL_SERVICE = web.AppKey("portal_service", PortalService)


def service_of(request: web.Request) -> PortalService:
    """The daemon behind a page."""
    return request.config_dict[PORTAL_SERVICE]
