"""Fencing on PostgreSQL: a batch writes a shard's decisions only at the epoch it holds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bridge.core.decisions import RecordChange, RecordGap, SaveState
from bridge.core.shards import shard_of
from bridge.core.state import CheckKey, CheckState, Reason, Status
from bridge.store import BatchWriter, Database
from bridge.store.decisions import apply_batch
from bridge.store.fencing import Fence, device_of, fenced
from bridge.store.leases import prepare, run_round
from bridge.store.reads import IncidentFilter, list_incidents, load_states
from tests.store.test_store import T0, opening, resolving

SHARDS = 2
# one device in each shard
DEVICES = {shard_of(name, SHARDS): name for name in ("sw-1", "sw-2", "sw-3", "sw-4")}
OURS, THEIRS = CheckKey(DEVICES[0], "ping"), CheckKey(DEVICES[1], "ping")


@pytest.fixture
def pg(pg_url: str) -> Iterator[Database]:
    db = Database(pg_url)
    db.migrate()
    prepare(db.writer, SHARDS)
    yield db
    db.dispose()


def tickets(db: Database) -> list[str]:
    rows, _ = list_incidents(db.reader, IncidentFilter())
    return sorted(f"{row['device']} {row['status']}" for row in rows)


def test_every_decision_about_a_device_has_its_shard() -> None:
    assert device_of(opening(OURS)) == OURS.device
    assert device_of(resolving(OURS)) == OURS.device
    assert device_of(RecordGap(T0, None, "blind")) is None
    assert Fence("a", SHARDS).shard(opening(THEIRS)) == 1


def test_a_stale_epoch_writes_nothing_for_its_shard(pg: Database) -> None:
    held = run_round(pg.writer, "a", {}, SHARDS, 3600.0, 1).held
    fence = Fence("a", SHARDS, held)
    apply_batch(pg.writer, [opening(OURS), opening(THEIRS)], "INC", T0, fence=fence)
    assert tickets(pg) == [f"{OURS.device} open", f"{THEIRS.device} open"]
    with pg.writer.begin() as conn:  # a froze; its lease on shard 1 expired; b took it
        conn.execute(text("UPDATE shard_lease SET owner = 'b', epoch = epoch + 1 "
                          "WHERE shard = 1"))
    change = RecordChange(THEIRS, "acme", Status.DOWN, Status.UP, T0, Reason.SOFT_RECOVERY, "ok")
    apply_batch(pg.writer, [resolving(OURS), resolving(THEIRS), change,
                            SaveState(THEIRS, CheckState(Status.UP))], "INC", T0, fence=fence)
    assert tickets(pg) == [f"{OURS.device} resolved", f"{THEIRS.device} open"]
    assert THEIRS not in load_states(pg.reader)  # neither its state nor its history
    apply_batch(pg.writer, [opening(CheckKey(DEVICES[1], "http"))], "INC", T0, fence=fence)
    assert len(tickets(pg)) == 2  # and no new ticket either


def test_a_takeover_waits_for_a_fenced_batch_to_commit(pg: Database) -> None:
    held = run_round(pg.writer, "a", {}, SHARDS, 3600.0, 1).held
    fence = Fence("a", SHARDS, held)
    checked, release = threading.Event(), threading.Event()

    def batch() -> None:
        with Session(pg.writer) as session, session.begin():
            assert fenced(session, [opening(THEIRS)], fence) == [opening(THEIRS)]
            checked.set()
            release.wait(10)

    writer = threading.Thread(target=batch)
    writer.start()
    assert checked.wait(10)
    try:
        with pg.reader.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '300ms'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                conn.execute(text("UPDATE shard_lease SET owner = 'b', epoch = epoch + 1 "
                                  "WHERE shard = 1"))
    finally:
        release.set()
        writer.join(10)


def test_the_writer_queues_only_held_shards_and_drops_lost_ones(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'queue.db'}")  # nothing is written here
    fences = [Fence("a", SHARDS, {0: 1})]
    writer = BatchWriter(db, "INC", 0.1, 100, lambda _: None, fence=lambda: fences[-1])
    writer.submit([opening(OURS), opening(THEIRS), RecordGap(T0, None, "blind")])
    assert writer.pending == 2  # shard 1 is not ours: its owner decides it
    writer.discard({0})  # no longer probed, but held still (being given back): written first
    assert writer.pending == 2
    fences.append(Fence("a", SHARDS, {}))  # its lease ran out
    writer.discard({0})
    assert writer.pending == 1  # the gap belongs to no shard
    writer.close()
    db.dispose()


def test_decisions_of_a_lapsed_lease_go_first_only_if_nobody_held_the_shard_since(
        tmp_path: Path) -> None:
    """The leases ran out with decisions queued (the store down): set aside, they are
    written when this instance holds the shard again at that epoch or the next (its own
    claim); a bigger step means another instance held it meanwhile: theirs stand."""
    db = Database(f"sqlite:///{tmp_path / 'queue.db'}")  # nothing is written here
    fences = [Fence("a", SHARDS, {0: 5})]
    writer = BatchWriter(db, "INC", 0.1, 100, lambda _: None, fence=lambda: fences[-1])
    writer.submit([opening(OURS)])
    fences.append(Fence("a", SHARDS, {}))  # the lease ran out
    writer.discard({0})
    assert writer.pending == 0
    fences.append(Fence("a", SHARDS, {0: 6}))  # claimed again by this instance, nobody between
    assert writer.restore() == 1
    assert writer.pending == 1
    fences.append(Fence("a", SHARDS, {}))  # ran out again before they were written
    writer.discard({0})
    fences.append(Fence("a", SHARDS, {0: 7}))  # this instance's claim again
    assert writer.restore() == 1
    fences.append(Fence("a", SHARDS, {}))
    writer.discard({0})
    fences.append(Fence("a", SHARDS, {0: 9}))  # b held it at 8: its decisions stand
    assert writer.restore() == 0
    assert writer.pending == 0
    writer.close()
    db.dispose()


def test_decisions_set_aside_come_back_in_the_order_they_were_decided(tmp_path: Path) -> None:
    """A parent's ticket in one shard, a child attached to it in another, decided together
    before the leases ran out; and a newer decision of a regained shard waits behind them."""
    db = Database(f"sqlite:///{tmp_path / 'queue.db'}")  # nothing is written here
    fences = [Fence("a", SHARDS, {0: 5, 1: 3})]
    writer = BatchWriter(db, "INC", 0.1, 100, lambda _: None, fence=lambda: fences[-1])
    parent, child = opening(THEIRS), opening(OURS)  # shard 1 first, then shard 0
    writer.submit([parent, child])
    fences.append(Fence("a", SHARDS, {}))
    writer.discard({0, 1})
    fences.append(Fence("a", SHARDS, {0: 6, 1: 4}))
    later = resolving(OURS)
    writer.submit([later])  # before the hand-over's restore: what was decided before, first
    assert writer._pending == [parent, child, later]
    assert writer.restore() == 0  # already back
    writer.close()
    db.dispose()
