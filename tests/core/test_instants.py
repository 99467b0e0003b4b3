"""The range of instants bridge takes from outside, at its ends and in every offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bridge.core.instants import OutOfRange, in_range
from bridge.core.wall_clock import local_text

EAST, WEST = timezone(timedelta(hours=14)), timezone(timedelta(hours=-14))


@pytest.mark.parametrize(("at", "utc"), [
    (datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 1, tzinfo=UTC)),
    (datetime(1970, 1, 1, 14, tzinfo=EAST), datetime(1970, 1, 1, tzinfo=UTC)),
    (datetime(9000, 12, 31, 9, 59, 59, tzinfo=WEST), datetime(9000, 12, 31, 23, 59, 59,
                                                              tzinfo=UTC)),
])
def test_the_ends_of_the_range_are_taken_in_utc(at: datetime, utc: datetime) -> None:
    assert in_range(at) == utc
    assert in_range(at).tzinfo is UTC


@pytest.mark.parametrize("at", [
    datetime(1, 1, 1, tzinfo=EAST),  # no UTC for it
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=WEST),  # nor for this
    datetime(1970, 1, 1, 13, 59, 59, tzinfo=EAST),
    datetime(9000, 12, 31, 10, tzinfo=WEST),
    datetime(9001, 1, 1, tzinfo=UTC),
])
def test_instants_out_of_range_say_the_range(at: datetime) -> None:
    with pytest.raises(OutOfRange, match=r"^must be from 1970-01-01T00:00:00Z to "
                                         r"9000-12-31T23:59:59Z, got "):
        in_range(at)


def test_an_instant_a_zone_cannot_show_is_shown_in_its_own_offset() -> None:
    assert local_text(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), "Asia/Tokyo") == \
        "9999-12-31 23:59 +00:00"
    assert local_text(datetime(1, 1, 1, tzinfo=UTC), "America/New_York", seconds=True) == \
        "0001-01-01 00:00:00 +00:00"
