"""The heartbeat: when a bridge last showed it was monitoring. Silence is a monitoring gap.

A bridge that was not running saw nothing, so the time from its last heartbeat to its
start is recorded as a monitoring gap (excluded from availability), and a gap it was in
when it stopped is ended where its heartbeat stopped.

The same table keeps when the current suspicion of a gap began (a row of its own, never
a beat), so that a bridge restarting in a mass outage holds new tickets for the grace
counted from the first suspicion, not afresh at every start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bridge.store.models import Heartbeat, MonitoringGap

BEAT_S = 30.0  # how often a running bridge beats
SILENCE_S = 3 * BEAT_S  # no beat for this long: nobody was monitoring
SUSPICION = "~gap suspected since"  # not a bridge's name: names are never written so


def _upsert(session: Session, dialect: str, name: str, at: datetime) -> None:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(name=name, at=at)
    session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                    set_={"at": statement.excluded.at}))


def beat(engine: Engine, name: str, now: datetime) -> None:
    """Record that the bridge is monitoring now."""
    with Session(engine) as session, session.begin():
        _upsert(session, engine.dialect.name, name, now)


def last_beat(engine: Engine) -> datetime | None:
    """The latest heartbeat of any bridge sharing this store."""
    with Session(engine) as session:
        return session.exec(select(func.max(Heartbeat.at))
                            .where(col(Heartbeat.name) != SUSPICION)).first()


def save_gap_suspicion(session: Session, dialect: str, since: datetime | None) -> None:
    """Keep when the current gap suspicion began; None: there is none."""
    if since is None:
        session.execute(delete(Heartbeat).where(col(Heartbeat.name) == SUSPICION))
    else:
        _upsert(session, dialect, SUSPICION, since)


def load_gap_suspicion(engine: Engine) -> datetime | None:
    """When the gap suspicion the last run was in began, if it was in one."""
    with Session(engine) as session:
        return session.exec(select(Heartbeat.at).where(col(Heartbeat.name) == SUSPICION)).first()


# Instances running now by the database's clock (several on PostgreSQL: store/leases.py).
LIVE_INSTANCES = ("SELECT name FROM bridge_instance WHERE expires_at > clock_timestamp() "
                  "UNION SELECT owner FROM shard_lease WHERE owner IS NOT NULL "
                  "AND expires_at > clock_timestamp()")


def live_instances(session: Session, dialect: str) -> set[str]:
    """The instances running now; none on SQLite (one instance: store/instance_lock.py)."""
    if dialect != "postgresql":
        return set()
    return {str(name) for (name,) in session.execute(text(LIVE_INSTANCES))}


def record_silence(engine: Engine, name: str, now: datetime) -> MonitoringGap | None:
    """At start: end gaps left open by a stop, record the silence since the last beat as
    a gap, and beat. Returns the silence recorded, if any.

    With several instances a gap is the fleet being blind: while others run, they kept
    monitoring (no silence), and their open gaps are theirs to end; only the gaps of
    instances no longer running are ended here."""
    last = last_beat(engine)
    silence = None
    with Session(engine, expire_on_commit=False) as session, session.begin():
        live = live_instances(session, engine.dialect.name)
        ended = update(MonitoringGap).where(col(MonitoringGap.ended_at).is_(None))
        if live:  # the others took the shards of those gone over by now at the latest
            session.execute(ended.where(col(MonitoringGap.instance).is_(None)
                                        | col(MonitoringGap.instance).not_in(live))
                            .values(ended_at=now))
        else:
            session.execute(ended.values(ended_at=last or now))
        if not live and last is not None and now - last > timedelta(seconds=SILENCE_S):
            silence = MonitoringGap(started_at=last, ended_at=now,
                                    reason=f"no bridge was running from {last.isoformat()}")
            session.add(silence)
            # a suspicion from before the silence says nothing of now
            save_gap_suspicion(session, engine.dialect.name, None)
    beat(engine, name, now)
    return silence
