"""Retention: raw history and rolled-up days dropped once past their keep times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, func, tuple_
from sqlalchemy import select as core_select
from sqlmodel import Session, col

from bridge.store.models import (
    AvailabilityDay,
    AvailabilityOutage,
    AvailabilityRollup,
    MaintenanceWindowRow,
    MonitoringGap,
    StateChange,
)


def purge(engine: Engine, history_before: datetime, rollups_before: datetime) -> dict[str, int]:
    """Drop history and rollups past their retention; returns rows deleted per table.

    Each check keeps its last change before the cut-off: it is the status the kept history
    starts from.
    """
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    latest = (core_select(sc.device, sc.probe, func.max(sc.at).label("at"))
              .where(sc.at < history_before).group_by(sc.device, sc.probe))
    kept = core_select(sc.id).where(tuple_(sc.device, sc.probe, sc.at).in_(latest))
    deleted = {}
    with Session(engine) as session, session.begin():
        for name, statement in (
            ("state_change", delete(StateChange).where(
                col(StateChange.at) < history_before, col(StateChange.id).not_in(kept))),
            ("monitoring_gap", delete(MonitoringGap).where(
                col(MonitoringGap.ended_at) < history_before)),
            ("maintenance_window", delete(MaintenanceWindowRow).where(
                col(MaintenanceWindowRow.ends_at) < history_before)),
            ("availability_day", delete(AvailabilityDay).where(
                col(AvailabilityDay.ends_at) < rollups_before)),
            ("availability_outage", delete(AvailabilityOutage).where(
                col(AvailabilityOutage.day_starts_at) < rollups_before)),
            ("availability_rollup", delete(AvailabilityRollup).where(
                col(AvailabilityRollup.ends_at) < rollups_before)),
        ):
            deleted[name] = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return deleted
