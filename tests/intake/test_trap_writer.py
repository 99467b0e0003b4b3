"""The trap writer (bridge/intake/traps.py) on a real store: a batch wakes the desk's counts
and outbox only when a ticket opened, reopened or resolved, as the webhooks' batches do; a
trap that only joins an open ticket adds to its timeline and wakes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.trap_work import Trap, v2c
from bridge.config import load_config
from bridge.config.model import Config
from bridge.intake.counters import IntakeCounters
from bridge.intake.trap_rules import AlertMemo
from bridge.intake.traps import _Hub, _Queued
from bridge.probes.snmp.notifications import decode_notification
from bridge.store import Database
from bridge.store.maintenance import add_window
from bridge.store.models import MaintenanceWindowRow
from bridge.store.tickets import QuietDesk
from tests.intake.test_traps import trap_deployment

T0 = datetime(2026, 12, 6, 9, tzinfo=UTC)
AGENT = "127.0.0.21"  # sw-1


class _Service:
    """The daemon's side of the seam: its config, its clock and its ticket writes, on a
    real store; what each write's `changed` said."""

    def __init__(self, config: Config, db: Database) -> None:
        self.config, self.db = config, db
        self.woke: list[bool] = []

    def current_config(self) -> Config:
        return self.config

    def now(self) -> datetime:
        return T0

    async def write_tickets(self, fn: Callable[..., Any], *,
                            changed: Callable[[Any], bool] | None = None) -> Any:
        outcomes = await asyncio.to_thread(fn, self.db.writer, QuietDesk(), T0, "INC")
        self.woke.append(changed is None or changed(outcomes))
        return outcomes


def _queued(hub: _Hub, config: Config, memo: AlertMemo, if_index: int,
            at: datetime = T0) -> _Queued:
    source = config.intake.sources["snmp"].traps
    assert source is not None
    trap = decode_notification(v2c(if_index, Trap(0, if_index, True)))
    found = memo.alert(source, trap, AGENT)
    assert found is not None
    return _Queued("snmp", found[1], at, None, None, None)  # type: ignore[arg-type]


def test_a_trap_that_joins_an_open_ticket_wakes_no_counts(db: Database, tmp_path: Path
                                                          ) -> None:
    config = load_config(trap_deployment(tmp_path, 1162))
    service = _Service(config, db)
    hub = _Hub(service, IntakeCounters(None))  # type: ignore[arg-type]
    memo = AlertMemo()

    async def take(if_index: int) -> list[str]:
        taken = await hub._take([_queued(hub, config, memo, if_index)])
        return [outcome.action for _queued_trap, outcome in taken]

    assert asyncio.run(take(1)) == ["opened"]
    assert asyncio.run(take(2)) == ["attached"]  # the switch's ticket takes its second link
    assert asyncio.run(take(2)) == ["unchanged"]
    assert service.woke == [True, False, False]


def _window_until(db: Database, tmp_path: Path, ends_at: datetime
                  ) -> Callable[..., Coroutine[Any, Any, list[str]]]:
    """sw-1 in an API maintenance window from an hour before T0 until `ends_at`; a batch
    taker: linkDowns (ifIndex, seconds after T0) in, their outcomes out."""
    config = load_config(trap_deployment(tmp_path, 1162))
    add_window(db.writer, MaintenanceWindowRow(
        devices=["sw-1"], starts_at=T0 - timedelta(hours=1), ends_at=ends_at,
        reason="a swap", created_by="ops", created_at=T0 - timedelta(hours=1)))
    hub = _Hub(_Service(config, db), IntakeCounters(None))  # type: ignore[arg-type]
    memo = AlertMemo()

    async def take(*traps: tuple[int, float]) -> list[str]:
        taken = await hub._take([_queued(hub, config, memo, if_index, T0 + timedelta(seconds=s))
                                 for if_index, s in traps])
        return [outcome.action for _queued_trap, outcome in taken]

    return take


def test_a_window_that_ends_within_a_batch_holds_only_the_traps_before_its_end(
        db: Database, tmp_path: Path) -> None:
    take = _window_until(db, tmp_path, T0 + timedelta(seconds=1))
    # port 1 down twice while the window is open, port 2 after its end: one batch
    assert asyncio.run(take((1, 0), (1, 0.5), (2, 2))) == ["held", "unchanged", "opened"]
    # port 1 again after the end: no longer held, it joins the switch's ticket
    assert asyncio.run(take((1, 3))) == ["attached"]
    assert asyncio.run(take((1, 4))) == ["unchanged"]


def test_a_trap_that_arrived_in_a_window_is_held_though_the_window_ended_before_its_batch(
        db: Database, tmp_path: Path) -> None:
    # A batch gathers traps for up to a second: the window ends while it does, and its
    # traps from before the end were still sent during the maintenance.
    take = _window_until(db, tmp_path, T0 - timedelta(seconds=0.5))
    # written at T0: port 1 went down 0.9 s before (in the window), port 2 0.1 s before
    assert asyncio.run(take((1, -0.9), (2, -0.1))) == ["held", "opened"]


def test_a_trap_gathered_when_the_traps_stop_is_written_not_dropped(
        db: Database, tmp_path: Path) -> None:
    config = load_config(trap_deployment(tmp_path, 1162))
    service = _Service(config, db)
    hub = _Hub(service, IntakeCounters(None))  # type: ignore[arg-type]

    async def stop_while_gathering() -> None:
        writer = asyncio.create_task(hub.write())
        hub.queue.put(_queued(hub, config, AlertMemo(), 1))
        await asyncio.sleep(0)  # the writer runs: it takes the trap and gathers more
        assert hub.busy
        hub.stopping.set()  # as serve_traps does at a stop
        await asyncio.wait_for(writer, timeout=30)

    asyncio.run(stop_while_gathering())
    assert service.woke == [True]  # its ticket opened
