"""Monthly reports from a real store: hand-computed numbers, the same from rolled-up days as
from raw history, and every format a user gets."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bridge.availability.html import as_html, chart
from bridge.availability.monthly import ReportError, month_report
from bridge.availability.render import as_csv, as_table
from bridge.availability.rollup_job import roll_up
from bridge.config.model import Config
from bridge.core.state import Status
from bridge.store import Database
from tests.kits.engine import build_config, device
from tests.kits.history import record

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)  # 15:00 in Helsinki
MARCH_MIN = 743 * 60  # 31 days less the spring-forward hour


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def deployment(tmp_path: Path) -> Config:
    # The router's maintenance window 10:15-10:45 on 10 March overlaps its outage.
    return build_config(
        tmp_path, device("router", description="Edge router")
        + device("switch", parents=["router"]),
        extra='\n[customers.acme.contract]\navailability_target_pct = 99.5\n'
              '\n[maintenance.fix]\ndevices = ["router"]\ntimezone = "Europe/Helsinki"\n'
              'start = 2026-03-10T10:15:00\nend = 2026-03-10T10:45:00\n')


def seed(db: Database) -> None:
    up, down = Status.UP, Status.DOWN
    record(db, "acme", "router", [
        (at("2026-02-01T00:00+02:00"), up),
        (at("2026-03-10T10:00+02:00"), down), (at("2026-03-10T10:30+02:00"), up),
        (at("2026-03-31T23:00+03:00"), down), (at("2026-04-01T01:00+03:00"), up)])
    record(db, "acme", "switch", [
        (at("2026-02-01T00:00+02:00"), up),
        (at("2026-03-20T12:00+02:00"), down), (at("2026-03-20T12:20+02:00"), up),
        (at("2026-03-31T23:00+03:00"), down), (at("2026-04-01T01:00+03:00"), up)])


def march(db: Database, config: Config) -> dict[str, Any]:
    return month_report(db.reader, config, "acme", "2026-03", NOW)


def test_a_month_with_own_parent_and_maintenance_outages(db: Database, tmp_path: Path) -> None:
    config = deployment(tmp_path)
    seed(db)
    raw = march(db, config)
    roll_up(db.writer, config, NOW)
    report = march(db, config)
    assert report == {**raw, "generated_at": report["generated_at"]}  # rolled up or raw

    router, switch = report["devices"]
    # Router: 30 min of the window not counted; down 10:00-10:15 and 23:00-24:00: 75 min.
    assert router["counted_minutes"] == MARCH_MIN - 30
    assert (router["downtime_minutes"], router["maintenance_excluded_minutes"]) == (75, 15)
    assert router["availability_pct"] == 99.8316  # 1 - 75/44550
    assert router["outages"] == {"own": 2, "parent": 0, "maintenance": 1}
    assert (router["mttr_minutes"], router["mtbf_hours"]) == (37.5, 370.62)  # 44475 min / 2
    # Switch: 20 min on its own, 60 behind the router.
    assert (switch["downtime_minutes"], switch["parent_downtime_minutes"]) == (80, 60)
    assert switch["availability_pct"] == 99.8205  # 1 - 80/44580
    assert switch["outages"] == {"own": 1, "parent": 1, "maintenance": 0}
    assert (switch["mttr_minutes"], switch["mtbf_hours"]) == (20, 741.67)
    summary = report["summary"]
    assert summary["availability_pct"] == 99.8261  # 1 - 155/89130
    assert summary["target_met"] is True
    assert summary["outages"] == {"own": 3, "parent": 1, "maintenance": 1}
    assert summary["mttr_minutes"] == 31.67  # (75 + 20) / 3
    assert [(o["device"], o["cause"], o["root"], o["downtime_minutes"], o["ended_at"])
            for o in report["outages"]] == [
        ("router", "own", None, 15, "2026-03-10T08:30:00+00:00"),
        ("switch", "own", None, 20, "2026-03-20T10:20:00+00:00"),
        ("router", "own", None, 60, None),  # still down when March ended
        ("switch", "parent", "router", 60, None),
    ]
    assert len(report["days"]) == 31
    assert report["days"][29] == {"date": "2026-03-30", "availability_pct": 100.0,
                                  "downtime_minutes": 0}
    # each device's own days (the portal's chart of one device) add up to its month
    assert [(d["date"], d["downtime_minutes"]) for d in router["days"]
            if d["downtime_minutes"]] == [("2026-03-10", 15), ("2026-03-31", 60)]
    assert sum(d["downtime_minutes"] for d in switch["days"]) == 80
    assert report["period"]["complete"] is True
    assert report["tickets"] == []


def test_switches_back_at_their_next_check_after_the_router_list_no_failure_of_their_own(
    db: Database, tmp_path: Path
) -> None:
    # The router is down 2 min; five switches behind it (checked every 10 s) read down a
    # few seconds longer, until their next check. Another switch was broken before the
    # router failed and stays broken after it: one outage of its own, not two. On the
    # 31st the router is back 2 s before midnight, a switch 30 s after it: its own, though
    # the day that ended saw only the router's outage.
    switches = [f"sw{i}" for i in range(5)]
    config = build_config(
        tmp_path, device("router") + "".join(device(s, parents=["router"])
                                             for s in [*switches, "broken"]))
    up, down = Status.UP, Status.DOWN
    begin = at("2026-02-01T00:00+02:00")
    record(db, "acme", "router", [(begin, up), (at("2026-03-10T10:00:00+02:00"), down),
                                  (at("2026-03-10T10:02:00+02:00"), up),
                                  (at("2026-03-31T23:50:00+03:00"), down),
                                  (at("2026-03-31T23:59:58+03:00"), up)])
    for i, name in enumerate(switches):
        record(db, "acme", name, [(begin, up), (at(f"2026-03-10T10:00:0{i}+02:00"), down),
                                  (at(f"2026-03-10T10:02:0{i + 1}+02:00"), up)])
    record(db, "acme", "broken", [(begin, up), (at("2026-03-10T09:30:00+02:00"), down),
                                  (at("2026-03-10T10:30:00+02:00"), up),
                                  (at("2026-03-31T23:50:05+03:00"), down),
                                  (at("2026-04-01T00:00:28+03:00"), up)])
    raw = march(db, config)
    roll_up(db.writer, config, NOW)
    report = march(db, config)
    assert report == {**raw, "generated_at": report["generated_at"]}  # rolled up or raw
    assert [(o["device"], o["cause"], o["root"]) for o in report["outages"]] == [
        ("broken", "own", None), ("router", "own", None),
        *((name, "parent", "router") for name in switches),
        ("router", "own", None), ("broken", "own", None)]
    by_name = {d["device"]: d for d in report["devices"]}
    for name in switches:
        assert by_name[name]["outages"] == {"own": 0, "parent": 1, "maintenance": 0}
        assert by_name[name]["own_downtime_minutes"] == 0
        assert by_name[name]["mttr_minutes"] is None
    broken = by_name["broken"]
    assert broken["outages"] == {"own": 2, "parent": 0, "maintenance": 0}
    # 60 min on 10 March (2 min 10 s of them behind the router); 9 min 55 s to midnight
    assert broken["downtime_minutes"] == round(60 + 9 + 55 / 60, 2)
    assert broken["mttr_minutes"] == round((60 + 9 + 55 / 60) / 2, 2)
    assert report["summary"]["outages"] == {"own": 4, "parent": 5, "maintenance": 0}


def test_the_current_month_so_far_counts_the_outage_begun_last_month_there(
    db: Database, tmp_path: Path
) -> None:
    config = deployment(tmp_path)
    seed(db)
    roll_up(db.writer, config, NOW)
    april = month_report(db.reader, config, "acme", "2026-04", NOW)
    assert april["period"] == {"start": "2026-03-31T21:00:00+00:00",
                               "end": "2026-04-30T21:00:00+00:00",
                               "until": NOW.isoformat(), "complete": False}
    router = april["devices"][0]
    assert router["counted_minutes"] == (9 * 24 + 15) * 60  # to 15:00 on 10 April
    assert router["downtime_minutes"] == 60
    assert router["outages"] == {"own": 0, "parent": 0, "maintenance": 0}  # counted in March
    assert [o["counted_this_month"] for o in april["outages"]] == [False, False]
    assert len(april["days"]) == 10  # the 10th is measured from raw history so far


def test_a_contract_calendar_counts_only_its_hours(db: Database, tmp_path: Path) -> None:
    # Weekdays 08:00-18:00 in Helsinki, Friday 27 March a holiday: 21 days, 210 hours in
    # March. The router's 10:00-10:15 counts (10:15-10:45 is maintenance), its month-end
    # outage at night does not; the switch's 20 minutes on Friday 20 March do.
    config = build_config(
        tmp_path, device("router") + device("switch", parents=["router"]),
        extra='\n[customers.acme.contract]\navailability_target_pct = 99.5\n'
              'calendar = "office"\n'
              '\n[calendars.office]\ntimezone = "Europe/Helsinki"\n'
              'weekly = ["mon-fri 08:00-18:00"]\nholidays = [2026-03-27]\n'
              '\n[maintenance.fix]\ndevices = ["router"]\ntimezone = "Europe/Helsinki"\n'
              'start = 2026-03-10T10:15:00\nend = 2026-03-10T10:45:00\n')
    seed(db)
    roll_up(db.writer, config, NOW)
    router, switch = march(db, config)["devices"]
    assert (router["counted_minutes"], router["downtime_minutes"]) == (210 * 60 - 30, 15)
    assert router["outages"] == {"own": 1, "parent": 0, "maintenance": 1}
    assert (switch["counted_minutes"], switch["downtime_minutes"]) == (210 * 60, 20)
    assert switch["availability_pct"] == 99.8413  # 1 - 20/12600


def office_hours(tmp_path: Path, availability_calendar: str | None = None,
                 more_devices: str = "") -> Config:
    return build_config(
        tmp_path, device("router") + device("switch", parents=["router"]) + more_devices,
        extra='\n[customers.acme.contract]\navailability_target_pct = 99.5\n'
              'calendar = "office"\n'
              + (f'availability_calendar = "{availability_calendar}"\n'
                 if availability_calendar else "")
              + '\n[calendars.office]\ntimezone = "Europe/Helsinki"\n'
              'weekly = ["mon-fri 08:00-18:00"]\nholidays = [2026-03-27, 2026-08-03]\n')


def test_a_month_without_coverage_hours_yet_says_why_in_every_format(
        db: Database, tmp_path: Path) -> None:
    # Saturday 1 August: the office calendar has not covered a minute of August yet.
    seed(db)
    saturday = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)
    report = month_report(db.reader, office_hours(tmp_path), "acme", "2026-08", saturday)
    why = "no coverage hours in this period so far"
    assert report["coverage"] == {
        "calendar": "office", "always": False, "hours": ["mon-fri 08:00-18:00"],
        "timezone": "Europe/Helsinki", "holidays": [], "covered_minutes": 0}
    assert (report["summary"]["availability_pct"], report["summary"]["not_counted_reason"]) \
        == (None, why)
    assert {d["not_counted_reason"] for d in report["devices"]} == {why}
    text = as_table(report)
    assert ("Availability counts the coverage hours office: mon-fri 08:00-18:00 "
            "(Europe/Helsinki): 0 min in this period so far") in text
    assert f"Availability: not counted: {why}\n" in text
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert [(r["device"], r["availability_pct"], r["not_counted_reason"], r["coverage_calendar"],
             r["coverage_hours"], r["coverage_timezone"]) for r in rows] == [
        (name, "", why, "office", "mon-fri 08:00-18:00", "Europe/Helsinki")
        for name in ("router", "switch", "TOTAL")]
    page = as_html(report)
    assert "office: mon-fri 08:00-18:00 (Europe/Helsinki)" in page
    assert f"not counted: {why}" in page
    # Once the period has coverage hours, it names its holidays, and a device never checked
    # in them says so under the table.
    tuesday = datetime(2026, 8, 4, 12, 0, tzinfo=UTC)
    later = month_report(db.reader, office_hours(tmp_path, more_devices=device("spare")),
                         "acme", "2026-08", tuesday)
    assert (later["coverage"]["holidays"], later["coverage"]["covered_minutes"]) == (
        ["2026-08-03"], 7 * 60)  # Monday a holiday, Tuesday 08:00-15:00 in Helsinki
    assert later["summary"]["availability_pct"] == 100
    text = as_table(later)
    assert "less holidays 2026-08-03" in text
    assert ("  spare: not counted, no check results in the coverage hours so far (not "
            "monitored then, in maintenance, or the monitoring itself was blind)") in text


def test_availability_may_count_other_hours_than_the_sla_clocks(
        db: Database, tmp_path: Path) -> None:
    # Tickets in office hours, availability around the clock: March counts in full.
    seed(db)
    report = march(db, office_hours(tmp_path, availability_calendar="24x7"))
    router = report["devices"][0]
    assert (router["counted_minutes"], router["downtime_minutes"]) == (MARCH_MIN, 90)
    assert (report["coverage"]["calendar"], report["sla_coverage"]["calendar"]) == (
        "24x7", "office")
    assert ("Tickets (0): Reaction and resolution times count the SLA hours, office: "
            "mon-fri 08:00-18:00 (Europe/Helsinki)") in as_table(report)


@pytest.mark.parametrize(("customer", "month", "message"), [
    ("nobody", "2026-03", "no customer 'nobody'"),
    ("acme", "2026-13", "expected a month as YYYY-MM from 1970-01 to 2999-12, such as 2026-03, "
                        "got '2026-13'"),
    ("acme", "0000-01", "from 1970-01 to 2999-12, such as 2026-03, got '0000-01'"),
    ("acme", "9999-12", "from 1970-01 to 2999-12, such as 2026-03, got '9999-12'"),
    ("acme", "2026-05", "2026-05 has not begun in Europe/Helsinki"),
])
def test_reports_that_cannot_be_made_say_why(tmp_path: Path, customer: str, month: str,
                                             message: str) -> None:
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    with pytest.raises(ReportError, match=re.escape(message)):
        month_report(db.reader, deployment(tmp_path), customer, month, NOW)
    db.dispose()


@pytest.fixture
def report(tmp_path: Path) -> dict[str, Any]:
    db = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    db.migrate()
    seed(db)
    data = march(db, deployment(tmp_path))
    db.dispose()
    return data


def test_the_table_reads_in_the_customers_time(report: dict[str, Any]) -> None:
    text = as_table(report)
    assert "Availability report: Acme (acme)\n" in text
    assert "2026-03: 2026-03-01 00:00 to 2026-04-01 00:00, times in Europe/Helsinki" in text
    assert ("Availability counts the coverage hours 24x7 (every hour of every day): 30 d 23 h "
            "in this period") in text
    assert "Availability: 99.826 % (Target 99.50 %, met)" in text
    assert re.search(r"2026-03-31 23:00 +still down +switch +unreachable: router was down +1 h ",
                     text)
    assert re.search(r"^Device +Availability +Target +Counted time +Downtime ", text, re.M)
    # durations in the units that matter: MTTR 37.5 min, MTBF 370.62 h
    assert re.search(r"^router +99\.832 % +met +30 d 22 h +1 h 15 min +0 min +15 min +2 / 0 / 1 "
                     r"+37 min 30 s +15 d 10 h$", text, re.M), text


def test_csv_has_a_row_per_device_and_the_total(report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert [r["device"] for r in rows] == ["router", "switch", "TOTAL"]
    assert rows[0]["availability_pct"] == "99.8316"
    assert (rows[1]["outages_parent"], rows[1]["parent_downtime_minutes"]) == ("1", "60.0")
    assert (rows[2]["target_pct"], rows[2]["target_met"]) == ("99.5", "true")  # not Python's
    assert {(r["coverage_calendar"], r["coverage_hours"], r["coverage_timezone"],
             r["not_counted_reason"]) for r in rows} == {("24x7", "mon-sun 00:00-24:00", "", "")}


def test_html_is_one_self_contained_page_with_a_chart(report: dict[str, Any]) -> None:
    page = as_html(report)
    # nothing to fetch: no scripts, stylesheets, images or links to anywhere
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.I)
    assert re.findall(r"(?:https?:)?//[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]
    assert "url(" not in page
    assert "@import" not in page
    assert page.count("<rect class=\"bar") == 31
    assert "Target 99.50 %" in page
    assert "unreachable: router was down" in page
    assert "Edge router" in page
    # the y axis: round bounds with a labelled gridline each step, 31 March (95.83 %) a
    # bar filling more than a quarter of it
    assert re.findall(r'text-anchor="end">([\d.]+ %)</text>', page) == [
        "90 %", "92 %", "94 %", "96 %", "98 %", "100 %"]
    assert page.count('<line class="grid"') == 6
    with_tag = dict(report, customer_name="<b>Acme & Sons</b>")
    assert "&lt;b&gt;Acme &amp; Sons&lt;/b&gt;" in as_html(with_tag)  # escaped


def test_tickets_read_in_the_customers_minutes(report: dict[str, Any]) -> None:
    ticket = {"id": "INC-2026-000007", "priority": "P1", "status": "resolved",
              "device": "router", "opened": "2026-03-10T08:01:36+00:00", "reaction_min": 12.5,
              "reaction_target_min": 15.0, "resolution_min": 250.0,
              "resolution_target_min": 240.0, "breached": "resolution"}
    with_ticket = dict(report, tickets=[ticket])
    text = as_table(with_ticket)  # from a server before seconds: the minutes are read
    assert re.search(r"^INC-2026-000007 +P1 +resolved +router +2026-03-10 10:01 +12 min 30 s / "
                     r"15 min +4 h 10 min / 4 h +resolution$", text, re.M), text
    exact = dict(report, tickets=[{**ticket, "reaction_s": 901, "reaction_target_s": 900,
                                   "resolution_s": 14400, "resolution_target_s": 14400}])
    assert "15 min 1 s / 15 min  4 h / 4 h" in as_table(exact)
    page = as_html(with_ticket)
    assert "<th>Opened</th>" in page
    assert '<td class="nowrap">2026-03-10 10:01</td>' in page
    assert "reaction_target_min" not in page


def day(number: int, pct: float | None) -> dict[str, Any]:
    return {"date": f"2026-03-{number:02d}", "availability_pct": pct, "downtime_minutes": 0}


@pytest.mark.parametrize(("days", "target", "labels"), [
    ([2.79, 13.11], None, ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]),
    ([99.95, 100.0], 99.9, ["99.80 %", "99.85 %", "99.90 %", "99.95 %", "100.00 %"]),
    ([100.0, 100.0], 99.5, ["99.0 %", "99.2 %", "99.4 %", "99.6 %", "99.8 %", "100.0 %"]),
    ([None, None], None, ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]),
    # a 51 % day is half a bar on an axis from 0, not a sliver above a floor of 50 %
    ([51.0, 100.0], 99.5, ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]),
    ([95.83, 100.0], 99.5, ["90 %", "92 %", "94 %", "96 %", "98 %", "100 %"]),
])
def test_the_chart_axis_has_round_labelled_gridlines_and_bars_to_scale(
        days: list[float | None], target: float | None, labels: list[str]) -> None:
    drawn = chart([day(i + 1, pct) for i, pct in enumerate(days)], target)
    assert [line.label for line in drawn.gridlines] == labels
    floor = float(labels[0].rstrip(" %"))
    bottom, top = drawn.gridlines[0].y, drawn.gridlines[-1].y
    for bar, pct in zip(drawn.bars, days, strict=True):
        assert bar.counted is (pct is not None)
        if pct is not None:  # a bar's height is its share of the axis, not a fixed minimum
            assert bar.height == pytest.approx((bottom - top) * (pct - floor) / (100 - floor))
