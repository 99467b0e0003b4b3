"""A real outage: ICMP to one device dropped by nftables inside a namespace the test creates.

The daemon runs in its own network namespace (`ip netns add`), where 127.0.0.0/8 is
that namespace's loopback; no packet leaves it. Needs root, iproute2 and nftables,
which .ci/run installs.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.kits.daemon import Bridge, metric, wait_for, write_deployment
from tests.kits.netns import Namespace

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
        restarted = datetime.now(UTC)
        bridge = Bridge(config, netns=netns.name)
        wait_for("sw checked again after the restart",
                 lambda: last_check_at(tmp_path, "sw") > restarted)
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


def test_a_router_outage_opens_one_ticket_with_everything_behind_it_attached(
    tmp_path: Path, netns: Namespace
) -> None:
    devices = {"router": "127.0.0.2", "switch": "127.0.0.3", "host": "127.0.0.4"}
    config = write_deployment(tmp_path, devices, parents={"switch": "router", "host": "switch"})
    bridge = Bridge(config, netns=netns.name)
    try:
        for name in devices:
            wait_for(f"{name} up", lambda n=name: f"check {n}/ping: unknown -> up" in bridge.log())
        for address in devices.values():  # the router dies: nothing behind it answers either
            netns.drop_icmp_to(address)
        [ticket] = wait_for("the router's ticket", lambda: tickets(bridge, "open"))
        assert ticket["device"] == "router"

        def attached() -> list[str]:
            shown = bridge.cli("show", str(ticket["id"]))
            return sorted(m["device"] for m in shown["attached"] if m["detached_at"] is None)

        assert wait_for("both children attached", lambda: attached() == ["host", "switch"])
        assert len(tickets(bridge)) == 1  # no ticket for the switch or the host

        netns.heal()
        wait_for("the router's ticket resolved",
                 lambda: [t["status"] for t in tickets(bridge)] == ["resolved"])
        shown = bridge.cli("show", str(ticket["id"]))
        assert all(m["detached_at"] for m in shown["attached"])
        kinds = [e["kind"] for e in shown["timeline"]]
        assert kinds[0] == "opened"
        assert kinds.count("attached") == 2
        assert "resolved" in kinds
        assert len(tickets(bridge)) == 1  # the children recovered with it: no ticket of theirs
    finally:
        bridge.stop()


def test_an_api_maintenance_window_holds_the_ticket_until_it_is_ended(
    tmp_path: Path, netns: Namespace
) -> None:
    config = write_deployment(tmp_path, {"gw": "127.0.0.2", "srv": "127.0.0.3"})
    bridge = Bridge(config, netns=netns.name)
    try:
        wait_for("srv up", lambda: "check srv/ping: unknown -> up" in bridge.log())
        now = datetime.now(UTC)
        status, window = bridge.request("POST", "/api/v1/maintenance", body={
            "devices": ["srv"], "start": now.isoformat(),
            "end": (now + timedelta(hours=1)).isoformat(), "reason": "disk swap"})
        assert status == 201
        netns.drop_icmp_to("127.0.0.3")
        wait_for("the hold", lambda: f"check srv/ping: no ticket: maintenance {window['name']}"
                 in bridge.log())
        assert tickets(bridge) == []
        labels = {"customer": "acme", "device": "srv", "probe": "ping"}
        metrics = bridge.get("/metrics", token=None)
        assert metric(metrics, "bridge_check_down", **labels) == 1.0
        assert metric(metrics, "bridge_probe_success", **labels) == 0.0
        assert metric(metrics, "bridge_probe_loss_ratio", **labels) == 1.0
        assert metric(metrics, "bridge_incidents_opened_total", customer="acme") is None

        ended = datetime.now(UTC)
        assert bridge.request("DELETE", f"/api/v1/maintenance/{window['id']}")[0] == 204
        [ticket] = wait_for("the ticket after the window", lambda: tickets(bridge, "open"))
        assert ticket["device"] == "srv"
        assert datetime.fromisoformat(str(ticket["started_at"])) >= ended - timedelta(seconds=1)

        def counted() -> bool:
            text = bridge.get("/metrics", token=None)
            return (metric(text, "bridge_incidents_open", customer="acme", priority="P2",
                           tier="1") == 1.0
                    and metric(text, "bridge_incidents_opened_total", customer="acme") == 1.0)

        wait_for("the ticket in the metrics", counted)
    finally:
        bridge.stop()


def test_when_the_bridge_cannot_send_it_records_a_gap_and_pages_no_customer(
    tmp_path: Path, netns: Namespace
) -> None:
    devices = {f"{'other' if i % 2 else 'acme'}-{i}": f"127.0.0.{10 + i}" for i in range(12)}
    config = write_deployment(tmp_path, devices)
    bridge = Bridge(config, netns=netns.name)
    try:
        wait_for("all up", lambda: bridge.log().count("unknown -> up") == 12)
        netns.refuse_sending()  # the bridge's own firewall: every send fails
        [gap] = wait_for("the gap ticket", lambda: tickets(bridge, "open"))
        assert (gap["customer"], gap["priority"], gap["device"]) == ("bridge", "P1", None)
        assert "fail on the monitoring host itself" in str(gap["summary"])
        with sqlite3.connect(tmp_path / "var" / "bridge.db") as db:
            assert db.execute("SELECT count(*) FROM monitoring_gap WHERE ended_at IS NULL"
                              ).fetchone() == (1,)
        netns.heal()
        wait_for("the gap over", lambda: [t["status"] for t in tickets(bridge)] == ["resolved"])
        with sqlite3.connect(tmp_path / "var" / "bridge.db") as db:
            assert db.execute("SELECT count(*) FROM monitoring_gap WHERE ended_at IS NOT NULL"
                              ).fetchone() == (1,)
        assert len(tickets(bridge)) == 1  # no customer was paged, before or after
    finally:
        bridge.stop()
