"""Shard leases on PostgreSQL: claimed, renewed and expired by the database's clock.

Every time is the database's `clock_timestamp()`: the instances' wall clocks never
decide who owns what, so a host whose clock is off cannot steal or keep a shard. An
instance keeps its own deadline on its monotonic clock, counted from before it sent the
renewal (daemon/shards.py): the database's deadline is later than that, whatever the
network's delay.

One round, one transaction: the instance says it is alive, renews what it holds, gives
back a few shards above its fair share (in two steps, see run_round) or claims free and
expired ones up to it, and claims the leader's lease if nobody holds it. A claim
increments the shard's epoch. The leader ends the monitoring gaps of instances gone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, col, select

from bridge.core.shards import LEADER, fair_share
from bridge.store.heartbeat import LIVE_INSTANCES
from bridge.store.lease_models import ShardLease

_LEASE = "clock_timestamp() + make_interval(secs => :lease_s)"


@dataclass(frozen=True)
class Round:
    """What one round left this instance holding."""

    held: dict[int, int]  # shard -> epoch, the leader's lease (-1) included
    live_instances: int
    released: tuple[int, ...] = ()  # given back (named as surplus by an earlier round)
    surplus: tuple[int, ...] = ()  # held above the fair share: to stop probing, give back


def coordinator_engine(url: str, timeout_s: float) -> Engine:
    """A small engine of its own for the lease rounds, so they never queue behind the
    writer, and give up within `timeout_s` when the database does not answer. A round
    frozen halfway (SIGSTOP) loses its session after `timeout_s` idle, so its locks (its
    instance row, the leases it was renewing) never hold up the others' rounds."""
    timeout_ms = max(1, int(timeout_s * 1000))
    return create_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=True,
                         connect_args={"connect_timeout": max(1, int(timeout_s)),
                                       "options": f"-c statement_timeout={timeout_ms} "
                                                  "-c idle_in_transaction_session_timeout="
                                                  f"{timeout_ms}"})


def prepare(engine: Engine, shards: int) -> None:
    """Create the lease rows of shards 0..shards-1 and the leader's (-1) if missing."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO shard_lease (shard, epoch) "
                          "SELECT g, 0 FROM generate_series(-1, :n - 1) AS g "
                          "ON CONFLICT (shard) DO NOTHING"), {"n": shards})


def _alive(session: Session, me: str, lease_s: float) -> int:
    session.execute(text(
        "INSERT INTO bridge_instance (name, started_at, expires_at) "
        f"VALUES (:me, clock_timestamp(), {_LEASE}) "
        "ON CONFLICT (name) DO UPDATE SET expires_at = excluded.expires_at"),
        {"me": me, "lease_s": lease_s})
    session.execute(text("DELETE FROM bridge_instance WHERE expires_at < clock_timestamp()"))
    return int(session.execute(text(
        "SELECT count(*) FROM bridge_instance WHERE expires_at > clock_timestamp()")).scalar_one())


def _renew(session: Session, me: str, held: Mapping[int, int], lease_s: float) -> dict[int, int]:
    """Renew the unexpired leases still held at the same epoch; the rest are lost."""
    if not held:
        return {}
    rows = session.execute(text(
        f"UPDATE shard_lease SET expires_at = {_LEASE} "
        "WHERE owner = :me AND expires_at > clock_timestamp() AND shard = ANY(:shards) "
        "RETURNING shard, epoch"), {"me": me, "lease_s": lease_s, "shards": list(held)})
    return {int(s): int(e) for s, e in rows if held.get(int(s)) == int(e)}


def _claim(session: Session, me: str, lease_s: float, shards: range, n: int) -> dict[int, int]:
    """Take up to `n` free or expired leases among `shards`; each one's epoch grows."""
    if n <= 0:
        return {}
    rows = session.execute(text(
        f"UPDATE shard_lease SET owner = :me, epoch = epoch + 1, expires_at = {_LEASE} "
        "WHERE shard IN (SELECT shard FROM shard_lease WHERE shard >= :lo AND shard < :hi "
        "AND (owner IS NULL OR expires_at <= clock_timestamp()) ORDER BY shard LIMIT :n "
        "FOR UPDATE SKIP LOCKED) RETURNING shard, epoch"),
        {"me": me, "lease_s": lease_s, "lo": shards.start, "hi": shards.stop, "n": n})
    return {int(s): int(e) for s, e in rows}


def release(session: Session, me: str, shards: list[int]) -> None:
    """Give leases back at once (the epoch stays; the next claim increments it)."""
    session.execute(text("UPDATE shard_lease SET owner = NULL, expires_at = NULL "
                         "WHERE owner = :me AND shard = ANY(:shards)"),
                    {"me": me, "shards": shards})


def run_round(engine: Engine, me: str, held: Mapping[int, int], shards: int, lease_s: float,
              release_step: int, releasing: Collection[int] = ()) -> Round:
    """Renew, rebalance towards the fair share, and take the leader's lease if it is free.

    Giving back takes two rounds: a round names the shards above the fair share
    (`Round.surplus`), which the instance stops probing and whose last decisions it
    writes; a later round gives back those it then passes as `releasing`. So the next
    owner reads their state as it was, not as it was a batch ago."""
    with Session(engine) as session, session.begin():
        live = _alive(session, me, lease_s)
        kept = _renew(session, me, held, lease_s)
        given = sorted(s for s in releasing if s in kept and s != LEADER)
        if given:
            release(session, me, given)
            for shard in given:
                del kept[shard]
        owned = sorted(s for s in kept if s != LEADER)
        share = fair_share(shards, live)
        surplus = owned[share:][:release_step] if len(owned) > share else []
        kept |= _claim(session, me, lease_s, range(0, shards), share - len(owned))
        if LEADER not in kept:
            kept |= _claim(session, me, lease_s, range(LEADER, 0), 1)
        if LEADER in kept:
            end_gaps_of_the_gone(session)
    return Round(kept, live, tuple(given), tuple(surplus))


def end_gaps_of_the_gone(session: Session) -> None:
    """End the open monitoring gaps of instances no longer running: the others have taken
    their shards over (a gap is the fleet being blind, not one instance that stopped)."""
    session.execute(text(
        "UPDATE monitoring_gap SET ended_at = greatest(started_at, clock_timestamp()) "
        f"WHERE ended_at IS NULL AND instance IS NOT NULL AND instance NOT IN ({LIVE_INSTANCES})"))


def leave(engine: Engine, me: str) -> None:
    """A clean stop: every lease back at once, and no longer counted as live."""
    with Session(engine) as session, session.begin():
        session.execute(text("UPDATE shard_lease SET owner = NULL, expires_at = NULL "
                             "WHERE owner = :me"), {"me": me})
        session.execute(text("DELETE FROM bridge_instance WHERE name = :me"), {"me": me})


def leases(engine: Engine) -> list[ShardLease]:
    """Every lease row, by shard (for tests and `bridge` operators' queries)."""
    with Session(engine) as session:
        return list(session.exec(select(ShardLease).order_by(col(ShardLease.shard))).all())


def stale_shards(session: Session, me: str, held: Mapping[int, int], shards: set[int]) -> set[int]:
    """Of `shards`, those this instance no longer holds at the epoch it believes.

    FOR SHARE keeps a takeover (an UPDATE of the row) waiting until this transaction ends,
    so what it writes is ordered before the next owner's first write."""
    if not shards:
        return set()
    rows = session.execute(text(
        "SELECT shard, owner, epoch FROM shard_lease WHERE shard = ANY(:shards) FOR SHARE"),
        {"shards": sorted(shards)})
    current = {int(s): (o, int(e)) for s, o, e in rows}
    return {s for s in shards if current.get(s) != (me, held.get(s))}
