"""check_ping's warning and critical limits against lossy and slow devices in a namespace.

Inside a namespace the test creates, nftables drops exact shares of the echo requests
to some addresses and a responder answers others late; `bridge probe` and a running
daemon judge them with `warning = { rtt_ms = 100, loss_pct = 20 }` and
`critical = { rtt_ms = 500, loss_pct = 60 }`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.kits.daemon import Bridge, metric, wait_for, write_deployment
from tests.kits.netns import Namespace

LIMITS = """
[probes.ping]
kind = "icmp"
interval_s = {interval_s}
timeout_s = 0.9
count = 3
packet_interval_s = 0.05
retry_interval_s = 0.5
max_attempts = 2
warning = {{ rtt_ms = 100, loss_pct = 20 }}
critical = {{ rtt_ms = 500, loss_pct = 60 }}

[probes.ping5]
kind = "icmp"
interval_s = {interval_s}
timeout_s = 0.9
count = 5
packet_interval_s = 0.05
warning = {{ loss_pct = 20 }}
"""

DEVICES = {
    "fine": "127.0.0.2",
    "lossy": "127.0.0.3",  # 1 of 3 lost: 33 %
    "slow": "127.0.0.4",  # 150 ms
    "very-lossy": "127.0.0.5",  # 2 of 3 lost: 67 %
    "very-slow": "127.0.0.6",  # 600 ms
    "one-in-five": "127.0.0.7",  # 1 of 5 lost: exactly 20 %
}


def break_links(netns: Namespace) -> None:
    netns.lose_icmp_every(DEVICES["lossy"], 1, 3)
    netns.lose_icmp_every(DEVICES["very-lossy"], 2, 3)
    netns.lose_icmp_every(DEVICES["one-in-five"], 1, 5)
    netns.delay_icmp_to(DEVICES["slow"], 0.15)
    netns.delay_icmp_to(DEVICES["very-slow"], 0.6)


def deployment(root: Path, interval_s: float) -> Path:
    return write_deployment(root, DEVICES, probes=LIMITS.format(interval_s=interval_s),
                            device_probes={"one-in-five": ["ping5"]})


def bridge_probe(netns: Namespace, config: Path, device: str, *options: str
                 ) -> subprocess.CompletedProcess[str]:
    """`bridge probe DEVICE` run by an operator on the monitoring host."""
    return subprocess.run(
        ["ip", "netns", "exec", netns.name, sys.executable, "-m", "bridge", "probe", device,
         "-c", str(config), *options], capture_output=True, text=True, timeout=60, check=False)


def probe_json(netns: Namespace, config: Path, device: str) -> tuple[int, dict[str, Any]]:
    done = bridge_probe(netns, config, device, "--json")
    [result] = json.loads(done.stdout)["results"]
    return done.returncode, result


def test_bridge_probe_says_warning_and_critical_as_check_ping_would(
    tmp_path: Path, netns: Namespace
) -> None:
    config = deployment(tmp_path, interval_s=5)
    break_links(netns)
    verdicts = {name: probe_json(netns, config, name) for name in DEVICES}
    summary = {name: (code, r["ok"], r["warning"], r["output"].split(" (")[0])
               for name, (code, r) in verdicts.items()}
    assert summary["fine"][:3] == (0, True, False)
    assert summary["fine"][3].startswith("3/3 replies, loss 0%")
    fine = verdicts["fine"][1]
    assert fine["loss_ratio"] == 0.0
    assert 0 <= fine["jitter_s"] <= fine["rtt_max_s"] - fine["rtt_min_s"]
    assert summary["lossy"][:3] == (0, True, True)
    assert summary["lossy"][3].startswith("PING WARNING - loss 33%, rtt avg ")
    assert summary["slow"][:3] == (0, True, True)
    assert summary["slow"][3].startswith("PING WARNING - loss 0%, rtt avg 15")
    assert summary["very-lossy"][:3] == (2, False, False)
    assert summary["very-lossy"][3].startswith("PING CRITICAL - loss 67%, rtt avg ")
    assert summary["very-slow"][:3] == (2, False, False)
    assert summary["very-slow"][3].startswith("PING CRITICAL - loss 0%, rtt avg 60")
    assert summary["one-in-five"][:3] == (0, True, True)  # 20 % of 5 reaches a 20 % limit
    assert summary["one-in-five"][3].startswith("PING WARNING - loss 20%, rtt avg ")
    assert "(loss >= 60%)" in verdicts["very-lossy"][1]["output"]
    assert "(rtt >= 500 ms)" in verdicts["very-slow"][1]["output"]
    assert bridge_probe(netns, config, "slow").stdout.startswith(
        "WARN slow ping: PING WARNING - loss 0%")


def test_a_running_daemon_shows_warnings_and_tickets_only_critical(
    tmp_path: Path, netns: Namespace
) -> None:
    config = deployment(tmp_path, interval_s=2)
    break_links(netns)
    bridge = Bridge(config, netns=netns.name)
    try:
        def open_tickets() -> dict[str, dict[str, Any]]:
            return {t["device"]: t for t in bridge.cli("list", "--status", "open")["incidents"]}

        # the critical devices fail hard and get a ticket each; the warnings get none
        tickets = wait_for("both critical tickets", lambda: len(open_tickets()) >= 2 and
                           open_tickets())
        assert sorted(tickets) == ["very-lossy", "very-slow"]
        assert "PING CRITICAL - loss 67%" in str(tickets["very-lossy"]["summary"])
        assert "(rtt >= 500 ms)" in str(tickets["very-slow"]["summary"])

        def labels(device: str, probe: str = "ping") -> dict[str, str]:
            return {"customer": "acme", "device": device, "probe": probe}

        def all_checked() -> str | None:
            text = str(bridge.get("/metrics", token=None))
            seen = [metric(text, "bridge_probe_warning", **labels(name)) for name in DEVICES
                    if name != "one-in-five"]
            return text if None not in seen else None

        text = wait_for("every check in the metrics", all_checked)
        warning = {name: metric(text, "bridge_probe_warning", **labels(name))
                   for name in DEVICES if name != "one-in-five"}
        assert warning == {"fine": 0.0, "lossy": 1.0, "slow": 1.0, "very-lossy": 0.0,
                           "very-slow": 0.0}
        assert metric(text, "bridge_probe_warning", **labels("one-in-five", "ping5")) == 1.0
        success = {name: metric(text, "bridge_probe_success", **labels(name))
                   for name in ("fine", "lossy", "slow", "very-lossy", "very-slow")}
        assert success == {"fine": 1.0, "lossy": 1.0, "slow": 1.0, "very-lossy": 0.0,
                           "very-slow": 0.0}
        # availability counts a warning as up (the rolling windows refresh every second)
        def availability_known() -> str | None:
            text = str(bridge.get("/metrics", token=None))
            ratio = metric(text, "bridge_availability_ratio", customer="acme",
                           device="very-lossy", window="1h")
            return text if ratio is not None and ratio < 1.0 else None

        text = wait_for("very-lossy's availability below 1", availability_known)
        assert metric(text, "bridge_availability_ratio", customer="acme", device="lossy",
                      window="1h") == 1.0
        very_lossy = metric(text, "bridge_availability_ratio", customer="acme",
                            device="very-lossy", window="1h")
        assert very_lossy is not None
        assert very_lossy < 1.0

        devices = {d["id"]: d["checks"][0] for d in bridge.get("/api/v1/devices")["devices"]}
        assert (devices["slow"]["status"], devices["slow"]["warning"]) == ("up", True)
        assert devices["slow"]["output"].startswith("PING WARNING - loss 0%")
        assert (devices["fine"]["status"], devices["fine"]["warning"]) == ("up", False)
        assert (devices["very-slow"]["status"], devices["very-slow"]["warning"]) == (
            "down", False)
    finally:
        bridge.stop()
