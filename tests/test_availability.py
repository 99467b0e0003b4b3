"""Time-weighted availability over windows, with hand-computed expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.availability import availability_ratio, combine_changes
from bridge.core.state import Status

UP, DOWN, UNKNOWN = Status.UP, Status.DOWN, Status.UNKNOWN
T0 = datetime(2026, 5, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("changes", "start", "end", "expected"),
    [
        ([(at(0), UP)], 0, 60, 1.0),
        ([(at(0), UP), (at(30), DOWN)], 0, 60, 0.5),
        ([(at(0), UP), (at(30), DOWN), (at(45), UP)], 0, 60, 0.75),
        # down before the window started, recovered inside it
        ([(at(-100), DOWN), (at(6), UP)], 0, 60, 0.9),
        # monitoring began inside the window: earlier time is unknown, not down
        ([(at(30), UP)], 0, 60, 1.0),
        ([(at(30), UP), (at(45), DOWN)], 0, 60, 0.5),
        # changes after the window end are ignored
        ([(at(0), UP), (at(90), DOWN)], 0, 60, 1.0),
        # nothing known
        ([], 0, 60, None),
        ([(at(70), UP)], 0, 60, None),
    ],
)
def test_ratio(changes: list[tuple[datetime, Status]], start: float, end: float,
               expected: float | None) -> None:
    assert availability_ratio(changes, at(start), at(end)) == expected


def test_device_is_down_while_any_check_is_down() -> None:
    ping = [(at(0), UP), (at(10), DOWN), (at(20), UP)]
    snmp = [(at(0), UP), (at(15), DOWN), (at(30), UP)]
    merged = combine_changes([ping, snmp])
    assert merged == [(at(0), UP), (at(10), DOWN), (at(30), UP)]
    assert availability_ratio(merged, at(0), at(60)) == pytest.approx(40 / 60)
