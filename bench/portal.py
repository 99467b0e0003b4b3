"""The `portal` benchmark: the server's time for the desk's queue page with 2,000 open
tickets, and for a customer's availability page with 500 devices, each against the JSON API
answering the same data in the same run (the API pages by 1,000: two requests). Both are
served by one aiohttp application as the daemon serves them, over a real SQLite store, and
timed from a client on loopback, page and API in turn: the median and the 95th percentile of
30 requests, in ms, and whether the goals are met (each page within 2x the API, the queue
page under 100 ms, both at the median)."""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
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
from bridge.core.state import CheckKey, CheckState
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
REQUESTS = 30
QUEUE_GOAL_MS = 100.0
API_FACTOR_GOAL = 2.0
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

    async def live_states(self, keys: Collection[CheckKey], values: bool = False
                          ) -> dict[CheckKey, CheckState]:
        return {}

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


@dataclass(frozen=True)
class Timing:
    """One answer's server time seen from the client: median and 95th percentile, in ms."""

    p50_ms: float
    p95_ms: float


Answer = tuple[ClientSession, list[str], dict[str, str]]  # who fetches which paths, how


async def _timings(answers: list[Answer]) -> list[Timing]:
    """The time of each answer (fetching all of its paths), the answers taken in turn in
    every round so that whatever else the machine does falls on both sides alike; after two
    warm-up rounds."""
    times_ms: list[list[float]] = [[] for _ in answers]
    for attempt in range(REQUESTS + 2):
        for (http, paths, headers), mine in zip(answers, times_ms, strict=True):
            t0 = time.perf_counter()
            for path in paths:
                async with http.get(path, headers=headers) as response:
                    assert response.status == 200, (path, response.status)
                    await response.read()
            if attempt >= 2:
                mine.append((time.perf_counter() - t0) * 1000)
    return [Timing(statistics.median(t), statistics.quantiles(t, n=20)[-1]) for t in times_ms]


async def _signed_in(http: ClientSession, name: str) -> None:
    async with http.get("/portal/sign-in") as response:
        found = re.search(r'name="csrf_token" value="([^"]+)"', await response.text())
    assert found is not None
    async with http.post("/portal/sign-in", data={"name": name, "password": PASSWORD,
                                                  "csrf_token": found.group(1)}) as response:
        assert response.status == 200, response.status  # followed to the start page


async def _measure(service: _Service, tickets: int) -> tuple[Timing, Timing, Timing, Timing]:
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
            queue, queue_api = await _timings([(olga, ["/portal/desk/queue"], {}),
                                               (olga, pages, api)])
            devices, devices_api = await _timings([
                (ann, ["/portal/availability"], {}),
                (olga, ["/api/v1/availability?customer=acme"], api)])
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
    rows = [*_rows("portal.queue_page", queue, queue_api, "the JSON API, same tickets"),
            *_rows("portal.availability_page", devices, devices_api,
                   "the JSON API, same devices")]
    return Report(rows, [f"{tickets} open tickets, {len(config.devices)} devices; median and "
                         f"95th percentile of {REQUESTS} requests",
                         *_goals(queue, queue_api, devices, devices_api)])


def _rows(name: str, page: Timing, api: Timing, peer_name: str) -> list[Row]:
    return [Row(name, "ms", page.p50_ms, api.p50_ms, peer_name),
            Row(f"{name}_p95", "ms", page.p95_ms, api.p95_ms, peer_name)]


def _goals(queue: Timing, queue_api: Timing, devices: Timing, devices_api: Timing) -> list[str]:
    """One line per goal, met or a WARNING (at the median)."""
    goals = [(queue.p50_ms < QUEUE_GOAL_MS,
              f"the queue page in {queue.p50_ms:.1f} ms, goal under {QUEUE_GOAL_MS:.0f} ms"),
             *((page.p50_ms <= API_FACTOR_GOAL * api.p50_ms,
                f"the {what} page at {page.p50_ms / api.p50_ms:.2f}x the API "
                f"({page.p50_ms:.1f} against {api.p50_ms:.1f} ms), goal within "
                f"{API_FACTOR_GOAL:.0f}x")
               for what, page, api in (("queue", queue, queue_api),
                                       ("availability", devices, devices_api)))]
    return [f"goal met: {text}" if met else f"WARNING: goal missed: {text}"
            for met, text in goals]
