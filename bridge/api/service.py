"""What the HTTP layer needs from the daemon, as a protocol (the daemon implements it)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from aiohttp import web

from bridge.availability.windows import Latest
from bridge.config.model import ApiToken, Config
from bridge.core.state import CheckKey, CheckState
from bridge.store import Engine
from bridge.store.maintenance import WindowEnd
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import Desk

T = TypeVar("T")


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: the errors that kept the old config, if any."""

    ok: bool
    errors: tuple[str, ...] = ()


class LiveState(Protocol):
    """Live state at one moment: the config the engine runs and every check's state."""

    @property
    def config(self) -> Config: ...
    @property
    def states(self) -> Mapping[CheckKey, CheckState]: ...


class Service(Protocol):
    """What the HTTP layer needs from the daemon."""

    def snapshot(self) -> LiveState: ...
    async def live_states(self, keys: Collection[CheckKey], values: bool = False
                          ) -> Mapping[CheckKey, CheckState]: ...
    def availability_latest(self) -> Latest: ...
    def current_config(self) -> Config: ...
    def tokens(self) -> tuple[ApiToken, ...]: ...
    def metrics_public(self) -> bool: ...
    def readiness(self) -> list[str]: ...
    def readiness_notes(self) -> list[str]: ...
    def now(self) -> datetime: ...
    async def read(self, fn: Callable[[Engine], T]) -> T: ...
    async def write(self, fn: Callable[[Engine], T]) -> T: ...
    async def render_metrics(self) -> bytes: ...
    async def reload(self) -> ReloadResult: ...
    async def maintenance_windows(self) -> list[MaintenanceWindowRow]: ...
    async def add_maintenance(self, row: MaintenanceWindowRow) -> int: ...
    async def end_maintenance(self, window_id: int) -> WindowEnd | None: ...
    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T]) -> T: ...


SERVICE = web.AppKey("service", Service)


def service_of(request: web.Request) -> Service:
    """The daemon behind a request."""
    return request.app[SERVICE]
