"""A resolve storm (a sender resolving many alerts at once, as Alertmanager after a flap):
every resolve is taken and every ticket resolved at once, and the notices they cause go
through storm control: the receiver gets a bounded number of messages, the rest are held in
the outbox, never dropped."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from sqlmodel import Session, select

from bridge.store import Database
from bridge.store.models import OutboxMessage, OutboxStatus
from tests.intake.test_webhooks import alert, webhook
from tests.kits.daemon import Bridge, http_request, wait_for, write_deployment
from tests.kits.intake import AM_TOKEN

STORM = 20
SOURCE = '''
[sources.prom]
kind = "alertmanager"
token = "file:secrets/am.token"

[[sources.prom.routes]]
customer = "acme"
device_label = "instance"
'''


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/hook":  # the customer's; /noc is the operators'
            self.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def outbox(db_path: Path) -> list[tuple[str, OutboxStatus]]:
    db = Database(f"sqlite:///{db_path}")
    try:
        with Session(db.reader) as session:
            return [(m.kind, m.status) for m in session.exec(select(OutboxMessage)).all()]
    finally:
        db.dispose()


def post(bridge: Bridge, body: object) -> dict[str, Any]:
    status, raw = http_request("POST", bridge.url + "/api/v1/intake/prom", {
        "Content-Type": "application/json", "Authorization": f"Bearer {AM_TOKEN}"},
        json.dumps(body).encode())
    assert status == 200, raw
    answer: dict[str, Any] = json.loads(raw)
    return answer


def test_a_resolve_storm_resolves_every_ticket_and_its_notices_are_capped(
        tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    devices = {f"s-{i}": f"127.0.1.{i}" for i in range(1, STORM + 1)}
    config = write_deployment(tmp_path, devices)
    (tmp_path / "secrets" / "am.token").write_text(AM_TOKEN + "\n")
    (tmp_path / "intake").mkdir()
    (tmp_path / "intake" / "sources.toml").write_text(SOURCE)
    with (tmp_path / "config" / "inventory.toml").open("a") as f:
        f.write('\n[customers.acme.contract]\nnotify = ["webhook:portal"]\n')
    with config.open("a") as f:
        f.write(f'\n[notifications]\ngroup_window_s = 0\nmax_per_receiver_per_hour = 1\n'
                f'operators = ["webhook:noc"]\n'
                f'[notifications.webhooks.noc]\n'
                f'url = "http://127.0.0.1:{server.server_address[1]}/noc"\n'
                f'secret = "file:secrets/am.token"\n'
                f'[notifications.webhooks.portal]\n'
                f'url = "http://127.0.0.1:{server.server_address[1]}/hook"\n'
                f'secret = "file:secrets/am.token"\n')
    bridge = Bridge(config)
    try:
        fired = [alert(f"fp-{name}", name) for name in devices]
        opened = post(bridge, webhook(*fired))
        assert [a["action"] for a in opened["alerts"]] == ["opened"] * STORM
        wait_for("the opened notices sent", lambda: _Hook.received)
        resolved = post(bridge, webhook(*[alert(f"fp-{name}", name, "resolved")
                                          for name in devices]))
        assert [a["action"] for a in resolved["alerts"]] == ["resolved"] * STORM
        for name in devices:
            [ticket] = bridge.get(f"/api/v1/incidents?device={name}")["incidents"]
            assert ticket["status"] != "open"
            assert ticket["resolved_at"] is not None
        db = tmp_path / "var" / "bridge.db"
        # every resolve has its notice in the outbox: sent in a digest, or held
        wait_for("the resolved notices queued", lambda: sum(
            kind == "resolved" for kind, _ in outbox(db)) >= STORM)
        time.sleep(2.0)  # the outbox worker's turns: what it would send, it has
        kinds = outbox(db)
    finally:
        bridge.stop()
        server.shutdown()
        server.server_close()
    # 20 opened notices in one digest; then the cap (1 an hour): the 20 resolved ones wait
    assert [(m["kind"], m["count"]) for m in _Hook.received] == [("digest", STORM)]
    assert [m["kind"] for m in _Hook.received[0]["messages"]] == ["opened"] * STORM
    held = [status for kind, status in kinds if kind == "resolved"]
    assert held == [OutboxStatus.PENDING] * STORM  # held, never dropped
