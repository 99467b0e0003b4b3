"""The heartbeat: when a bridge last showed it was monitoring. Silence is a monitoring gap.

A bridge that was not running saw nothing, so the time from its last heartbeat to its
start is recorded as a monitoring gap (excluded from availability), and a gap it was in
when it stopped is ended where its heartbeat stopped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bridge.store.models import Heartbeat, MonitoringGap

BEAT_S = 30.0  # how often a running bridge beats
SILENCE_S = 3 * BEAT_S  # no beat for this long: nobody was monitoring


def beat(engine: Engine, name: str, now: datetime) -> None:
    """Record that the bridge is monitoring now."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(name=name, at=now)
    with Session(engine) as session, session.begin():
        session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                        set_={"at": statement.excluded.at}))


def last_beat(engine: Engine) -> datetime | None:
    """The latest heartbeat of any bridge sharing this store."""
    with Session(engine) as session:
        return session.exec(select(func.max(Heartbeat.at))).first()


def record_silence(engine: Engine, name: str, now: datetime) -> MonitoringGap | None:
    """At start: end gaps left open by a stop, record the silence since the last beat as
    a gap, and beat. Returns the silence recorded, if any."""
    last = last_beat(engine)
    silence = None
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.execute(update(MonitoringGap).where(col(MonitoringGap.ended_at).is_(None))
                        .values(ended_at=last or now))
        if last is not None and now - last > timedelta(seconds=SILENCE_S):
            silence = MonitoringGap(started_at=last, ended_at=now,
                                    reason=f"no bridge was running from {last.isoformat()}")
            session.add(silence)
    beat(engine, name, now)
    return silence
