"""The portal on a real store, behind aiohttp's test client: a service over the store (the
seam the daemon fills), accounts, clocks the tests move, and a browser-like client that
keeps its cookie and sends each form with the CSRF token its page gave it."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from bridge.availability.windows import WindowTallies
from bridge.config import load_config
from bridge.config.main_file import Role
from bridge.config.model import Config
from bridge.config.portal import PortalSection
from bridge.core.state import CheckKey, CheckState
from bridge.desk.contract import ContractDesk
from bridge.portal.app import build_portal
from bridge.portal.passwords import hash_password
from bridge.store import Database, Engine
from bridge.store.maintenance import WindowEnd, add_window, current_windows, end_window
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import Desk
from bridge.store.users import add_user
from tests.desk.test_clock import CHAIN, CONTRACT, NOTIFICATIONS
from tests.kits.daemon import write_deployment

T = TypeVar("T")
PASSWORD = "correct horse battery"
SECRET = "a session key for the tests, long enough"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# other's contract is in Persian, its users read right to left
OTHER = '\n[customers.other.contract]\nlanguage = "fa"\n'


@dataclass
class Windows:
    """What the daemon's availability keeper last computed (set by a test)."""

    windows: dict[str, WindowTallies] = field(default_factory=dict)
    computed_at: datetime | None = None


@dataclass
class Live:
    """What the daemon's snapshot gives the portal."""

    states: Mapping[CheckKey, CheckState] = field(default_factory=dict)
    monitoring_gap: bool = False


class StoreService:
    """The portal's service over a real store, without the daemon's tasks."""

    def __init__(self, config: Config, db: Database) -> None:
        self.config = config
        self.db = db
        self.desk: Desk = ContractDesk(config)
        self.clock = datetime.now(UTC)
        self.latest = Windows()

    def current_config(self) -> Config:
        return self.config

    def now(self) -> datetime:
        return self.clock

    def snapshot(self) -> Live:
        return Live()

    async def live_states(self, keys: Collection[CheckKey], values: bool = False
                          ) -> dict[CheckKey, CheckState]:
        return {}

    def availability_latest(self) -> Windows:
        return self.latest

    async def read(self, fn: Callable[[Engine], T]) -> T:
        return fn(self.db.reader)

    async def write(self, fn: Callable[[Engine], T]) -> T:
        return fn(self.db.writer)

    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T]) -> T:
        return fn(self.db.writer, self.desk, self.now(), "INC")

    async def maintenance_windows(self) -> list[MaintenanceWindowRow]:
        return current_windows(self.db.reader, self.now())

    async def add_maintenance(self, row: MaintenanceWindowRow) -> int:
        return add_window(self.db.writer, row)

    async def end_maintenance(self, window_id: int) -> WindowEnd | None:
        return end_window(self.db.writer, window_id, self.now())


def deployment(root: Path) -> Config:
    """acme (a contract, a chain) and other (Persian), a device of each."""
    path = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(CONTRACT + OTHER)
    (root / "rules" / "chains.toml").write_text(CHAIN)
    with path.open("a") as f:
        f.write(NOTIFICATIONS)
    return load_config(path)


class Clocks:
    """The wall clock of sessions and sign-in limits, moved by tests."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds


def add_people(db: Database) -> None:
    """An operator, a user of acme's and one of other's, all with PASSWORD."""
    hashed = hash_password(PASSWORD)
    now = datetime.now(UTC)
    add_user(db.writer, "olga", "Olga Operator", Role.OPERATOR, None, hashed, now)
    add_user(db.writer, "ann", "Ann Acme", Role.CUSTOMER, "acme", hashed, now)
    add_user(db.writer, "omid", "Omid Other", Role.CUSTOMER, "other", hashed, now)


def portal_app(service: StoreService, clocks: Clocks,
               settings: PortalSection | None = None,
               link_key: bytes | None = None) -> web.Application:
    """The portal mounted at /portal/, as the daemon mounts it."""
    root = web.Application()
    root.add_subapp("/portal/", build_portal(service, settings or PortalSection(), SECRET,
                                             wall=lambda: clocks.wall,
                                             link_key=link_key))
    return root


class Person:
    """A browser of one person: its own cookie jar, the CSRF token of the last page it read."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.http = ClientSession(base_url=server.make_url(""),
                                  cookie_jar=CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def page(self, path: str) -> tuple[int, str]:
        async with self.http.get(path, allow_redirects=False) as response:
            text = await response.text()
        if found := CSRF.search(text):
            self.csrf = found.group(1)
        return response.status, text

    async def post(self, path: str, form: dict[str, str], *, token: bool = True,
                   headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, body, Location) of a form sent as a browser sends it."""
        data = {**form, **({"csrf_token": self.csrf} if token else {})}
        async with self.http.post(path, data=data, allow_redirects=False,
                                  headers=headers or {}) as response:
            return response.status, await response.text(), response.headers.get("Location", "")

    async def sign_in(self, name: str, password: str = PASSWORD) -> tuple[int, str, str]:
        await self.page("/portal/sign-in")
        return await self.post("/portal/sign-in", {"name": name, "password": password})
