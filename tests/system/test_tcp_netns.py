"""The tcp probe end to end: a daemon in a namespace the test creates checks a plain and
a TLS listener inside it. The plain one stops: a ticket. The TLS one shows a certificate
that expires in 5 days, under cert_warn_days: a warning, in /metrics, the API and
`bridge probe`. Needs root and iproute2 (as the other namespace tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.kits.certificates import authority, issue
from tests.kits.daemon import Bridge, metric, wait_for, write_deployment
from tests.kits.netns import Namespace

DEVICES = {"web": "127.0.0.2", "portal": "127.0.0.3"}

PROBES = """
[probes.http]
kind = "tcp"
port = 8080
interval_s = 1
timeout_s = 0.5
retry_interval_s = 0.5
max_attempts = 2

[probes.https]
kind = "tcp"
port = 8443
tls = true
ca_file = "{ca_file}"
cert_warn_days = 14
interval_s = 1
timeout_s = 0.5
"""

# A server inside the namespace: accepts, (with a certificate) shakes hands, waits for the
# client to hang up.
_LISTENER = """
import asyncio, ssl, sys
address, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

async def main():
    context = None
    if cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    async def handle(reader, writer):
        try:
            await reader.read()
        except Exception:
            pass
        writer.close()

    server = await asyncio.start_server(handle, address, port, ssl=context)
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def listen(netns: Namespace, address: str, port: int,
           cert: tuple[Path, Path] | None = None) -> subprocess.Popen[str]:
    files = [str(cert[0]), str(cert[1])] if cert else ["", ""]
    server = subprocess.Popen(["ip", "netns", "exec", netns.name, sys.executable, "-c",
                               _LISTENER, address, str(port), *files],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    return server


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.wait(timeout=10)
    if server.stdout is not None:
        server.stdout.close()


def test_a_stopped_listener_opens_a_ticket_and_a_due_certificate_warns(
    tmp_path: Path, netns: Namespace
) -> None:
    ca = authority(tmp_path)
    soon = issue(ca, tmp_path, "portal", 5, hosts=(DEVICES["portal"],))
    config = write_deployment(tmp_path, DEVICES, probes=PROBES.format(ca_file=ca.path),
                              device_probes={"web": ["http"], "portal": ["https"]})
    servers = [listen(netns, DEVICES["web"], 8080), listen(netns, DEVICES["portal"], 8443, soon)]
    bridge = Bridge(config, netns=netns.name)
    try:
        wait_for("web up", lambda: "check web/http: unknown -> up" in bridge.log())
        wait_for("portal up", lambda: "check portal/https: unknown -> up" in bridge.log())

        def labels(device: str, probe: str) -> dict[str, str]:
            return {"customer": "acme", "device": device, "probe": probe}

        text = str(bridge.get("/metrics", token=None))
        portal, web = labels("portal", "https"), labels("web", "http")
        assert metric(text, "bridge_probe_success", **portal) == 1.0
        assert metric(text, "bridge_probe_warning", **portal) == 1.0
        days = metric(text, "bridge_probe_cert_days_left", **portal)
        assert days is not None
        assert 4.9 < days <= 5
        assert metric(text, "bridge_probe_warning", **web) == 0.0
        connect_s = metric(text, "bridge_probe_connect_seconds", **web)
        assert connect_s is not None
        assert 0 < connect_s < 0.5
        assert metric(text, "bridge_probe_cert_days_left", **web) is None

        [device] = [d for d in bridge.get("/api/v1/devices")["devices"]
                    if d["id"] == "portal"]
        [check] = device["checks"]
        assert (check["hard_status"], check["warning"]) == ("up", True)
        assert "WARNING certificate expires in 5.0 days" in check["output"]
        assert 4.9 < check["cert_days_left"] <= 5

        probed = subprocess.run(
            ["ip", "netns", "exec", netns.name, sys.executable, "-m", "bridge", "probe",
             "portal", "-c", str(config), "--json"],
            capture_output=True, text=True, timeout=60, check=False)
        assert probed.returncode == 0, probed.stderr
        [result] = json.loads(probed.stdout)["results"]
        assert (result["ok"], result["warning"]) == (True, True)
        assert set(result) >= {"connect_s", "tls_handshake_s", "cert_days_left"}

        stop(servers.pop(0))  # the web server stops
        [ticket] = wait_for("the web ticket", lambda: bridge.cli(
            "list", "--status", "open")["incidents"])
        assert ticket["device"] == "web"
        assert f"TCP connect to {DEVICES['web']}:8080 refused" in str(ticket["summary"])
        assert metric(str(bridge.get("/metrics", token=None)), "bridge_check_down", **web) == 1.0
        assert [t["device"] for t in bridge.cli("list")["incidents"]] == ["web"]
    finally:
        bridge.stop()
        for server in servers:
            stop(server)


def test_a_silent_port_times_out_and_says_so(tmp_path: Path, netns: Namespace) -> None:
    """SYNs dropped on the way (a firewall, a dead host): the connect times out."""
    config = write_deployment(tmp_path, {"dark": "127.0.0.4"}, probes=PROBES.format(
        ca_file=authority(tmp_path).path), device_probes={"dark": ["http"]})
    netns.run("nft", "add rule inet faults in ip daddr 127.0.0.4 tcp dport 8080 drop")
    probed = subprocess.run(
        ["ip", "netns", "exec", netns.name, sys.executable, "-m", "bridge", "probe", "dark",
         "-c", str(config)], capture_output=True, text=True, timeout=60, check=False)
    assert probed.returncode == 2
    assert probed.stdout.startswith(
        "FAIL dark http: TCP connect to 127.0.0.4:8080 timed out after 0.5 s")
