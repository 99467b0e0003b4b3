"""The instants bridge takes from outside (an alert's start, a ticket's ETA, a supplier's due
time): aware, and within one range, so that every zone can show them and every store keep them.

Python's datetime ends at year 1 and 9999 in each offset: `0001-01-01T00:00+05:00` has no
UTC, and `9999-12-31T23:59-14:00` none either, nor a local time east of UTC. The range
keeps a day clear of both ends for any offset; before 1970 is never a time bridge saw.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, 23, 59, 59, tzinfo=UTC)
RANGE_TEXT = "from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z"


class OutOfRange(ValueError):
    """An instant outside [EARLIEST, LATEST]; its text says the range."""


def in_range(at: datetime) -> datetime:
    """The aware instant `at`, in UTC, or OutOfRange saying the accepted range."""
    # Far from the ends, as seen without converting: converting year 1 or 9999 may overflow.
    if EARLIEST.year <= at.year <= LATEST.year:
        utc = at.astimezone(UTC)
        if EARLIEST <= utc <= LATEST:
            return utc
    raise OutOfRange(f"must be {RANGE_TEXT}, got {at.isoformat()}")


def checked_instant(at: datetime) -> datetime:
    """in_range as a pydantic validator: out of range, an error that is the reason alone."""
    try:
        return in_range(at)
    except OutOfRange as exc:
        # A custom error, so the message is ours alone (no "Value error, " before it).
        raise PydanticCustomError("instant_range", str(exc)) from None


# An RFC 3339 time with its offset, in range; validated as UTC.
Instant = Annotated[AwareDatetime, AfterValidator(checked_instant),
                    Field(description=f"an RFC 3339 time with its offset, {RANGE_TEXT}")]
