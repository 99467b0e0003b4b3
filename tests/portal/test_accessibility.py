"""Every portal page, as customers (English and Persian) and an operator see it, checked in
headless Chromium with axe-core (the engine browsers' accessibility audits use): labels,
contrast, landmarks, headings, table headers, language and direction. And a person who uses
no mouse signs in and opens a ticket with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.kits.browser import PASSWORD, add_user
from tests.kits.daemon import Bridge, write_deployment

AXE = Axe()


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    root = tmp_path_factory.mktemp("a11y")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.other.contract]\nlanguage = "fa"\n')
    add_user(config, "olga", "--role", "operator", "--display-name", "Olga Operator")
    add_user(config, "ann", "--role", "customer", "--customer", "acme")
    add_user(config, "omid", "--role", "customer", "--customer", "other")
    running = Bridge(config)
    yield running
    running.stop()


def _sign_in(browser: Browser, bridge: Bridge, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{bridge.url}/portal/")
    page.locator("#name").fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    return page


def _violations(page: Page) -> list[str]:
    found = AXE.run(page).response["violations"]
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes'][0]['html'][:120]}"
            for v in found]


def _open_ticket(page: Page, bridge: Bridge, summary: str) -> str:
    page.goto(f"{bridge.url}/portal/tickets/new")
    page.locator("#summary").fill(summary)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_load_state()
    return page.url.rsplit("/", 1)[1]


def test_every_page_passes_axe_for_each_role_and_direction(browser: Browser,
                                                           bridge: Bridge) -> None:
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{bridge.url}/portal/")
    problems = {"sign-in": _violations(anonymous)}
    for name in ("ann", "omid"):
        page = _sign_in(browser, bridge, name)
        ref = _open_ticket(page, bridge, f"{name}: the printer is offline")
        for path in ("/portal/tickets", f"/portal/tickets/{ref}", "/portal/tickets/new",
                     "/portal/availability", "/portal/statistics", "/portal/reports",
                     "/portal/tickets/INC-2000-999999"):
            page.goto(bridge.url + path)
            problems[f"{name} {path}"] = _violations(page)
    olga = _sign_in(browser, bridge, "olga")
    for path in ("/portal/desk/queue", f"/portal/desk/tickets/{ref}", "/portal/desk/devices",
                 "/portal/availability", "/portal/statistics"):
        olga.goto(bridge.url + path)
        problems[f"olga {path}"] = _violations(olga)
    assert {page: found for page, found in problems.items() if found} == {}


def test_a_customer_signs_in_and_opens_a_ticket_with_the_keyboard_alone(
        browser: Browser, bridge: Bridge) -> None:
    page = browser.new_context().new_page()
    page.goto(f"{bridge.url}/portal/")
    expect(page.locator(":focus")).to_have_attribute("id", "name")  # ready to type
    page.keyboard.type("ann")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("id", "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Tickets")
    page.keyboard.press("Tab")  # the first stop on a page skips to its content
    expect(page.locator(":focus")).to_have_attribute("class", "skip")
    page.get_by_role("link", name="Open a ticket").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#summary")).to_be_visible()
    page.locator("#summary").focus()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")  # Enter in a text field submits its form
    expect(page.locator("h1")).to_contain_text("typed without a mouse")
    # a focused control is visibly marked (an outline or a ring), never hidden
    page.get_by_role("link", name="Tickets").first.focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
    assert outline != "none" or shadow != "none"
