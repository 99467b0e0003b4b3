"""The desk in a running daemon, as a user sees it: a reported ticket escalates through its
chain by email to a real SMTP server; `kill -9` in the middle of the escalation, a restart
after the next step fell due, and that step fires exactly once — nothing sent twice."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from bridge.store import Database
from bridge.store.models import OutboxMessage, OutboxStatus
from tests.kits.daemon import Bridge, metric, wait_for, write_deployment
from tests.kits.notify_peers import MailSink

ACME = "acme-secret-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mail() -> Iterator[tuple[MailSink, int]]:
    """A real SMTP server on loopback, in its own thread."""
    sink, port = MailSink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def deployment(root: Path, smtp_port: int) -> Path:
    """acme's contract: steps at opening, after 6 s and after 18 s (24x7 coverage); the
    tickets it reports are P2, which must be assigned within 6 s. No warnings before the
    breach: a desk tick between 75 % (4.5 s) and the breach would tell tier 1, or not, by a
    few milliseconds."""
    path = write_deployment(root, {"gw": "127.0.0.2"}, customer_token=True)
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.acme.contract]\nnotify = ["mailto:it@acme.example.com"]\n'
                'escalation = "quick"\nreported_priority = "P2"\n\n'
                '[customers.acme.contract.sla.P2]\n'
                'reaction_min = 0.1\nwarn_at_pct = []\n\n[customers.acme.contract.tiers]\n'
                'tier1 = ["mailto:duty@msp.example.com"]\n'
                'tier2 = ["mailto:specialist@msp.example.com"]\n'
                'tier3 = ["mailto:seniors@msp.example.com"]\n')
    (root / "rules" / "chains.toml").write_text(
        '[escalations.quick]\nsteps = [\n  { tier = 1, after_min = 0 },\n'
        '  { tier = 2, after_min = 0.1 },\n  { tier = 3, after_min = 0.3 },\n]\n')
    with path.open("a") as f:
        f.write(f'\n[notifications]\nbackoff_initial_s = 0.5\ngroup_window_s = 0\n'
                f'[notifications.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\n'
                f'sender = "bridge@msp.example.com"\n')
    return path


def mails_to(sink: MailSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in sink.messages if address in str(m["To"])]


def all_sent(db_path: Path) -> bool:
    db = Database(f"sqlite:///{db_path}")
    try:
        with Session(db.reader) as session:
            statuses = session.exec(select(OutboxMessage.status)).all()
    finally:
        db.dispose()
    return bool(statuses) and all(s == OutboxStatus.SENT for s in statuses)


def test_kill_9_mid_escalation_then_restart_fires_the_next_step_once(
        tmp_path: Path, mail: tuple[MailSink, int]) -> None:
    sink, port = mail
    config = deployment(tmp_path, port)
    bridge = Bridge(config)
    status, ticket = bridge.request("POST", "/api/v1/incidents", ACME,
                                    {"summary": "the VPN is down", "priority": "P2"})
    assert status == 201
    ref = ticket["id"]
    opened_at = time.monotonic()

    # the customer is told at once, with the ticket ID; tier 1 at opening; tier 2 after 6 s
    wait_for("the customer's mail", lambda: mails_to(sink, "it@acme.example.com"))
    assert ref in mails_to(sink, "it@acme.example.com")[0]
    wait_for("tier 1's mail", lambda: mails_to(sink, "duty@msp.example.com"))
    wait_for("tier 2's mail", lambda: mails_to(sink, "specialist@msp.example.com"))
    wait_for("every message marked sent", lambda: all_sent(tmp_path / "var" / "bridge.db"))
    assert not mails_to(sink, "seniors@msp.example.com")
    # nobody was assigned within the 6 s reaction target: a breach, counted and at risk
    def breached() -> str | None:
        text = str(bridge.get("/metrics", token=None))
        count = metric(text, "bridge_sla_breaches_total", customer="acme", kind="reaction")
        return text if count == 1.0 else None

    text = wait_for("the reaction breach in the metrics", breached)
    assert metric(text, "bridge_incidents_sla_at_risk", customer="acme") == 1.0
    sla = bridge.get(f"/api/v1/incidents/{ref}")["sla"]
    assert {(m["kind"], m["pct"]) for m in sla} >= {("reaction", 100)}
    bridge.kill()  # kill -9, between step 2 and step 3

    # the daemon stays down well past step 3's due time (18 s after opening)
    time.sleep(max(0.0, 25 - (time.monotonic() - opened_at)))
    assert not mails_to(sink, "seniors@msp.example.com")
    bridge = Bridge(config)
    try:
        wait_for("tier 3's mail after the restart",
                 lambda: mails_to(sink, "seniors@msp.example.com"), timeout_s=15)
        shown = bridge.get(f"/api/v1/incidents/{ref}")
        assert shown["tier"] == 3
        fired = [s["fired_at"] is not None for s in shown["escalation"]]
        assert fired == [True, True, True]
        steps = [e["message"] for e in shown["timeline"] if e["kind"] == "escalation_step"]
        assert len(steps) == 3
        assert "s late" in steps[2]  # it fell due while the daemon was down
        time.sleep(3)  # several more desk ticks: nothing fires again
        shown = bridge.get(f"/api/v1/incidents/{ref}")
        assert [e["kind"] for e in shown["timeline"]].count("escalation_step") == 3
    finally:
        bridge.stop()
    keys = Counter(str(m["X-Bridge-Idempotency-Key"]) for m in sink.messages)
    assert all(n == 1 for n in keys.values()), keys
    assert [len(mails_to(sink, a)) for a in ("duty@msp.example.com",
                                              "specialist@msp.example.com",
                                              "seniors@msp.example.com")] == [1, 1, 1]
    assert all(ref in str(m["Subject"]) for m in sink.messages)


class _Hook(BaseHTTPRequestHandler):
    """A customer portal's webhook endpoint: checks the signature, keeps the document."""

    received: ClassVar[list[dict[str, object]]] = []
    bad: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(b"portal-hook-secret", body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, self.headers.get("X-Bridge-Signature", "")):
            self.received.append({**json.loads(body), "path": self.path})
            self.send_response(204)
        else:
            self.bad.append(self.headers.get("X-Bridge-Signature", ""))
            self.send_response(401)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_the_customers_portal_gets_signed_notices_of_its_ticket(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received, _Hook.bad = [], []
    config = write_deployment(tmp_path, {"gw": "127.0.0.2"}, customer_token=True)
    (tmp_path / "secrets" / "hook.secret").write_text("portal-hook-secret\n")
    with (tmp_path / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.acme.contract]\nnotify = ["webhook:portal"]\n')
    with config.open("a") as f:
        # The contract names no tier: the NOC's webhook stands in for them.
        f.write(f'\n[notifications]\ngroup_window_s = 0\noperators = ["webhook:noc"]\n'
                f'[notifications.webhooks.portal]\n'
                f'url = "http://127.0.0.1:{server.server_address[1]}/hook"\n'
                f'secret = "file:secrets/hook.secret"\n'
                f'[notifications.webhooks.noc]\n'
                f'url = "http://127.0.0.1:{server.server_address[1]}/noc"\n'
                f'secret = "file:secrets/hook.secret"\n')
    bridge = Bridge(config)
    try:
        status, ticket = bridge.request("POST", "/api/v1/incidents", ACME,
                                        {"summary": "printer offline"})
        assert status == 201
        bridge.request("POST", f"/api/v1/incidents/{ticket['id']}/assign", "ops",
                       {"assignee": "alice"})
        wait_for("both notices at the portal and the escalation at the NOC", lambda: len(
            [d for d in _Hook.received if d["path"] == "/hook"]) >= 2 and any(
            d["path"] == "/noc" for d in _Hook.received))
    finally:
        bridge.stop()
        server.shutdown()
        server.server_close()
    kinds = [(d["kind"], d["ticket"]) for d in _Hook.received if d["path"] == "/hook"]
    assert kinds == [("opened", ticket["id"]), ("assigned", ticket["id"])]
    assert [(d["kind"], d["tier"]) for d in _Hook.received if d["path"] == "/noc"] == [
        ("escalated", 1)]
    assert _Hook.bad == []
    assert "secret" not in bridge.log()
