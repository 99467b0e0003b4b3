"""The `portal` benchmark: the server's time for the desk's queue page with 2,000 open
tickets, and for a customer's availability page with 500 devices, each against the JSON API
answering the same data in the same run (the API pages by 1,000: two requests). Both are
served by one aiohttp application as the daemon serves them, over a real SQLite store, and
timed from a client on loopback (the median of several requests)."""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from aiohttp import ClientSession, CookieJar, web

from bench.common import Report, Row
from bridge.api.routes import build_app
from bridge.api.service import ReloadResult
from bridge.availability.windows import Latest, WindowTallies
from bridge.config import load_config
from bridge.config.main_file import Role
from bridge.config.model import ApiToken, Config
from bridge.config.portal import PortalSection
from bridge.core.availability import Tally
from bridge.core.priority import Priority
from bridge.core.secret import Secret
from bridge.daemon.monitor import Snapshot
from bridge.desk.contract import ContractDesk
from bridge.portal.app import build_portal
from bridge.portal.passwords import hash_password
from bridge.store import Database, Engine
from bridge.store.maintenance import WindowEnd
from bridge.store.models import Actor, MaintenanceWindowRow, TicketSource
from bridge.store.tickets import Desk, NewTicket, create_ticket
from bridge.store.users import add_user

T = TypeVar("T")
TICKETS, QUICK_TICKETS = 2_000, 200
DEVICES, QUICK_DEVICES = 500, 50
REQUESTS = 15
TOKEN = "bench-operator-token"
PASSWORD = "bench password, long enough"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class _Service:
    """The daemon's side of the API and the portal, over a store, without its tasks."""

    def __init__(self, config: Config, db: Database, now: datetime) -> None:
        self.config, self.db, self.clock = config, db, now
        self.desk: Desk = ContractDesk(config)
        day = WindowTallies(now - timedelta(days=1), now, {
            d: Tally(counted_s=86400, down_s=float(i % 7)) for i, d in enumerate(config.devices)})
        self.latest = Latest({"1d": day, "7d": day, "30d": day}, now)

    def snapshot(self) -> Snapshot:
        return Snapshot(self.config, {}, {})

    def availability_latest(self) -> Latest:
        return self.latest

    def current_config(self) -> Config:
        return self.config

    def tokens(self) -> tuple[ApiToken, ...]:
        return (ApiToken("bench", Role.OPERATOR, Secret(TOKEN), None),)

    def metrics_public(self) -> bool:
        return True

    def readiness(self) -> list[str]:
        return []

    def readiness_notes(self) -> list[str]:
        return []

    def now(self) -> datetime:
        return self.clock

    async def read(self, fn: Callable[[Engine], T]) -> T:
        return await asyncio.to_thread(fn, self.db.reader)

    async def write(self, fn: Callable[[Engine], T]) -> T:
        return fn(self.db.writer)

    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T]) -> T:
        return fn(self.db.writer, self.desk, self.clock, "INC")

    async def render_metrics(self) -> bytes:
        return b""

    async def reload(self) -> ReloadResult:
        return ReloadResult(True)

    async def maintenance_windows(self) -> list[MaintenanceWindowRow]:
        return []

    async def add_maintenance(self, row: MaintenanceWindowRow) -> int:
        raise NotImplementedError

    async def end_maintenance(self, window_id: int) -> WindowEnd | None:
        return None


def _deployment(root: Path, devices: int) -> Config:
    for folder in ("config", "probes", "rules"):
        (root / folder).mkdir()
    inventory = '[customers.acme]\nname = "Acme"\n'
    inventory += "".join(f'\n[devices.dev-{i:04d}]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
                         f'probes = ["ping"]\n' for i in range(devices))
    (root / "config" / "acme.toml").write_text(inventory)
    (root / "probes" / "ping.toml").write_text(
        '[probes.ping]\nkind = "icmp"\ninterval_s = 60\ntimeout_s = 1\n')
    (root / "bridge.toml").write_text('[storage]\nurl = "sqlite:///bench.db"\n')
    return load_config(root / "bridge.toml")


async def _median_s(http: ClientSession, paths: list[str], headers: dict[str, str]) -> float:
    """The median time of fetching all of `paths` (one answer's data), after a warm-up."""
    times = []
    for attempt in range(REQUESTS + 2):
        t0 = time.perf_counter()
        for path in paths:
            async with http.get(path, headers=headers) as response:
                assert response.status == 200, (path, response.status)
                await response.read()
        if attempt >= 2:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def _signed_in(http: ClientSession, name: str) -> None:
    async with http.get("/portal/sign-in") as response:
        found = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    assert found is not None
    async with http.post("/portal/sign-in", data={"name": name, "password": PASSWORD,
                                                  "csrf_token": found.group(1)}) as response:
        assert response.status == 200, response.status  # followed to the start page


async def _measure(service: _Service, tickets: int) -> tuple[float, float, float, float]:
    app = build_app(service)
    app.add_subapp("/portal/", build_portal(service, PortalSection(), "bench session key"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    api = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with ClientSession(base, cookie_jar=CookieJar(unsafe=True)) as olga, \
                ClientSession(base, cookie_jar=CookieJar(unsafe=True)) as ann:
            await _signed_in(olga, "olga")
            await _signed_in(ann, "ann")
            pages = [f"/api/v1/incidents?status=open&limit=1000&offset={o}"
                     for o in range(0, tickets, 1000)]
            queue = await _median_s(olga, ["/portal/desk/queue"], {})
            queue_api = await _median_s(olga, pages, api)
            devices = await _median_s(ann, ["/portal/availability"], {})
            devices_api = await _median_s(olga, ["/api/v1/availability?customer=acme"], api)
    finally:
        await runner.cleanup()
    return queue, queue_api, devices, devices_api


def run(*, quick: bool) -> Report:
    """Open the tickets, add the people, then time both pages against the API."""
    tickets = QUICK_TICKETS if quick else TICKETS
    with tempfile.TemporaryDirectory() as tmp:
        config = _deployment(Path(tmp), QUICK_DEVICES if quick else DEVICES)
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.migrate()
        service = _Service(config, db, T0 + timedelta(minutes=5))
        desk = ContractDesk(config)
        for i in range(tickets):
            create_ticket(db.writer, NewTicket(
                "acme", f"dev-{i % len(config.devices):04d}", f"ticket {i}", Priority.P2,
                TicketSource.CUSTOMER, Actor.CUSTOMER, "bench"), "INC", T0, desk)
        hashed = hash_password(PASSWORD)
        add_user(db.writer, "olga", "Olga", Role.OPERATOR, None, hashed, T0)
        add_user(db.writer, "ann", "Ann", Role.CUSTOMER, "acme", hashed, T0)
        queue, queue_api, devices, devices_api = asyncio.run(_measure(service, tickets))
        db.dispose()
    return Report([Row("portal.queue_page", "s", queue, queue_api, "the JSON API, same tickets"),
                   Row("portal.availability_page", "s", devices, devices_api,
                       "the JSON API, same devices")],
                  [f"{tickets} open tickets, {len(config.devices)} devices; goal: each page "
                   "within 2x the API, the queue page under 100 ms"])
