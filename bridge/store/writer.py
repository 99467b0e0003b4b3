"""The one writer: batches decisions and commits them off the event loop."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Engine

from bridge.aio import wait_or_timeout
from bridge.core.decisions import Decision, RecordChange, RecordGap
from bridge.store.db import Database
from bridge.store.decisions import apply_batch
from bridge.store.fencing import Fence
from bridge.store.incidents import Outcome
from bridge.store.tickets import Desk, QuietDesk

log = logging.getLogger(__name__)
T = TypeVar("T")

_MAX_BACKOFF_S = 30.0
_PARKED_MAX = 200_000  # decisions set aside for shards not held (a long store outage)


def _still_held(batch: list[Decision], used: Fence | None, now: Fence | None
                ) -> tuple[list[Decision], list[Decision]]:
    """The batch's decisions still held at the epoch they were decided under; the others."""
    if used is None or now is None:
        return batch, []
    kept: list[Decision] = []
    gone: list[Decision] = []
    for d in batch:
        (kept if used.shard(d) is None or now.epoch(d) == used.epoch(d) else gone).append(d)
    return kept, gone


class BatchWriter:
    """Collects decisions from the loop and commits them in batches in one thread.

    Nothing is dropped: a failed batch stays queued, in order, and is retried with
    backoff; `flush()` at shutdown writes what is left.
    """

    def __init__(
        self,
        db: Database,
        id_prefix: str,
        interval_s: float,
        max_items: int,
        on_outcomes: Callable[[list[Outcome]], None],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        desk: Callable[[], Desk] = QuietDesk,
        on_history: Callable[[], None] = lambda: None,
        fence: Callable[[], Fence | None] = lambda: None,
    ) -> None:
        self._db = db
        self.id_prefix = id_prefix
        self._interval_s = interval_s
        self._max_items = max_items
        self._on_outcomes = on_outcomes
        self._on_history = on_history  # a batch with hard changes or gaps was committed
        self._clock = clock
        self._desk = desk
        self._fence = fence  # several instances: the leases held now (store/fencing.py)
        self._pending: list[Decision] = []
        # Decisions of shards whose leases ran out before they were written: (shard, the
        # epoch decided under, decision) in the order decided; the epoch by shard (restore).
        self._parked: list[tuple[int, int, Decision]] = []
        self._parked_epochs: dict[int, int] = {}
        self._restoring = False
        self._last_held: Mapping[int, int] = {}  # the epochs of the last fence that held any
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self._lock = asyncio.Lock()
        self.batches_total = 0
        self.failures_total = 0
        self.last_batch_seconds = 0.0
        self.healthy = True

    @property
    def pending(self) -> int:
        """Decisions waiting to be written."""
        return len(self._pending)

    def submit(self, decisions: list[Decision]) -> None:
        """Queue decisions; cheap, called from the event loop. Those of shards not held
        are dropped here already (their owner decides them)."""
        fence = self._fence()
        if fence is not None:
            decisions = [d for d in decisions
                         if (shard := fence.shard(d)) is None or shard in fence.held]
            if fence.held:
                self._last_held = fence.held
            if self._parked_epochs and not self._parked_epochs.keys().isdisjoint(fence.held):
                self.restore()  # what was decided before goes before what is decided now
        self._pending.extend(decisions)
        if len(self._pending) >= self._max_items:
            self._wake.set()

    def discard(self, shards: set[int]) -> None:
        """Shards were lost: their queued decisions are set aside (`restore`), not written
        (those of shards still held, being given back, are written first)."""
        fence = self._fence()
        gone = shards - set(fence.held) if fence is not None else set()
        if fence is not None and gone:
            kept: list[Decision] = []
            parked: list[tuple[int, int, Decision]] = []
            for d in self._pending:
                shard = fence.shard(d)
                if shard in gone and shard is not None \
                        and (epoch := self._last_held.get(shard)) is not None:
                    parked.append((shard, epoch, d))
                elif shard not in gone:
                    kept.append(d)
            self._pending = kept
            self._park(parked, first=False)

    def _held_only(self, batch: list[Decision], fence: Fence) -> list[Decision]:
        kept: list[Decision] = []
        parked: list[tuple[int, int, Decision]] = []
        for d in batch:
            shard = fence.shard(d)
            if shard is None or shard in fence.held:
                kept.append(d)
            elif (epoch := self._last_held.get(shard)) is not None:
                parked.append((shard, epoch, d))
        self._park(parked, first=True)  # from the head of the queue: older than the rest
        return kept

    def _park(self, entries: list[tuple[int, int, Decision]], *, first: bool) -> None:
        """Set decisions aside, in the order they were decided: `first` for those older than
        everything set aside before (a batch taken from the head of the queue)."""
        if not entries:
            return
        for shard, epoch in {(s, e) for s, e, _ in entries}:
            if self._parked_epochs.get(shard, epoch) != epoch:  # an older loss's: stale
                self._parked = [p for p in self._parked if p[0] != shard]
            self._parked_epochs[shard] = epoch
        self._parked = [*entries, *self._parked] if first else [*self._parked, *entries]
        if len(self._parked) > _PARKED_MAX:
            log.error("%d decisions set aside for shards not held again; the oldest %d are "
                      "dropped", len(self._parked), len(self._parked) - _PARKED_MAX)
            self._parked = self._parked[-_PARKED_MAX:]

    @property
    def restoring(self) -> bool:
        """Decisions set aside and restored are still waiting to be written."""
        return self._restoring

    def restore(self) -> int:
        """The decisions set aside when leases ran out, of the shards held again now, go
        first, in the order they were decided, if nobody held those shards in between:
        this instance holds them at the epoch they were decided under, or at the next (its
        own claim of the expired lease; any other instance's claim would have grown the
        epoch too). So a store outage that outlasts a lone instance's leases loses no state
        change, ticket or notice decided before it; a shard another instance took over
        meanwhile keeps that instance's decisions, and ours go. Called when shards are
        gained, and by `submit` before a decision of such a shard is queued. Returns how
        many were restored."""
        fence = self._fence()
        if fence is None or not self._parked_epochs:
            return 0
        if fence.held:
            self._last_held = fence.held  # what is restored is held at these epochs now
        back = {s for s, e in self._parked_epochs.items()
                if (now := fence.held.get(s)) is not None and 0 <= now - e <= 1}
        settled = {s for s in self._parked_epochs if s in fence.held}  # back, or stale
        if not settled:
            return 0
        restored = [d for s, _, d in self._parked if s in back]
        self._parked = [p for p in self._parked if p[0] not in settled]
        for shard in settled:
            del self._parked_epochs[shard]
        if restored:
            self._pending[:0] = restored
            self._restoring = True
            log.warning("%d decisions made before the leases ran out are written now: "
                        "no other instance held their shards meanwhile", len(restored))
        return len(restored)

    def wake(self) -> None:
        """Make `run` look at its stop event now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Write batches until `stop` is set; the caller flushes afterwards."""
        backoff_s = self._interval_s
        while not stop.is_set():
            await wait_or_timeout(self._wake, backoff_s)
            self._wake.clear()
            ok = await self.flush()
            backoff_s = self._interval_s if ok else min(backoff_s * 2, _MAX_BACKOFF_S)

    async def flush(self) -> bool:
        """Write everything pending now. False (and everything kept) if the store failed."""
        async with self._lock:
            if not self._pending:
                return True
            batch, self._pending = self._pending, []
            fence = self._fence()
            # a lease ran out since they were queued: theirs set aside (a pass over the
            # batch, so only then: at full load it is most of a million decisions a minute)
            if fence is not None and self._last_held.keys() - fence.held.keys():
                batch = self._held_only(batch, fence)
                if not batch:
                    return True
            t0 = time.perf_counter()
            loop = asyncio.get_running_loop()
            job = loop.run_in_executor(self._executor, apply_batch, self._db.writer, batch,
                                       self.id_prefix, self._clock(), self._desk(), fence)
            try:
                # Shielded: cancelling the caller must not cancel a batch that is queued
                # for the writer thread; the thread writes it regardless.
                outcomes = await asyncio.shield(job)
            except Exception as exc:
                # Keep order: the failed batch goes first, but only what is still ours at
                # the epoch it was decided under (a shard lost meanwhile is not).
                kept, gone = _still_held(batch, fence, self._fence())
                self._pending[:0] = kept
                if fence is not None and gone:  # older than anything set aside since
                    self._park([(shard, epoch, d) for d in gone
                                if (shard := fence.shard(d)) is not None
                                and (epoch := fence.epoch(d)) is not None], first=True)
                self.failures_total += 1
                self.healthy = False
                log.error("store write failed, %d decisions kept for retry: %s",
                          len(self._pending), exc)
                return False
            self.batches_total += 1
            self._restoring = False
            self.last_batch_seconds = time.perf_counter() - t0
            self.healthy = True
        self._on_outcomes(outcomes)
        if any(isinstance(d, RecordChange | RecordGap) for d in batch):
            self._on_history()
        return True

    async def drain(self, deadline_s: float) -> bool:
        """At shutdown: flush, retrying a failing store until the deadline. False if it
        stayed unavailable (what is pending is reported, not silently dropped)."""
        end = time.monotonic() + deadline_s
        while not await self.flush():
            if time.monotonic() >= end:
                log.error("store unavailable at shutdown; %d decisions not written",
                          self.pending)
                return False
            await asyncio.sleep(0.5)
        return True

    async def run_write(self, fn: Callable[[Engine], T]) -> T:
        """Run another write (an API action) on the writer thread, between batches."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, self._db.writer)

    def close(self) -> None:
        """Stop the writer thread (after the final flush)."""
        self._executor.shutdown(wait=True)
