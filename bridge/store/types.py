"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; always returns aware UTC datetimes.

    SQLite has no time zone support, so a naive value read back is UTC by contract.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_epoch(value: datetime | str) -> float:
    """Epoch seconds of an instant read without UTCDateTime: SQLite gives its stored UTC
    text, PostgreSQL an aware datetime."""
    if isinstance(value, str):  # the same number as .replace(tzinfo=UTC).timestamp()
        return (datetime.fromisoformat(value) - _NAIVE_EPOCH).total_seconds()
    return value.timestamp()


_NAIVE_EPOCH = datetime(1970, 1, 1)  # SQLite's stored text is naive UTC
