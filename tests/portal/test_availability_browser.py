"""The availability page's month in headless Chromium (the system's /usr/bin/chromium, never
a download) against a real `bridge run` whose store holds last month's history: the report's
chart is drawn (visible, a bar for every day, coloured by portal.css) under the portal's CSP
without a single violation, in English and in Persian. Screenshots go to
$BRIDGE_TEST_ARTIFACTS/portal (default tests/output/)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from bridge.core.state import Status
from bridge.store import Database
from tests.kits.browser import PASSWORD, add_user, shot
from tests.kits.daemon import Bridge, write_deployment
from tests.kits.history import record

BAR_BLUE = "rgb(58, 123, 213)"  # portal.css: svg.chart .bar


def _last_month() -> datetime:
    """The first instant of last month (UTC, as both customers' zones are)."""
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first - timedelta(days=1)).replace(day=1)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    root = tmp_path_factory.mktemp("availability")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.other.contract]\nlanguage = "fa"\n')
    (root / "var").mkdir(exist_ok=True)
    db = Database(f"sqlite:///{root / 'var' / 'bridge.db'}")
    db.migrate()
    month = _last_month()
    for customer, name, day in (("acme", "gw", 10), ("other", "other-srv", 20)):
        record(db, customer, name, [
            (month - timedelta(days=30), Status.UP),
            (month.replace(day=day, hour=9), Status.DOWN),
            (month.replace(day=day, hour=15), Status.UP)])
    db.dispose()
    add_user(config, "ann", "--role", "customer", "--customer", "acme",
              "--display-name", "Ann Acme")
    add_user(config, "omid", "--role", "customer", "--customer", "other",
              "--display-name", "Omid")
    running = Bridge(config)
    yield running
    running.stop()


def _sign_in(browser: Browser, bridge: Bridge, name: str, errors: list[str]) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    def seen(message: ConsoleMessage) -> None:
        # the browser's own /favicon.ico (outside /portal/, so the API's 401) is no page's
        if message.type in ("error", "warning") and \
                not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} {message.location}")

    page.on("console", seen)
    page.goto(f"{bridge.url}/portal/")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    expect(page.locator("header nav")).to_be_visible()
    return page


def _month_chart(page: Page, bridge: Bridge, path: str, name: str) -> None:
    month = _last_month()
    page.goto(f"{bridge.url}{path}?month={month:%Y-%m}")
    svg = page.locator("svg.chart")
    expect(svg).to_be_visible()
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 100
    bars = page.locator("svg.chart rect.bar")
    expect(bars).to_have_count(calendar.monthrange(month.year, month.month)[1])
    fill = bars.first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill == BAR_BLUE  # the stylesheet reached the SVG: not the default black
    expect(page.locator("table.outages tbody tr")).to_have_count(1)
    shot(page, name)


def test_the_months_chart_is_drawn_under_the_portals_csp(browser: Browser,
                                                          bridge: Bridge) -> None:
    errors: list[str] = []
    ann = _sign_in(browser, bridge, "ann", errors)
    _month_chart(ann, bridge, "/portal/availability", "availability-month")
    expect(ann.locator("table.outages")).to_contain_text("gw")
    _month_chart(ann, bridge, "/portal/availability/devices/gw", "availability-device")
    omid = _sign_in(browser, bridge, "omid", errors)
    _month_chart(omid, bridge, "/portal/availability", "availability-month-fa")
    expect(omid.locator("html")).to_have_attribute("dir", "rtl")
    assert errors == [], errors  # no Content-Security-Policy violation, nor anything else
