"""The service desk's tasks in the daemon: the contract desk of the running config, its clock,
the outbox worker that delivers what it writes, and their metrics.

The daemon owns one DeskTasks; a reload hands it the new config, ticket writes tell it
that something changed (so the worker looks at the outbox at once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from prometheus_client import CollectorRegistry

from bridge.aio import wait_or_timeout
from bridge.config.model import Config
from bridge.daemon.desk_metrics import DeskCollector, DeskDurations
from bridge.daemon.mail_links import link_key
from bridge.daemon.outbox_metrics import register_outbox_metrics
from bridge.daemon.outbox_worker import OutboxWorker, RunDb
from bridge.desk.clock import run_clock, tick_wanted
from bridge.desk.contract import ContractDesk
from bridge.desk.counters import DeskCounters
from bridge.notify.templates import TemplateSets
from bridge.store.reads import sla_at_risk_counts

log = logging.getLogger(__name__)

_TICK_S = 2.0


class DeskTasks:
    """Owns the desk, its clock task and the outbox worker."""

    def __init__(self, config: Config, registry: CollectorRegistry,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = clock  # desk time: a wall-clock step neither ages nor stops SLA clocks
        self._counters = DeskCounters()
        self._templates = TemplateSets()
        self.desk = ContractDesk(config, self._counters, self._templates,
                                 link_key(config))
        self._at_risk: dict[str, int] = {}
        self._registry = registry
        registry.register(DeskCollector(self._counters, lambda: self._at_risk))
        self._durations = DeskDurations(registry)
        self._outbox: OutboxWorker | None = None
        self._stirred = True  # tickets changed since the clock's last tick (perhaps)

    def apply_config(self, config: Config) -> None:
        """A reload: the next ticket write and tick run under the new contracts."""
        self.desk = ContractDesk(config, self._counters, self._templates,
                                 link_key(config))

    def changed(self) -> None:
        """Ticket rows changed: observe the recorded durations, wake the outbox worker, and
        have the clock tick."""
        self._stirred = True
        self._durations.drain(self._counters)
        if self._outbox is not None:
            self._outbox.wake()

    async def refresh_at_risk(self, read: RunDb) -> None:
        """Recount the open tickets past an SLA warning (for the metric)."""
        self._at_risk = await read(sla_at_risk_counts)

    def start(self, write: RunDb, stop: asyncio.Event,
              config: Callable[[], Config], on_change: Callable[[], None],
              leader: Callable[[], bool] = lambda: True) -> list[asyncio.Task[None]]:
        """The clock and the outbox worker, as tasks the daemon owns. The clock ticks only
        while `leader()`: one instance of several fires each step (the outbox worker runs
        on all, claiming rows with FOR UPDATE SKIP LOCKED)."""
        self._outbox = OutboxWorker(write, config, clock=self._now,
                                    templates_for=lambda c: self.desk.templates_for(c))
        register_outbox_metrics(self._registry, self._outbox, self._now)
        return [asyncio.create_task(self._clock(write, stop, on_change, leader),
                                    name="desk clock"),
                asyncio.create_task(self._outbox.run(stop), name="outbox")]

    async def _clock(self, write: RunDb, stop: asyncio.Event,
                     on_change: Callable[[], None], leader: Callable[[], bool]) -> None:
        """Escalation steps, SLA marks, ETA notices and closing after silence, as they fall
        due; the first tick after a start catches up on whatever fell due while stopped."""
        while not stop.is_set():
            if not leader():
                await wait_or_timeout(stop, _TICK_S)
                continue
            desk, now = self.desk, self._now()
            # A tick is skipped while the last one was quiet and nothing changed since:
            # idle, the writer's thread ran a transaction every 2 s to find nothing due.
            if self._stirred or tick_wanted(desk, now):
                self._stirred = False
                try:
                    done = await write(partial(run_clock, desk=desk, now=now))
                except Exception as exc:  # the store is down: try again at the next tick
                    log.warning("desk clock: store unavailable, will retry: %s", exc)
                    done = 0
                if done:
                    on_change()
            await wait_or_timeout(stop, _TICK_S)
