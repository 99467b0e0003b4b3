"""Weekly and cron maintenance windows across both DST changes, in four zones.

Expected starts are worked out by hand from each zone's rules: a start the clocks skip is
taken at the jump, a repeated one at its first occurrence (docs/behaviour.md, "Maintenance
windows").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.config.maintenance import Maintenance
from bridge.core.maintenance import MaintenanceRule, parse_weekly


def rule(zone: str, *, weekly: tuple[str, ...] = (), cron: str | None = None,
         duration_min: float = 60) -> MaintenanceRule:
    return Maintenance(devices=("host",), timezone=zone, weekly=weekly, cron=cron,
                       duration_min=duration_min).compile("window")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (zone, weekly start, cron, range start, the three Sunday starts in UTC around the change)
CHANGES = [
    # Helsinki springs forward 03:00 EET -> 04:00 EEST: 03:30 is skipped, taken at 04:00
    ("Europe/Helsinki", "sun 03:30", "30 3 * * 0", "2026-03-21",
     ["2026-03-22T01:30", "2026-03-29T01:00", "2026-04-05T00:30"]),
    # ... and falls back 04:00 EEST -> 03:00 EET: 03:30 comes twice, the first one counts
    ("Europe/Helsinki", "sun 03:30", "30 3 * * 0", "2026-10-17",
     ["2026-10-18T00:30", "2026-10-25T00:30", "2026-11-01T01:30"]),
    ("America/New_York", "sun 02:30", "30 2 * * 0", "2026-02-28",
     ["2026-03-01T07:30", "2026-03-08T07:00", "2026-03-15T06:30"]),
    ("America/New_York", "sun 01:30", "30 1 * * 0", "2026-10-24",
     ["2026-10-25T05:30", "2026-11-01T05:30", "2026-11-08T06:30"]),
    # Sydney falls back in April (03:00 AEDT -> 02:00 AEST), springs forward in October
    ("Australia/Sydney", "sun 02:30", "30 2 * * 0", "2026-03-28",
     ["2026-03-28T15:30", "2026-04-04T15:30", "2026-04-11T16:30"]),
    ("Australia/Sydney", "sun 02:30", "30 2 * * 0", "2026-09-26",
     ["2026-09-26T16:30", "2026-10-03T16:00", "2026-10-10T15:30"]),
    # Chatham (+13:45 / +12:45) changes at 02:45 local, by an hour
    ("Pacific/Chatham", "sun 03:00", "0 3 * * 0", "2026-03-28",
     ["2026-03-28T13:15", "2026-04-04T13:15", "2026-04-11T14:15"]),
    ("Pacific/Chatham", "sun 03:00", "0 3 * * 0", "2026-09-19",
     ["2026-09-19T14:15", "2026-09-26T14:00", "2026-10-03T13:15"]),
]


@pytest.mark.parametrize("form", ["weekly", "cron"])
@pytest.mark.parametrize(("zone", "weekly", "cron", "first_day", "starts"), CHANGES)
def test_windows_around_a_dst_change(form: str, zone: str, weekly: str, cron: str,
                                     first_day: str, starts: list[str]) -> None:
    window = (rule(zone, weekly=(weekly,)) if form == "weekly" else rule(zone, cron=cron))
    begin = utc(first_day + "T00:00")
    found = window.windows(begin, begin + timedelta(days=17))
    assert [(w.start, w.end - w.start) for w in found] == [
        (utc(s), timedelta(hours=1)) for s in starts]
    # the changed day's window, asked moment by moment, is the same one
    change_day = utc(starts[1])
    inside = window.window_at(change_day + timedelta(minutes=59))
    assert inside is not None
    assert inside.start == change_day
    assert window.window_at(change_day - timedelta(seconds=1)) is None
    assert window.window_at(change_day + timedelta(hours=1)) is None


def test_a_cron_window_at_a_repeated_time_is_found_once_and_ends() -> None:
    """Issue 11.19: 03:00 twice in Helsinki on 2026-10-25 made occurrences never return."""
    nightly = rule("Europe/Helsinki", cron="0 3 * * 0")
    found = nightly.windows(utc("2026-10-24T00:00"), utc("2026-10-26T00:00"))
    assert [(w.start, w.end) for w in found] == [
        (utc("2026-10-25T00:00"), utc("2026-10-25T01:00"))]
    assert nightly.window_at(utc("2026-10-25T01:30")) is None  # the second 03:00 is not one


@pytest.mark.parametrize(("cron", "day", "starts"), [
    # four starts in the skipped hour are one window, from the jump
    ("*/15 3 * * 0", "2026-03-29", ["2026-03-29T01:00"]),
    # the repeated hour's starts are its first pass only
    ("*/15 3 * * 0", "2026-10-25",
     ["2026-10-25T00:00", "2026-10-25T00:15", "2026-10-25T00:30", "2026-10-25T00:45"]),
])
def test_frequent_cron_starts_in_a_changed_hour(cron: str, day: str, starts: list[str]) -> None:
    window = rule("Europe/Helsinki", cron=cron, duration_min=10)
    found = window.windows(utc(day + "T00:00"), utc(day + "T12:00"))
    assert [w.start for w in found] == [utc(s) for s in starts]


def test_a_window_on_a_weekday_range_covers_every_day() -> None:
    """Issue 12.10: "mon-fri 22:00" covered Monday only."""
    nightly = rule("UTC", weekly=("mon-fri 22:00", "sat,sun 06:00"))
    found = nightly.windows(utc("2026-06-01T00:00"), utc("2026-06-08T00:00"))  # Mon..Sun
    assert [w.start.isoformat()[:16] for w in found] == [
        "2026-06-01T22:00", "2026-06-02T22:00", "2026-06-03T22:00", "2026-06-04T22:00",
        "2026-06-05T22:00", "2026-06-06T06:00", "2026-06-07T06:00"]


@pytest.mark.parametrize("entry", [
    "monkey 03:00", "sat,sun", "mon-funday 22:00", "tue 25:00", "tue 22:00:30", "tue 22:00 x",
    "mon,,fri 22:00", "tuesday 22:00",
])
def test_weekly_entries_that_are_not_days_and_a_time_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="expected 'DAYS HH:MM'"):
        parse_weekly(entry)


def test_weekly_days_read_as_calendars_read_them() -> None:
    assert [d for d, _ in parse_weekly("sat-mon 01:00")] == [5, 6, 0]
    assert [d for d, _ in parse_weekly("Mon,WED-thu 01:00")] == [0, 2, 3]
