"""Tickets through the API and the CLI with real data: scoping, filters, paging, the table."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.core.decisions import (
    GAP_PROBLEM,
    OPERATOR_CUSTOMER,
    Decision,
    OpenIncident,
    ResolveIncident,
)
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.store import Database
from bridge.store.decisions import apply_batch
from tests.kits.daemon import Bridge, write_deployment

# Recent, so the desk's clock does not close the resolved one for the contract's silence.
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
Y = T0.year


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ticket(device: str, customer: str) -> OpenIncident:
    return OpenIncident(f"check:{device}/ping", CheckKey(device, "ping"), customer, Priority.P2,
                        "down", T0, f"{device} is down")


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Bridge]:
    """A running daemon whose store already holds tickets of both customers and the operator.

    The tickets are for devices no longer in the inventory, so the daemon leaves them as
    they are while the test reads them.
    """
    config = write_deployment(tmp_path, {"gw": "127.0.0.2", "other-srv": "127.0.0.4"},
                              customer_token=True, listen=f"127.0.0.1:{_free_port()}")
    db = Database(f"sqlite:///{tmp_path / 'var' / 'bridge.db'}")
    db.migrate()
    batches: list[list[Decision]] = [
        [_ticket("old-a1", "acme")],
        [_ticket("old-a2", "acme")],
        [ResolveIncident("check:old-a2/ping", T0 + timedelta(minutes=2), "recovered")],
        [_ticket("old-o1", "other")],
        [OpenIncident(GAP_PROBLEM, None, OPERATOR_CUSTOMER, Priority.P1, "monitoring-gap", T0,
                      "monitoring gap")],
    ]
    for minute, decisions in enumerate(batches):
        apply_batch(db.writer, decisions, "INC", T0 + timedelta(minutes=minute))
    db.dispose()
    bridge = Bridge(config)
    yield bridge
    bridge.stop()


def ids(bridge: Bridge, query: str, token: str = "ops") -> list[str]:
    return [t["id"] for t in bridge.get(f"/api/v1/incidents{query}", token=token)["incidents"]]


def test_filters_and_paging(seeded: Bridge) -> None:
    # INC-YYYY-000001 old-a1, -2 old-a2 (resolved), -3 old-o1, -4 the gap; newest first
    assert ids(seeded, "") == [f"INC-{Y}-000004", f"INC-{Y}-000003", f"INC-{Y}-000002",
                               f"INC-{Y}-000001"]
    assert ids(seeded, "?status=open") == [f"INC-{Y}-000004", f"INC-{Y}-000003",
                                           f"INC-{Y}-000001"]
    assert ids(seeded, "?status=resolved") == [f"INC-{Y}-000002"]
    assert ids(seeded, "?customer=acme") == [f"INC-{Y}-000002", f"INC-{Y}-000001"]
    assert ids(seeded, "?device=old-o1") == [f"INC-{Y}-000003"]
    assert ids(seeded, "?customer=bridge") == [f"INC-{Y}-000004"]  # the operator's own
    page = seeded.get("/api/v1/incidents?limit=2&offset=1")
    assert ([t["id"] for t in page["incidents"]], page["total"]) == (
        [f"INC-{Y}-000003", f"INC-{Y}-000002"], 4)


def test_a_customer_token_sees_only_its_own_tickets(seeded: Bridge) -> None:
    acme = "acme-secret-token"
    assert ids(seeded, "", token=acme) == [f"INC-{Y}-000002", f"INC-{Y}-000001"]
    assert ids(seeded, "?status=open", token=acme) == [f"INC-{Y}-000001"]
    assert seeded.get(f"/api/v1/incidents/INC-{Y}-000001", token=acme)["customer"] == "acme"
    for other in (f"INC-{Y}-000003", f"INC-{Y}-000004"):  # another customer's, the operator's
        status, body = seeded.request("GET", f"/api/v1/incidents/{other}", token=acme)
        assert (status, body) == (404, {"error": f"no incident '{other}'"})
    for customer in ("other", "bridge", "nosuch"):
        assert seeded.request("GET", f"/api/v1/incidents?customer={customer}",
                              token=acme)[0] == 404


def test_the_cli_finds_the_api_and_token_in_bridge_toml_and_prints_tables(
    seeded: Bridge,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bridge", "incidents", *args, "-c",
                               str(seeded.config)], capture_output=True, text=True, env=env,
                              timeout=30, check=True)
        return done.stdout

    listing = cli("list", "--status", "open", "--customer", "acme").splitlines()
    assert listing[0].split()[:5] == ["ID", "STATUS", "PRIORITY", "CUSTOMER", "DEVICE"]
    assert listing[1].split()[:5] == [f"INC-{Y}-000001", "open", "P2", "acme", "old-a1"]
    assert listing[-1] == "(1 of 1)"
    shown = cli("show", f"INC-{Y}-000002").splitlines()
    assert any(re.fullmatch(r"status: +resolved", line) for line in shown), shown
    # timeline lines: date, time, offset, who, what
    assert shown[shown.index("timeline:") + 1].split()[3:5] == ["system", "opened"]
    assert shown[-1].split()[3:5] == ["system", "resolved"]
