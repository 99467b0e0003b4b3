"""Shard leases on PostgreSQL: claim, renew, takeover with a new epoch, expiry by the
database's clock, and the fair share."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from bridge.core.decisions import RecordGap
from bridge.core.shards import LEADER, fair_share, shard_of
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.fencing import Fence
from bridge.store.heartbeat import beat, record_silence
from bridge.store.leases import (
    coordinator_engine,
    leases,
    leave,
    prepare,
    run_round,
    stale_shards,
)
from bridge.store.models import MonitoringGap

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
    # a names two shards above its share: it stops probing them and writes what it decided
    assert len(a.surplus) == 2
    assert set(a.surplus) <= set(a.held)
    assert a.released == ()
    b = run_round(coordinator, "b", b.held, 8, LEASE_S * 10, 2)
    assert b.held == {}  # not yet given back
    a = run_round(coordinator, "a", a.held, 8, LEASE_S * 10, 2, releasing=a.surplus)
    assert len(a.released) == 2
    assert not set(a.released) & set(a.held)
    b = run_round(coordinator, "b", b.held, 8, LEASE_S * 10, 2)
    assert len(b.held) == 2
    assert LEADER not in b.held
    for _ in range(3):
        a = run_round(coordinator, "a", a.held, 8, LEASE_S * 10, 2, releasing=a.surplus)
        b = run_round(coordinator, "b", b.held, 8, LEASE_S * 10, 2)
    assert len(a.held) == 4 + 1
    assert len(b.held) == 4
    assert a.surplus == ()
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


@pytest.mark.parametrize("idle_s", [None, LEASE_S])
def test_a_batch_frozen_halfway_keeps_no_shard_from_the_next_owner(
        pg_url: str, coordinator: Engine, idle_s: float | None) -> None:
    """A writes a batch and freezes inside it (SIGSTOP): its transaction holds the lease
    rows' FOR SHARE locks (store/fencing.py). The daemon's store ends such a session after
    `idle_in_transaction_s`, so B takes the shards over once A's leases expire; without it,
    B skips the locked rows for as long as A stays frozen."""
    a = run_round(coordinator, "a", {}, 8, LEASE_S, 2)
    db = Database(pg_url, idle_in_transaction_s=idle_s)
    try:
        frozen = db.writer.connect()
        frozen.begin()
        assert stale_shards(Session(bind=frozen), "a", a.held, set(range(8))) == set()
        time.sleep(LEASE_S + 1.5)  # A's leases expire; A stays frozen in its batch
        b = run_round(coordinator, "b", {}, 8, LEASE_S, 2)
        if idle_s is None:  # what a frozen instance did before: its shards stay locked
            assert set(b.held) == {LEADER}
        else:
            assert set(b.held) == {LEADER, *range(8)}
            with pytest.raises(DBAPIError):  # A thaws: its batch is gone, not written
                frozen.execute(text("SELECT 1"))
        frozen.close()
    finally:
        db.dispose()


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


# ---- monitoring gaps with several instances: the fleet's blindness, not one instance's

def _gap(db: Database, instance: str, started_at: datetime) -> None:
    """`instance`'s engine found itself blind (its writer writes under its fence)."""
    apply_batch(db.writer, [RecordGap(started_at, None, f"{instance} is blind")], "INC",
                started_at, fence=Fence(instance, 8))


def _open_gaps(db: Database) -> dict[str | None, datetime | None]:
    with Session(db.reader) as session:
        return {g.instance: g.ended_at for g in session.exec(select(MonitoringGap))
                if g.ended_at is None}


def _gaps(db: Database) -> list[tuple[str | None, bool]]:
    """(instance, ended) of every gap, oldest first."""
    with Session(db.reader) as session:
        rows = session.exec(select(MonitoringGap).order_by(col(MonitoringGap.started_at)))
        return [(g.instance, g.ended_at is not None) for g in rows]


@pytest.fixture
def gap_store(pg_url: str, coordinator: Engine) -> Iterator[Database]:
    db = Database(pg_url)
    db.migrate()
    yield db
    db.dispose()


def test_a_start_while_others_run_records_no_silence_and_leaves_their_gaps_open(
        gap_store: Database, coordinator: Engine) -> None:
    now = datetime.now(UTC)
    beat(gap_store.writer, "bridge", now - timedelta(hours=1))  # the last beat is old
    run_round(coordinator, "a", {}, 8, LEASE_S * 30, 2)  # a runs, holding every shard
    _gap(gap_store, "a", now - timedelta(minutes=5))  # a is blind now
    _gap(gap_store, "gone", now - timedelta(minutes=30))  # of an instance that stopped
    assert record_silence(gap_store.writer, "bridge", now) is None  # a kept monitoring
    assert _gaps(gap_store) == [("gone", True), ("a", False)]  # a's stays a's to end


def test_a_start_with_no_other_instance_running_ends_open_gaps_and_records_the_silence(
        gap_store: Database) -> None:
    now = datetime.now(UTC)
    beat(gap_store.writer, "bridge", now - timedelta(hours=1))
    _gap(gap_store, "a", now - timedelta(hours=2))
    silence = record_silence(gap_store.writer, "bridge", now)
    assert silence is not None
    assert silence.instance is None  # the fleet's
    assert _gaps(gap_store) == [("a", True), (None, True)]


def test_the_leader_ends_the_gaps_of_instances_gone_and_only_theirs(
        gap_store: Database, coordinator: Engine) -> None:
    a = run_round(coordinator, "a", {}, 8, LEASE_S * 30, 2)
    b = run_round(coordinator, "b", {}, 8, LEASE_S * 30, 2)
    assert LEADER in a.held
    now = datetime.now(UTC)
    _gap(gap_store, "b", now)
    a = run_round(coordinator, "a", a.held, 8, LEASE_S * 30, 2)
    assert list(_open_gaps(gap_store)) == ["b"]  # b runs: its gap is its own
    run_round(coordinator, "b", b.held, 8, LEASE_S * 30, 2)
    leave(coordinator, "b")  # b stops while blind; a takes its shards over
    run_round(coordinator, "a", a.held, 8, LEASE_S * 30, 2)
    assert _open_gaps(gap_store) == {}
