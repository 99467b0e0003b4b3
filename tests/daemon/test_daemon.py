"""The daemon end to end on loopback: real ICMP, real SQLite, real HTTP, real signals."""

from __future__ import annotations

import re
import signal
import socket
import sqlite3
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

from tests.kits.daemon import Bridge, http_request, wait_for, write_deployment

DEVICES = {"gw": "127.0.0.2", "sw": "127.0.0.3", "other-srv": "127.0.0.4"}


def all_up(bridge: Bridge, count: int) -> bool:
    devices = bridge.get("/api/v1/devices")["devices"]
    states = [c["hard_status"] for d in devices for c in d["checks"]]
    return len(states) == count and all(s == "up" for s in states)


def test_loopback_devices_come_up_with_metrics_and_api(tmp_path: Path) -> None:
    bridge = Bridge(write_deployment(tmp_path, DEVICES, customer_token=True))
    try:
        wait_for("all devices up", lambda: all_up(bridge, 3))
        # availability is recomputed from the store soon after the changes are committed
        metrics = wait_for("availability", lambda: (lambda m: m if m.count(
            "bridge_availability_ratio{") == 3 * 4 else None)(bridge.get("/metrics", None)))
        for device, customer in (("gw", "acme"), ("sw", "acme"), ("other-srv", "other")):
            labels = f'customer="{customer}",device="{device}"'
            assert f'bridge_probe_success{{{labels},probe="ping"}} 1.0' in metrics
            assert f'bridge_availability_ratio{{{labels},window="1h"}} 1.0' in metrics
            assert f'bridge_probe_rtt_seconds{{{labels},probe="ping"}}' in metrics
            assert f'bridge_probe_jitter_seconds{{{labels},probe="ping"}}' in metrics
        assert "bridge_config_last_reload_successful 1.0" in metrics
        assert re.search(r"^bridge_checks_queued \d", metrics, re.M)  # the admission backlog
        assert re.search(r"^bridge_event_loop_lag_seconds_count [1-9]", metrics, re.M)
        [check] = [c for d in bridge.get("/api/v1/devices")["devices"] if d["id"] == "gw"
                   for c in d["checks"]]
        assert check["loss_ratio"] == 0.0
        assert 0 < check["rtt_min_s"] <= check["rtt_avg_s"] <= check["rtt_max_s"]
        assert check["jitter_s"] >= 0
        lint = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                              capture_output=True, text=True, timeout=30)
        assert (lint.returncode, lint.stdout + lint.stderr) == (0, "")

        assert bridge.request("GET", "/healthz", token=None)[0] == 200
        assert bridge.request("GET", "/readyz", token=None)[0] == 200
        status, body = bridge.request("GET", "/api/v1/incidents", token=None)
        assert (status, body["error"]) == (401, "missing or invalid bearer token")
        assert bridge.request("GET", "/api/v1/incidents", token="wrong")[0] == 401
        assert bridge.get("/api/v1/incidents") == {"incidents": [], "total": 0, "limit": 100,
                                                   "offset": 0}
        status, body = bridge.request("GET", "/api/v1/incidents?limit=0")
        assert status == 400
        assert "limit" in body["error"]
        status, body = bridge.request("GET", "/api/v1/incidents?state=open")
        assert (status, body["error"]) == (400, "unknown query parameter(s): state")
        assert bridge.request("GET", "/api/v1/incidents/INC-2026-999999")[0] == 404

        # A customer token sees its own devices only; another customer is a 404.
        acme = bridge.get("/api/v1/devices", token="acme-secret-token")["devices"]
        assert sorted(d["id"] for d in acme) == ["gw", "sw"]
        status, _ = bridge.request("GET", "/api/v1/incidents?customer=other",
                                   token="acme-secret-token")
        assert status == 404
        status, _ = bridge.request("POST", "/-/reload", token="acme-secret-token")
        assert status == 403
        assert "acme-secret-token" not in bridge.log()
        assert bridge.token not in bridge.log()
    finally:
        assert bridge.stop() == 0


def test_reload_with_a_bad_file_keeps_the_running_config(tmp_path: Path) -> None:
    config = write_deployment(tmp_path, DEVICES)
    bridge = Bridge(config)
    try:
        wait_for("all devices up", lambda: all_up(bridge, 3))
        devices = bridge.get("/api/v1/devices")["devices"]
        before = {d["id"]: d["checks"][0]["since"] for d in devices}

        probes = tmp_path / "probes" / "ping.toml"
        good = probes.read_text()
        probes.write_text(good.replace("timeout_s = 0.3", "timeout_s = 5"))
        bridge.signal(signal.SIGHUP)
        wait_for("the failed reload", lambda: "bridge_config_last_reload_successful 0.0"
                 in bridge.get("/metrics", token=None))
        assert "probes/ping.toml:5: probes.ping.timeout_s: must be < interval_s" in bridge.log()
        status, body = bridge.request("POST", "/-/reload")
        assert status == 400
        assert body["errors"] == ["probes/ping.toml:5: probes.ping.timeout_s: must be < "
                                  "interval_s (got 5 >= 1)"]
        rejected_at = datetime.now(UTC)

        def checked_since_rejection() -> bool:  # still probing with the old config
            devices = bridge.get("/api/v1/devices")["devices"]
            return all(datetime.fromisoformat(d["checks"][0]["last_check_at"]) > rejected_at
                       for d in devices)

        wait_for("checks after the rejected reload", checked_since_rejection)
        assert all_up(bridge, 3)

        probes.write_text(good)
        inventory = tmp_path / "config" / "inventory.toml"
        inventory.write_text(inventory.read_text()
                             + '\n[devices.new]\ncustomer = "acme"\naddress = "127.0.0.5"\n'
                               'probes = ["ping"]\n')
        status, body = bridge.request("POST", "/-/reload")
        assert (status, body) == (200, {"status": "reloaded"})
        assert "bridge_config_last_reload_successful 1.0" in bridge.get("/metrics", token=None)
        wait_for("the new device up", lambda: all_up(bridge, 4))
        devices = bridge.get("/api/v1/devices")["devices"]
        after = {d["id"]: d["checks"][0]["since"] for d in devices}
        assert {k: after[k] for k in before} == before  # state of kept checks not reset
    finally:
        assert bridge.stop() == 0


def test_sigterm_during_work_exits_cleanly_and_keeps_every_result(tmp_path: Path) -> None:
    devices = {f"d{i}": f"127.0.{1 + i // 250}.{1 + i % 250}" for i in range(300)}
    # Nothing is written before SIGTERM: only the shutdown flush can save these results.
    config = write_deployment(tmp_path, devices, interval_s=0.5, batch_interval_s=10)
    bridge = Bridge(config)
    wait_for("every device checked", lambda: all_up(bridge, 300), timeout_s=30)
    assert bridge.stop() == 0
    assert "stopped" in bridge.lines[-1]
    with sqlite3.connect(tmp_path / "var" / "bridge.db") as db:
        rows = db.execute("SELECT count(*), min(hard_status), max(hard_status) FROM check_state "
                          "WHERE last_at IS NOT NULL").fetchone()
        changes = db.execute("SELECT count(*) FROM state_change").fetchone()[0]
    assert rows == (300, "up", "up")
    assert changes == 300  # one unknown -> up change per check


def test_systemd_notify_ready_watchdog_stopping(tmp_path: Path) -> None:
    sock_path = tmp_path / "notify.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(sock_path))
    server.settimeout(15)
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}),
                    env={"NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "400000"})
    try:
        messages = [server.recv(4096).decode() for _ in range(3)]
        assert messages[0].startswith("READY=1\nSTATUS=")
        assert "WATCHDOG=1" in messages[1:]
        assert bridge.stop() == 0
        rest = []
        while not any(m.startswith("STOPPING=1") for m in rest):
            rest.append(server.recv(4096).decode())
    finally:
        bridge.stop()  # a no-op when it has already stopped; never leaks a daemon
        server.close()


def test_invalid_config_exits_78_with_the_error(tmp_path: Path) -> None:
    import sys

    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    (tmp_path / "config" / "inventory.toml").write_text(
        '[devices.gw]\ncustomer = "nobody"\naddress = "127.0.0.2"\nprobes = ["ping"]\n')
    out = subprocess.run([sys.executable, "-m", "bridge", "run", "-c", str(config)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78  # EX_CONFIG: systemd does not restart into the same error
    assert ("config/inventory.toml:2: devices.gw.customer: unknown customer 'nobody'"
            in out.stderr)


LAB_SWITCH = ('\n[devices.lab-sw]\ncustomer = "acme"\naddress = "127.0.0.1"\nprobes = ["ping"]\n'
              'snmp = { community = "env:BRIDGE_TEST_UNSET_COMMUNITY" }\n')
UNSET_COMMUNITY = ("config/inventory.toml:16: devices.lab-sw.snmp.community: "
                   "environment variable BRIDGE_TEST_UNSET_COMMUNITY is not set")


def test_a_secret_the_daemon_cannot_resolve_stops_a_start_and_a_reload(tmp_path: Path) -> None:
    import sys

    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    inventory = tmp_path / "config" / "inventory.toml"
    good = inventory.read_text()
    inventory.write_text(good + LAB_SWITCH)
    out = subprocess.run([sys.executable, "-m", "bridge", "run", "-c", str(config)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 78
    assert UNSET_COMMUNITY in out.stderr

    inventory.write_text(good)
    bridge = Bridge(config)
    try:
        inventory.write_text(good + LAB_SWITCH)
        status, body = bridge.request("POST", "/-/reload")
        assert (status, body["errors"]) == (400, [UNSET_COMMUNITY])
        assert [d["id"] for d in bridge.get("/api/v1/devices")["devices"]] == ["gw"]
    finally:
        assert bridge.stop() == 0


def test_metrics_auth_admits_operators_only(tmp_path: Path) -> None:
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}, customer_token=True,
                                     metrics_auth=True))
    try:
        assert bridge.request("GET", "/metrics", token=None)[0] == 401
        assert bridge.request("GET", "/metrics", token="acme-secret-token")[0] == 403
        assert "bridge_config_last_reload_successful 1.0" in bridge.get("/metrics")
    finally:
        assert bridge.stop() == 0


def test_incidents_cli_prints_a_table_with_options_after_the_action(tmp_path: Path) -> None:
    import sys

    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    bridge = Bridge(config)
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bridge", "incidents", "list", "-c", str(config),
             "--url", bridge.url], capture_output=True, text=True, timeout=30, check=True)
        lines = out.stdout.splitlines()
        assert lines[0].split() == ["ID", "STATUS", "PRIORITY", "CUSTOMER", "DEVICE",
                                    "OPENED_AT", "SUMMARY"]
        assert lines[-1] == "(0 of 0)"
        missing = subprocess.run(
            [sys.executable, "-m", "bridge", "incidents", "show", "INC-2026-000404", "-c",
             str(config), "--url", bridge.url], capture_output=True, text=True, timeout=30)
        assert missing.returncode == 1
        assert missing.stderr.strip() == "bridge incidents: 404: no incident 'INC-2026-000404'"
    finally:
        assert bridge.stop() == 0


def test_incidents_cli_options_work_before_and_after_the_action() -> None:
    from bridge.cli.main import build_parser

    parser = build_parser()
    before = parser.parse_args(["incidents", "--url", "http://h:1", "-c", "a.toml", "list"])
    after = parser.parse_args(["incidents", "list", "--url", "http://h:1", "-c", "a.toml"])
    for args in (before, after):
        assert (args.url, str(args.config)) == ("http://h:1", "a.toml")


def test_maintenance_windows_through_the_api(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    bridge = Bridge(write_deployment(tmp_path, DEVICES, customer_token=True))
    now = datetime.now(UTC)
    window = {"devices": ["gw"], "start": (now - timedelta(minutes=1)).isoformat(),
              "end": (now + timedelta(hours=1)).isoformat(), "reason": "firmware upgrade"}
    try:
        status, created = bridge.request("POST", "/api/v1/maintenance", body=window)
        assert (status, set(created)) == (201, {"id", "name"})
        listed = bridge.get("/api/v1/maintenance")["windows"]
        assert [(w["name"], w["devices"], w["active"], w["reason"], w["created_by"])
                for w in listed] == [(created["name"], ["gw"], True, "firmware upgrade", "ops")]
        # the customer whose device it covers sees it; it may not add one
        assert len(bridge.get("/api/v1/maintenance", token="acme-secret-token")["windows"]) == 1
        status, _ = bridge.request("POST", "/api/v1/maintenance", token="acme-secret-token",
                                   body=window)
        assert status == 403

        bad = {**window, "devices": ["nope"], "end": window["start"]}
        status, body = bridge.request("POST", "/api/v1/maintenance", body=bad)
        assert status == 400
        assert body["details"] == ["end must be after start", "end is in the past",
                                   "unknown device 'nope'"]
        status, body = bridge.request("POST", "/api/v1/maintenance",
                                      body={**window, "start": "tomorrow"})
        assert status == 400
        assert body["details"][0].startswith("start: Input should be a valid datetime")
        status, body = bridge.request("POST", "/api/v1/maintenance", body=b"{not json")
        assert status == 400
        status, body = bridge.request("POST", "/api/v1/maintenance",
                                      body={**window, "devices": [], "tags": ["nosuchtag"]})
        assert (status, body["error"]) == (400, "unknown tag 'nosuchtag': no device has it")

        assert bridge.request("DELETE", f"/api/v1/maintenance/{created['id']}")[0] == 204
        assert bridge.request("DELETE", f"/api/v1/maintenance/{created['id']}")[0] == 404
        assert bridge.get("/api/v1/maintenance")["windows"] == []
    finally:
        assert bridge.stop() == 0


def test_unknown_routes_and_methods_answer_json(tmp_path: Path) -> None:
    bridge = Bridge(write_deployment(tmp_path, {"gw": "127.0.0.2"}))
    try:
        assert bridge.request("GET", "/api/v1/nothing-here") == (404, {"error": "Not Found"})
        assert bridge.request("PUT", "/api/v1/incidents") == (
            405, {"error": "Method Not Allowed"})
        status, body = bridge.request("GET", "/api/v1/incidents?customer=nosuch")
        assert (status, body) == (404, {"error": "no customer 'nosuch'"})
    finally:
        assert bridge.stop() == 0


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    import sys

    first = Bridge(write_deployment(tmp_path / "a", {"gw": "127.0.0.2"}))
    try:
        port = first.url.rsplit(":", 1)[1]
        config = write_deployment(tmp_path / "b", {"gw": "127.0.0.2"})
        out = subprocess.run([sys.executable, "-m", "bridge", "run", "-c", str(config),
                              "--listen", f"127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        assert first.stop() == 0


def test_db_on_the_command_line_overrides_the_config(tmp_path: Path) -> None:
    import sys

    config = write_deployment(tmp_path, {"gw": "127.0.0.2"})
    other = tmp_path / "elsewhere" / "state.db"
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "run", "-c", str(config),
                             "--db", f"sqlite:///{other}", "--listen", "127.0.0.1:0"],
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "listening on" in line:
                url = "http://" + line.rsplit("listening on ", 1)[1].strip()
                break
        threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True).start()
        token = (tmp_path / "secrets" / "ops.token").read_text().strip()
        # the availability windows (computed in a process of their own) read the same store
        wait_for("the availability windows from the --db store", lambda: http_request(
            "GET", url + "/api/v1/availability", {"Authorization": f"Bearer {token}"},
            None)[0] == 200, timeout_s=60)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        if proc.stderr is not None:
            proc.stderr.close()
    assert other.exists()
    assert not (tmp_path / "var" / "bridge.db").exists()
    assert not [line for line in lines if "availability refresh failed" in line]
