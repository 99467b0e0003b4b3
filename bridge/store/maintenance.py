"""Maintenance windows added through the API: stored, listed, ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine, bindparam, delete, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.core.maintenance import MaintenanceRule, OneOff
from bridge.store.models import MaintenanceWindowRow


def add_window(engine: Engine, row: MaintenanceWindowRow) -> int:
    """Store a new window; returns its id (the row stays readable afterwards)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


class WindowEnd(StrEnum):
    """What ending a window did: cut a running one short, or drop one not begun."""

    ENDED = "ended"
    DROPPED = "dropped"


def end_window(engine: Engine, window_id: int, now: datetime) -> WindowEnd | None:
    """Remove a window that has not begun, or end a running one now. None if unknown."""
    with Session(engine) as session, session.begin():
        row = session.get(MaintenanceWindowRow, window_id)
        if row is None or row.ends_at <= now:
            return None
        if row.starts_at > now:
            session.execute(delete(MaintenanceWindowRow).where(
                col(MaintenanceWindowRow.id) == window_id))
            return WindowEnd.DROPPED
        session.execute(update(MaintenanceWindowRow).where(
            col(MaintenanceWindowRow.id) == window_id).values(ends_at=now))
        return WindowEnd.ENDED


def current_windows(engine: Engine, now: datetime) -> list[MaintenanceWindowRow]:
    """Windows that have not ended yet, soonest first."""
    with Session(engine) as session:
        rows = session.exec(select(MaintenanceWindowRow)
                            .where(col(MaintenanceWindowRow.ends_at) > now)
                            .order_by(col(MaintenanceWindowRow.starts_at))).all()
        return list(rows)


_WINDOWS = MaintenanceWindowRow.__table__  # type: ignore[attr-defined]
# Built once: a writer batch reads the windows in force each time.
_IN_FORCE = core_select(_WINDOWS.c.id, _WINDOWS.c.starts_at, _WINDOWS.c.ends_at,
                        _WINDOWS.c.devices, _WINDOWS.c.tags, _WINDOWS.c.customers,
                        _WINDOWS.c.reason).where(
    _WINDOWS.c.ends_at > bindparam("now", type_=_WINDOWS.c.ends_at.type)).order_by(
    _WINDOWS.c.starts_at)


def current_rules(session: Session, now: datetime) -> list[MaintenanceRule]:
    """current_windows as rules, read in the session's transaction: a batch's read of its
    columns alone (no ORM objects, no session of its own)."""
    return [MaintenanceRule(f"api-{row_id}", OneOff(starts_at, ends_at), frozenset(devices),
                            frozenset(tags), frozenset(customers), reason)
            for row_id, starts_at, ends_at, devices, tags, customers, reason
            in session.execute(_IN_FORCE, {"now": now})]


def as_rule(row: MaintenanceWindowRow) -> MaintenanceRule:
    """The window as the rule engine sees it."""
    return MaintenanceRule(f"api-{row.id}", OneOff(row.starts_at, row.ends_at),
                           frozenset(row.devices), frozenset(row.tags),
                           frozenset(row.customers), row.reason)
