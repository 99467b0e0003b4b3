"""The availability tables: rolled-up days of devices and checks, and their outages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bridge.core.outages import Cause
from bridge.store.columns import enum_column as _enum
from bridge.store.columns import utc_column as _utc
from bridge.store.types import UTCDateTime


class AvailabilityRollup(SQLModel, table=True):
    """A customer's local day whose availability is rolled up (its rows below are final)."""

    __tablename__ = "availability_rollup"

    customer: str = Field(primary_key=True, max_length=64)
    starts_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    ends_at: datetime = Field(sa_column=_utc())
    day: date
    computed_at: datetime = Field(sa_column=_utc())


class AvailabilityDay(SQLModel, table=True):
    """One rolled-up local day of a device (probe "") or of one check: seconds, not samples.

    `total_*` run on from the device's first rolled-up day, so a period's seconds are the
    difference of two rows (its last day's totals less those of the day before it), read
    by key, instead of a sum over every day of every device.
    """

    __tablename__ = "availability_day"
    __table_args__ = (
        UniqueConstraint("ends_at", "probe", "device", name="uq_availability_day"),
        Index("ix_availability_day_device_probe_ends_at", "device", "probe", "ends_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer: str = Field(max_length=64, index=True)
    device: str = Field(max_length=64)
    probe: str = Field(default="", max_length=64)
    starts_at: datetime = Field(sa_column=_utc())
    ends_at: datetime = Field(sa_column=_utc())
    counted_s: float = 0.0
    down_s: float = 0.0
    parent_s: float = 0.0
    maintenance_s: float = 0.0
    total_counted_s: float = 0.0
    total_down_s: float = 0.0
    total_parent_s: float = 0.0
    total_maintenance_s: float = 0.0


class AvailabilityOutage(SQLModel, table=True):
    """A device's outage as one rolled-up day saw it; `started_at` identifies the outage."""

    __tablename__ = "availability_outage"
    __table_args__ = (
        UniqueConstraint("device", "started_at", "day_starts_at", name="uq_availability_outage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer: str = Field(max_length=64, index=True)
    device: str = Field(max_length=64)
    cause: Cause = Field(sa_column=Column(_enum(Cause, "outage_cause"), nullable=False))
    root: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(sa_column=_utc())
    ended_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))
    day_starts_at: datetime = Field(sa_column=_utc(index=True))
    down_s: float = 0.0
    maintenance_s: float = 0.0
    counted_begins: bool = False
    maintenance_begins: bool = False
