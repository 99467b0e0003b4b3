"""A restart changes no ticket: the daemon, stopped and started on the same SQLite store,
leaves each ticket in the state people and the engine left it in."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from tests.kits.daemon import PROBE, Bridge, metric, wait_for, write_deployment

# Loopback always answers; a critical round-trip limit far below it fails every check.
FAILING = PROBE.format(interval_s=0.5, max_attempts=2) + "critical = { rtt_ms = 0.001 }\n"
PASSING = PROBE.format(interval_s=0.5, max_attempts=2)


def _ticket(bridge: Bridge) -> dict[str, Any] | None:
    found = bridge.cli("list", "--device", "gw")["incidents"]
    return found[0] if found else None


def _checks_run(bridge: Bridge) -> float:
    text = str(bridge.get("/metrics", token=None))
    return metric(text, "bridge_probe_duration_seconds_count", kind="icmp") or 0.0


def test_a_ticket_reopened_by_hand_on_an_up_device_stays_open_across_a_restart(
        tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"gw": "127.0.0.2"}, probes=FAILING)
    bridge = Bridge(config)
    try:
        ref = wait_for("gw's ticket", lambda: _ticket(bridge))["id"]
        (tmp_path / "probes" / "ping.toml").write_text(PASSING)
        bridge.signal(signal.SIGHUP)
        wait_for("gw recovered", lambda: _ticket(bridge)["status"] == "resolved" or None)
        bridge.cli("reopen", ref, "--message", "the users still cannot log in")
        assert bridge.cli("show", ref)["status"] == "open"
    finally:
        bridge.stop()

    bridge = Bridge(config)
    try:
        # gw answers every check after the restart, as it did before it
        wait_for("checks after the restart", lambda: _checks_run(bridge) >= 6 or None)
        shown = bridge.cli("show", ref)
        assert shown["status"] == "open"
        assert "recovered" not in [e["kind"] for e in shown["timeline"]][-1:]
    finally:
        bridge.stop()
