"""Ticket IDs and the dialect-specific INSERT that hands them out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from bridge.store.models import IncidentCounter


def insert_for(engine_name: str) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL)."""
    return postgresql.insert if engine_name == "postgresql" else sqlite.insert


def next_ref(session: Session, dialect: str, prefix: str, now: datetime) -> str:
    """The next ticket ID of the year, e.g. INC-2026-000042; unique across instances."""
    return next_refs(session, dialect, prefix, now, 1)[0]


def next_refs(session: Session, dialect: str, prefix: str, now: datetime,
              count: int) -> list[str]:
    """The year's next `count` ticket IDs, in order, taken in one statement (the counter's
    row stays locked until the transaction ends, so they are consecutive)."""
    stmt = insert_for(dialect)(IncidentCounter).values(year=now.year, last_number=count)
    stmt = stmt.on_conflict_do_update(
        index_elements=["year"], set_={"last_number": IncidentCounter.last_number + count}
    ).returning(IncidentCounter.last_number)
    last = session.execute(stmt).scalar_one()
    return [f"{prefix}-{now.year}-{number:06d}" for number in range(last - count + 1, last + 1)]
