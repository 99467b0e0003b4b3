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

from bridge.config.model import Config
from bridge.core.state import Status
from bridge.reports.html import as_html
from bridge.reports.monthly import ReportError, month_report
from bridge.reports.render import as_csv, as_table
from bridge.reports.rollup import roll_up
from bridge.store import Database
from tests.engine_kit import build_config, device
from tests.history_kit import record

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
    assert report["period"]["complete"] is True
    assert report["tickets"] == []


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


@pytest.mark.parametrize(("customer", "month", "message"), [
    ("nobody", "2026-03", "no customer 'nobody'"),
    ("acme", "2026-13", "expected a month as YYYY-MM, such as 2026-03, got '2026-13'"),
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
    assert "Availability report: Acme (acme), 2026-03, times in Europe/Helsinki" in text
    assert "Period: 2026-03-01 00:00 to 2026-04-01 00:00" in text
    assert "Availability: 99.8261 % (target 99.5 %, met)" in text
    assert re.search(r"2026-03-31 23:00 +- +switch +parent \(router\) +60 ", text)
    assert re.search(r"^router +99\.8316 +yes +75 +0 +15 +2/0/1 +37\.5 +370\.62$", text, re.M)


def test_csv_has_a_row_per_device_and_the_total(report: dict[str, Any]) -> None:
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert [r["device"] for r in rows] == ["router", "switch", "TOTAL"]
    assert rows[0]["availability_pct"] == "99.8316"
    assert (rows[1]["outages_parent"], rows[1]["parent_downtime_minutes"]) == ("1", "60.0")
    assert (rows[2]["target_pct"], rows[2]["target_met"]) == ("99.5", "True")


def test_html_is_one_self_contained_page_with_a_chart(report: dict[str, Any]) -> None:
    page = as_html(report)
    # nothing to fetch: no scripts, stylesheets, images or links to anywhere
    assert not re.search(r"<(script|link|img|iframe|object)\b", page, re.I)
    assert re.findall(r"(?:https?:)?//[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"]
    assert "url(" not in page
    assert "@import" not in page
    assert page.count("<rect class=\"bar") == 31
    assert "target 99.5 %" in page
    assert "unreachable: router was down" in page
    assert "Edge router" in page
    with_tag = dict(report, customer_name="<b>Acme & Sons</b>")
    assert "&lt;b&gt;Acme &amp; Sons&lt;/b&gt;" in as_html(with_tag)  # escaped
