"""The outbox worker: claim due messages, apply storm control, deliver, record the results.

The stages, top to bottom in `run_once`: claim (store) -> plan (storm control: hold or
send, several messages as one digest) -> deliver (each channel's sender from the registry
in notify/senders.py; senders only say delivered, retry or dead) -> settle (retry
policy) -> record (store: sent, due again, or a dead letter with its operator ticket).
Database calls run through the injected `run_db`, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import aiohttp

from bridge.config.channels import Channel
from bridge.config.model import Config
from bridge.notify.compose import DigestItem, compose_digest
from bridge.notify.notice import DIGEST_KIND
from bridge.notify.retry import (
    Attempt,
    Backoff,
    DeadLetter,
    Next,
    Retry,
    Sent,
    longest_wait_s,
    settle,
)
from bridge.notify.senders import Sender, build_senders, send
from bridge.notify.storm import Due, Hold, Send, StormPolicy, plan
from bridge.notify.templates import TemplateSet
from bridge.store import Engine
from bridge.store.incidents import Outcome
from bridge.store.outbox.queue import (
    OutboxCounts,
    OutboxItem,
    add_digest,
    claim_due,
    hold,
    outbox_counts,
    purge_sent,
)
from bridge.store.outbox.results import DeadLetterDesk, record_results

log = logging.getLogger(__name__)
T = TypeVar("T")

_KEEP_SENT = timedelta(days=30)  # delivered messages are forgotten after this
_PURGE_EVERY = timedelta(hours=1)
_FAILURE_BACKOFF_S = (1.0, 30.0)


class RunDb(Protocol):
    """Runs a store function off the event loop (the daemon's writer thread)."""

    def __call__(self, fn: Callable[[Engine], T], /) -> Awaitable[T]: ...


class OutboxWorker:
    """Delivers the outbox; owned by the daemon, which calls `wake()` after ticket writes."""

    def __init__(
        self, run_db: RunDb, config: Callable[[], Config], *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
        templates_for: Callable[[str], TemplateSet] | None = None,
        poll_s: float = 5.0, batch_size: int = 1000, concurrency: int = 16,
    ) -> None:
        self._run_db = run_db
        self._config = config
        self._clock = clock
        self._jitter = jitter
        self._builtin = TemplateSet()
        self._templates_for = templates_for or (lambda _customer: self._builtin)
        self._poll_s = poll_s
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._purged_at: datetime | None = None
        self.delivered_total: Counter[str] = Counter()
        self.dead_letters_total: Counter[str] = Counter()
        self.counts = OutboxCounts({}, None, None)
        self.healthy = True

    def wake(self) -> None:
        """Look at the outbox now (new messages were written)."""
        self._wake.set()

    def _budget_s(self) -> float:
        """How long one delivery may take in all (SMTP takes several round trips)."""
        return 4 * max(self._config().channels.timeouts_s(), default=10.0)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; a store failure is logged and retried, never fatal."""
        failures = 0
        while not stop.is_set():
            self._wake.clear()
            try:
                busy = await self.run_once()
                await self._purge()
                failures, self.healthy = 0, True
            except Exception as exc:  # the store is down: keep going, say so
                failures += 1
                self.healthy = False
                log.error("outbox: %s; retrying", exc)
                busy = False
            if busy:
                continue
            await _wait_any(self._wake, stop, self._sleep_s(failures))

    def _sleep_s(self, failures: int) -> float:
        if failures:
            low, high = _FAILURE_BACKOFF_S
            return min(high, low * 2.0 ** min(failures, 10))
        due = self.counts.next_due_at
        if due is None:
            return self._poll_s
        return min(self._poll_s, max(0.0, (due - self._clock()).total_seconds()))

    async def _purge(self) -> None:
        now = self._clock()
        if self._purged_at is None or now - self._purged_at >= _PURGE_EVERY:
            self._purged_at = now
            await self._run_db(lambda e: purge_sent(e, now - _KEEP_SENT))

    async def run_once(self) -> bool:
        """One pass over the due messages; True if it took a full batch (more may wait)."""
        busy = await self._deliver_due()
        self.counts = await self._run_db(outbox_counts)
        return busy

    async def _deliver_due(self) -> bool:
        config = self._config()
        section = config.main.notifications
        now = self._clock()
        lease_s = 2 * self._budget_s() + 30
        backoff = Backoff(section.backoff_initial_s, section.backoff_max_s)
        # beyond every wait bridge sets (a claim's lease, the grouping window included):
        # a message due later than that was set under a wall clock since gone back
        horizon_s = max(longest_wait_s(backoff), lease_s, section.group_window_s) + 60.0
        items, recent = await self._run_db(lambda e: claim_due(
            e, now, self._batch_size, lease_s, section.group_window_s, horizon_s))
        if not items:
            return False
        by_id = {item.id: item for item in items}
        steps = plan([Due(i.id, i.receiver, i.customer, i.kind, i.created_at) for i in items],
                     recent, StormPolicy(section.group_window_s,
                                         section.max_per_receiver_per_hour), now)
        holds = [step for step in steps if isinstance(step, Hold)]
        if holds:
            await self._run_db(lambda e: hold(e, [(h.ids, h.until) for h in holds]))
        deliveries = [await self._envelope([by_id[i] for i in step.ids], now, lease_s)
                      for step in steps if isinstance(step, Send)]
        attempts = await self._deliver_all(deliveries, config)
        settled: list[tuple[OutboxItem, Next]] = [
            (item, settle(attempt, item.attempts + 1, self._clock(), item.deadline_at, backoff,
                          self._jitter()))
            for item, attempt in zip(deliveries, attempts, strict=True)]
        desk = DeadLetterDesk(config.main.incidents.id_prefix, section.operators,
                              section.operator_language, self._builtin,
                              section.retry_deadline_s)
        tickets = await self._run_db(lambda e: record_results(e, settled, desk, self._clock()))
        self._account(settled, tickets)
        return len(items) >= self._batch_size

    async def _envelope(self, members: Sequence[OutboxItem], now: datetime,
                        lease_s: float) -> OutboxItem:
        """The message to deliver: the one member, or a digest carrying them all."""
        if len(members) == 1:
            return members[0]
        first = members[0]
        config = self._config()
        section = config.main.notifications
        language = str(first.payload.get("language") or section.operator_language)
        customer = config.customers.get(first.customer)
        digest = compose_digest(
            [DigestItem(m.idempotency_key, m.subject, m.body, m.payload) for m in members],
            first.receiver, first.customer, language, self._templates_for(first.customer),
            section.digest_max_tickets, customer.name if customer else first.customer)
        return await self._run_db(lambda e: add_digest(e, digest, members, now, lease_s))

    async def _deliver_all(self, items: Sequence[OutboxItem], config: Config) -> list[Attempt]:
        async with aiohttp.ClientSession() as http:
            senders = build_senders(config.channels, http)
            return list(await asyncio.gather(*(self._deliver(item, senders) for item in items)))

    async def _deliver(self, item: OutboxItem, senders: dict[Channel, Sender]) -> Attempt:
        budget_s = self._budget_s()
        async with self._slots:
            try:
                async with asyncio.timeout(budget_s):
                    return await send(senders, item.message, self._clock())
            except TimeoutError:
                return Retry(f"no delivery within {budget_s:g} s")
            except Exception as exc:  # a sender bug must not lose the message
                log.exception("outbox: delivering message %d failed", item.id)
                return Retry(f"internal error: {exc!r}")

    def _account(self, settled: Sequence[tuple[OutboxItem, Next]],
                 tickets: Sequence[Outcome]) -> None:
        for item, step in settled:
            kind = item.kind if item.kind != DIGEST_KIND \
                else f"digest of {_messages_in(item)} messages"
            what = f"{kind} to {item.receiver} (customer {item.customer or '-'})"
            if isinstance(step, Sent):
                self.delivered_total[item.channel.value] += _messages_in(item)
                log.info("outbox: delivered %s", what)
            elif isinstance(step, DeadLetter):
                self.dead_letters_total[item.channel.value] += _messages_in(item)
                log.error("outbox: dead letter: %s: %s", what, step.reason)
            else:
                log.warning("outbox: %s not delivered, retrying at %s: %s", what,
                            step.at.isoformat(), step.reason)
        for ticket in tickets:
            if ticket.action == "opened":
                log.error("outbox: operator ticket %s opened for %s", ticket.ref,
                          ticket.problem_key)


def _messages_in(item: OutboxItem) -> int:
    """The messages one delivery carries: a digest's members, counted as the pending
    gauge counts them (a digest of 5 that dies is 5 dead letters)."""
    if item.kind != DIGEST_KIND:
        return 1
    return int(item.payload.get("count", 1))


async def _wait_any(wake: asyncio.Event, stop: asyncio.Event, timeout_s: float) -> None:
    """Sleep until woken, stopped, or `timeout_s` passes."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
