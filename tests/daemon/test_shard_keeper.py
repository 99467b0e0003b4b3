"""The shard keeper stops by itself on its monotonic clock, before the database's lease
can expire, and says so; on SQLite it owns everything and touches no lease."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from bridge.config.cluster import ClusterSection
from bridge.daemon.shards import ShardKeeper
from bridge.store import Database
from bridge.store.lease_models import ShardLease
from bridge.store.leases import coordinator_engine, leases

CLUSTER = ClusterSection(shards=4, lease_s=10.0)  # renew every 3.3 s, stop 8 s after


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def migrated(pg_url: str) -> Iterator[str]:
    db = Database(pg_url)
    db.migrate()
    yield pg_url
    db.dispose()


def sample(registry: CollectorRegistry, name: str) -> float | None:
    return registry.get_sample_value(name)


async def test_it_stops_probing_and_writing_before_the_lease_can_expire(migrated: str) -> None:
    clock, registry = FakeMonotonic(), CollectorRegistry()
    keeper = ShardKeeper(CLUSTER, migrated, registry, clock=clock)
    await keeper.start()
    device = "sw-1"
    fence = keeper.fence()
    assert fence is not None
    assert keeper.owns(device)
    assert keeper.leader
    assert dict(fence.held) == {s: 1 for s in range(4)}
    assert sample(registry, "bridge_shard_owned") == 4
    clock.now_s += 7.9  # no renewal since: still within lease_s - margin_s
    assert keeper.owns(device)
    assert keeper.problems() == []
    clock.now_s += 0.2
    assert not keeper.owns(device)  # at once, before any loop runs
    assert not keeper.leader
    fence = keeper.fence()
    assert fence is not None
    assert dict(fence.held) == {}
    assert "leases expired, probing no device" in keeper.problems()[0]
    # the database still has it ours: the instance stopped first
    assert {row.owner for row in leases_of(migrated)} == {keeper.name}
    await keeper.leave()


def leases_of(url: str) -> list[ShardLease]:
    """The shards' lease rows (not the leader's)."""
    engine = coordinator_engine(url, 3.0)
    try:
        return [row for row in leases(engine) if row.shard >= 0]
    finally:
        engine.dispose()


async def test_the_loop_reports_losses_and_gains(migrated: str) -> None:
    clock = FakeMonotonic()
    keeper = ShardKeeper(CLUSTER, migrated, clock=clock)
    await keeper.start()
    changes: list[tuple[set[int], set[int]]] = []

    async def on_change(gained: set[int], lost: set[int]) -> None:
        changes.append((gained, lost))

    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop, on_change))
    await asyncio.sleep(0.5)
    clock.now_s += 9.0  # frozen past lease - margin: everything is lost
    await asyncio.sleep(0.5)
    assert changes[0] == (set(), {0, 1, 2, 3})
    clock.now_s += 0.1  # the next round renews (the database's lease had not expired)
    for _ in range(20):
        await asyncio.sleep(0.25)
        if len(changes) > 1:
            break
    assert changes[1] == ({0, 1, 2, 3}, set())
    stop.set()
    await task
    await keeper.leave()
    assert {row.owner for row in leases_of(migrated)} == {None}  # handed back


async def test_on_sqlite_it_owns_every_shard_without_leases() -> None:
    keeper = ShardKeeper(CLUSTER, "sqlite:///unused.db")
    await keeper.start()
    assert keeper.owns("anything")
    assert keeper.leader
    assert keeper.fence() is None
    assert keeper.problems() == []
    assert keeper.owned == frozenset(range(4))


async def test_shards_above_the_share_are_given_back_after_their_hand_over(
        migrated: str) -> None:
    """The instance stops probing them first and writes what it decided (its hand-over);
    only then are they free, so their next owner reads their last state."""
    clock = FakeMonotonic()
    a = ShardKeeper(CLUSTER, migrated, clock=clock)
    await a.start()
    b = ShardKeeper(CLUSTER, migrated, clock=clock)
    await b.start()  # a holds all four: b waits for a to give two back
    assert (len(a.owned), len(b.owned)) == (4, 0)
    owners_at_hand_over: list[dict[int, str | None]] = []

    async def on_change(gained: set[int], lost: set[int]) -> None:
        rows = await asyncio.to_thread(leases_of, migrated)
        owners_at_hand_over.append({r.shard: r.owner for r in rows if r.shard in lost})

    stop = asyncio.Event()
    task = asyncio.create_task(a.run(stop, on_change))
    for _ in range(40):
        await asyncio.sleep(0.1)
        if owners_at_hand_over:
            break
    [given] = owners_at_hand_over
    assert len(given) == 2
    assert set(given.values()) == {a.name}  # still a's while it writes their last results
    assert len(a.owned) == 2  # but no longer probed
    assert not any(a.owns(d) for d in ("sw-1", "sw-2", "sw-3", "sw-4")
                   if a.shard(d) in given)
    fence = a.fence()
    assert fence is not None
    assert set(given) <= set(fence.held)  # a may still write them
    clock.now_s += CLUSTER.renew_s  # the next round gives them back
    for _ in range(40):
        await asyncio.sleep(0.1)
        if all(r.owner is None for r in leases_of(migrated) if r.shard in given):
            break
    assert all(r.owner is None for r in leases_of(migrated) if r.shard in given)
    stop.set()
    await task
    await a.leave()
    await b.leave()
