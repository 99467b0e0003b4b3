"""Every API client verb with a customer's token: what the API hides from a customer (a
shared window's reason, a ticket's rule and escalation plan) is null or absent, and the CLI
prints it, or refuses with the API's reason, never with a traceback; `incidents list` shows
times in the customer's zone or `--tz`, with their offset."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.test_cli import MONTH, bridge
from tests.kits.daemon import Bridge, free_port, write_deployment

CUSTOMER = ("--token-file", "secrets/acme.token")
# Each verb a customer may type; those only operators may use are refused with a reason.
VERBS = [
    ("devices", "list"), ("devices", "show", "gw"), ("maintenance", "list"),
    ("maintenance", "add", "--device", "gw", "--end", "+1h"), ("maintenance", "end", "api-1"),
    ("availability",), ("availability", "--window", "30d"),
    ("outbox", "pending"), ("outbox", "dead"), ("outbox", "retry", "1"),
    ("incidents", "list"), ("incidents", "create", "--device", "gw", "scanner jammed"),
]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    """acme (Helsinki, with a customer token) and other; a window over a device of each."""
    root = tmp_path_factory.mktemp("customer")
    config = write_deployment(root, {"gw": "127.0.0.2", "other-gw": "127.0.0.3"},
                              listen=f"127.0.0.1:{free_port()}", customer_token=True)
    inventory = root / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        'name = "Acme"\n', 'name = "Acme"\ntimezone = "Europe/Helsinki"\n'))
    running = Bridge(config)
    now = datetime.now(UTC)
    status, _ = running.request("POST", "/api/v1/maintenance", body={
        "devices": ["gw", "other-gw"], "start": (now + timedelta(days=1)).isoformat(),
        "end": (now + timedelta(days=1, hours=2)).isoformat(), "reason": "shared UPS swap"})
    assert status == 201
    try:
        yield running
    finally:
        assert running.stop() == 0


def run(daemon: Bridge, *args: str) -> subprocess.CompletedProcess[str]:
    done = bridge(*args, cwd=daemon.config.parent)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def as_customer(daemon: Bridge, *args: str) -> str:
    done = run(daemon, *args, *CUSTOMER)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_every_verb_answers_a_customer_without_a_traceback(
        daemon: Bridge, verb: tuple[str, ...]) -> None:
    for shape in ((), ("--json",)):
        done = run(daemon, *verb, *shape, *CUSTOMER)
        assert done.returncode in (0, 1), done.stderr
        if done.returncode == 1:  # refused, or not ready: one line saying why
            assert re.fullmatch(rf"bridge {verb[0]}: [45]\d\d: .+\n", done.stderr), done.stderr


def test_a_shared_windows_hidden_reason_shows_as_a_dash(daemon: Bridge) -> None:
    [window] = json.loads(as_customer(daemon, "maintenance", "list", "--json"))
    assert (window["devices"], window["reason"]) == (["gw"], None)
    [header, row] = as_customer(daemon, "maintenance", "list").splitlines()
    assert header.split()[-1] == "REASON"
    assert row.split()[-1] == "-"
    assert "shared UPS swap" in run(daemon, "maintenance", "list").stdout  # the operator's


def test_a_customers_ticket_shows_without_the_desks_fields(daemon: Bridge) -> None:
    created = json.loads(as_customer(daemon, "incidents", "create", "--device", "gw", "--json",
                                     "badge reader offline"))
    shown = as_customer(daemon, "incidents", "show", created["id"])
    assert "rule:              -" in shown
    assert "times in:          Europe/Helsinki" in shown
    as_customer(daemon, "incidents", "comment", created["id"], "it beeps")
    assert "it beeps" in as_customer(daemon, "incidents", "show", created["id"])
    report = run(daemon, "report", "--customer", "acme", "--month", MONTH, *CUSTOMER)
    assert report.returncode == 0, report.stderr


def opened_at(listing: str, ticket: str) -> str:
    """The OPENED_AT cell of a ticket's row: date, time and offset."""
    [row] = [line for line in listing.splitlines() if line.startswith(ticket + " ")]
    header = listing.splitlines()[0]
    return row[header.index("OPENED_AT"):].split("  ")[0].strip()


def test_incidents_list_shows_times_in_the_customers_zone_or_tz(daemon: Bridge) -> None:
    ticket = json.loads(as_customer(daemon, "incidents", "create", "--json", "no dial tone"))
    opened = datetime.fromisoformat(ticket["opened_at"])

    def local(zone: str) -> str:
        from zoneinfo import ZoneInfo
        at = opened.astimezone(ZoneInfo(zone))
        offset = at.strftime("%z")
        return f"{at:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"

    helsinki = local("Europe/Helsinki")
    assert opened_at(as_customer(daemon, "incidents", "list"), ticket["id"]) == helsinki
    assert opened_at(run(daemon, "incidents", "list", "--customer", "acme").stdout,
                     ticket["id"]) == helsinki  # the operator's list of one customer
    assert opened_at(as_customer(daemon, "incidents", "list", "--tz", "Asia/Tehran"),
                     ticket["id"]) == local("Asia/Tehran")
    # tickets of two customers: each row in its own customer's zone, unless --tz says
    # otherwise (another customer's ticket does not move this one's to UTC)
    run(daemon, "incidents", "create", "--customer", "other", "elevator music")
    assert opened_at(run(daemon, "incidents", "list").stdout, ticket["id"]) == helsinki
    assert opened_at(run(daemon, "incidents", "list", "--tz", "UTC").stdout,
                     ticket["id"]) == local("UTC")
