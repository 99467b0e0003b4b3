"""The portal in headless Chromium (the system's /usr/bin/chromium, never a download) against
a real `bridge run`: a customer signs in, sees only its tickets and opens one, which appears
in the operator's queue without a reload; the operator assigns it and sets an ETA, which the
customer sees; the operator resolves it and the customer confirms. Another customer gets a
404 for that ticket, a form without its CSRF token is a 403, the Persian pages read right to
left. The resolution mail (caught by an aiosmtpd sink) carries a signed link that confirms
without a password. Screenshots of each page go to $BRIDGE_TEST_ARTIFACTS/portal
(default tests/output/)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.kits.daemon import Bridge, write_deployment
from tests.kits.mail_contract import acme_contract
from tests.kits.notify_peers import MailSink

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("BRIDGE_TEST_ARTIFACTS")
                 or Path(__file__).parents[1] / "output") / "portal"
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # launch() gives Chromium a new, empty user-data dir of its own (and removes it after)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=ARGS)
        yield launched
        launched.close()


def _add_user(config: Path, name: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "bridge", "users", "-c", str(config), "add", name,
                    *args, "--password-file", "-"], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    root = tmp_path_factory.mktemp("portal")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.other.contract]\nlanguage = "fa"\n')
    _add_user(config, "olga", "--role", "operator", "--display-name", "Olga Operator")
    _add_user(config, "ann", "--role", "customer", "--customer", "acme",
              "--display-name", "Ann Acme")
    _add_user(config, "omid", "--role", "customer", "--customer", "other",
              "--display-name", "Omid")
    running = Bridge(config)
    yield running
    running.stop()


def _sign_in(browser: Browser, bridge: Bridge, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{bridge.url}/portal/")
    page.get_by_label("User name").or_(page.locator("#name")).fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    return page


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_ticket_from_opening_to_the_customers_confirmation(browser: Browser,
                                                              bridge: Bridge) -> None:
    omid = _sign_in(browser, bridge, "omid")
    omid.goto(f"{bridge.url}/portal/tickets/new")
    omid.locator("#summary").fill("سرور پاسخ نمی‌دهد")
    omid.locator("form.stack button[type=submit]").click()
    theirs = omid.url.rsplit("/", 1)[1]
    assert omid.locator("html").get_attribute("dir") == "rtl"
    assert omid.evaluate("getComputedStyle(document.body).direction") == "rtl"
    _shot(omid, "customer-ticket-fa")

    olga = _sign_in(browser, bridge, "olga")
    expect(olga.locator("h1")).to_have_text("Queue")
    _shot(olga, "operator-queue-before")

    ann = _sign_in(browser, bridge, "ann")
    expect(ann.locator("h1")).to_have_text("Tickets")
    assert theirs not in ann.content()
    ann.get_by_role("link", name="Open a ticket").first.click()
    ann.locator("#device").select_option("gw")
    ann.locator("#summary").fill("gw drops packets")
    ann.locator("#message").fill("since this morning")
    _shot(ann, "customer-new-ticket")
    ann.get_by_role("button", name="Open the ticket").click()
    ref = ann.url.rsplit("/", 1)[1]
    expect(ann.locator("h1")).to_contain_text(ref)
    _shot(ann, "customer-ticket-opened")

    # the queue shows it without a reload (htmx refreshes the table)
    expect(olga.locator("#queue")).to_contain_text(ref, timeout=15_000)
    _shot(olga, "operator-queue-refreshed")
    olga.get_by_role("link", name=ref).click()
    olga.locator("#assign-assignee").fill("Olga Operator")
    olga.locator("#act-assign button[type=submit]").click()
    olga.locator("#eta-eta").fill("2030-01-02T15:30")
    olga.locator("#act-eta button[type=submit]").click()
    expect(olga.locator("dd.eta")).to_have_text("2030-01-02 15:30")
    _shot(olga, "operator-ticket")

    ann.reload()
    expect(ann.locator("dd.assignee")).to_have_text("Olga Operator")
    expect(ann.locator("dd.eta")).to_have_text("2030-01-02 15:30")

    olga.locator("#resolve-message").fill("replaced the uplink cable")
    olga.locator("#act-resolve button[type=submit]").click()
    expect(olga.locator("dd.status")).to_have_text("resolved")

    ann.reload()
    expect(ann.locator(".timeline")).to_contain_text("replaced the uplink cable")
    _shot(ann, "customer-asked-to-confirm")
    ann.get_by_role("button", name="Confirm").click()
    expect(ann.locator("dd.status")).to_have_text("closed")
    expect(ann.locator(".timeline")).to_contain_text("Ann Acme")
    _shot(ann, "customer-confirmed")

    # another customer typing the URL: the page a missing ticket gets
    answer = omid.goto(f"{bridge.url}/portal/tickets/{ref}")
    assert answer is not None
    assert answer.status == 404
    assert "gw drops packets" not in omid.content()
    # a form without its CSRF token
    refused = ann.request.post(f"{bridge.url}/portal/tickets/{ref}/comment",
                               form={"message": "no token"}, max_redirects=0)
    assert refused.status == 403


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[MailSink, int]]:
    sink, port = MailSink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory,
           mail: tuple[MailSink, int]) -> Iterator[Bridge]:
    """A bridge whose notices link to its own portal (public_url) and go to `mail`."""
    root = tmp_path_factory.mktemp("linked")
    port = _free_port()
    config = write_deployment(root, {"gw": "127.0.0.2"}, listen=f"127.0.0.1:{port}")
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(acme_contract("en"))
    smtp = mail[1]
    with config.open("a") as f:
        f.write(f'\n[portal]\npublic_url = "http://127.0.0.1:{port}"\n'
                '\n[notifications]\ngroup_window_s = 0\n[notifications.smtp]\n'
                f'host = "127.0.0.1"\nport = {smtp}\nsender = "bridge@msp.example.com"\n'
                'timeout_s = 5\n')
    _add_user(config, "olga", "--role", "operator", "--display-name", "Olga Operator")
    _add_user(config, "ann", "--role", "customer", "--customer", "acme",
              "--display-name", "Ann Acme")
    running = Bridge(config)
    yield running
    running.stop()


def test_the_resolution_mail_confirms_without_a_password(
        browser: Browser, linked: Bridge, mail: tuple[MailSink, int]) -> None:
    ann = _sign_in(browser, linked, "ann")
    ann.goto(f"{linked.url}/portal/tickets/new")
    ann.locator("#summary").fill("gw is slow")
    ann.get_by_role("button", name="Open the ticket").click()
    ref = ann.url.rsplit("/", 1)[1]
    olga = _sign_in(browser, linked, "olga")
    olga.goto(f"{linked.url}/portal/desk/tickets/{ref}")
    olga.locator("#resolve-message").fill("moved gw to the new uplink")
    olga.locator("#act-resolve button[type=submit]").click()
    expect(olga.locator("dd.status")).to_have_text("resolved")

    deadline = time.monotonic() + 30
    link = None
    while link is None and time.monotonic() < deadline:
        for message in list(mail[0].messages):
            found = re.search(r"(http://\S+/portal/m/\S+)", message.get_content())
            if message["To"] == "it@acme.example.com" and found:
                link = found.group(1)
        time.sleep(0.2)
    assert link is not None, [m["Subject"] for m in mail[0].messages]
    assert link.startswith(linked.url)

    stranger = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    stranger.goto(link)  # the customer's mail, opened anywhere: no sign-in
    expect(stranger.locator("h1")).to_contain_text(ref)
    expect(stranger.locator(".timeline")).to_contain_text("moved gw to the new uplink")
    stranger.get_by_role("button", name="Confirm").click()
    expect(stranger.locator("dd.status")).to_have_text("closed")
    _shot(stranger, "mail-link-confirmed")
    ann.reload()
    expect(ann.locator("dd.status")).to_have_text("closed")
