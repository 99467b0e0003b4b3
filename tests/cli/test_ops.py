"""`bridge devices|maintenance|availability|outbox` against a running daemon, as an operator
types them: times shown and read in the customer's zone or `--tz` (issue 12.17)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bridge.core.priority import Priority
from bridge.store import Database
from bridge.store.models import Actor, Incident, OutboxMessage, OutboxStatus, TicketSource
from bridge.store.tickets import NewTicket, QuietDesk, create_ticket
from tests.cli.test_cli import bridge
from tests.kits.daemon import Bridge, free_port, wait_for, write_deployment

RECEIVED: list[dict[str, Any]] = []  # what the webhook receiver was sent
# An ETA bridge took before it refused times past 9000: no zone east of UTC can show it.
YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


class Hook(BaseHTTPRequestHandler):
    """A webhook receiver that takes everything."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        RECEIVED.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


def message(key: str, recipient: str, status: OutboxStatus, now: datetime) -> OutboxMessage:
    return OutboxMessage(channel="webhook", recipient=recipient, customer="acme", kind="opened",
                         idempotency_key=key, subject=key, payload={"event": key}, status=status,
                         attempts=3 if status == OutboxStatus.DEAD else 0, created_at=now,
                         next_attempt_at=now, deadline_at=now + timedelta(hours=24),
                         last_error="HTTP 410 Gone" if status == OutboxStatus.DEAD else "")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """acme in Helsinki; a dead letter to a webhook that now answers, and a message to a
    webhook that is down (it stays pending); a ticket with an ETA in year 9999."""
    root = tmp_path_factory.mktemp("ops")
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    config = write_deployment(root, {"gw": "127.0.0.2"}, listen=f"127.0.0.1:{free_port()}")
    (root / "secrets" / "hook.key").write_text("hook-signing-key-42\n")
    with config.open("a") as main:
        for name, port in (("portal", hook.server_address[1]), ("down", free_port())):
            main.write(f'\n[notifications.webhooks.{name}]\nurl = "http://127.0.0.1:{port}/"\n'
                       'secret = "file:secrets/hook.key"\n')
    inventory = root / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        'name = "Acme"\n', 'name = "Acme"\ntimezone = "Europe/Helsinki"\n'))
    db = Database(f"sqlite:///{root / 'var' / 'bridge.db'}")
    db.migrate()
    with Session(db.writer) as session:
        now = datetime.now(UTC)
        session.add(message("given-up", "portal", OutboxStatus.DEAD, now))
        session.add(message("waiting", "down", OutboxStatus.PENDING, now))
        session.commit()
    far, _ = create_ticket(db.writer, NewTicket(
        "acme", None, "an ETA from long ago", Priority.P3, TicketSource.OPERATOR,
        Actor.OPERATOR, "ops"), "INC", datetime.now(UTC), QuietDesk())
    with Session(db.writer) as session:
        incident = session.get(Incident, far)
        assert incident is not None
        incident.eta_at = YEAR_9999
        session.add(incident)
        session.commit()
    db.dispose()
    running = Bridge(config)
    try:
        yield running
    finally:
        assert running.stop() == 0
        hook.shutdown()
        hook.server_close()


def ok(daemon: Bridge, *args: str) -> str:
    done = bridge(*args, cwd=daemon.config.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_devices_show_their_checks_in_the_customers_zone_or_the_one_asked(
        daemon: Bridge) -> None:
    wait_for("gw checked", lambda: "ping:up" in ok(daemon, "devices", "list"))
    listing = ok(daemon, "devices", "list").splitlines()
    assert listing[1].split() == ["gw", "acme", "127.0.0.2", "ping:up"]
    shown = ok(daemon, "devices", "show", "gw")
    assert "times in:     Europe/Helsinki" in shown
    [check] = [line for line in shown.splitlines() if line.startswith("ping ")]
    assert check.split()[1] == "up"
    assert check.split()[4] in ("+02:00", "+03:00")  # since, in Helsinki
    in_tehran = ok(daemon, "devices", "show", "gw", "--tz", "Asia/Tehran")
    assert "times in:     Asia/Tehran" in in_tehran
    assert " +03:30 " in in_tehran
    missing = bridge("devices", "show", "nope", cwd=daemon.config.parent)
    assert (missing.returncode, missing.stderr) == (1, "bridge devices: no device 'nope'\n")


def test_a_maintenance_window_is_entered_in_the_customers_time_and_ended(
        daemon: Bridge) -> None:
    now = datetime.now(UTC)
    y = now.year if now < datetime(now.year, 7, 1, tzinfo=UTC) else now.year + 1  # ahead, <1 y
    added = ok(daemon, "maintenance", "add", "--customer", "acme", "--start", f"{y}-07-10T22:00",
               "--end", f"{y}-07-10T23:30", "--reason", "core swap")
    assert f"{y}-07-10 22:00 +03:00 to {y}-07-10 23:30 +03:00" in added  # Helsinki summer
    name = added.split()[2]
    [window] = [w for w in json.loads(ok(daemon, "maintenance", "list", "--json"))
                if w["name"] == name]
    assert (window["start"], window["end"]) == (f"{y}-07-10T19:00:00+00:00",
                                                f"{y}-07-10T20:30:00+00:00")
    table = ok(daemon, "maintenance", "list", "--tz", "America/New_York")
    assert f"{y}-07-10 15:00 -04:00 to {y}-07-10 16:30 -04:00" in table
    assert "customer:acme" in table
    # another zone given for the entry: read in it
    other = ok(daemon, "maintenance", "add", "--device", "gw", "--tz", "UTC",
               "--start", f"{y}-07-11T00:00", "--end", f"{y}-07-11T01:00", "--json")
    ok(daemon, "maintenance", "end", name)
    ok(daemon, "maintenance", "end", json.loads(other)["name"])
    left = ok(daemon, "maintenance", "list")
    assert name not in left
    gone = bridge("maintenance", "end", name, cwd=daemon.config.parent)
    assert gone.returncode == 1
    assert "404: no current maintenance window" in gone.stderr


def test_availability_per_customer_and_device(daemon: Bridge) -> None:
    def table() -> str | None:
        done = bridge("availability", "--customer", "acme", "--window", "30d",
                      cwd=daemon.config.parent)
        return done.stdout if done.returncode == 0 else None

    lines = wait_for("availability computed", table).splitlines()
    assert lines[0] == "acme"
    assert lines[1].split()[:3] == ["CUSTOMER", "WINDOW", "AVAILABILITY"]
    assert lines[2].split()[:2] == ["acme", "30d"]
    assert [line.split()[:2] for line in lines if line.startswith("gw ")] == [["gw", "30d"]]


def test_the_outbox_pending_and_dead_and_retrying_a_dead_letter(daemon: Bridge) -> None:
    pending = ok(daemon, "outbox", "pending").splitlines()
    assert pending[0].split()[:5] == ["ID", "TICKET", "RECEIVER", "KIND", "TRIES"]
    assert [line.split()[2] for line in pending[1:]] == ["webhook:down"]
    [dead] = json.loads(ok(daemon, "outbox", "dead", "--json"))
    assert (dead["recipient"], dead["last_error"]) == ("portal", "HTTP 410 Gone")
    assert "HTTP 410 Gone" in ok(daemon, "outbox", "dead")
    assert ok(daemon, "outbox", "retry", str(dead["id"])).startswith(
        f"message {dead['id']} queued again")
    wait_for("the dead letter delivered",
             lambda: any("given-up" in json.dumps(body) for body in RECEIVED))
    assert json.loads(ok(daemon, "outbox", "dead", "--json")) == []
    again = bridge("outbox", "retry", str(dead["id"]), cwd=daemon.config.parent)
    assert (again.returncode, again.stderr) == (
        1, f"bridge outbox: 404: no dead message {dead['id']}\n")


def test_incidents_show_says_whether_targets_were_met_in_the_customers_time(
        daemon: Bridge) -> None:
    created = json.loads(ok(daemon, "incidents", "create", "--customer", "acme", "--json",
                            "printer on fire"))
    ok(daemon, "incidents", "assign", created["id"], "maria")
    lines = dict(line.split(":", 1) for line in ok(
        daemon, "incidents", "show", created["id"]).splitlines() if ": " in line[:19])
    assert lines["reaction"].strip().startswith("met, ")
    assert lines["resolution"].strip().startswith("running, ")
    assert lines["times in"].strip() == "Europe/Helsinki"
    assert lines["opened_at"].strip().endswith(("+02:00", "+03:00"))
    in_tehran = ok(daemon, "incidents", "show", created["id"], "--tz", "Asia/Tehran")
    assert "+03:30" in in_tehran
    outcome = json.loads(ok(daemon, "incidents", "show", created["id"], "--json"))["sla_outcome"]
    assert (outcome["reaction"]["met"], outcome["resolution"]["met"]) == (True, None)
    assert (outcome["reaction"]["paused"], outcome["resolution"]["paused"]) == (False, False)
    ok(daemon, "incidents", "wait", created["id"], "--on", "supplier")
    waiting = dict(line.split(":", 1) for line in ok(
        daemon, "incidents", "show", created["id"]).splitlines() if ": " in line[:19])
    assert waiting["resolution"].strip().startswith("paused, ")
    ok(daemon, "incidents", "resume", created["id"])
    # a time typed without an offset is the customer's local time, or --tz's
    eta = json.loads(ok(daemon, "incidents", "eta", created["id"], "2099-07-10T09:00", "--json"))
    assert eta["eta"] == "2099-07-10T06:00:00+00:00"
    eta = json.loads(ok(daemon, "incidents", "eta", created["id"], "2099-07-10T09:00", "--tz",
                        "UTC", "--json"))
    assert eta["eta"] == "2099-07-10T09:00:00+00:00"
    typo = bridge("incidents", "eta", created["id"], "tomorrow", cwd=daemon.config.parent)
    assert typo.returncode == 2
    assert "expected an ISO 8601 time" in typo.stderr


def test_a_stored_time_no_zone_can_show_is_shown_as_stored(daemon: Bridge) -> None:
    """`incidents show` ended in an OverflowError traceback; and times typed past year 9999
    are refused by the CLI, or with the range by the API."""
    listed = json.loads(ok(daemon, "incidents", "list", "--json"))["incidents"]
    [far] = [t["id"] for t in listed if t["summary"] == "an ETA from long ago"]
    in_tokyo = ok(daemon, "incidents", "show", far, "--tz", "Asia/Tokyo")
    assert re.search(r"^eta:\s+9999-12-31 23:59 \+00:00$", in_tokyo, re.MULTILINE), in_tokyo
    refused = bridge("incidents", "eta", far, "9999-12-31T23:00", "--tz", "America/New_York",
                     cwd=daemon.config.parent)
    assert (refused.returncode, refused.stderr) == (1, (
        "bridge incidents: 400: eta: must be from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z, "
        "got 9999-12-31T23:00:00-05:00\n"))
    typed = bridge("incidents", "eta", far, "+99999999d", cwd=daemon.config.parent)
    assert (typed.returncode, typed.stderr.splitlines()[-1]) == (2, (
        "bridge incidents eta: error: argument eta: '+99999999d' is out of range: times go "
        "from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z")), typed.stderr
    assert "Traceback" not in refused.stderr + typed.stderr + daemon.log()


def test_the_readme_walk_through_numbers_tickets_in_its_own_order() -> None:
    """Issue 12.18: the outage ticket was INC-…-000001 though `create` came first."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    work = readme.split("### Work a ticket")[1].split("### Break a device")[0]
    outage = readme.split("### Break a device")[1].split("## The files")[0]
    created = {int(n) for n in re.findall(r"INC-\d{4}-(\d{6})", work)}
    assert len(created) == 1
    assert {int(n) for n in re.findall(r"bridge incidents \w+ INC-\d{4}-(\d{6})", outage)} | {
        int(n) for n in re.findall(r"# INC-\d{4}-(\d{6})", outage)} == {max(created) + 1}
