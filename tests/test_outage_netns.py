"""A real outage: ICMP to one device dropped by nftables inside a namespace the test creates.

The daemon runs in its own network namespace (`ip netns add`), where 127.0.0.0/8 is
that namespace's loopback; no packet leaves it. Needs root, iproute2 and nftables,
which .ci/run installs.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.daemon import Bridge, wait_for, write_deployment
from tests.netns import Namespace

DEVICES = {"gw": "127.0.0.2", "sw": "127.0.0.3", "ghost": "no-such-host.invalid"}


def last_check_at(root: Path, device: str) -> datetime:
    """When the daemon last stored a result for `device` (from its SQLite file)."""
    with sqlite3.connect(root / "var" / "bridge.db") as db:
        row = db.execute("SELECT last_at FROM check_state WHERE device = ?", (device,)).fetchone()
    if not row or not row[0]:
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(row[0]).replace(tzinfo=UTC)


def tickets(bridge: Bridge, status: str | None = None) -> list[dict[str, object]]:
    args = ["list", "--status", status] if status else ["list"]
    items: list[dict[str, object]] = bridge.cli(*args)["incidents"]
    return items


def test_outage_opens_one_ticket_survives_restarts_and_resolves(
    tmp_path: Path, netns: Namespace
) -> None:
    config = write_deployment(tmp_path, DEVICES)
    bridge = Bridge(config, netns=netns.name)
    try:
        wait_for("gw up", lambda: "check gw/ping: unknown -> up" in bridge.log())
        # No resolver is reachable from the namespace: the ghost's failure is the monitoring
        # host's, so it is not counted against the device and opens no ticket.
        wait_for("the ghost's check", lambda: "ghost" in bridge.log())

        netns.drop_icmp_to("127.0.0.3")
        [sw] = wait_for("the sw ticket", lambda: tickets(bridge, "open"))
        assert sw["device"] == "sw"
        assert sw["priority"] == "P2"
        assert "no reply" in str(sw["summary"])

        # Restart (graceful) and crash (kill -9) while it is still down: no second ticket.
        assert bridge.stop() == 0
        bridge = Bridge(config, netns=netns.name)
        wait_for("a check after restart", lambda: "bridge running" in bridge.log())
        bridge.kill()
        restarted = datetime.now(UTC)
        bridge = Bridge(config, netns=netns.name)
        wait_for("sw checked again after the crash",
                 lambda: last_check_at(tmp_path, "sw") > restarted)
        assert [t["id"] for t in tickets(bridge, "open")] == [sw["id"]]

        netns.heal()
        wait_for("sw resolved", lambda: [t["status"] for t in tickets(bridge)
                                         if t["id"] == sw["id"]] == ["resolved"])
        shown = bridge.cli("show", str(sw["id"]))
        kinds = [e["kind"] for e in shown["timeline"]]
        assert (kinds[0], kinds[-1]) == ("opened", "resolved")
        assert shown["resolved_at"] is not None
        assert len(tickets(bridge)) == 1  # exactly one ticket for the one real problem
    finally:
        bridge.stop()
