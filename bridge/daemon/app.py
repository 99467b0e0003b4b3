"""The daemon: builds every part, owns every task, starts and stops them in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from prometheus_client import CollectorRegistry

from bridge.aio import Coalesced, wait_or_timeout
from bridge.api.service import ReloadResult
from bridge.availability.windows import Latest
from bridge.config import ConfigErrors, load_config
from bridge.config.model import ApiToken, Config, Listen
from bridge.core.maintenance import MaintenanceRule
from bridge.core.state import CheckKey, CheckState
from bridge.daemon import heap
from bridge.daemon.api_windows import ApiWindows
from bridge.daemon.availability import AvailabilityKeeper
from bridge.daemon.checks import CheckRunner, owned_plans
from bridge.daemon.clock import DeskTime
from bridge.daemon.desk_tasks import DeskTasks
from bridge.daemon.fleet import FleetView
from bridge.daemon.leader_work import leader_tasks
from bridge.daemon.learned_ports import StoredPorts
from bridge.daemon.loop_lag import hand_the_loop_the_gil_quickly, watch_loop_lag
from bridge.daemon.metrics import DaemonMetrics, Exposition, health_values
from bridge.daemon.monitor import Monitor, Snapshot
from bridge.daemon.restore import Handover, restore_engine
from bridge.daemon.scheduler import CheckScheduler, Plan
from bridge.daemon.shards import ShardKeeper
from bridge.daemon.systemd import Notifier
from bridge.daemon.web import serve_web
from bridge.intake import start_intake
from bridge.notify.templates import TemplateCatalog
from bridge.probes.registry import Probers
from bridge.store import BatchWriter, Database, Engine
from bridge.store.heartbeat import record_silence
from bridge.store.incidents import Outcome
from bridge.store.maintenance import WindowEnd
from bridge.store.models import MaintenanceWindowRow
from bridge.store.reads import open_incident_counts
from bridge.store.tickets import Desk

log = logging.getLogger(__name__)
T = TypeVar("T")

_COUNTS_REFRESH_S = 30.0
_TICK_S = 1.0


class Daemon:
    """One running bridge."""

    def __init__(
        self,
        config: Config,
        *,
        db_url: str | None = None,
        listen: Listen | None = None,
        notifier: Notifier | None = None,
        registry: CollectorRegistry | None = None,
        probers: Probers | None = None,
    ) -> None:
        self._db_override = db_url  # --db: every part (the availability process too) reads it
        self.config = replace(config, storage_url=db_url) if db_url else config
        self._db_url = self.config.storage_url
        self._listen = listen or config.listen
        self._notifier = notifier or Notifier()
        self._metrics = DaemonMetrics(registry or CollectorRegistry())
        self.clock = DeskTime()  # "now" for every timestamp; pacing is monotonic
        self._probers = probers or Probers(learned=StoredPorts(self.read, self.write))
        self._stop = asyncio.Event()
        self._reload_requested = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="store-reader")
        self._db: Database | None = None
        self._writer: BatchWriter | None = None
        self._monitor: Monitor | None = None
        self._scheduler: CheckScheduler | None = None
        self.availability = AvailabilityKeeper(self.current_config, self, clock=self.clock.now)
        self._counts_seq = 0
        self._recounts = Coalesced(self._refresh_counts)  # one recount per burst of writes
        self._windows = ApiWindows(self.read, self.write, self.clock.now, self._put_in_force)
        self._exposition = Exposition(self._metrics.registry)
        self.bound: list[tuple[str, int]] = []
        self._icmp_problem: str | None = None
        self._desk = DeskTasks(config, self._metrics.registry, self.clock.now)
        self._shards = ShardKeeper(config.main.cluster, self._db_url, self._metrics.registry)
        self._fleet = FleetView(self._shards, self.read, self.clock.now)
        self.readiness_notes = self._shards.notes  # /readyz: cut off, on valid leases

    # ---- the Service protocol used by the HTTP layer ---------------------------------------

    def snapshot(self) -> Snapshot:
        """Live state for the API and metrics."""
        assert self._monitor is not None
        return self._monitor.snapshot()  # other shards' states: from the store (fleet.py)

    async def live_states(self, keys: Collection[CheckKey], values: bool = False
                          ) -> dict[CheckKey, CheckState]:
        """The states of `keys`, other instances' checks with their last results (with
        the values they read when `values`)."""
        assert self._monitor is not None
        return await self._fleet.live_states(self._monitor.engine.states, keys, values)

    def availability_latest(self) -> Latest:
        """The last computed rolling windows."""
        return self.availability.asked()

    def current_config(self) -> Config:
        """The running config (cheap: no copy of live state)."""
        return self.config

    def tokens(self) -> tuple[ApiToken, ...]:
        """The API tokens of the running config."""
        return self.config.tokens

    def metrics_public(self) -> bool:
        """Whether /metrics is served without a token."""
        return not self.config.main.http.metrics_auth

    def now(self) -> datetime:
        """The desk's "now" (it rides out a step of the system clock, see clock.py)."""
        return self.clock.now()

    def readiness(self) -> list[str]:
        """Why the daemon is not ready; empty when it is."""
        problems = []
        if self._scheduler is None:
            problems.append("starting")
        if self._writer is not None and not self._writer.healthy:
            problems.append(f"store writes failing ({self._writer.pending} decisions queued)")
        if self._stop.is_set():
            problems.append("stopping")
        if self._icmp_problem:
            problems.append(self._icmp_problem)
        if self._scheduler is not None and (stalled := self._scheduler.stalled()):
            problems.append(stalled)
        return problems + self._shards.problems()

    async def read(self, fn: Callable[[Engine], T]) -> T:
        """Run a read query in the reader pool."""
        assert self._db is not None
        db = self._db
        return await asyncio.get_running_loop().run_in_executor(self._readers, fn, db.reader)

    async def write(self, fn: Callable[[Engine], T]) -> T:
        """Run a write on the one writer thread, between decision batches."""
        assert self._writer is not None
        return await self._writer.run_write(fn)

    async def render_metrics(self) -> bytes:
        """Render the exposition off the loop, from a snapshot taken on it."""
        assert self._writer is not None
        assert self._scheduler is not None
        snap, latest = self._shards.exported(self.snapshot(), self.availability.latest)
        extra = health_values(snap, self._scheduler, self._writer, self.availability,
                              self.clock)
        return await asyncio.to_thread(self._exposition.render, snap, latest, extra)

    async def reload(self) -> ReloadResult:
        """Build the new config in full; swap it in only if it is valid."""
        async with self._reload_lock:
            self._notifier.reloading()
            try:
                new = await asyncio.to_thread(load_config, self.config.path,
                                              templates=TemplateCatalog(), create_secrets=True)
            except ConfigErrors as exc:
                self._metrics.reload_ok.set(0)
                for err in exc.errors:
                    log.error("reload rejected, keeping the running config: %s", err)
                self._notifier.reloaded("reload failed; running the previous config")
                return ReloadResult(False, tuple(str(e) for e in exc.errors))
            self._swap(new)
            for warning in new.warnings:
                log.warning("%s", warning)
            self._metrics.reload_ok.set(1)
            self._metrics.reload_ts.set(time.time())
            self._notifier.reloaded(self._status())
            log.info("config reloaded: %s", self._status())
            return ReloadResult(True)

    async def maintenance_windows(self) -> list[MaintenanceWindowRow]:
        """API windows that have not ended."""
        return await self._windows.current()

    async def add_maintenance(self, row: MaintenanceWindowRow) -> int:
        """Store a window and put it in force at once."""
        return await self._windows.add(row)

    async def end_maintenance(self, window_id: int) -> WindowEnd | None:
        """Drop a window, or end it now if it is running; None if there is none to end."""
        return await self._windows.end(window_id)

    async def write_tickets(self, fn: Callable[[Engine, Desk, datetime, str], T], *,
                            changed: Callable[[T], bool] | None = None) -> T:
        """Run a ticket write on the writer thread, with the desk of the running config;
        counts and the outbox are woken unless `changed` says the result touched no ticket."""
        desk, prefix = self._desk.desk, self.config.main.incidents.id_prefix
        result = await self.write(lambda e: fn(e, desk, self.clock.now(), prefix))
        if changed is None or changed(result):
            self._tickets_changed()
        return result

    def _tickets_changed(self) -> None:
        """Ticket rows changed: counts are stale and new messages may be waiting."""
        self._desk.changed()
        self._recounts.ask()

    def _put_in_force(self, rules: tuple[MaintenanceRule, ...]) -> None:
        if self._monitor is not None:
            self._monitor.engine.extra_windows = rules

    # ---- lifecycle ---------------------------------------------------------------------------

    def _status(self) -> str:
        return self.config.summary()

    def _swap(self, new: Config) -> None:
        if self._db_override:
            new = replace(new, storage_url=self._db_override)
        if new.storage_url != self.config.storage_url:
            log.warning("storage.url changed; the new URL takes effect at the next restart")
        if new.listen != self.config.listen:
            log.warning("http.listen changed; the new address takes effect at the next restart")
        self.config = new
        self._desk.apply_config(new)
        self.availability.changed()  # devices may have come or gone
        assert self._monitor is not None
        assert self._scheduler is not None
        self._monitor.apply_config(new, self.clock.now())
        plans = self._plans()
        self._scheduler.set_plans(plans)
        self._probers.forget_except({(key.device, key.probe) for key in plans})
        heap.settle()  # the new config is long-lived; the old one is garbage now

    def _plans(self) -> dict[CheckKey, Plan]:
        return owned_plans(self.config, self._shards.owns)  # this instance's checks

    def _on_outcomes(self, outcomes: list[Outcome]) -> None:
        self._metrics.count_outcomes(outcomes)
        if outcomes:
            self._tickets_changed()

    async def _refresh_counts(self) -> None:
        self._counts_seq += 1
        seq = self._counts_seq
        try:
            counts = await self.read(open_incident_counts)
            await self._desk.refresh_at_risk(self.read)
        except Exception as exc:
            log.warning("cannot count open incidents: %s", exc)
            return
        if self._monitor is not None and seq == self._counts_seq:  # else a newer one runs
            self._monitor.set_open_incidents(counts)

    async def _periodic_counts(self) -> None:
        while not self._stop.is_set():
            await self._refresh_counts()
            await wait_or_timeout(self._stop, _COUNTS_REFRESH_S)

    async def _watchdog(self, interval_s: float) -> None:
        while not self._stop.is_set():
            self._notifier.watchdog()
            await wait_or_timeout(self._stop, interval_s)

    async def _reload_on_signal(self) -> None:
        while True:
            await self._reload_requested.wait()
            self._reload_requested.clear()
            await self.reload()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._stop.set)
        loop.add_signal_handler(signal.SIGINT, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, self._reload_requested.set)

    async def _open_store(self) -> tuple[Database, Monitor]:
        cluster = self.config.main.cluster
        db = Database(self._db_url, idle_in_transaction_s=cluster.lease_s - cluster.margin_s)
        log.info("store %s: applying migrations", db.describe())
        await asyncio.to_thread(db.migrate)
        silence = await asyncio.to_thread(record_silence, db.writer, "bridge", self.clock.now())
        if silence is not None:
            log.warning("monitoring gap recorded while no bridge was running: %s to %s",
                        silence.started_at.isoformat(), silence.ended_at.isoformat()
                        if silence.ended_at else "now")
        self._db = db
        self._writer = BatchWriter(db, self.config.main.incidents.id_prefix,
                                   self.config.main.storage.batch_interval_s,
                                   self.config.main.storage.batch_max_items, self._on_outcomes,
                                   desk=lambda: self._desk.desk,
                                   on_history=self.availability.changed,
                                   clock=self.clock.now, fence=self._shards.fence)
        engine = await asyncio.to_thread(restore_engine, db.reader, self.config,
                                         self.clock.now())
        await self._shards.start()
        return db, Monitor(engine, self._writer.submit, self._recheck)

    def _recheck(self, keys: set[CheckKey]) -> None:
        if self._scheduler is not None:
            self._scheduler.run_now(keys)

    async def _tick(self) -> None:
        """Drive the engine's clock: windows end, dependency waits time out."""
        while not self._stop.is_set():
            if self._monitor is not None:
                self._monitor.tick(self.clock.now())
            await wait_or_timeout(self._stop, _TICK_S)

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT; return the exit code."""
        heap.limit_malloc()  # before the store's threads and the availability process
        hand_the_loop_the_gil_quickly()
        self._install_signals()
        db, self._monitor = await self._open_store()
        assert self._writer is not None
        await self._windows.refresh()
        self._metrics.reload_ok.set(1)
        self._metrics.reload_ts.set(time.time())
        self._icmp_problem = self._probers.startup_problem()

        runners = await serve_web(self, self, self, self._metrics.registry, self.config,
                                  self._listen)
        if runners is None:
            self._writer.close()
            db.dispose()
            return 1
        self.bound = [(str(a[0]), int(a[1])) for r in runners for a in r.addresses]

        tasks: list[asyncio.Task[None]] = []
        checks = CheckRunner(self.current_config, self._probers, self._monitor,
                             self._metrics.probe_duration, self.clock.now)
        scheduler = CheckScheduler(checks.run, self.config.main.daemon.max_concurrent_checks,
                                   self.config.main.daemon.tick_s,
                                   self._metrics.scheduler_lag.observe,
                                   start_check=checks.start)
        self._scheduler = scheduler
        scheduler.set_plans(self._plans())
        writer_stop = asyncio.Event()
        writer_task = asyncio.create_task(self._writer.run(writer_stop), name="store writer")
        tasks.append(asyncio.create_task(self._reload_on_signal(), name="reload"))
        tasks.append(asyncio.create_task(self._periodic_counts(), name="incident counts"))
        tasks.append(asyncio.create_task(self._tick(), name="engine tick"))
        tasks.append(asyncio.create_task(watch_loop_lag(self._metrics.loop_lag.observe,
                                                        self._stop), name="loop lag"))
        tasks += self._desk.start(self._writer.run_write, self._stop, self.current_config,
                                  self._tickets_changed, leader=lambda: self._shards.leader)
        tasks += leader_tasks(self._shards, self._stop, self.availability, self)  # once only
        handover = Handover(self._writer, self._monitor, db.reader, self.current_config,
                            self.clock.now, lambda: scheduler.set_plans(self._plans()),
                            self._shards.shard, self._shards.owns, self._recheck,
                            scheduler.resume)
        tasks.append(asyncio.create_task(self._shards.run(self._stop, handover), name="leases"))
        tasks.append(asyncio.create_task(self._fleet.run(self._stop, self._monitor),
                                         name="fleet view"))
        tasks += start_intake(self, self._stop, self._metrics.registry)
        if self._notifier.watchdog_interval_s:
            tasks.append(asyncio.create_task(
                self._watchdog(self._notifier.watchdog_interval_s), name="watchdog"))
        heap.settle()
        scheduler.start()
        self._notifier.ready(self._status())
        log.info("bridge running: %s", self._status())

        await self._stop.wait()
        log.info("stopping: no new checks; finishing in-flight work")
        self._notifier.stopping()
        deadline_s = self.config.main.daemon.shutdown_timeout_s
        await scheduler.stop(grace_s=min(5.0, deadline_s / 4))
        writer_stop.set()
        self._writer.wake()
        await writer_task  # ends after the batch in hand; never cancelled mid-write
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.to_thread(self.availability.windows.close)
        flushed = await self._writer.drain(deadline_s / 2)
        await self._shards.leave()  # after the last write: others take over at once
        for runner in runners:
            await runner.cleanup()
        self._probers.close()
        self._writer.close()
        self._readers.shutdown(wait=False)
        db.dispose()
        log.info("stopped%s", "" if flushed else " with unwritten decisions (store unavailable)")
        return 0 if flushed else 1

