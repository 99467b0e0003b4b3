"""The once-only work, on the instance holding the leader's lease (daemon/shards.py).

Availability's writes (roll-ups, retention, the heartbeat) are the leader's; every other
instance refreshes the rolling windows only while its API or portal asks for them
(daemon/availability.py; its /metrics leaves them to the leader, so they are exported
once). The intake's sweep of silent alerts is the leader's too. (The desk clock asks the keeper
itself: daemon/desk_tasks.py.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from bridge.aio import wait_or_timeout
from bridge.daemon.availability import AvailabilityKeeper
from bridge.daemon.shards import ShardKeeper
from bridge.intake import resolve_silent_alerts
from bridge.intake.service import IntakeService

log = logging.getLogger(__name__)

_POLL_S = 0.25
_FOLLOW_S = 1.0  # a non-leader's first ask for the windows starts computing them this soon


async def while_leader(keeper: ShardKeeper, stop: asyncio.Event,
                       work: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
                       otherwise: Callable[[], Coroutine[Any, Any, None]] | None = None,
                       every_s: Callable[[], float] = lambda: _POLL_S) -> None:
    """Run `work(until)` whenever this instance is the leader (`until` is set when it stops
    being the leader or the daemon stops); else `otherwise()` every `every_s()`."""
    while not stop.is_set():
        if not keeper.coordinated:  # the one instance leads until it stops: nothing to poll
            await work(stop)
            continue
        if not keeper.leader:
            if otherwise is not None:
                try:
                    await otherwise()
                except Exception as exc:  # the store may be down: next time
                    log.warning("%s failed: %s", otherwise.__qualname__, exc)
            await _until_leader(keeper, stop, every_s())
            continue
        until = asyncio.Event()
        task = asyncio.create_task(work(until))
        while not stop.is_set() and keeper.leader and not task.done():
            await wait_or_timeout(stop, _POLL_S)
        until.set()
        await task


async def _until_leader(keeper: ShardKeeper, stop: asyncio.Event, timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not stop.is_set() and not keeper.leader and loop.time() < end:
        await wait_or_timeout(stop, min(_POLL_S, max(0.0, end - loop.time())))


def leader_tasks(keeper: ShardKeeper, stop: asyncio.Event, availability: AvailabilityKeeper,
                 intake: IntakeService) -> list[asyncio.Task[None]]:
    """Availability (all of it on the leader; on the others the rolling windows, while
    they are asked for) and the intake's sweep, as tasks the daemon owns."""
    return [asyncio.create_task(while_leader(keeper, stop, availability.run,
                                             availability.follow, lambda: _FOLLOW_S),
                                name="availability"),
            asyncio.create_task(while_leader(keeper, stop,
                                             partial(resolve_silent_alerts, intake)),
                                name="intake")]
