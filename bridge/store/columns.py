"""Column types the tables share: closed sets as their values, instants in UTC."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlalchemy import Enum as SAEnum

from bridge.store.types import UTCDateTime


def enum_column(enum: type[StrEnum], name: str) -> SAEnum:
    """A closed set stored as its values (not a native enum: the same on every backend)."""
    return SAEnum(enum, name=name, native_enum=False, length=32,
                  values_callable=lambda e: [m.value for m in e], validate_strings=True)


def utc_column(nullable: bool = False, index: bool = False) -> Column[datetime]:
    """A UTC timestamp column."""
    return Column(UTCDateTime(), nullable=nullable, index=index)
