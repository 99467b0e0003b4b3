"""Coverage calendars: hours counted, holidays, DST in both directions, adding coverage time.

DST in 2026: Europe/Helsinki springs forward on Sun 29 Mar (03:00 EET -> 04:00 EEST, at
01:00 UTC) and falls back on Sun 25 Oct (04:00 EEST -> 03:00 EET, at 01:00 UTC);
America/New_York on Sun 8 Mar (02:00 EST -> 03:00 EDT) and Sun 1 Nov (02:00 EDT -> 01:00 EST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bridge.core.calendar import Coverage, Span, parse_spans

HEL = ZoneInfo("Europe/Helsinki")
NYC = ZoneInfo("America/New_York")
XMAS = (date(2026, 12, 24), date(2026, 12, 25))


def calendar(zone: ZoneInfo, *weekly: str, holidays: tuple[date, ...] = ()) -> Coverage:
    return Coverage(zone, tuple(s for entry in weekly for s in parse_spans(entry)),
                    frozenset(holidays))


def hel(*args: int) -> datetime:
    return datetime(*args, tzinfo=HEL)  # type: ignore[misc]


def nyc(*args: int) -> datetime:
    return datetime(*args, tzinfo=NYC)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


ALWAYS = Coverage.always()
OFFICE = calendar(HEL, "mon-fri 08:00-18:00", holidays=XMAS)
HEL_DAYS = calendar(HEL, "mon-sun 00:00-24:00")
NYC_DAYS = calendar(NYC, "mon-sun 00:00-24:00")
# 24x7 but for Christmas, written in two halves a day
ALL_BUT_XMAS = calendar(HEL, "mon-sun 00:00-12:00", "mon-sun 12:00-24:00", holidays=XMAS)


@pytest.mark.parametrize(
    ("coverage", "start", "end", "hours"),
    [
        # 24x7 counts real time: the local days the clocks change last 23 and 25 hours
        (ALWAYS, hel(2026, 3, 29), hel(2026, 3, 30), 23),
        (ALWAYS, hel(2026, 10, 25), hel(2026, 10, 26), 25),
        (HEL_DAYS, hel(2026, 3, 29), hel(2026, 3, 30), 23),
        (HEL_DAYS, hel(2026, 10, 25), hel(2026, 10, 26), 25),
        (NYC_DAYS, nyc(2026, 3, 8), nyc(2026, 3, 9), 23),
        (NYC_DAYS, nyc(2026, 11, 1), nyc(2026, 11, 2), 25),
        # 08:00-18:00 lies after the change: 10 h on both DST Sundays
        (calendar(HEL, "sun 08:00-18:00"), hel(2026, 10, 25), hel(2026, 10, 26), 10),
        (calendar(HEL, "sun 08:00-18:00"), hel(2026, 3, 29), hel(2026, 3, 30), 10),
        # a span across the change: the skipped hour is not lived, the repeated one twice
        (calendar(HEL, "sun 02:00-06:00"), hel(2026, 3, 29), hel(2026, 3, 30), 3),
        (calendar(HEL, "sun 02:00-06:00"), hel(2026, 10, 25), hel(2026, 10, 26), 5),
        (calendar(NYC, "sun 00:00-06:00"), nyc(2026, 3, 8), nyc(2026, 3, 9), 5),
        (calendar(NYC, "sun 00:00-06:00"), nyc(2026, 11, 1), nyc(2026, 11, 2), 7),
        # a span starting inside the skipped hour starts when the clocks jump
        (calendar(HEL, "sun 03:15-05:00"), hel(2026, 3, 29), hel(2026, 3, 30), 1),
        # business hours: a month, a week with two holidays, a Saturday morning
        (OFFICE, hel(2026, 3, 1), hel(2026, 4, 1), 22 * 10),
        (OFFICE, hel(2026, 12, 21), hel(2026, 12, 28), 3 * 10),
        (calendar(HEL, "mon-fri 08:00-18:00", "sat 09:00-13:00"), hel(2026, 3, 2),
         hel(2026, 3, 9), 54),
        # partial days, nights and weekends
        (OFFICE, hel(2026, 3, 2, 12), hel(2026, 3, 2, 15), 3),
        (OFFICE, hel(2026, 3, 6, 17), hel(2026, 3, 9, 9), 2),
        (OFFICE, hel(2026, 3, 7, 10), hel(2026, 3, 8, 23), 0),
        (OFFICE, hel(2026, 12, 24, 9), hel(2026, 12, 25, 17), 0),
        (OFFICE, hel(2026, 3, 2, 15), hel(2026, 3, 2, 12), 0),
        (ALL_BUT_XMAS, hel(2026, 12, 23), hel(2026, 12, 28), 3 * 24),
        (ALL_BUT_XMAS, hel(2027, 6, 1), hel(2027, 6, 3), 48),
        # the Monday after spring-forward is 10 h too, in the new offset
        (OFFICE, utc(2026, 3, 30, 5), utc(2026, 3, 30, 15), 10),
    ],
)
def test_covered_hours(coverage: Coverage, start: datetime, end: datetime,
                       hours: float) -> None:
    assert coverage.covered_seconds(start, end) == hours * 3600


@pytest.mark.parametrize(
    ("coverage", "start", "hours", "expected"),
    [
        (OFFICE, hel(2026, 3, 6, 17), 2, hel(2026, 3, 9, 9)),  # Friday evening -> Monday
        (OFFICE, hel(2026, 3, 7, 10), 0.25, hel(2026, 3, 9, 8, 15)),  # from a Saturday
        (OFFICE, hel(2026, 3, 7, 10), 0, hel(2026, 3, 7, 10)),  # nothing to add: now
        (OFFICE, hel(2026, 3, 2, 8), 10, hel(2026, 3, 2, 18)),  # the whole day, to its end
        (OFFICE, hel(2026, 12, 23, 17, 30), 1, hel(2026, 12, 28, 8, 30)),  # over Christmas
        (OFFICE, hel(2026, 3, 27, 17), 2, hel(2026, 3, 30, 9)),  # over spring-forward
        (ALWAYS, hel(2026, 10, 24, 12), 24, hel(2026, 10, 25, 11)),  # a 25 h day
        (HEL_DAYS, hel(2026, 10, 24, 12), 24, hel(2026, 10, 25, 11)),
        (NYC_DAYS, nyc(2026, 3, 7, 12), 24, nyc(2026, 3, 8, 13)),  # a 23 h day
        (calendar(NYC, "mon-sun 09:00-17:00"), nyc(2026, 3, 7, 16), 2, nyc(2026, 3, 8, 10)),
        # into the repeated hour: 3 h after midnight is 03:00 EET, the second time round
        (calendar(HEL, "sun 02:00-06:00"), hel(2026, 10, 25), 3, utc(2026, 10, 25, 2)),
        (ALL_BUT_XMAS, hel(2026, 12, 23, 12), 24, hel(2026, 12, 26, 12)),
        (ALL_BUT_XMAS, hel(2027, 1, 1), 24, hel(2027, 1, 2)),
        (OFFICE, hel(2026, 1, 1, 8), 2000, hel(2026, 10, 7, 18)),  # 200 working days
    ],
)
def test_add_coverage_time(coverage: Coverage, start: datetime, hours: float,
                           expected: datetime) -> None:
    assert coverage.add(start, hours * 3600) == expected


@pytest.mark.parametrize(
    ("coverage", "at", "covered"),
    [
        (OFFICE, hel(2026, 3, 2, 8), True),
        (OFFICE, hel(2026, 3, 2, 7, 59, 59), False),
        (OFFICE, hel(2026, 3, 2, 17, 59, 59), True),
        (OFFICE, hel(2026, 3, 2, 18), False),
        (OFFICE, hel(2026, 3, 7, 12), False),  # Saturday
        (OFFICE, hel(2026, 12, 24, 12), False),  # a holiday
        (ALWAYS, hel(2026, 12, 24, 12), True),
        (ALL_BUT_XMAS, hel(2026, 12, 24, 12), False),
        (ALL_BUT_XMAS, hel(2026, 12, 26), True),
        (ALL_BUT_XMAS, hel(2030, 1, 1), True),
        # 03:00-04:00 on the fall-back day happens twice, and both count
        (calendar(HEL, "sun 03:00-04:00"), utc(2026, 10, 25, 0, 30), True),
        (calendar(HEL, "sun 03:00-04:00"), utc(2026, 10, 25, 1, 30), True),
        (calendar(HEL, "sun 03:00-04:00"), utc(2026, 10, 25, 2), False),
    ],
)
def test_is_covered(coverage: Coverage, at: datetime, covered: bool) -> None:
    assert coverage.is_covered(at) is covered


@pytest.mark.parametrize(
    ("coverage", "at", "expected"),
    [
        (OFFICE, hel(2026, 3, 2, 9, 30), hel(2026, 3, 2, 9, 30)),  # covered: itself
        (OFFICE, hel(2026, 3, 2, 8), hel(2026, 3, 2, 8)),  # the opening is covered
        (OFFICE, hel(2026, 3, 2, 18), hel(2026, 3, 3, 8)),  # the close is not
        (OFFICE, hel(2026, 3, 2, 7, 59, 59), hel(2026, 3, 2, 8)),
        (OFFICE, hel(2026, 3, 6, 18), hel(2026, 3, 9, 8)),  # Friday's close: Monday
        (OFFICE, hel(2026, 12, 23, 18), hel(2026, 12, 28, 8)),  # over Christmas and a weekend
        # Friday's close before spring-forward: Monday 08:00 EEST
        (OFFICE, hel(2026, 3, 27, 18), utc(2026, 3, 30, 5)),
        (ALWAYS, hel(2026, 12, 24, 18), hel(2026, 12, 24, 18)),
        (ALL_BUT_XMAS, hel(2026, 12, 23, 23), hel(2026, 12, 23, 23)),
        (ALL_BUT_XMAS, hel(2026, 12, 24, 12), hel(2026, 12, 26)),
    ],
)
def test_next_covered_moment(coverage: Coverage, at: datetime, expected: datetime) -> None:
    assert coverage.next_covered(at) == expected


def test_intervals_are_utc_and_clipped_to_the_range() -> None:
    assert OFFICE.intervals(hel(2026, 3, 27, 12), hel(2026, 3, 31, 10)) == [
        (utc(2026, 3, 27, 10), utc(2026, 3, 27, 16)),  # Friday, EET (UTC+2)
        (utc(2026, 3, 30, 5), utc(2026, 3, 30, 15)),  # Monday, EEST (UTC+3)
        (utc(2026, 3, 31, 5), utc(2026, 3, 31, 7)),
    ]
    assert ALWAYS.intervals(hel(2026, 3, 1), hel(2026, 4, 1)) == [
        (utc(2026, 2, 28, 22), utc(2026, 3, 31, 21))
    ]
    # full local days join into one interval across midnight
    assert HEL_DAYS.intervals(hel(2026, 3, 28, 12), hel(2026, 3, 30, 12)) == [
        (utc(2026, 3, 28, 10), utc(2026, 3, 30, 9))
    ]


@pytest.mark.parametrize(
    ("coverage", "first_day"),
    [
        (calendar(HEL, "mon-fri 08:00-18:00", "sat,sun 02:30-05:00", holidays=XMAS),
         hel(2026, 3, 27)),
        (calendar(HEL, "mon-sun 00:00-03:30", "sun 03:30-24:00"), hel(2026, 10, 23)),
        (calendar(NYC, "mon-sun 01:00-02:30", "sat-mon 12:00-24:00"), nyc(2026, 3, 6)),
        (calendar(NYC, "sun 00:00-01:30", "sun 01:30-02:00"), nyc(2026, 10, 30)),
    ],
)
def test_agrees_with_the_wall_clock_minute_by_minute(coverage: Coverage,
                                                     first_day: datetime) -> None:
    """Read every minute's wall time: covered exactly when it shows a covered time."""
    start = first_day.astimezone(UTC)
    minutes = [start + timedelta(minutes=i) for i in range(4 * 24 * 60)]

    def on_the_wall(at: datetime) -> bool:
        wall = at.astimezone(coverage.zone)
        minute = wall.hour * 60 + wall.minute
        return wall.date() not in coverage.holidays and any(
            s.weekday == wall.weekday() and s.start_min <= minute < s.end_min
            for s in coverage.spans)

    expected = [on_the_wall(m) for m in minutes]
    assert [coverage.is_covered(m) for m in minutes] == expected
    assert coverage.covered_seconds(start, minutes[-1] + timedelta(minutes=1)) == \
        60 * sum(expected)


@pytest.mark.parametrize(
    ("entry", "spans"),
    [
        ("mon 08:00-18:00", [Span(0, 480, 1080)]),
        ("mon-wed 9:30-12:00", [Span(0, 570, 720), Span(1, 570, 720), Span(2, 570, 720)]),
        ("sat,sun 00:00-24:00", [Span(5, 0, 1440), Span(6, 0, 1440)]),
        ("sat-mon 10:00-11:00", [Span(5, 600, 660), Span(6, 600, 660), Span(0, 600, 660)]),
        ("Fri 10:00 - 11:00", [Span(4, 600, 660)]),
    ],
)
def test_parse_spans(entry: str, spans: list[Span]) -> None:
    assert list(parse_spans(entry)) == spans


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("mon-fri 8-18", "expected 'DAYS HH:MM-HH:MM' such as 'mon-fri 08:00-18:00'"),
        ("funday 08:00-18:00", "expected 'DAYS HH:MM-HH:MM'"),
        ("mon 08:00-25:00", "expected 'DAYS HH:MM-HH:MM'"),
        ("mon 24:00-24:00", "expected 'DAYS HH:MM-HH:MM'"),
        ("mon 08:61-09:00", "expected 'DAYS HH:MM-HH:MM'"),
        ("mon 22:00-06:00", "a span may not cross midnight"),
        ("mon 08:00-08:00", "the end must be after the start"),
    ],
)
def test_parse_spans_rejects(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_spans(entry)


def test_naive_times_and_empty_calendars_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone-aware"):
        OFFICE.covered_seconds(datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="at least one covered span"):
        Coverage(HEL, ())
    with pytest.raises(ValueError, match=">= 0"):
        OFFICE.add(hel(2026, 3, 2, 8), -1)


@pytest.mark.parametrize(("weekly", "hours"), [
    (("mon-fri 08:00-18:00",), ("mon-fri 08:00-18:00",)),
    (("mon-fri 08:00-18:00", "sat 09:00-13:00"), ("mon-fri 08:00-18:00", "sat 09:00-13:00")),
    (("mon-fri 08:00-12:00", "mon-fri 12:00-16:00"), ("mon-fri 08:00-16:00",)),  # joined
    (("mon,wed 08:00-12:00", "mon,wed 13:00-17:00"),
     ("mon 08:00-12:00", "mon 13:00-17:00", "wed 08:00-12:00", "wed 13:00-17:00")),
    (("sat-sun 00:00-24:00",), ("sat-sun 00:00-24:00",)),
    (("mon-sun 00:00-24:00",), ("mon-sun 00:00-24:00",)),
])
def test_weekly_hours_read_as_they_are_written(weekly: tuple[str, ...],
                                               hours: tuple[str, ...]) -> None:
    """What a report states as the hours its availability counted in."""
    assert calendar(HEL, *weekly).weekly_hours() == hours
