"""Posts decided together (group commit): the posts that arrive while one transaction of
alerts is being written wait for it to end, then all go into the next one, after one read
of the maintenance windows for all of them.

A transaction's round trips, its lock on the writer and its commit cost more than its
rows (on PostgreSQL several times more); a burst of posts pays them once. A post is still
answered only once its own alerts are committed, so a sender's 2xx still means stored.
One post alone is written at once: nothing waits for company.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bridge.config.model import Config
from bridge.core.maintenance import MaintenanceRule
from bridge.intake.service import IntakeService
from bridge.store.alerts import AlertEvent, AlertOutcome, take_alerts

log = logging.getLogger(__name__)

Windows = tuple[MaintenanceRule, ...]
Outcomes = list[AlertOutcome] | None  # None: the store failed; the sender should send again
MAX_GROUP_ALERTS = 2000  # bounds one transaction's length, so the answers' wait too


@dataclass
class _Post:
    config: Config
    size: int  # its alerts
    build: Callable[[Windows], list[AlertEvent]]  # its alerts, held by the windows in force
    answer: asyncio.Future[Outcomes]
    events: list[AlertEvent] = field(default_factory=list)


def changed_a_ticket(outcomes: list[AlertOutcome]) -> bool:
    """Whether a ticket opened, reopened or resolved (its counts and notices change); an
    alert attached or noted only adds to a ticket's timeline."""
    return any(o.action in ("opened", "reopened", "resolved") for o in outcomes)


class GroupCommit:
    """Decides posts' alerts, those of posts that arrive together in one transaction."""

    def __init__(self, service: IntakeService,
                 windows: Callable[[Config], Awaitable[Windows]]) -> None:
        self._service = service
        self._windows = windows
        self._waiting: list[_Post] = []
        self._task: asyncio.Task[None] | None = None

    async def take(self, config: Config, size: int,
                   build: Callable[[Windows], list[AlertEvent]]) -> Outcomes:
        """The outcomes of a post's `size` alerts (`build` makes them, given the maintenance
        windows) once they are committed; None if the store failed."""
        post = _Post(config, size, build, asyncio.get_running_loop().create_future())
        self._waiting.append(post)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="intake group commit")
        return await post.answer

    async def _run(self) -> None:
        group: list[_Post] = []
        try:
            while self._waiting:
                group = self._next_group()
                await self._decide(group)
        finally:
            self._task = None
            if self._waiting or any(not p.answer.done() for p in group):  # cancelled
                left, self._waiting = [*group, *self._waiting], []
                for post in left:  # no post waits for an answer that never comes
                    if not post.answer.done():
                        post.answer.cancel()

    def _next_group(self) -> list[_Post]:
        """The waiting posts in order, under one config, up to MAX_GROUP_ALERTS (always
        the first)."""
        config, count, taken = self._waiting[0].config, 0, 0
        for post in self._waiting:
            count += post.size
            if post.config is not config or (taken and count > MAX_GROUP_ALERTS):
                break
            taken += 1
        group, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return group

    async def _decide(self, group: list[_Post]) -> None:
        try:
            windows = await self._windows(group[0].config)
        except Exception as exc:
            for post in group:
                _fail(post, exc)
            return
        built = []
        for post in group:
            try:
                post.events = post.build(windows)
            except Exception as exc:  # this post's own fault: the others go on
                _fail(post, exc)
                continue
            built.append(post)
        if not built:
            return
        outcomes = await self._write(built[0].config, [e for p in built for e in p.events])
        if outcomes is None and len(built) > 1:
            # one post's alerts may be what the store refused: each alone, for its own answer
            log.info("intake: writing the %d posts of a failed group one by one", len(built))
            for post in built:
                _answer(post, await self._write(post.config, post.events))
            return
        start = 0
        for post in built:
            end = start + len(post.events)
            _answer(post, None if outcomes is None else outcomes[start:end])
            start = end

    async def _write(self, config: Config, events: list[AlertEvent]) -> Outcomes:
        reopen_s = config.main.incidents.reopen_window_s
        try:
            return await self._service.write_tickets(
                lambda engine, desk, now, prefix: take_alerts(engine, events, prefix, now, desk,
                                                              reopen_s),
                changed=changed_a_ticket)
        except Exception as exc:  # the store, not the sender: it should send again
            log.error("intake: cannot store %d alerts: %s", len(events), exc)
            return None


def _answer(post: _Post, outcomes: Outcomes) -> None:
    if not post.answer.done():  # its sender may have gone (the handler cancelled)
        post.answer.set_result(outcomes)


def _fail(post: _Post, exc: Exception) -> None:
    if not post.answer.done():
        post.answer.set_exception(exc)
