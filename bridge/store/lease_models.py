"""The tables of several instances on one PostgreSQL: shard leases and live instances."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel

from bridge.store.columns import utc_column as _utc


class ShardLease(SQLModel, table=True):
    """Who may probe and write one shard's devices, until when (by the database's clock).

    `epoch` only grows: every claim by a new holder increments it, and every write that
    decides something for the shard checks it in its own transaction (fencing). Shard -1
    is the leader's lease: the once-only work."""

    __tablename__ = "shard_lease"

    shard: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    owner: str | None = Field(default=None, max_length=128)
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class BridgeInstance(SQLModel, table=True):
    """A running instance, as long as it keeps renewing: the divisor of the fair share."""

    __tablename__ = "bridge_instance"

    name: str = Field(primary_key=True, max_length=128)
    started_at: datetime = Field(sa_column=_utc())
    expires_at: datetime = Field(sa_column=_utc())
