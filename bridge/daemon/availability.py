"""Keeps availability current in a running daemon: rolling windows, rolled-up days, retention.

The windows are computed in a process of their own (availability_worker.py: their CPU
would hold the event loop through the GIL from a thread); the rollups read the store on
the reader threads and every write goes through the one writer, so the event loop only
schedules. The windows are recomputed every `availability.refresh_s`, and soon after a
batch with hard changes or gaps is committed; metrics and the API read the latest result,
never the store, at scrape time.

With several instances only the leader keeps its windows current all the time (its
/metrics exports them for the fleet); another instance computes them only while its API or
portal asks for them, and stops its availability process when they have not been asked
for a while: that process holds every device's windows, as much memory as the daemon.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from bridge.aio import wait_or_timeout
from bridge.availability.inputs import Inventory
from bridge.availability.rollup_job import batches, expire, measure_days, plan, store_day
from bridge.availability.windows import Latest
from bridge.config.model import Config
from bridge.daemon.availability_worker import WindowsProcess
from bridge.store import Engine
from bridge.store.heartbeat import BEAT_S, beat

log = logging.getLogger(__name__)
T = TypeVar("T")

_SETTLE_S = 5.0  # after a committed change, wait this long for more before recomputing
_ROLLUP_EVERY_S = 300.0
_EXPIRE_EVERY_S = 86400.0
_ASKED_FOR_S = 900.0  # a non-leader keeps its windows current this long after an ask


class StoreAccess(Protocol):
    """Where the keeper's work runs: reads on the reader pool, writes on the one writer."""

    async def read(self, fn: Callable[[Engine], T]) -> T: ...
    async def write(self, fn: Callable[[Engine], T]) -> T: ...


class AvailabilityKeeper:
    """Owns the availability work of one daemon; `run` is its task."""

    def __init__(self, config: Callable[[], Config], store: StoreAccess,
                 name: str = "bridge",
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._config = config
        self._clock = clock  # the daemon's desk time (daemon/clock.py)
        self._store = store
        self._name = name
        self._changed = asyncio.Event()
        self.latest = Latest()
        self.windows = WindowsProcess()
        self._inventory: Inventory | None = None  # of the config last seen, for rollups
        self.days_rolled_total = 0
        self.failures_total = 0
        self._asked_at: float | None = None  # monotonic: the API or portal read the windows
        self._refreshed_at: float | None = None  # monotonic, when following

    def changed(self) -> None:
        """History was committed: recompute soon."""
        self._changed.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh, roll up, expire and beat until `stop` is set.

        The windows are refreshed at least each `refresh_s`, at every heartbeat, and a few
        seconds after a committed change: a refresh moves their edges (availability/sliding.py),
        a small part of computing them from scratch (a second of CPU at 10,000 devices),
        which it does only when something moved that sliding cannot follow (a reload, a
        day rolled up, ...).
        """
        try:
            await self._run(stop)
        finally:  # the daemon stops, or another instance leads: it may lead again later
            self._refreshed_at = None
            await asyncio.to_thread(self.windows.stop)

    def asked(self) -> Latest:
        """The latest windows, for the API and the portal (which keeps a non-leader's
        windows current for a while)."""
        self._asked_at = time.monotonic()
        return self.latest

    async def follow(self) -> None:
        """Not the leader: refresh the windows each `refresh_s` while they are asked for;
        when they have not been for a while, drop them and stop the availability process.
        Call it often: the first ask is answered "being computed" until it has run."""
        now_s = time.monotonic()
        if self._asked_at is None or now_s - self._asked_at > _ASKED_FOR_S:
            if self.latest.computed_at is not None or self.windows.pid is not None:
                log.info("availability: windows not asked for in %.0f s; availability "
                         "process stopped (the leader's keeps them)", _ASKED_FOR_S)
                self.latest, self._refreshed_at = Latest(), None
                await asyncio.to_thread(self.windows.stop)
            return
        refresh_s = self._config().main.availability.refresh_s
        if self._refreshed_at is None or now_s - self._refreshed_at >= refresh_s:
            self._refreshed_at = now_s
            await self.refresh()

    async def _run(self, stop: asyncio.Event) -> None:
        next_rollup = next_expire = next_beat = 0.0
        while not stop.is_set():
            now_s = time.monotonic()
            if now_s >= next_beat:
                next_beat = now_s + BEAT_S
                await self._step("heartbeat", self._beat())
            next_all = now_s + self._config().main.availability.refresh_s
            await self._step("refresh", self.refresh())
            if now_s >= next_rollup:
                next_rollup = now_s + _ROLLUP_EVERY_S
                await self._step("rollup", self._roll_up())
            if now_s >= next_expire:
                next_expire = now_s + _EXPIRE_EVERY_S
                await self._step("expire", self._expire())
            await self._wait(stop, min(next_beat, next_all) - time.monotonic())

    async def _wait(self, stop: asyncio.Event, timeout_s: float) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._changed.wait())]
        try:
            await asyncio.wait(waiters, timeout=max(timeout_s, 0.0),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._changed.is_set() and not stop.is_set():
            # A burst of changes is one recomputation, and they come no more often than this.
            await wait_or_timeout(stop, _SETTLE_S)
            self._changed.clear()

    async def _step(self, what: str, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as exc:  # the store may be down: try again next time
            self.failures_total += 1
            log.warning("availability %s failed: %s", what, exc)

    def _inventory_of(self, config: Config) -> Inventory:
        """The config as availability reads it, worked out once per config (in a reader: it
        takes a while at 10,000 devices)."""
        if self._inventory is None or self._inventory.config is not config:
            self._inventory = Inventory.of(config)
        return self._inventory

    async def refresh(self) -> None:
        """Bring the rolling windows up to now."""
        config, now, began = self._config(), self._clock(), time.perf_counter()
        windows = await asyncio.to_thread(self.windows.refresh, config, now)
        self.latest = Latest(windows, now, time.perf_counter() - began)

    async def _roll_up(self) -> None:
        config, now = self._config(), self._clock()
        items = await self._store.read(lambda e: plan(e, config, now))
        inventory = await self._store.read(lambda _: self._inventory_of(config))
        for batch in batches(items):  # a week at a time: readers and writer stay available
            measured = await self._store.read(
                partial(measure_days, inventory=inventory, batch=batch, now=now))
            for item, day in zip(batch, measured, strict=True):
                await self._store.write(partial(store_day, item=item, measured=day, now=now))
                self.days_rolled_total += 1
        if items:
            log.info("availability: rolled up %d customer days up to %s", len(items),
                     items[-1].day.day.isoformat())

    async def _expire(self) -> None:
        config, now = self._config(), self._clock()
        deleted = await self._store.write(lambda e: expire(e, config.main.availability, now))
        if any(deleted.values()):
            log.info("availability: expired %s", ", ".join(
                f"{n} {table}" for table, n in deleted.items() if n))

    async def _beat(self) -> None:
        now = self._clock()
        await self._store.write(lambda e: beat(e, self._name, now))


