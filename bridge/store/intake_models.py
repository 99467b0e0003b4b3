"""The intake's table: each alert another monitor posted, by its sender's own fingerprint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bridge.store.columns import enum_column as _enum
from bridge.store.columns import utc_column as _utc


class AlertStatus(StrEnum):
    """Where an alert stands, as its sender last said."""

    FIRING = "firing"
    HELD = "held"  # firing inside a maintenance window: no ticket
    RESOLVED = "resolved"
    # resolved by its sender, its ticket's resolution deferred: over the source's
    # max_resolves_per_min (bridge.store.alert_sweeps applies it once the cap allows)
    RESOLVING = "resolving"


class IntakeAlert(SQLModel, table=True):
    """One alert of one source; `problem_key` names the ticket's problem it is on (its own
    "alert:…" one, or the device's or a failed parent's ticket it joined)."""

    __tablename__ = "intake_alert"
    __table_args__ = (
        UniqueConstraint("source", "fingerprint", name="uq_intake_alert_fingerprint"),
        # Neither holds last_seen_at: a repeat, which moves only that, rewrites no index
        # entry (migration 0022)
        Index("ix_intake_alert_problem_status", "problem_key", "status"),
        Index("ix_intake_alert_status_source", "status", "source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    fingerprint: str = Field(max_length=200)
    status: AlertStatus = Field(
        sa_column=Column(_enum(AlertStatus, "alert_status"), nullable=False))
    customer: str = Field(max_length=64)
    device: str | None = Field(default=None, max_length=64)
    problem_key: str | None = Field(default=None, max_length=200)
    summary: str = Field(default="", max_length=500)
    starts_at: datetime = Field(sa_column=_utc())
    ends_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    last_seen_at: datetime = Field(sa_column=_utc())
