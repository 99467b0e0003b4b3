"""This instance's shards: which devices it probes and may write, kept by lease rounds.

On PostgreSQL a task runs a lease round (store/leases.py) every `lease_s / 3`: renew,
rebalance, leader. The leases' deadlines are the database's; this instance keeps its own,
on its monotonic clock, counted from before it sent the last round that succeeded: when
`lease_s - margin_s` has passed since then (the database is unreachable, the process was
frozen), it owns nothing any more, by itself, before the database's deadline can pass.
Every batch re-checks the epochs in its transaction anyway (store/fencing.py). Shards
above the fair share are given back in two steps: no longer probed at once, still held
(and written) until their hand-over wrote this instance's last decisions for them.

On SQLite there is one instance (store/instance_lock.py): it owns every shard and the
leader's work, and no lease is read or written.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.aio import wait_or_timeout
from bridge.availability.windows import Latest
from bridge.config.cluster import ClusterSection
from bridge.core.shards import LEADER, shard_of
from bridge.daemon.monitor import Snapshot
from bridge.store import Engine
from bridge.store.fencing import Fence
from bridge.store.leases import Round, coordinator_engine, leave, prepare, run_round

log = logging.getLogger(__name__)

OnChange = Callable[[set[int], set[int]], Awaitable[None]]  # (gained, lost)
_POLL_S = 0.25  # how often the keeper looks at its own deadline between rounds
_RELEASE_STEP = 4  # shards given back per round above the fair share: no storm


def instance_name() -> str:
    """Unique per run: a restarted instance claims anew (a new epoch), never inherits."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class ShardKeeper:
    """Owns the leases of one daemon and says what it may probe and write now."""

    def __init__(self, cluster: ClusterSection, url: str,
                 registry: CollectorRegistry | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        coordinated = not url.startswith("sqlite")  # SQLite: one instance (instance_lock.py)
        self.name = instance_name()
        self.shards = cluster.shards
        self._cluster = cluster
        self._clock = clock
        self._engine: Engine | None = (coordinator_engine(url, cluster.renew_s)
                                       if coordinated else None)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leases")
        self._held: dict[int, int] = {}
        self._renewed_at: float | None = None  # monotonic, before the last good round
        self._failure: str | None = None
        self._live = 1
        self.owned: frozenset[int] = (frozenset() if coordinated
                                      else frozenset(range(self.shards)))
        self._leader = not coordinated
        self._shard_of: dict[str, int] = {}
        self._handovers: set[asyncio.Task[None]] = set()
        self._retry: set[int] = set()  # gained shards whose taking up failed
        # Above the fair share: held still, no longer probed; given back by the round
        # after their hand-over wrote what this instance had decided for them.
        self._leaving: frozenset[int] = frozenset()
        self._handed_back: set[int] = set()
        self._handovers_lock = asyncio.Lock()
        if registry is not None:
            registry.register(_ShardCollector(self))

    @property
    def coordinated(self) -> bool:
        """Whether leases decide ownership (PostgreSQL), not the single-instance rule."""
        return self._engine is not None

    @property
    def leader(self) -> bool:
        """Whether this instance does the once-only work now (checked at once, like owns)."""
        return self._leader and (not self.coordinated or self._valid())

    def shard(self, device: str) -> int:
        """The shard of a device (remembered: asked for every check)."""
        shard = self._shard_of.get(device)
        if shard is None:
            shard = self._shard_of[device] = shard_of(device, self.shards)
        return shard

    def owns(self, device: str) -> bool:
        """Whether this instance probes the device now."""
        if not self.coordinated:
            return True
        # checked at once, whatever the loop does
        return self.shard(device) in self.owned and self._valid()

    def holds(self, device: str) -> bool:
        """Whether this instance judges the device now: it probes it, or it gives its shard
        back and still writes its last decisions."""
        return self.owns(device) or (self.shard(device) in self._leaving and self._valid())

    def fence(self) -> Fence | None:
        """What the writer may write now; None on SQLite (everything)."""
        if not self.coordinated:
            return None
        held = ({s: e for s, e in self._held.items() if s in self.owned or s in self._leaving}
                if self._valid() else {})
        return Fence(self.name, self.shards, held)

    def exported(self, snap: Snapshot, latest: Latest) -> tuple[Snapshot, Latest]:
        """What this instance's /metrics exports: the probe series of its own shards and,
        on the leader only, the availability windows; so a fleet's sum counts each once."""
        if not self.coordinated:
            return snap, latest
        own = replace(snap, states={k: v for k, v in snap.states.items() if self.owns(k.device)})
        return own, latest if self.leader else Latest()

    def lease_age_s(self) -> float | None:
        """Seconds since the last round that succeeded began; None before the first."""
        return None if self._renewed_at is None else self._clock() - self._renewed_at

    def _valid(self) -> bool:
        age_s = self.lease_age_s()
        return age_s is not None and age_s < self._cluster.lease_s - self._cluster.margin_s

    def problems(self) -> list[str]:
        """Why this instance is not ready (its leases ran out); empty otherwise."""
        if not self.coordinated or self._valid() or self._renewed_at is None:
            return []
        return [f"cut off from the store for {self.lease_age_s():.0f} s: leases expired, "
                f"probing no device ({self._failure or 'not renewed in time'})"]

    def notes(self) -> list[str]:
        """What an operator should know while ready: cut off, running on valid leases."""
        if not self.coordinated or self._failure is None or not self._valid():
            return []
        left_s = self._cluster.lease_s - self._cluster.margin_s - (self.lease_age_s() or 0)
        return [f"cut off from the store ({self._failure}); probing {len(self.owned)} shards "
                f"on leases valid for {left_s:.0f} s more"]

    async def start(self) -> None:
        """Create the lease rows and run the first round, so the first plans are ours."""
        if self._engine is None:
            return
        engine = self._engine
        await asyncio.to_thread(prepare, engine, self.shards)
        self._take(await asyncio.to_thread(self._round, frozenset()), self._clock())
        self._settle()
        log.info("instance %s: %d of %d shards%s, %d instances live", self.name,
                 len(self.owned), self.shards, " and the leader's work" if self.leader else "",
                 self._live)

    def _round(self, releasing: frozenset[int]) -> Round:
        assert self._engine is not None
        return run_round(self._engine, self.name, self._held, self.shards,
                         self._cluster.lease_s, _RELEASE_STEP, releasing)

    def _take(self, done: Round, started: float) -> None:
        if self._failure is not None:
            log.warning("lease round succeeded again after: %s", self._failure)
        self._held, self._live, self._renewed_at, self._failure = (dict(done.held),
                                                                  done.live_instances, started,
                                                                  None)
        self._leaving = frozenset(done.surplus)
        self._handed_back &= self._leaving

    def _settle(self) -> tuple[set[int], set[int]]:
        """Recompute what is owned now; (gained, lost)."""
        valid = self._valid()
        owned = (frozenset(s for s in self._held if s != LEADER and s not in self._leaving)
                 if valid else frozenset())
        gained, lost = set(owned - self.owned), set(self.owned - owned)
        was_leader, self._leader = self._leader, valid and LEADER in self._held
        self.owned = owned
        if was_leader != self._leader:
            log.info("instance %s %s the leader's work", self.name,
                     "takes" if self._leader else "gives up")
        return gained, lost

    async def run(self, stop: asyncio.Event, on_change: OnChange) -> None:
        """Lease rounds until `stop`; `on_change` hears of every gain and loss."""
        if self._engine is None:
            return
        job: Future[Round] | None = None
        started = next_round = self._clock()
        while not stop.is_set():
            now = self._clock()
            if job is None and now >= next_round:
                started, next_round = now, now + self._cluster.renew_s
                job = self._executor.submit(self._round,
                                            self._leaving & frozenset(self._handed_back))
            if job is not None and job.done():
                self._finish(job, started)
                job = None
            gained, lost = self._settle()
            gained |= self._retry & self.owned
            self._retry = set()
            if lost and not self._valid():
                log.error("instance %s: leases not renewed for %.1f s; stopped probing and "
                          "writing %d shards (%s)", self.name, self.lease_age_s() or 0,
                          len(lost), self._failure or "this process did not run")
            if gained or lost:
                self._hand_over(on_change, gained, lost)
            await wait_or_timeout(stop, _POLL_S)

    def _hand_over(self, on_change: OnChange, gained: set[int], lost: set[int]) -> None:
        """Run `on_change` in a task of its own, in order with the earlier ones: taking up
        shards reads the store (seconds at scale), and the rounds must go on meanwhile."""
        async def in_turn() -> None:
            async with self._handovers_lock:
                try:
                    await on_change(gained, lost)
                except Exception:  # the store failed us: the loop takes them up again
                    log.exception("taking up shards %s failed; retrying", sorted(gained))
                    self._retry |= gained
                finally:  # what we decided for the lost is written (or the store is down)
                    self._handed_back |= lost

        task = asyncio.get_running_loop().create_task(in_turn(), name="shard handover")
        self._handovers.add(task)
        task.add_done_callback(self._handovers.discard)

    def _finish(self, job: Future[Round], started: float) -> None:
        try:
            self._take(job.result(), started)
        except Exception as exc:  # the database is unreachable: keep what is valid
            if self._failure is None:
                log.warning("lease round failed; keeping leases while they are valid: %s",
                            exc)
            self._failure = str(exc).splitlines()[0] if str(exc) else type(exc).__name__

    async def leave(self) -> None:
        """At a clean stop: hand every lease back so others take over at once."""
        self.owned, self._leader = frozenset(), False
        for task in list(self._handovers):
            task.cancel()
        await asyncio.gather(*self._handovers, return_exceptions=True)
        if self._engine is None:
            return
        try:
            await asyncio.wait_for(asyncio.to_thread(leave, self._engine, self.name),
                                   self._cluster.renew_s)
        except Exception as exc:
            log.warning("could not hand the leases back (they expire by themselves): %s", exc)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._engine.dispose()


class _ShardCollector(Collector):
    def __init__(self, keeper: ShardKeeper) -> None:
        self._keeper = keeper

    def collect(self) -> Iterator[Metric]:
        keeper = self._keeper
        yield GaugeMetricFamily("bridge_shard_owned", "Shards this instance probes now.",
                                value=len(keeper.owned))
        yield GaugeMetricFamily("bridge_shards", "Shards the devices are split into.",
                                value=keeper.shards)
        yield GaugeMetricFamily("bridge_leader", "1 if this instance does the once-only work "
                                "(desk clock, availability, heartbeat).", value=keeper.leader)
        age_s = keeper.lease_age_s()
        if age_s is not None:
            yield GaugeMetricFamily("bridge_shard_lease_age_seconds", "Seconds since this "
                                    "instance last renewed its leases.", value=age_s)
        epochs = GaugeMetricFamily("bridge_shard_epoch", "The fencing epoch of each shard "
                                   "this instance owns.", labels=["shard"])
        fence = keeper.fence()
        for shard, epoch in sorted((fence.held if fence else {}).items()):
            epochs.add_metric([str(shard)], epoch)
        yield epochs
