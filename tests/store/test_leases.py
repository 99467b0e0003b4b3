"""Shard leases on PostgreSQL: claim, renew, takeover with a new epoch, expiry by the
database's clock, and the fair share."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from bridge.core.shards import LEADER, fair_share, shard_of
from bridge.store import Database
from bridge.store.leases import coordinator_engine, leases, leave, prepare, run_round

LEASE_S = 1.0


@pytest.fixture
def coordinator(pg_url: str) -> Iterator[Engine]:
    db = Database(pg_url)
    db.migrate()
    db.dispose()
    engine = coordinator_engine(pg_url, 3.0)
    prepare(engine, 8)
    yield engine
    engine.dispose()


def owners(engine: Engine) -> dict[int, tuple[str | None, int]]:
    return {row.shard: (row.owner, row.epoch) for row in leases(engine)}


def test_shards_are_a_stable_hash_of_the_name() -> None:
    assert shard_of("sw-1", 64) == shard_of("sw-1", 64)
    assert {shard_of(f"sw-{i}", 8) for i in range(200)} == set(range(8))
    assert [fair_share(64, n) for n in (0, 1, 2, 3)] == [64, 64, 32, 22]


def test_the_first_instance_claims_every_shard_and_the_leader(coordinator: Engine) -> None:
    first = run_round(coordinator, "a", {}, 8, LEASE_S, 2)
    assert first.held == {s: 1 for s in range(-1, 8)}
    assert first.live_instances == 1
    assert {owner for owner, _ in owners(coordinator).values()} == {"a"}
    again = run_round(coordinator, "a", first.held, 8, LEASE_S, 2)  # renewed, same epochs
    assert again.held == first.held


def test_a_second_instance_gets_shards_a_few_at_a_time(coordinator: Engine) -> None:
    a = run_round(coordinator, "a", {}, 8, LEASE_S * 10, 2)
    b = run_round(coordinator, "b", {}, 8, LEASE_S * 10, 2)
    assert b.held == {}  # all taken: nothing free to claim yet
    a = run_round(coordinator, "a", a.held, 8, LEASE_S * 10, 2)
    assert a.live_instances == 2
    assert len(a.released) == 2
    b = run_round(coordinator, "b", b.held, 8, LEASE_S * 10, 2)
    assert len(b.held) == 2
    assert LEADER not in b.held
    for _ in range(3):
        a = run_round(coordinator, "a", a.held, 8, LEASE_S * 10, 2)
        b = run_round(coordinator, "b", b.held, 8, LEASE_S * 10, 2)
    assert len(a.held) == 4 + 1
    assert len(b.held) == 4
    assert not set(a.held) & set(b.held)
    assert all(epoch == 2 for epoch in b.held.values())  # a claim after a: a new epoch


def test_an_expired_lease_is_taken_over_with_a_higher_epoch(coordinator: Engine) -> None:
    a = run_round(coordinator, "a", {}, 8, LEASE_S, 2)
    b = run_round(coordinator, "b", {}, 8, LEASE_S, 2)
    assert b.held == {}
    time.sleep(LEASE_S + 0.2)  # a never renews
    b = run_round(coordinator, "b", b.held, 8, LEASE_S, 2)
    assert b.held == {s: 2 for s in range(-1, 8)}
    late = run_round(coordinator, "a", a.held, 8, LEASE_S, 2)  # a wakes up: it lost all
    assert late.held == {}


def test_expiry_is_judged_by_the_databases_clock(coordinator: Engine) -> None:
    """The rows say when a lease ends in the database's time; moving expires_at into
    the database's past (as its clock passing would) frees it, whatever our clock says."""
    a = run_round(coordinator, "a", {}, 8, 3600.0, 2)
    assert run_round(coordinator, "b", {}, 8, 3600.0, 2).held == {}
    with coordinator.begin() as conn:
        conn.execute(text("UPDATE shard_lease SET expires_at = clock_timestamp() "
                          "- interval '1 second' WHERE shard = 3"))
    b = run_round(coordinator, "b", {}, 8, 3600.0, 2)
    assert b.held == {3: 2}
    assert 3 not in run_round(coordinator, "a", a.held, 8, 3600.0, 2).held


def test_leaving_hands_every_lease_back_at_once(coordinator: Engine) -> None:
    a = run_round(coordinator, "a", {}, 8, 3600.0, 2)
    leave(coordinator, "a")
    assert all(owner is None for owner, _ in owners(coordinator).values())
    b = run_round(coordinator, "b", {}, 8, 3600.0, 2)
    assert b.live_instances == 1
    assert b.held == {s: a.held[s] + 1 for s in a.held}
