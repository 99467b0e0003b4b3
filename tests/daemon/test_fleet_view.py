"""The fleet view hands a large read of the other instances' states on in pieces, the event
loop running between them (one piece of 30,000 rows held it for ~75 ms), and reads their
tickets only once the states are in (read before, they would be older than what a hand-over
learned meanwhile, and put back over it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from bridge.config.cluster import ClusterSection
from bridge.core.state import CheckKey, CheckState, Status
from bridge.daemon.fleet import OBSERVE_STEP, FleetView
from bridge.daemon.shards import ShardKeeper
from bridge.store.reads import load_states

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)
CHECKS = OBSERVE_STEP * 3 + 1


class Recorder:
    """Notes each piece of states, and how many turns the loop had run before it."""

    def __init__(self, turns: Callable[[], int], stop: asyncio.Event) -> None:
        self._turns, self._stop = turns, stop
        self.pieces: list[tuple[int, dict[CheckKey, CheckState]]] = []
        self.tickets = 0

    def observe_states(self, states: dict[CheckKey, CheckState]) -> None:
        self.pieces.append((self._turns(), states))

    def observe_tickets(self, open_problems: dict[str, bool], attached: dict[CheckKey, str],
                        theirs: Callable[[str], bool]) -> None:
        self.tickets += 1
        self._stop.set()


async def test_a_large_read_is_taken_in_pieces_that_yield_to_the_loop(pg_url: str) -> None:
    # Not started: it holds no shard, so every device is another instance's.
    keeper = ShardKeeper(ClusterSection(shards=4, lease_s=10.0), pg_url)
    found = {CheckKey(f"sw-{n}", "ping"): CheckState(Status.UP, since=NOW)
             for n in range(CHECKS)}

    tickets_read_after: list[int] = []  # pieces taken in when the tickets were read

    async def read(fn: Callable[[Any], Any]) -> Any:
        if isinstance(fn, partial) and fn.func is load_states:
            return found
        tickets_read_after.append(len(recorder.pieces))
        return {}, {}  # the tickets

    turns = 0
    stop = asyncio.Event()

    async def count_turns() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    recorder = Recorder(lambda: turns, stop)
    counter = asyncio.create_task(count_turns())
    await FleetView(keeper, read, lambda: NOW).run(stop, recorder)
    await counter
    await keeper.leave()

    assert [len(piece) for _, piece in recorder.pieces] == [OBSERVE_STEP] * 3 + [1]
    seen = [at for at, _ in recorder.pieces]
    assert seen == sorted(set(seen))  # other work ran between every two pieces
    assert {k: v for _, piece in recorder.pieces for k, v in piece.items()} == found
    assert recorder.tickets == 1
    assert tickets_read_after == [len(recorder.pieces)]
