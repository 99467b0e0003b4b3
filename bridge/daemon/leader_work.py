"""The once-only work, on the instance holding the leader's lease (daemon/shards.py).

Availability's writes (roll-ups, retention, the heartbeat) are the leader's; every other
instance only refreshes the rolling windows, reads that let its API answer like the
leader's (its /metrics leaves them to the leader, so they are exported once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bridge.aio import wait_or_timeout
from bridge.config.model import Config
from bridge.daemon.availability import AvailabilityKeeper
from bridge.daemon.shards import ShardKeeper

log = logging.getLogger(__name__)

_POLL_S = 0.25


async def while_leader(keeper: ShardKeeper, stop: asyncio.Event,
                       work: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
                       otherwise: Callable[[], Coroutine[Any, Any, None]] | None = None,
                       every_s: Callable[[], float] = lambda: _POLL_S) -> None:
    """Run `work(until)` whenever this instance is the leader (`until` is set when it stops
    being the leader or the daemon stops); else `otherwise()` every `every_s()`."""
    while not stop.is_set():
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


def keep_availability(keeper: ShardKeeper, availability: AvailabilityKeeper,
                      stop: asyncio.Event, config: Callable[[], Config]) -> asyncio.Task[None]:
    """Availability as the task of this instance: all of it on the leader, the rolling
    windows only on the others."""
    return asyncio.create_task(while_leader(
        keeper, stop, availability.run, availability.refresh,
        lambda: config().main.availability.refresh_s), name="availability")
