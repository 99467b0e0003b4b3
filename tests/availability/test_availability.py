"""Golden timelines: availability as the contract counts it, with hand-computed percentages.

Times are written with their UTC offset, as a person reading the customer's clock would;
each case says how its numbers come about.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bridge.core.availability import DeviceHistory, Measured, Scope, Tally, measure
from bridge.core.calendar import Coverage, parse_spans
from bridge.core.outages import Cause
from bridge.core.periods import local_day, month_bounds
from bridge.core.spans import Span, from_datetimes, moment
from bridge.core.state import Status

UP, DOWN = Status.UP, Status.DOWN
HELSINKI = ZoneInfo("Europe/Helsinki")
MIN = 60.0
HOUR = 3600.0


def t(text: str) -> float:
    """'2026-03-31T23:00+03:00' as epoch seconds."""
    return datetime.fromisoformat(text).timestamp()


def span(start: str, end: str) -> Span:
    return t(start), t(end)


def ping(*changes: tuple[str, Status]) -> dict[str, list[tuple[float, Status]]]:
    return {"ping": [(t(at), status) for at, status in changes]}


def device(name: str, checks: dict[str, list[tuple[float, Status]]], **keys: Any) -> DeviceHistory:
    keys.setdefault("reachability", ("ping",))
    return DeviceHistory(name, keys.pop("customer", "acme"), checks, **keys)


def one(histories: Sequence[DeviceHistory], scope: Scope, name: str = "host") -> Measured:
    return measure(histories, scope)[name]


def pct(tally: Tally) -> float:
    assert tally.ratio is not None
    return round(100 * tally.ratio, 4)


LONG_AGO = "2026-01-01T00:00+00:00"  # monitoring began well before every period below


def test_an_outage_across_a_month_end_counts_in_both_months_and_begins_in_the_first() -> None:
    # 23:00-01:00 Helsinki summer time across 31 March / 1 April: one hour in each month.
    host = device("host", ping((LONG_AGO, UP), ("2026-03-31T23:00+03:00", DOWN),
                               ("2026-04-01T01:00+03:00", UP)))
    march = month_bounds(2026, 3, HELSINKI)  # 31 days less the spring-forward hour: 743 h
    april = month_bounds(2026, 4, HELSINKI)  # 720 h
    assert (march[1] - march[0]).total_seconds() == 743 * HOUR
    in_march = one([host], Scope(march[0].timestamp(), march[1].timestamp()))
    in_april = one([host], Scope(april[0].timestamp(), april[1].timestamp(),
                                 lookback_start=april[0].timestamp() - 7 * 86400))
    assert in_march.tally == Tally(743 * HOUR, 60 * MIN)
    assert pct(in_march.tally) == 99.8654  # 1 - 1/743
    assert pct(in_april.tally) == 99.8611  # 1 - 1/720
    [first] = in_march.outages
    [rest] = in_april.outages
    assert (first.started, first.ended, first.counted_begins) == (
        t("2026-03-31T23:00+03:00"), None, True)  # still down when March ended
    assert (rest.started, rest.ended, rest.counted_begins) == (
        t("2026-03-31T23:00+03:00"), t("2026-04-01T01:00+03:00"), False)  # counted in March


@pytest.mark.parametrize(("day", "down", "up", "hours", "expected"), [
    # spring forward: 02:30 EET is 00:30 UTC, 04:30 EEST is 01:30 UTC: one hour of a 23-hour day
    ("2026-03-29", "2026-03-29T02:30+02:00", "2026-03-29T04:30+03:00", 23, 95.6522),
    # fall back: 03:30 EEST to 03:30 EET, the same wall time, one hour apart, of a 25-hour day
    ("2026-10-25", "2026-10-25T03:30+03:00", "2026-10-25T03:30+02:00", 25, 96.0),
])
def test_an_outage_across_a_dst_change_counts_elapsed_time(
    day: str, down: str, up: str, hours: int, expected: float
) -> None:
    host = device("host", ping((LONG_AGO, UP), (down, DOWN), (up, UP)))
    local = local_day(datetime.fromisoformat(day).date(), HELSINKI)
    measured = one([host], Scope(local.start.timestamp(), local.end.timestamp()))
    assert measured.tally == Tally(hours * HOUR, HOUR)
    assert pct(measured.tally) == expected


DAY = Scope(t("2026-06-02T00:00+00:00"), t("2026-06-03T00:00+00:00"))


def test_an_outage_overlapping_a_maintenance_window_counts_only_outside_it() -> None:
    # Down 10:00-12:00, window 11:00-13:00: the window's 2 h are not counted at all, and of
    # the outage only 10:00-11:00 is: 1 - 1/22.
    host = device("host", ping((LONG_AGO, UP), ("2026-06-02T10:00+00:00", DOWN),
                               ("2026-06-02T12:00+00:00", UP)),
                  maintenance=[span("2026-06-02T11:00+00:00", "2026-06-02T13:00+00:00")])
    measured = one([host], DAY)
    assert measured.tally == Tally(22 * HOUR, HOUR, 0, HOUR)
    assert pct(measured.tally) == 95.4545
    [outage] = measured.outages
    assert (outage.cause, outage.down_s, outage.maintenance_s) == (Cause.OWN, HOUR, HOUR)
    assert (outage.counted_begins, outage.maintenance_begins) == (True, True)


def test_an_outage_inside_a_maintenance_window_is_excluded_but_reported() -> None:
    host = device("host", ping((LONG_AGO, UP), ("2026-06-02T11:15+00:00", DOWN),
                               ("2026-06-02T12:45+00:00", UP)),
                  maintenance=[span("2026-06-02T11:00+00:00", "2026-06-02T13:00+00:00")])
    measured = one([host], DAY)
    assert measured.tally == Tally(22 * HOUR, 0, 0, 90 * MIN)
    assert pct(measured.tally) == 100.0
    [outage] = measured.outages
    assert (outage.down_s, outage.maintenance_s) == (0, 90 * MIN)
    assert (outage.counted_begins, outage.maintenance_begins) == (False, True)


def weekdays_8_to_18(first_monday: int, weeks: int) -> list[Span]:
    return [span(f"2026-06-{first_monday + 7 * w + d:02d}T08:00+00:00",
                 f"2026-06-{first_monday + 7 * w + d:02d}T18:00+00:00")
            for w in range(weeks) for d in range(5)]


def test_only_coverage_hours_count() -> None:
    # Weekdays 08-18: 50 covered hours in the week of Monday 1 June. Down Tuesday 17:00 to
    # Wednesday 09:00: 1 h on Tuesday and 1 h on Wednesday count, 1 - 2/50. A Saturday
    # outage counts nothing and is not an outage of the contract.
    host = device("host", ping((LONG_AGO, UP), ("2026-06-02T17:00+00:00", DOWN),
                               ("2026-06-03T09:00+00:00", UP),
                               ("2026-06-06T10:00+00:00", DOWN), ("2026-06-06T11:00+00:00", UP)))
    week = Scope(t("2026-06-01T00:00+00:00"), t("2026-06-08T00:00+00:00"),
                 coverage={"acme": weekdays_8_to_18(1, 1)})
    measured = one([host], week)
    assert measured.tally == Tally(50 * HOUR, 2 * HOUR)
    assert pct(measured.tally) == 96.0
    assert [(o.started, o.down_s) for o in measured.outages] == [
        (t("2026-06-02T17:00+00:00"), 2 * HOUR)]


def test_an_outage_that_begins_outside_coverage_counts_where_its_counted_time_begins() -> None:
    # Down from Friday 5 June 20:00 until Monday 8 June 08:30: its first counted minute is
    # Monday 08:00, so the week of 8 June counts it, though it started the week before.
    host = device("host", ping((LONG_AGO, UP), ("2026-06-05T20:00+00:00", DOWN),
                               ("2026-06-08T08:30+00:00", UP)))
    coverage = {"acme": weekdays_8_to_18(1, 2)}
    first = one([host], Scope(t("2026-06-01T00:00+00:00"), t("2026-06-08T00:00+00:00"),
                              coverage=coverage))
    second = one([host], Scope(t("2026-06-08T00:00+00:00"), t("2026-06-15T00:00+00:00"),
                               coverage=coverage, lookback_start=t("2026-06-01T00:00+00:00")))
    assert first.outages == ()  # nothing counted that week
    [outage] = second.outages
    assert (outage.started, outage.down_s, outage.counted_begins) == (
        t("2026-06-05T20:00+00:00"), 30 * MIN, True)
    assert pct(second.tally) == 99.0  # 1 - 0.5/50
    # Seen from a look-back that starts after it began, it is taken as counted before.
    late = one([host], Scope(t("2026-06-08T00:00+00:00"), t("2026-06-15T00:00+00:00"),
                             coverage=coverage, lookback_start=t("2026-06-06T00:00+00:00")))
    assert [(o.down_s, o.counted_begins) for o in late.outages] == [(30 * MIN, False)]


def test_a_contract_calendar_counts_its_hours_in_its_zone_less_its_holidays() -> None:
    # Weekdays 08-18 Helsinki, Friday 27 March 2026 a holiday: 40 covered hours in the week
    # of Monday 23 March (which ends after the spring-forward Sunday). Down Tuesday 17:30 to
    # Wednesday 08:30 counts 30 + 30 min; down on the holiday and on Saturday counts nothing.
    office = Coverage(HELSINKI, parse_spans("mon-fri 08:00-18:00"), frozenset(
        {date(2026, 3, 27)}))
    start, end = t("2026-03-23T00:00+02:00"), t("2026-03-30T00:00+03:00")
    covered = from_datetimes(office.intervals(moment(start), moment(end)))
    host = device("host", ping((LONG_AGO, UP), ("2026-03-24T17:30+02:00", DOWN),
                               ("2026-03-25T08:30+02:00", UP),
                               ("2026-03-27T10:00+02:00", DOWN), ("2026-03-27T12:00+02:00", UP),
                               ("2026-03-28T10:00+02:00", DOWN), ("2026-03-28T11:00+02:00", UP)))
    measured = one([host], Scope(start, end, coverage={"acme": covered}))
    assert measured.tally == Tally(40 * HOUR, HOUR)
    assert pct(measured.tally) == 97.5
    assert [o.started for o in measured.outages] == [t("2026-03-24T17:30+02:00")]


def test_a_monitoring_gap_counts_neither_way() -> None:
    # Down 11:30-12:30; the bridge was blind 12:00-13:00: 1 - 0.5/23.
    host = device("host", ping((LONG_AGO, UP), ("2026-06-02T11:30+00:00", DOWN),
                               ("2026-06-02T12:30+00:00", UP)))
    scope = Scope(DAY.start, DAY.end, gaps=[span("2026-06-02T12:00+00:00",
                                                 "2026-06-02T13:00+00:00")])
    measured = one([host], scope)
    assert measured.tally == Tally(23 * HOUR, 30 * MIN)
    assert pct(measured.tally) == 97.8261


def test_time_before_monitoring_began_is_not_counted() -> None:
    host = device("host", ping(("2026-06-02T06:00+00:00", UP), ("2026-06-02T21:00+00:00", DOWN)))
    assert one([host], DAY).tally == Tally(18 * HOUR, 3 * HOUR)  # 1 - 3/18
    assert measure([device("host", {})], DAY)["host"].tally.ratio is None


def test_a_device_is_down_while_any_check_is_and_each_check_has_its_own_tally() -> None:
    checks = {**ping((LONG_AGO, UP), ("2026-06-02T10:00+00:00", DOWN),
                     ("2026-06-02T11:00+00:00", UP)),
              "snmp": [(t(LONG_AGO), UP), (t("2026-06-02T10:30+00:00"), DOWN),
                       (t("2026-06-02T11:30+00:00"), UP)]}
    measured = one([device("host", checks)], DAY)
    assert measured.tally == Tally(24 * HOUR, 90 * MIN)
    assert measured.checks == {"ping": Tally(24 * HOUR, HOUR), "snmp": Tally(24 * HOUR, HOUR)}
    assert [(o.started, o.ended) for o in measured.outages] == [
        (t("2026-06-02T10:00+00:00"), t("2026-06-02T11:00+00:00") + 30 * MIN)]


def router_switch_server() -> list[DeviceHistory]:
    # The router fails at 10:00:10; the switch behind it failed its first check 10 s before
    # (checks are spread over their 30 s interval) and stays down until 10:45 on its own;
    # the server behind the switch is unreachable 10:00:20-10:29.
    return [
        device("router", ping((LONG_AGO, UP), ("2026-06-02T10:00:10+00:00", DOWN),
                              ("2026-06-02T10:30+00:00", UP))),
        device("switch", ping((LONG_AGO, UP), ("2026-06-02T10:00+00:00", DOWN),
                              ("2026-06-02T10:45+00:00", UP)),
               parents=("router",), parent_lead_s=30.0),
        device("server", ping((LONG_AGO, UP), ("2026-06-02T10:00:20+00:00", DOWN),
                              ("2026-06-02T10:29+00:00", UP)),
               parents=("switch",), parent_lead_s=30.0),
    ]


def test_a_childs_unreachable_time_is_its_parents_outage() -> None:
    measured = measure(router_switch_server(), DAY)
    router, switch, server = measured["router"], measured["switch"], measured["server"]
    assert router.tally == Tally(24 * HOUR, 29 * MIN + 50)
    # The switch was unavailable 45 min (1 - 45/1440), 30 of them behind the router.
    assert switch.tally == Tally(24 * HOUR, 45 * MIN, 30 * MIN)
    assert pct(switch.tally) == 96.875
    # Still down 15 min after the router recovered, longer than its check interval: it
    # failed on its own, one outage of 45 min (the 30 behind the router in the minutes).
    assert [(o.cause, o.root, o.started, o.down_s) for o in switch.outages] == [
        (Cause.OWN, None, t("2026-06-02T10:00+00:00"), 45 * MIN),
    ]
    # Two levels down the root cause is still the router.
    assert [(o.cause, o.root) for o in server.outages] == [(Cause.PARENT, "router")]
    assert server.tally == Tally(24 * HOUR, 28 * MIN + 40, 28 * MIN + 40)
    assert router.outages[0].cause == Cause.OWN


def test_an_own_outage_the_parents_fell_into_is_one_own_outage() -> None:
    histories = [
        device("router", ping((LONG_AGO, UP), ("2026-06-02T11:00+00:00", DOWN),
                              ("2026-06-02T11:10+00:00", UP))),
        device("switch", ping((LONG_AGO, UP), ("2026-06-02T10:00+00:00", DOWN),
                              ("2026-06-02T12:00+00:00", UP)),
               parents=("router",), parent_lead_s=30.0),
    ]
    switch = measure(histories, DAY)["switch"]
    # own, parent, own: one outage of two hours (MTTR is not halved), the 10.5 min
    # behind the router still counted as the router's.
    assert [(o.cause, o.started, o.down_s) for o in switch.outages] == [
        (Cause.OWN, t("2026-06-02T10:00+00:00"), 2 * HOUR)]
    assert switch.tally == Tally(24 * HOUR, 2 * HOUR, 10 * MIN + 30)


# A router down 10:00:10-10:02:10 (2 min); switches behind it checked every 30 s.
@pytest.mark.parametrize(("down", "up", "outages", "parent_s"), [
    # down with the router, back at the next check after it: the router's outage only
    ("10:00:00", "10:02:10.4", [(Cause.PARENT, "router", 130.4)], 130.4),
    ("10:00:05", "10:02:40", [(Cause.PARENT, "router", 155.0)], 155.0),
    # still down at its second check after the router came back: its own failure, one outage
    ("10:00:05", "10:02:41", [(Cause.OWN, None, 156.0)], 125.0),
    ("10:00:05", "10:15:00", [(Cause.OWN, None, 895.0)], 125.0),
    # failed well before the router: its own outage, the router's time within it (from a
    # check interval before the router's first failed check to the switch's next check)
    ("09:50:00", "10:02:30", [(Cause.OWN, None, 750.0)], 170.0),
])
def test_a_child_back_within_its_check_interval_after_its_parent_was_behind_it(
        down: str, up: str, outages: list[tuple[Cause, str | None, float]],
        parent_s: float) -> None:
    histories = [
        device("router", ping((LONG_AGO, UP), ("2026-06-02T10:00:10+00:00", DOWN),
                              ("2026-06-02T10:02:10+00:00", UP))),
        device("switch", ping((LONG_AGO, UP), (f"2026-06-02T{down}+00:00", DOWN),
                              (f"2026-06-02T{up}+00:00", UP)),
               parents=("router",), parent_lead_s=30.0, recheck_s=30.0),
    ]
    switch = measure(histories, DAY)["switch"]
    assert [(o.cause, o.root, round(o.down_s, 1)) for o in switch.outages] == outages
    assert round(switch.tally.parent_s, 1) == parent_s


def test_behind_redundant_parents_only_both_down_is_the_parents_outage() -> None:
    histories = [
        device("uplink-a", ping((LONG_AGO, UP), ("2026-06-02T10:00+00:00", DOWN),
                                ("2026-06-02T11:00+00:00", UP))),
        device("uplink-b", ping((LONG_AGO, UP), ("2026-06-02T10:30+00:00", DOWN),
                                ("2026-06-02T10:45+00:00", UP))),
        device("host", ping((LONG_AGO, UP), ("2026-06-02T10:30+00:00", DOWN),
                            ("2026-06-02T10:45+00:00", UP)),
               parents=("uplink-a", "uplink-b"), redundant_parents=True, parent_lead_s=30.0),
    ]
    host = measure(histories, DAY)["host"]
    assert [(o.cause, o.root) for o in host.outages] == [(Cause.PARENT, "uplink-a")]
    assert host.tally == Tally(24 * HOUR, 15 * MIN, 15 * MIN)
    lone = measure(histories[:1] + histories[2:], DAY)["host"]  # uplink-b unknown: own
    assert [o.cause for o in lone.outages] == [Cause.OWN]


def test_a_customer_weighs_devices_by_their_counted_time() -> None:
    measured = measure(router_switch_server(), DAY)
    customer = sum((m.tally for m in measured.values()), Tally())
    # (29:50 + 45:00 + 28:40) min down of 3 x 1440 min: 1 - 103.5/4320
    assert pct(customer) == 97.6042
