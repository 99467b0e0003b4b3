"""The `desk` benchmark: one tick of the desk's clock (steps, SLA marks, ETA notices,
closing after silence) over many open tickets in a real SQLite store, with the per-ticket
next-mark memory the daemon keeps against recomputing every ticket's calendar each tick
(the first tick after a start or a reload works that way)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Report, Row
from bridge.config import load_config
from bridge.core.priority import Priority
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.models import Actor, TicketSource
from bridge.store.tickets import NewTicket, create_ticket

TICKETS = 2_000
QUICK_TICKETS = 100
TICKS = 5
PEER = "recomputing every ticket each tick"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

_CONFIG = """[customers.acme]
name = "Acme"
[customers.acme.contract]
calendar = "office"
[calendars.office]
timezone = "Europe/Helsinki"
weekly = ["mon-fri 08:00-18:00"]
holidays = [2026-12-24]
"""


def _deployment(root: Path) -> Path:
    for folder in ("config", "probes", "rules"):
        (root / folder).mkdir()
    (root / "config" / "acme.toml").write_text(_CONFIG)
    (root / "bridge.toml").write_text('[storage]\nurl = "sqlite:///bench.db"\n')
    return root / "bridge.toml"


def _per_tick_s(db: Database, fresh: bool, desk: ContractDesk, start: datetime) -> float:
    t0 = time.perf_counter()
    for k in range(TICKS):
        run_clock(db.writer, ContractDesk(desk.config) if fresh else desk,
                  start + timedelta(seconds=2 * k))
    return (time.perf_counter() - t0) / TICKS


def run(*, quick: bool) -> Report:
    """Open TICKETS tickets, then time ticks with and without the next-mark memory."""
    tickets = QUICK_TICKETS if quick else TICKETS
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(_deployment(Path(tmp)))
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.migrate()
        desk = ContractDesk(config)
        for i in range(tickets):
            create_ticket(db.writer, NewTicket("acme", None, f"ticket {i}", Priority.P2,
                                               TicketSource.CUSTOMER, Actor.CUSTOMER, "bench"),
                          "INC", T0, desk)
        run_clock(db.writer, desk, T0)  # the first tick fires the opening steps
        warm = _per_tick_s(db, False, desk, T0 + timedelta(seconds=1))
        cold = _per_tick_s(db, True, desk, T0 + timedelta(seconds=1))
        db.dispose()
    rows = [Row("desk.tick", "s", warm, cold, PEER)]
    return Report(rows, [f"{tickets} open tickets on Helsinki office hours; the daemon ticks "
                         "every 2 s on the store's writer thread"])
