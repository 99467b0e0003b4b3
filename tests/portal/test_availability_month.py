"""A month on the customer's availability page: `bridge report`'s figures, its own daily
chart (inline SVG, coloured by the portal's stylesheet, no style attribute the CSP would
block) and its outages, for the customer's devices together and for each device; the month
is chosen among the customer's, in its zone and language; another customer's device is a
404, as a missing one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bridge.availability.html import axis_floor, chart, chart_svg
from bridge.availability.render import device_cells
from bridge.availability.words import words_for
from bridge.config import load_config
from bridge.core.state import Status
from tests.kits.history import record
from tests.portal.site import Person, StoreService

NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
SVG = re.compile(r'<svg class="chart".*?</svg>', re.S)


def _gw_down_half_an_hour_in_march(service: StoreService) -> None:
    service.clock = NOW
    record(service.db, "acme", "gw", [
        (datetime(2026, 2, 1, tzinfo=UTC), Status.UP),
        (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), Status.DOWN),
        (datetime(2026, 3, 10, 10, 30, tzinfo=UTC), Status.UP)])


async def _report(person: Person, customer: str, month: str) -> tuple[dict[str, object], str]:
    async with person.http.get(f"/portal/reports/{customer}/{month}.json") as response:
        report = json.loads(await response.text())
    async with person.http.get(f"/portal/reports/{customer}/{month}.html") as response:
        page = await response.text()
    return report, page


async def test_the_page_shows_the_months_figures_chart_and_outages_of_the_report(
        people: Callable[[], Person], service: StoreService) -> None:
    _gw_down_half_an_hour_in_march(service)
    ann = people()
    await ann.sign_in("ann")
    report, report_page = await _report(ann, "acme", "2026-03")
    status, page = await ann.page("/portal/availability?month=2026-03")
    assert status == 200
    # the report's own chart, bar for bar, and no style attribute for the CSP to block
    drawn = SVG.findall(page)
    assert drawn == SVG.findall(report_page)
    assert drawn[0].count("<rect") == 31
    assert "style=" not in page
    assert 'aria-label="Daily availability"' in drawn[0]
    # the report's figures: 30 of March's 44 640 minutes down
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert summary["availability_pct"] == 99.9328
    assert "<strong class=\"\">99.933 %</strong>" in page
    # every figure of the report's device table, the device's row and the total row
    devices = report["devices"]
    assert isinstance(devices, list)
    words = words_for("en")
    for cells in (device_cells(devices[0], words), device_cells(summary, words)):
        assert "".join(f"<td>{c}</td>" for c in cells) in page
    assert "<td>31 d</td><td>30 min</td>" in page  # counted, down
    # and its outage, in the customer's zone
    assert "<td>2026-03-10 10:00</td><td>2026-03-10 10:30</td><td>gw</td>" in page
    assert "<td>30 min</td>" in page
    assert '<option selected>2026-03</option>' in page
    # this month by default, March no longer in it
    _, april = await ann.page("/portal/availability")
    assert '<option selected>2026-04</option>' in april
    assert "No outages this month." in april


async def test_a_device_page_shows_the_devices_chart_and_outages(
        people: Callable[[], Person], service: StoreService) -> None:
    _gw_down_half_an_hour_in_march(service)
    ann = people()
    await ann.sign_in("ann")
    report, _ = await _report(ann, "acme", "2026-03")
    devices = report["devices"]
    assert isinstance(devices, list)
    gw = devices[0]
    status, page = await ann.page("/portal/availability/devices/gw?month=2026-03")
    assert status == 200
    words = words_for("en")
    drawn = chart(gw["days"], None, words)
    assert SVG.findall(page) == [str(chart_svg(drawn, words))]
    assert words("chart_axis", floor=axis_floor(drawn, words)) in page
    assert "<td>2026-03-10 10:00</td>" in page
    assert "99.933 %" in page
    _, acme = await ann.page("/portal/availability?month=2026-03")
    assert 'href="/portal/availability/devices/gw?month=2026-03"' in acme


async def test_another_customers_device_is_not_found_and_a_bad_month_is_refused(
        people: Callable[[], Person], service: StoreService) -> None:
    _gw_down_half_an_hour_in_march(service)
    omid, olga = people(), people()
    await omid.sign_in("omid")
    await olga.sign_in("olga")
    for url in ("/portal/availability/devices/gw", "/portal/availability/devices/gw?month=2026-03",
                "/portal/availability/devices/nothing"):
        status, page = await omid.page(url)
        assert status == 404, url
        assert "gw" not in page
    for month in ("2026-13", "march", "2026-05"):
        status, reason = await omid.page(f"/portal/availability?month={month}")
        assert status == 400, month
        assert reason.startswith("400: ")
    status, own = await omid.page("/portal/availability/devices/other-srv?month=2026-03")
    assert status == 200
    assert '<html lang="fa" dir="rtl">' in own
    assert "دسترس‌پذیری روزانه" in own  # "daily availability"
    # the desk sees every customer's devices
    assert (await olga.page("/portal/availability/devices/gw?month=2026-03"))[0] == 200


async def test_the_months_offered_are_the_customers_in_its_zone(
        people: Callable[[], Person], service: StoreService, tmp_path: Path) -> None:
    inventory = tmp_path / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        '[customers.other]\nname = "Other"\n',
        '[customers.other]\nname = "Other"\ntimezone = "Asia/Tehran"\n'))
    service.config = load_config(tmp_path / "bridge.toml")
    service.clock = datetime(2026, 4, 30, 21, 0, tzinfo=UTC)  # 00:30 on 1 May in Tehran
    omid, ann = people(), people()
    await omid.sign_in("omid")
    await ann.sign_in("ann")
    _, theirs = await omid.page("/portal/availability")
    assert '<option selected>2026-05</option><option >2026-04</option>' in theirs
    _, ours = await ann.page("/portal/availability")
    assert '<option selected>2026-04</option><option >2026-03</option>' in ours
