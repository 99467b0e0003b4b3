"""The fleet view hands a large read of the other instances' states on in pieces, the event
loop running between them (one piece of 30,000 rows held it for ~75 ms), and reads their
tickets only once the states are in (read before, they would be older than what a hand-over
learned meanwhile, and put back over it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from bridge.config.cluster import ClusterSection
from bridge.core.decisions import SaveState
from bridge.core.engine import RuleEngine
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Judged, StateType, Status
from bridge.daemon.fleet import OBSERVE_STEP, FleetView
from bridge.daemon.monitor import Monitor
from bridge.daemon.shards import ShardKeeper
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.reads import load_states
from tests.kits import engine as engine_kit
from tests.kits.engine import T0

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

    def settled(self, key: CheckKey, judged: Judged) -> bool:
        return False


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


def _up(at_s: int) -> CheckState:
    """Up since T0, last checked `at_s` seconds after it."""
    result = ProbeResult.measured(True, T0 + timedelta(seconds=at_s), "ok", {"rtt_ms": 0.2},
                                  warning=False)
    return CheckState(Status.UP, StateType.HARD, 0, T0, Status.UP, T0, result)


def _save(db: Database, states: dict[CheckKey, CheckState]) -> None:
    apply_batch(db.writer, [SaveState(k, s) for k, s in states.items()], "INC",
                T0 + timedelta(minutes=5))


async def test_a_read_builds_only_the_checks_whose_state_changed_or_whose_results_matter(
        tmp_path: Path, db: Database) -> None:
    """Every row of the others' changes once per check interval, its judged state seldom: a
    read builds no state for a row the engine knows as it is (each one was an object for the
    garbage collector to walk, a pause of the event loop), but always for a parent's check,
    as a child here is judged on the parent's result newer than its own failure."""
    config = engine_kit.build_config(tmp_path, "".join(
        engine_kit.device(name) for name in ("sw-1", "sw-2", "core"))
        + engine_kit.device("edge", parents=["core"]))
    monitor = Monitor(RuleEngine(config), lambda decisions: None, lambda keys: None)
    sw1, sw2, core = (CheckKey(d, "ping") for d in ("sw-1", "sw-2", "core"))
    _save(db, {sw1: _up(30), sw2: _up(30), core: _up(30)})
    first = load_states(db.reader, settled=monitor.settled)
    assert set(first) == {sw1, sw2, core}  # none known yet
    monitor.observe_states(first)
    assert load_states(db.reader, settled=monitor.settled).keys() == {core}

    # A round later: every check again, sw-2 failed once (soft).
    failed = ProbeResult.measured(False, T0 + timedelta(seconds=60), "timeout", {},
                                  warning=False)
    soft = CheckState(Status.DOWN, StateType.SOFT, 1, T0 + timedelta(seconds=60), Status.UP,
                      T0, failed)
    _save(db, {sw1: _up(60), sw2: soft, core: _up(60)})
    found = load_states(db.reader, settled=monitor.settled)
    assert found == {sw2: soft, core: _up(60)}
    monitor.observe_states(found)
    assert monitor.engine.states[sw1] == _up(30)  # its judged state as it was
    assert load_states(db.reader, settled=monitor.settled).keys() == {core}


class OneRound:
    """The daemon's Monitor as the fleet view's observer, stopping the view after a round."""

    def __init__(self, monitor: Monitor, stop: asyncio.Event) -> None:
        self.monitor, self._stop = monitor, stop

    def observe_states(self, states: dict[CheckKey, CheckState]) -> None:
        self.monitor.observe_states(states)

    def settled(self, key: CheckKey, judged: Judged) -> bool:
        return self.monitor.settled(key, judged)

    def observe_tickets(self, open_problems: dict[str, bool], attached: dict[CheckKey, str],
                        theirs: Callable[[str], bool]) -> None:
        self.monitor.observe_tickets(open_problems, attached, theirs)
        self._stop.set()


async def test_the_view_keeps_what_it_knows_and_the_api_shows_the_stores_newer_results(
        tmp_path: Path, pg_url: str) -> None:
    """A round of the fleet view leaves a check it knows as it is (the same object: nothing
    was built for the garbage collector to walk) and takes a changed one in; what the API
    and the portal show of another instance's check is the store's state when its last
    result is newer than the engine's copy, status and all."""
    db = Database(pg_url)
    db.migrate()
    keeper = ShardKeeper(ClusterSection(shards=4, lease_s=10.0), pg_url)  # holds no shard
    config = engine_kit.build_config(tmp_path, "".join(
        engine_kit.device(name) for name in ("sw-1", "sw-2", "sw-3")))
    monitor = Monitor(RuleEngine(config), lambda decisions: None, lambda keys: None)
    sw1, sw2, sw3 = (CheckKey(d, "ping") for d in ("sw-1", "sw-2", "sw-3"))

    async def read(fn: Callable[[Any], Any]) -> Any:
        return await asyncio.to_thread(fn, db.reader)

    view = FleetView(keeper, read, lambda: NOW)

    async def one_round() -> None:
        stop = asyncio.Event()
        await view.run(stop, OneRound(monitor, stop))

    try:
        _save(db, {sw1: _up(30), sw2: _up(30)})
        await one_round()
        known = monitor.engine.states[sw1]
        assert known == _up(30)
        assert monitor.engine.states[sw2] == _up(30)

        failed = ProbeResult.measured(False, T0 + timedelta(seconds=60), "timeout", {},
                                      warning=False)
        soft = CheckState(Status.DOWN, StateType.SOFT, 1, T0 + timedelta(seconds=60),
                          Status.UP, T0, failed)
        _save(db, {sw1: _up(60), sw2: soft})
        await one_round()
        assert monitor.engine.states[sw1] is known  # as it was: not built again
        assert monitor.engine.states[sw2] == soft

        _save(db, {sw2: replace(soft, attempts=2, last=replace(failed, at=failed.at
                                                                + timedelta(seconds=10)))})
        shown = await view.live_states(monitor.engine.states, [sw1, sw2, sw3])
        assert shown[sw1] == _up(60)  # the store's newer result
        assert shown[sw2].attempts == 2  # all of the state, not its result alone
        assert shown[sw2].status == Status.DOWN
        assert shown[sw3] == CheckState()  # never checked: the engine's
        assert monitor.engine.states[sw1] is known  # the engine is left as it was
    finally:
        await keeper.leave()
        db.dispose()


async def test_the_api_shows_the_engines_states_while_the_store_is_out_of_reach(
        tmp_path: Path, pg_url: str) -> None:
    keeper = ShardKeeper(ClusterSection(shards=4, lease_s=10.0), pg_url)  # holds no shard
    sw1 = CheckKey("sw-1", "ping")

    async def read(fn: Callable[[Any], Any]) -> Any:
        raise ConnectionRefusedError("the store is restarting")

    try:
        shown = await FleetView(keeper, read, lambda: NOW).live_states({sw1: _up(30)}, [sw1])
        assert shown == {sw1: _up(30)}
    finally:
        await keeper.leave()


async def test_the_api_shows_the_values_of_the_result_the_engine_knows_too(
        pg_url: str) -> None:
    """The engine's copy of another instance's check (a parent's, with its last result)
    has no values: for the same result the API shows the store's, which has."""
    db = Database(pg_url)
    db.migrate()
    keeper = ShardKeeper(ClusterSection(shards=4, lease_s=10.0), pg_url)  # holds no shard
    core = CheckKey("core", "ifaces")
    read = (("interface Gi1/0/5", "down"),)
    polled = replace(_up(30), last=ProbeResult.measured(
        True, T0 + timedelta(seconds=30), "ok", {"rtt_ms": 0.2}, warning=False, values=read))

    async def read_store(fn: Callable[[Any], Any]) -> Any:
        return await asyncio.to_thread(fn, db.reader)

    try:
        _save(db, {core: polled})
        view = FleetView(keeper, read_store, lambda: NOW)
        shown = await view.live_states({core: _up(30)}, [core], values=True)
        assert shown == {core: polled}
        # the desk's devices page shows no values: none are read for it
        page = await view.live_states({core: _up(30)}, [core])
        assert page[core].last is not None
        assert page[core].last.values == ()
        assert page[core].last.at == polled.last.at
    finally:
        await keeper.leave()
        db.dispose()
