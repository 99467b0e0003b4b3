"""The HTML report as a customer sees it, in headless Chromium (the system's, never a
download): a 1280 px window, a 390 px phone and A4 print. Screenshots and the PDF go to
$BRIDGE_TEST_ARTIFACTS (default tests/output/) for people to look at."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from bridge.availability.html import as_html
from bridge.availability.monthly import month_report
from bridge.core.state import Status
from bridge.store import Database
from tests.availability.test_report_provider import LOGO, PROVIDER
from tests.availability.test_reports import NOW
from tests.kits.engine import build_config, device
from tests.kits.history import record

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("BRIDGE_TEST_ARTIFACTS")
                 or Path(__file__).parents[1] / "output") / "report"
SITES = ("helsinki-hq", "espoo-dc2", "tampere-branch")
PRINT_W = round((297 - 2 * 12) / 25.4 * 96)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def realistic_report(root: Path, language: str) -> dict[str, Any]:
    """March for a customer with three sites: a core router whose 2-minute outage the
    switches behind it rode out, an access switch that failed on its own, a site down half
    of one day, and tickets against their targets."""
    shutil.copy(LOGO, root / "logo.svg")
    devices = device("helsinki-hq-core-rtr-01", description="Juniper MX204, core")
    for site in SITES:
        devices += device(f"{site}-access-sw-01", parents=["helsinki-hq-core-rtr-01"],
                          description=f"Aruba 6100, {site} floor 2")
    devices += device("tampere-branch-wan-fw-01",
                      parents=["helsinki-hq-core-rtr-01"])
    config = build_config(
        root, devices, main=PROVIDER.format(logo="logo.svg"),
        extra=f'\n[customers.acme.contract]\navailability_target_pct = 99.5\n'
              f'language = "{language}"\n')
    db = Database(f"sqlite:///{root / 'bridge.db'}")
    db.migrate()
    begin = at("2026-02-01T00:00+02:00")
    up, down = Status.UP, Status.DOWN
    # the core router: 2 minutes on the 4th, and most of the 23rd with everything behind it
    record(db, "acme", "helsinki-hq-core-rtr-01", [
        (begin, up), (at("2026-03-04T09:12:10+02:00"), down),
        (at("2026-03-04T09:14:10+02:00"), up), (at("2026-03-23T06:00:10+02:00"), down),
        (at("2026-03-23T17:45:00+02:00"), up)])
    for i, site in enumerate(SITES):
        record(db, "acme", f"{site}-access-sw-01", [
            (begin, up), (at(f"2026-03-04T09:12:0{i}+02:00"), down),
            (at(f"2026-03-04T09:14:1{i + 2}+02:00"), up)]
            + ([(at("2026-03-17T13:40+02:00"), down), (at("2026-03-17T14:25+02:00"), up)]
               if site == "espoo-dc2" else [])
            + [(at(f"2026-03-23T06:00:0{i}+02:00"), down),
               (at(f"2026-03-23T17:45:0{i + 3}+02:00"), up)])
    record(db, "acme", "tampere-branch-wan-fw-01", [
        (begin, up), (at("2026-03-23T06:00:05+02:00"), down),
        (at("2026-03-23T17:45:08+02:00"), up), (at("2026-03-28T02:00+02:00"), down),
        (at("2026-03-28T02:35+02:00"), up)])
    report = month_report(db.reader, config, "acme", "2026-03", NOW)
    db.dispose()
    report["tickets"] = [
        {"id": "INC-2026-000412", "priority": "P2", "status": "closed",
         "device": "espoo-dc2-access-sw-01", "opened": "2026-03-17T11:41:05+00:00",
         "reaction_s": 901, "reaction_target_s": 1800, "resolution_s": 2880,
         "resolution_target_s": 28800, "breached": ""},
        {"id": "INC-2026-000431", "priority": "P1", "status": "resolved",
         "device": "tampere-branch-wan-fw-01", "opened": "2026-03-23T04:00:12+00:00",
         "reaction_s": 540, "reaction_target_s": 900, "resolution_s": 42300,
         "resolution_target_s": 14400, "breached": "resolution"},
        {"id": "INC-2026-000440", "priority": "P3", "status": "closed", "device": "",
         "opened": "2026-03-26T07:15:40+00:00", "reaction_s": 3600,
         "reaction_target_s": 7200, "resolution_s": 5400, "resolution_target_s": 86400,
         "breached": ""}]
    return report


def open_report(browser: Browser, tmp_path: Path, width: int, language: str = "en") -> Page:
    report = realistic_report(tmp_path, language)
    page_file = tmp_path / "report.html"
    page_file.write_text(as_html(report), encoding="utf-8")
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(page_file.as_uri())
    return page


def save(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def lines_of(page: Page, selector: str) -> list[int]:
    """How many lines the text of each matching element takes."""
    return page.eval_on_selector_all(selector, """cells => cells.map(cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    })""")


def overflows(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth > window.innerWidth"))


def test_at_1280_px_the_report_uses_the_window_and_nothing_wraps(browser: Browser,
                                                                 tmp_path: Path) -> None:
    page = open_report(browser, tmp_path, 1280)
    save(page, "report-1280.png")
    assert not overflows(page)
    for table in page.locator("table").all():  # the content is not a column in the middle
        box = table.bounding_box()
        assert box is not None
        assert box["width"] >= 0.85 * 1280, box
    # ticket IDs, dates, device names and figures are one line each
    for selector in ("table.tickets td", "table.outages td.nowrap", "table.devices td.n",
                     "table.devices td .nowrap", ".card .value"):
        assert set(lines_of(page, selector)) == {1}, selector
    # the provider's name, logo and contact are on the page
    assert page.locator("header.brand img").is_visible()
    assert "Nordlink IT Services" in page.locator("header.brand").inner_text()
    assert "noc@nordlink.example" in page.locator("header.brand").inner_text()
    # 23 March (51.04 %) is a bar of half the axis, not a sliver above 50 %
    bars = page.eval_on_selector_all("rect.bar", "bars => bars.map(b => b.getBBox().height)")
    grid = page.eval_on_selector_all("line.grid", "lines => lines.map(l => l.y1.baseVal.value)")
    axis_h = max(grid) - min(grid)
    assert bars[22] >= 0.45 * axis_h, (bars[22], axis_h)
    page.close()


@pytest.mark.parametrize("language", ["en", "fi", "fa"])
def test_on_a_390_px_phone_nothing_runs_off_the_screen(browser: Browser, tmp_path: Path,
                                                       language: str) -> None:
    page = open_report(browser, tmp_path, 390, language)
    save(page, f"report-{language}-390.png")
    assert not overflows(page)
    assert set(lines_of(page, "table.tickets td.nowrap")) == {1}
    assert set(lines_of(page, ".card .value")) == {1}
    # the chart keeps a legible height (it scrolls sideways in its box), not a 90 px strip
    chart = page.locator("svg.chart").bounding_box()
    assert chart is not None
    assert chart["height"] >= 160, chart
    # its axis is in view, in a right-to-left page too
    label = page.locator("svg.chart text").first.bounding_box()
    assert label is not None
    assert 0 <= label["x"] < 390, label
    # an outage is one line of its table (which scrolls), not a stack of wrapped words
    assert set(lines_of(page, "table.outages td")) == {1}
    assert set(lines_of(page, "table.outages th")) == {1}
    page.close()


def test_right_to_left_in_persian_without_overflow(browser: Browser, tmp_path: Path) -> None:
    for width in (1280, 390):
        page = open_report(browser, tmp_path, width, "fa")
        save(page, f"report-fa-{width}.png")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert not overflows(page)
        # a date and its time still read left to right: 2026-03-04 09:12, not 09:12 2026-03-04
        date_x, time_x = page.eval_on_selector("table.outages td.nowrap", """cell => {
            const text = cell.firstChild, at = s => {
                const range = document.createRange(), i = text.data.indexOf(s);
                range.setStart(text, i);
                range.setEnd(text, i + s.length);
                return range.getBoundingClientRect().left;
            };
            return [at("2026-03-04"), at("09:12")];
        }""")
        assert date_x < time_x
        page.close()


def test_printed_to_a4_landscape_the_tables_fit_the_paper(browser: Browser, tmp_path: Path) -> None:
    page = open_report(browser, tmp_path, 1280)
    page.emulate_media(media="print")
    # landscape A4 less 12 mm margins, at 96 dpi
    page.set_viewport_size({"width": PRINT_W, "height": 700})
    assert not overflows(page)
    for table in page.locator("table").all():
        box = table.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PRINT_W, box
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    assert b"/Title (Availability report 2026-03: Acme \\(Nordlink IT Services\\))" in pdf
    # the month on paper: several landscape A4 pages, not one blank sheet
    pages = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(pages) >= 2
    assert all(round(float(w)) == 842 and round(float(h)) == 595 for w, h in pages)
    page.close()
