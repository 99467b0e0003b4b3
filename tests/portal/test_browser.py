"""The portal in headless Chromium (the system's /usr/bin/chromium, never a download) against
a real `bridge run`: a customer signs in, sees only its tickets and opens one, which appears
in the operator's queue without a reload; the operator assigns it and sets an ETA, which the
customer sees; the operator resolves it and the customer confirms. Another customer gets a
404 for that ticket, a form without its CSRF token is a 403, the Persian pages read right to
left.

Then from the customer's mail alone: a service the daemon checks over TCP on loopback goes
down and monitoring opens a ticket; the opening mail (caught by an aiosmtpd server) carries
a link that comments without a password; the service comes back and monitoring resolves the
ticket; the resolution mail's link confirms it, and the ticket is closed. Screenshots of
each page go to $BRIDGE_TEST_ARTIFACTS/portal (default tests/output/)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from tests.kits.browser import PASSWORD, add_user, shot
from tests.kits.daemon import Bridge, free_port, metric, wait_for, write_deployment
from tests.kits.mail_contract import acme_contract
from tests.kits.notify_peers import MailSink


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    root = tmp_path_factory.mktemp("portal")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.other.contract]\nlanguage = "fa"\n')
    add_user(config, "olga", "--role", "operator", "--display-name", "Olga Operator")
    add_user(config, "ann", "--role", "customer", "--customer", "acme",
              "--display-name", "Ann Acme")
    add_user(config, "omid", "--role", "customer", "--customer", "other",
              "--display-name", "Omid")
    running = Bridge(config)
    yield running
    running.stop()


def _sign_in(browser: Browser, bridge: Bridge, name: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{bridge.url}/portal/")
    shot(page, "sign-in")
    page.get_by_label("User name").or_(page.locator("#name")).fill(name)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    return page


def test_a_ticket_from_opening_to_the_customers_confirmation(browser: Browser,
                                                              bridge: Bridge) -> None:
    omid = _sign_in(browser, bridge, "omid")
    omid.goto(f"{bridge.url}/portal/tickets/new")
    omid.locator("#summary").fill("سرور پاسخ نمی‌دهد")
    shot(omid, "customer-new-ticket-fa")
    omid.locator("form.stack button[type=submit]").click()
    theirs = omid.url.rsplit("/", 1)[1]
    assert omid.locator("html").get_attribute("dir") == "rtl"
    assert omid.evaluate("getComputedStyle(document.body).direction") == "rtl"
    shot(omid, "customer-ticket-fa")

    olga = _sign_in(browser, bridge, "olga")
    expect(olga.locator("h1")).to_have_text("Queue")
    shot(olga, "operator-queue-before")

    ann = _sign_in(browser, bridge, "ann")
    expect(ann.locator("h1")).to_have_text("Tickets")
    assert theirs not in ann.content()
    shot(ann, "customer-tickets")
    ann.get_by_role("link", name="Open a ticket").first.click()
    ann.locator("#device").select_option("gw")
    ann.locator("#summary").fill("gw drops packets")
    ann.locator("#message").fill("since this morning")
    shot(ann, "customer-new-ticket")
    ann.get_by_role("button", name="Open the ticket").click()
    ref = ann.url.rsplit("/", 1)[1]
    expect(ann.locator("h1")).to_contain_text(ref)
    shot(ann, "customer-ticket-opened")

    # the queue shows it without a reload (htmx refreshes the table)
    expect(olga.locator("#queue")).to_contain_text(ref, timeout=15_000)
    shot(olga, "operator-queue-refreshed")
    olga.get_by_role("link", name=ref).click()
    olga.locator("#assign-assignee").fill("Olga Operator")
    olga.locator("#act-assign button[type=submit]").click()
    olga.locator("#eta-eta").fill("2030-01-02T15:30")
    olga.locator("#act-eta button[type=submit]").click()
    expect(olga.locator("dd.eta")).to_have_text("2030-01-02 15:30")
    shot(olga, "operator-ticket")

    ann.reload()
    expect(ann.locator("dd.assignee")).to_have_text("Olga Operator")
    expect(ann.locator("dd.eta")).to_have_text("2030-01-02 15:30")

    olga.locator("#resolve-message").fill("replaced the uplink cable")
    olga.locator("#act-resolve button[type=submit]").click()
    expect(olga.locator("dd.status")).to_have_text("resolved")

    ann.reload()
    expect(ann.locator(".timeline")).to_contain_text("replaced the uplink cable")
    shot(ann, "customer-asked-to-confirm")
    ann.get_by_role("button", name="Confirm").click()
    expect(ann.locator("dd.status")).to_have_text("closed")
    expect(ann.locator(".timeline")).to_contain_text("Ann Acme")
    shot(ann, "customer-confirmed")

    # another customer typing the URL: the page a missing ticket gets
    answer = omid.goto(f"{bridge.url}/portal/tickets/{ref}")
    assert answer is not None
    assert answer.status == 404
    assert "gw drops packets" not in omid.content()
    shot(omid, "other-customer-404")
    # a form without its CSRF token
    refused = ann.request.post(f"{bridge.url}/portal/tickets/{ref}/comment",
                               form={"message": "no token"}, max_redirects=0)
    assert refused.status == 403


@pytest.fixture(scope="module")
def mail() -> Iterator[tuple[MailSink, int]]:
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


class _Reusable(socketserver.TCPServer):
    allow_reuse_address = True  # the same port again right after it closed


class Service:
    """A TCP service on 127.0.0.1 that the daemon's tcp probe checks: it accepts and hangs
    up; stopped, its port refuses connections (the device is down)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._running: tuple[socketserver.TCPServer, threading.Thread] | None = None

    def start(self) -> None:
        server = _Reusable(("127.0.0.1", self.port), socketserver.BaseRequestHandler)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self._running = (server, thread)

    def stop(self) -> None:
        if self._running is not None:
            server, thread = self._running
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            self._running = None


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    up = Service()
    up.start()
    yield up
    up.stop()


SHOP_PROBE = """
[probes.till]
kind = "tcp"
port = {port}
interval_s = 0.5
timeout_s = 0.3
retry_interval_s = 0.3
max_attempts = 2
"""


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory, mail: tuple[MailSink, int],
           service: Service) -> Iterator[Bridge]:
    """A bridge that checks `service` (acme's device "shop") and whose notices link to its
    own portal (public_url) and go to `mail`."""
    root = tmp_path_factory.mktemp("linked")
    port = free_port()
    config = write_deployment(root, {"shop": "127.0.0.1"}, listen=f"127.0.0.1:{port}",
                              probes=SHOP_PROBE.format(port=service.port),
                              device_probes={"shop": ["till"]})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(acme_contract("en"))
    smtp = mail[1]
    with config.open("a") as f:
        f.write(f'\n[portal]\npublic_url = "http://127.0.0.1:{port}"\n'
                '\n[notifications]\ngroup_window_s = 0\n[notifications.smtp]\n'
                f'host = "127.0.0.1"\nport = {smtp}\nsender = "bridge@msp.example.com"\n'
                'timeout_s = 5\n')
    running = Bridge(config)
    yield running
    running.stop()


READER = "it@acme.example.com"


def _mailed_link(sink: MailSink, ref: str, kind: str, words: str) -> str | None:
    """The link after `words` in the `kind` mail of ticket `ref` to acme's IT."""
    for message in list(sink.messages):
        if message["To"] != READER or ref not in message["Subject"]:
            continue
        for line in message.get_content().splitlines():
            if line.startswith(words) and kind in message["Subject"]:
                return line.rsplit(" ", 1)[1]
    return None


def _till_checks(bridge: Bridge, up: bool) -> float:
    text = str(bridge.get("/metrics", token=None))
    value = metric(text, "bridge_probe_success", customer="acme", device="shop", probe="till")
    return 1.0 if value == (1.0 if up else 0.0) else 0.0


def _shop_ticket(bridge: Bridge) -> dict[str, object] | None:
    found = bridge.get("/api/v1/incidents?device=shop")["incidents"]
    return found[0] if found else None


def test_a_recovery_the_mailed_link_confirms_and_the_ticket_closes(
        browser: Browser, linked: Bridge, mail: tuple[MailSink, int],
        service: Service) -> None:
    wait_for("the till to answer", lambda: _till_checks(linked, up=True))
    service.stop()  # the till goes down: monitoring opens a ticket by itself
    ticket = wait_for("the shop's ticket", lambda: _shop_ticket(linked), timeout_s=30)
    ref = str(ticket["id"])
    assert ticket["source"] == "monitoring"

    comment = wait_for("the opening mail's comment link", lambda: _mailed_link(
        mail[0], ref, "New ticket", "Add a comment without signing in:"), timeout_s=30)
    assert comment.startswith(f"{linked.url}/portal/m/{ref}/")
    reader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    reader.goto(comment)  # the customer's mail, opened anywhere: no sign-in
    expect(reader.locator("h1")).to_contain_text(ref)
    expect(reader.locator("dd.status")).to_have_text("open")
    shot(reader, "mail-link-comment")
    reader.locator("#comment").fill("the till in the shop is offline too")
    reader.get_by_role("button", name="Comment").click()
    entry = reader.locator(".timeline li.kind-comment")
    expect(entry).to_contain_text("the till in the shop is offline too")
    expect(entry.locator(".who")).to_have_text(READER)  # the mail's reader, not an operator
    shot(reader, "mail-link-commented")
    answer = reader.goto(f"{linked.url}/portal/tickets/{ref}")  # the link is no sign-in
    assert answer is not None
    assert "/portal/sign-in" in reader.url

    service.start()  # back: the monitoring recovery resolves the ticket
    wait_for("the monitoring recovery", lambda: linked.get(
        f"/api/v1/incidents/{ref}")["status"] == "resolved", timeout_s=30)
    shown = linked.get(f"/api/v1/incidents/{ref}")
    resolved = [e for e in shown["timeline"] if e["kind"] == "resolved"]
    assert [e["actor"] for e in resolved] == ["system"]  # nobody at the desk resolved it

    confirm = wait_for("the resolution mail's confirm link", lambda: _mailed_link(
        mail[0], ref, "Resolved", "Confirm with one click:"), timeout_s=30)
    assert confirm.startswith(f"{linked.url}/portal/m/{ref}/")
    reader.goto(confirm)
    expect(reader.locator("dd.status")).to_have_text("resolved")
    shot(reader, "mail-link-confirm")
    reader.get_by_role("button", name="Confirm").click()
    expect(reader.locator("dd.status")).to_have_text("closed")
    shot(reader, "mail-link-confirmed")
    assert linked.get(f"/api/v1/incidents/{ref}")["status"] == "closed"
    assert reader.get_by_role("button", name="Confirm").count() == 0  # nothing left to do
