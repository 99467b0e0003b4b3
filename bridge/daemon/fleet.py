"""Every device's live state on every instance: other shards' state read from the store.

An instance judges only its own shards; the API and the portal of any instance answer
for every device, and a device behind a parent in another shard is judged on that
parent's state. The state of the others' shards is what their owners wrote to
`check_state`, read every few seconds into the engine with their open tickets (so a child
here attaches to a parent's ticket there): the rows with a result since the last read
(with an overlap for the owners' batching and clocks), and all of them now and then.

Every row changes once per check interval, but its judged state (status, attempts, hard
status and their times) seldom does: a read builds a state only for a row whose judged
state differs from the engine's copy, or whose last result matters here (a parent's).
The others' last results, with the values they read, are read from the store when the
API or the portal shows them (`FleetView.live_states`). At 50,000 + 10,000 checks on two
instances, building every row's state anew (~10,000 every 3 s) left that many objects to
the garbage collector, whose passes over them stopped the event loop for 10-110 ms several
times a read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from typing import Protocol, TypeVar

from bridge.aio import wait_or_timeout
from bridge.core.state import CheckKey, CheckState, Judged
from bridge.daemon.shards import ShardKeeper
from bridge.store import Engine
from bridge.store.reads import Devices, load_check_tickets, load_states

log = logging.getLogger(__name__)
T = TypeVar("T")
_EVERY_S = 3.0
_OVERLAP = timedelta(seconds=5)  # the owners' batching and clocks
_FULL_EVERY = 40  # reads (2 min): catches up on what an owner's clock skew hid
# States taken into the engine per turn of the event loop: a full read at 50,000 + 10,000
# on two instances is ~30,000 rows, one piece of which held the loop for ~75 ms.
OBSERVE_STEP = 2000
_NAMED_MAX = 5000  # devices read by name (500 a query); more: one pass over every row


class Reader(Protocol):
    """The daemon's reads: a blocking function of the store run on a reader thread."""

    def __call__(self, fn: Callable[[Engine], T]) -> Awaitable[T]: ...


class Observer(Protocol):
    """Where the others' state goes (the daemon's Monitor)."""

    def observe_states(self, states: dict[CheckKey, CheckState]) -> None:
        """The others' checks as their owners last stored them."""

    def observe_tickets(self, open_problems: dict[str, bool], attached: dict[CheckKey, str],
                        theirs: Callable[[str], bool]) -> None:
        """Their checks' open problems (flapping) and attachments; whose devices."""

    def settled(self, key: CheckKey, judged: Judged) -> bool:
        """Whether a check is known with that state but its last result and needs no newer
        result (asked on a reader thread, of every row read: such rows are left out)."""


class FleetView:
    """Keeps the last known state of the checks this instance does not own in its engine:
    one copy per check, read by the API and by the engine itself (a parent in another
    shard, the fleet's share of failing checks for a monitoring gap), never judged here."""

    def __init__(self, keeper: ShardKeeper, read: Reader,
                 clock: Callable[[], datetime]) -> None:
        self._keeper = keeper
        self._read = read
        self._clock = clock

    def _theirs(self, device: str) -> bool:
        """Whether another instance judges the device (asked on a reader thread, of every
        row read: only those rows' states are kept)."""
        return not self._keeper.holds(device)

    async def run(self, stop: asyncio.Event, observer: Observer) -> None:
        """Read the others' state and tickets until `stop` and hand them to `observer`
        (nothing to do with one instance)."""
        if not self._keeper.coordinated:
            return
        reads = 0
        since: datetime | None = None
        while not stop.is_set():
            started = self._clock()
            if await self._round(observer, since):
                reads += 1
                since = None if reads % _FULL_EVERY == 0 else started - _OVERLAP
            await wait_or_timeout(stop, _EVERY_S)

    async def live_states(self, states: Mapping[CheckKey, CheckState],
                          keys: Iterable[CheckKey], values: bool = False
                          ) -> dict[CheckKey, CheckState]:
        """The states of `keys` as the API and the portal show them: the engine's (from
        `states`), or for another instance's check the store's unless its last result is
        older, as the engine keeps the others' checks as of their last change of state and
        without the values their results read (the store has them: read and decoded only
        when `values`, for the API; the desk's page shows none). The store out of reach,
        the engine's alone. Only the devices asked for are read."""
        wanted = list(keys)
        out = {k: state for k in wanted if (state := states.get(k)) is not None}
        if not self._keeper.coordinated:
            return out
        theirs = {k.device for k in wanted if self._theirs(k.device)}
        if not theirs:
            return out
        devices: Devices = theirs if len(theirs) <= _NAMED_MAX else theirs.__contains__
        try:
            stored = await self._read(partial(load_states, devices=devices, values=values))
        except Exception as exc:
            log.debug("cannot read the other instances' states: %s", exc)
            return out
        for key in wanted:
            fresh = stored.get(key)
            if fresh is not None and fresh.last is not None and _older(out.get(key), fresh):
                out[key] = fresh
        return out

    async def _round(self, observer: Observer, since: datetime | None) -> bool:
        """One read of the others' states and then their tickets; False if the store was
        down (the last known state stays). The tickets are read once the states are in,
        which takes several turns of the loop: read first, they would be older than what
        a hand-over meanwhile learned anew, and put back over it."""
        try:
            found = await self._read(partial(load_states, since=since, devices=self._theirs,
                                             settled=observer.settled))
        except Exception as exc:
            log.debug("cannot read the other instances' state: %s", exc)
            return False
        await self._observe(observer, found)
        try:
            problems, attached = await self._read(load_check_tickets)
        except Exception as exc:
            log.debug("cannot read the other instances' tickets: %s", exc)
            return False
        observer.observe_tickets(problems, attached, self._theirs)
        return True

    async def _observe(self, observer: Observer, found: dict[CheckKey, CheckState]) -> None:
        """Hand `found` on in pieces of `OBSERVE_STEP`, the loop running between them."""
        rows = iter(found.items())
        while piece := list(islice(rows, OBSERVE_STEP)):
            # A shard gained meanwhile is this instance's to judge now: asked per piece.
            observer.observe_states({k: v for k, v in piece if self._theirs(k.device)})
            await asyncio.sleep(0)


def _older(known: CheckState | None, stored: CheckState) -> bool:
    """Whether the engine's copy of a check has no result newer than the store's (the
    same result: the store's has its values)."""
    return known is None or known.last is None or (
        stored.last is not None and known.last.at <= stored.last.at)
