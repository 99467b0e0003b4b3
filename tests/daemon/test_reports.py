"""Availability and reports from a running daemon, over the API and the CLI, on a store with
40 days of history: what an operator and a customer's portal see."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.kits.daemon import Bridge, wait_for
from tests.kits.seeded import Seeded, seeded_deployment

CUSTOMER_TOKEN = "acme-secret-token"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Any:
    seeded = seeded_deployment(tmp_path_factory.mktemp("seeded"), datetime.now(UTC))
    bridge = Bridge(seeded.config)
    try:
        wait_for("the seeded days rolled up", lambda: rollups(bridge) >= 38, timeout_s=120)
        yield bridge, seeded
    finally:
        assert bridge.stop() == 0


def rollups(bridge: Bridge) -> float:
    """Customer days the daemon has rolled up (from its metrics)."""
    for line in bridge.get("/metrics", None).splitlines():
        if line.startswith("bridge_availability_rollups_total "):
            return float(line.split()[1])
    return 0.0


def report_cli(bridge: Bridge, seeded: Seeded, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", "report", "-c", str(bridge.config),
                           "--url", bridge.url, "--customer", "acme", "--month", seeded.month,
                           *args], capture_output=True, text=True, timeout=60)


def test_rolling_windows_over_the_api(running: tuple[Bridge, Seeded]) -> None:
    bridge, _ = running
    body = wait_for("availability", lambda: (lambda s, b: b if s == 200 else None)(
        *bridge.request("GET", "/api/v1/availability?window=30d")))
    gw = next(d for d in body["devices"] if d["device"] == "gw")
    # 6 hours down of 30 days, all of it counted (monitored for 40 days, 24/7)
    assert gw["windows"]["30d"]["availability_pct"] == pytest.approx(99.1667, abs=1e-4)
    assert gw["windows"]["30d"]["downtime_minutes"] == 360
    assert gw["checks"]["ping"]["30d"]["downtime_minutes"] == 360
    sw = next(d for d in body["devices"] if d["device"] == "sw")
    assert sw["windows"]["30d"]["parent_downtime_minutes"] == 360  # behind gw
    [acme] = [c for c in body["customers"] if c["customer"] == "acme"]
    assert (acme["target_pct"], acme["windows"]["30d"]["downtime_minutes"]) == (99.9, 720)
    # the hours availability counts in, so an empty window has its reason next to it
    assert acme["coverage"] == {"calendar": "24x7", "always": True,
                                "hours": ["mon-sun 00:00-24:00"], "timezone": None}
    status, body = bridge.request("GET", "/api/v1/availability?window=2d")
    assert (status, body["error"]) == (400, "window must be one of: 1h, 1d, 7d, 30d")
    # a customer's portal sees its own devices only, and another customer not at all
    mine = bridge.get("/api/v1/availability", token=CUSTOMER_TOKEN)
    assert {d["device"] for d in mine["devices"]} == {"gw", "sw"}
    assert bridge.request("GET", "/api/v1/availability?customer=other",
                          token=CUSTOMER_TOKEN)[0] == 404
    assert bridge.request("GET", "/api/v1/availability?device=other-srv",
                          token=CUSTOMER_TOKEN)[0] == 404


def test_a_device_filter_keeps_the_customers_own_figure(running: tuple[Bridge, Seeded]) -> None:
    """A portal's device page shows the device and, next to it, its customer's availability
    (all of the customer's devices), never the one device's figure labelled as the customer."""
    bridge, _ = running
    whole = wait_for("availability", lambda: (lambda s, b: b if s == 200 else None)(
        *bridge.request("GET", "/api/v1/availability?customer=acme&window=30d")))
    narrowed = bridge.get("/api/v1/availability?device=sw&window=30d")
    assert [d["device"] for d in narrowed["devices"]] == ["sw"]
    assert narrowed["customers"] == whole["customers"]
    [acme] = narrowed["customers"]
    assert (acme["customer"], acme["windows"]["30d"]["downtime_minutes"]) == ("acme", 720)
    sw = narrowed["devices"][0]["windows"]["30d"]
    assert acme["windows"]["30d"]["counted_minutes"] > sw["counted_minutes"]  # gw's too
    # a device of another customer, or none, is a 404 that names the pair, to anyone
    for token in ("ops", CUSTOMER_TOKEN):
        for device in ("other-srv", "nothing"):
            status, body = bridge.request(
                "GET", f"/api/v1/availability?customer=acme&device={device}", token=token)
            assert (status, body) == (404, {"error": f"no device '{device}' for customer 'acme'"})
    status, body = bridge.request("GET", "/api/v1/availability?device=other-srv",
                                  token=CUSTOMER_TOKEN)
    assert (status, body) == (404, {"error": "no device 'other-srv'"})


def test_the_monthly_report_over_the_api(running: tuple[Bridge, Seeded]) -> None:
    bridge, seeded = running
    report = bridge.get(f"/api/v1/reports/acme/{seeded.month}")
    gw, sw = report["devices"]
    assert (gw["device"], gw["downtime_minutes"], gw["outages"]["own"]) == ("gw", 360, 1)
    assert (sw["parent_downtime_minutes"], sw["outages"]) == (
        360, {"own": 0, "parent": 1, "maintenance": 0})
    assert [(o["device"], o["cause"], o["root"], o["started_at"]) for o in report["outages"]] == [
        ("gw", "own", None, seeded.outage_start.isoformat()),
        ("sw", "parent", "gw", seeded.outage_start.isoformat())]
    assert report["summary"]["target_met"] is False  # 99.9 % promised
    # the customer's own token: its report; another customer's is a 404, like an unknown one
    portal = bridge.get(f"/api/v1/reports/acme/{seeded.month}", token=CUSTOMER_TOKEN)
    assert (portal["outages"], portal["summary"]["downtime_minutes"]) == (
        report["outages"], 720)
    status, body = bridge.request("GET", f"/api/v1/reports/other/{seeded.month}",
                                  token=CUSTOMER_TOKEN)
    assert (status, body) == (404, {"error": "no customer 'other'"})
    assert bridge.request("GET", f"/api/v1/reports/nobody/{seeded.month}")[0] == 404
    status, body = bridge.request("GET", "/api/v1/reports/acme/2026-3")
    assert (status, body["error"]) == (
        400, "expected a month as YYYY-MM from 1970-01 to 2999-12, such as 2026-03, got '2026-3'")
    page = bridge.get(f"/api/v1/reports/acme/{seeded.month}?format=html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    rows = list(csv.DictReader(io.StringIO(
        bridge.get(f"/api/v1/reports/acme/{seeded.month}?format=csv"))))
    assert [(r["device"], r["downtime_minutes"]) for r in rows] == [
        ("gw", "360.0"), ("sw", "360.0"), ("TOTAL", "720.0")]


def test_bridge_report_prints_every_format(running: tuple[Bridge, Seeded],
                                          tmp_path: Path) -> None:
    bridge, seeded = running
    table = report_cli(bridge, seeded)
    assert table.returncode == 0, table.stderr
    assert "Availability report: Acme (acme)\n" in table.stdout
    assert f"{seeded.month}: {seeded.month}-01 00:00 to " in table.stdout
    assert re.search(r" sw +unreachable: gw was down +6 h ", table.stdout), table.stdout
    as_json = json.loads(report_cli(bridge, seeded, "--format", "json").stdout)
    assert as_json["devices"][0]["downtime_minutes"] == 360
    assert report_cli(bridge, seeded, "--format", "csv").stdout.startswith("customer,month,")
    page = tmp_path / "report.html"
    assert report_cli(bridge, seeded, "--format", "html", "-o", str(page)).returncode == 0
    assert "Availability report: Acme" in page.read_text()
    saved = report_cli(bridge, seeded, "--format", "csv", "-o", str(tmp_path))  # a folder
    named = tmp_path / f"acme-{seeded.month}.csv"
    assert (saved.returncode, saved.stderr) == (0, f"bridge report: wrote {named}\n")
    assert named.read_text().startswith("customer,month,")
    wrong = report_cli(bridge, seeded, "--token-file", str(tmp_path / "missing"))
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1, f"bridge report: cannot read the token file {tmp_path / 'missing'}: "
           "No such file or directory")
    future = subprocess.run([sys.executable, "-m", "bridge", "report", "-c", str(bridge.config),
                             "--url", bridge.url, "--customer", "acme", "--month", "2999-01"],
                            capture_output=True, text=True, timeout=60)
    assert (future.returncode, future.stderr.strip()) == (
        1, "bridge report: 400: 2999-01 has not begun in UTC")


def test_the_reports_tickets_read_in_words_and_local_minutes(running: tuple[Bridge, Seeded],
                                                             tmp_path: Path) -> None:
    bridge, _ = running
    status, ticket = bridge.request("POST", "/api/v1/incidents", CUSTOMER_TOKEN,
                                    {"summary": "printer on fire"})
    assert status == 201, ticket
    assert bridge.request("POST", f"/api/v1/incidents/{ticket['id']}/assign", "ops",
                          {"assignee": "alice"})[0] == 200
    month = datetime.now(UTC).strftime("%Y-%m")
    report = bridge.get(f"/api/v1/reports/acme/{month}")
    [row] = [t for t in report["tickets"] if t["id"] == ticket["id"]]
    # JSON keeps field names; its times are ISO 8601 in UTC to the second, like the rest
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", row["opened"]), row
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", report["generated_at"])
    table = subprocess.run(
        [sys.executable, "-m", "bridge", "report", "-c", str(bridge.config), "--url", bridge.url,
         "--customer", "acme", "--month", month], capture_output=True, text=True, timeout=60)
    assert table.returncode == 0, table.stderr
    assert re.search(r"^Ticket +Priority +Status +Device +Opened +Reaction / Target +"
                     r"Resolution / Target +SLA breached$", table.stdout, re.M), table.stdout
    opened = datetime.fromisoformat(row["opened"]).strftime("%Y-%m-%d %H:%M")
    assert re.search(rf"^{ticket['id']} +P\d +assigned +- +{opened} +\d+ s / \d+ h +- / \d+ d +no$",
                     table.stdout, re.M), table.stdout
    page = bridge.get(f"/api/v1/reports/acme/{month}?format=html")
    assert "<th class=\"n\">Reaction / Target</th>" in page
    assert f'<td class="nowrap">{opened}</td>' in page
