"""net-snmp's snmptrap and snmpinform to a running bridge's trap listener, on SQLite and
PostgreSQL: linkDown opens a ticket and linkUp of the same ifIndex resolves it, a v1 UPS
trap pair does the same, INFORMs are answered only once taken, and bad input (a wrong
community, malformed bytes, a trap no rule matches) is counted and dropped."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kits.daemon import Bridge, metric, running, write_deployment

COMMUNITY = "trap-community-9"
V3_AUTH, V3_PRIV = "auth-pass-3141", "priv-pass-2718"
LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"
COLD_START = "1.3.6.1.6.3.1.1.5.1"
APC = "1.3.6.1.4.1.318"

SOURCES = '''
[sources.snmp]
kind = "snmp_trap"

[sources.snmp.traps]
listen = "127.0.0.1:{port}"
community = "file:secrets/trap.community"

[[sources.snmp.traps.users]]
name = "trapper"
auth_protocol = "sha"
auth_key = "file:secrets/v3.auth"
priv_protocol = "aes128"
priv_key = "file:secrets/v3.priv"

[[sources.snmp.traps.rules]]
trap = "linkDown"
key = "link {{ifIndex}}"
severity = "major"
summary = "link {{ifIndex}} down on {{agent}}"

[[sources.snmp.traps.rules]]
trap = "linkUp"
state = "resolved"
key = "link {{ifIndex}}"

[[sources.snmp.traps.rules]]
trap = "upsOnBattery"
key = "power"
severity = "critical"

[[sources.snmp.traps.rules]]
trap = "powerRestored"
state = "resolved"
key = "power"

[[sources.snmp.routes]]
labels = {{ snmp_version = "v1" }}
device_label = "agent_addr"
severities = {{ critical = "P1", major = "P2" }}

[[sources.snmp.routes]]
customer = "acme"
device_label = "agent"
severities = {{ critical = "P1", major = "P2" }}
'''


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def trap_deployment(root: Path, port: int) -> Path:
    config = write_deployment(root, {"sw-1": "127.0.0.21", "sw-2": "127.0.0.22",
                                     "ups-1": "127.0.0.23", "sw-3": "127.0.0.24",
                                     "sw-4": "127.0.0.25", "sw-5": "127.0.0.26",
                                     "sw-6": "127.0.0.27"})
    (root / "secrets" / "trap.community").write_text(COMMUNITY + "\n")
    (root / "secrets" / "v3.auth").write_text(V3_AUTH + "\n")
    (root / "secrets" / "v3.priv").write_text(V3_PRIV + "\n")
    (root / "intake").mkdir()
    (root / "intake" / "traps.toml").write_text(SOURCES.format(port=port))
    return config


class Traps:
    """The daemon and its trap port."""

    def __init__(self, bridge: Bridge, port: int) -> None:
        self.bridge = bridge
        self.port = port

    def send(self, tool: str, *args: str, sender: str = "127.0.0.1",
             community: str = COMMUNITY, version: str = "2c") -> subprocess.CompletedProcess[str]:
        """snmptrap/snmpinform from `sender` (a loopback address: the device it stands for)."""
        return subprocess.run(
            [tool, "-v", version, "-c", community, "-r", "2", "-t", "2",
             f"--clientaddr={sender}", f"127.0.0.1:{self.port}", *args],
            capture_output=True, text=True, timeout=30, env={**os.environ, "MIBS": ""})

    def v3(self, tool: str, *args: str, sender: str, auth: str = V3_AUTH,
           engine: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """snmptrap/snmpinform -v 3 at authPriv as the configured user (SHA, AES)."""
        return subprocess.run(
            [tool, "-v", "3", "-l", "authPriv", "-u", "trapper", "-a", "SHA", "-A", auth,
             "-x", "AES", "-X", V3_PRIV, *engine, "-r", "1", "-t", "2",
             f"--clientaddr={sender}", f"127.0.0.1:{self.port}", *args],
            capture_output=True, text=True, timeout=30, env={**os.environ, "MIBS": ""})

    def link(self, state: str, if_index: int, sender: str) -> None:
        sent = self.send("snmptrap", "", LINK_DOWN if state == "down" else LINK_UP,
                         f"{IF_INDEX}.{if_index}", "i", str(if_index), sender=sender)
        assert sent.returncode == 0, sent.stderr

    def tickets(self, device: str) -> list[dict[str, Any]]:
        return list(self.bridge.get(f"/api/v1/incidents?device={device}")["incidents"])

    def metric(self, name: str, **labels: str) -> float:
        return metric(self.bridge.get("/metrics"), name, **labels) or 0.0

    def wait_for(self, predicate: Any, what: str, timeout_s: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if found := predicate():
                return found
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def traps(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traps]:
    port = free_udp_port()
    config = trap_deployment(tmp_path_factory.mktemp("traps"), port)
    pg = request.getfixturevalue("pg_admin_url") if request.param == "postgresql" else None
    with running(config, pg) as daemon:
        found = Traps(daemon, port)
        # the listener binds once the daemon runs: an answered INFORM says it is there
        found.wait_for(lambda: found.send("snmpinform", "", COLD_START).returncode == 0,
                       "the trap listener")
        yield found


def test_link_down_opens_a_ticket_and_link_up_of_that_interface_resolves_it(
        traps: Traps) -> None:
    traps.link("down", 3, "127.0.0.21")
    [opened] = traps.wait_for(lambda: traps.tickets("sw-1"), "a ticket for sw-1")
    shown = traps.bridge.get(f"/api/v1/incidents/{opened['id']}")
    assert shown["customer"] == "acme"
    assert shown["priority"] == "P2"  # severity major
    assert shown["status"] == "open"
    assert "link 3 down on 127.0.0.21" in shown["summary"]
    payload = [e for e in shown["timeline"] if e["kind"] == "alert_payload"]
    assert len(payload) == 1
    assert LINK_DOWN in payload[0]["message"]
    traps.link("up", 4, "127.0.0.21")  # another interface: no rule pairs it, nothing changes
    traps.link("down", 3, "127.0.0.21")  # the same again: one alert
    time.sleep(0.5)
    assert traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["status"] == "open"
    traps.link("up", 3, "127.0.0.21")
    traps.wait_for(lambda: traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["status"]
                   == "resolved", "linkUp resolving the ticket")
    assert [t["id"] for t in traps.tickets("sw-1")] == [opened["id"]]


def test_an_inform_is_answered_once_its_alert_is_taken(traps: Traps) -> None:
    sent = traps.send("snmpinform", "", LINK_DOWN, f"{IF_INDEX}.7", "i", "7",
                      sender="127.0.0.22")
    assert sent.returncode == 0, sent.stderr
    # answered after the store took it: the ticket is already there
    [opened] = traps.tickets("sw-2")
    assert opened["status"] == "open"


def test_a_v1_enterprise_trap_pair_names_its_device_by_agent_addr(traps: Traps) -> None:
    def ups(specific: str) -> None:
        sent = traps.send("snmptrap", APC, "127.0.0.23", "6", specific, "",
                          f"{APC}.1.1.1.2.2.1.0", "i", "97", version="1")
        assert sent.returncode == 0, sent.stderr

    ups("5")  # upsOnBattery, sent from 127.0.0.1 about agent-addr 127.0.0.23
    [opened] = traps.wait_for(lambda: traps.tickets("ups-1"), "a ticket for ups-1")
    assert traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["priority"] == "P1"
    ups("9")  # powerRestored
    traps.wait_for(lambda: traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["status"]
                   == "resolved", "powerRestored resolving the ticket")


def test_a_wrong_community_malformed_bytes_and_unmatched_traps_are_counted_not_taken(
        traps: Traps) -> None:
    before = {reason: traps.metric("bridge_intake_refused_total", reason=reason,
                                   source="snmp")
              for reason in ("unauthorized", "malformed", "unmatched")}
    wrong = traps.send("snmpinform", "", LINK_DOWN, f"{IF_INDEX}.1", "i", "1",
                       sender="127.0.0.24", community="guess")
    assert wrong.returncode != 0  # never answered
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for junk in (b"", b"\x30", b"\x30\x03\x02\x01\x01", os.urandom(300),
                     b"\x30\x84\xff\xff\xff\xff" + b"\x00" * 20):
            sock.sendto(junk, ("127.0.0.1", traps.port))
    unmatched = traps.send("snmptrap", "", "1.3.6.1.4.1.99999.0.1", sender="127.0.0.24")
    assert unmatched.returncode == 0

    def counted() -> bool:
        now = {reason: traps.metric("bridge_intake_refused_total", reason=reason,
                                    source="snmp") for reason in before}
        return now["unauthorized"] >= before["unauthorized"] + 3 \
            and now["malformed"] >= before["malformed"] + 5 \
            and now["unmatched"] >= before["unmatched"] + 1
    traps.wait_for(counted, "the refusals counted")
    assert traps.tickets("sw-3") == []
    # still listening
    assert traps.send("snmpinform", "", COLD_START).returncode == 0


def test_a_v3_authpriv_inform_is_answered_and_a_wrong_key_refused(traps: Traps) -> None:
    before = traps.metric("bridge_intake_refused_total", reason="unauthorized", source="snmp")
    wrong = traps.v3("snmpinform", "", LINK_DOWN, f"{IF_INDEX}.2", "i", "2",
                     sender="127.0.0.25", auth="not-the-key-1")
    assert wrong.returncode != 0  # never answered
    assert traps.tickets("sw-4") == []
    traps.wait_for(lambda: traps.metric("bridge_intake_refused_total", reason="unauthorized",
                                        source="snmp") > before, "the wrong key counted")
    sent = traps.v3("snmpinform", "", LINK_DOWN, f"{IF_INDEX}.2", "i", "2",
                    sender="127.0.0.25")
    assert sent.returncode == 0, sent.stderr
    [opened] = traps.tickets("sw-4")  # answered once taken
    sent = traps.v3("snmpinform", "", LINK_UP, f"{IF_INDEX}.2", "i", "2", sender="127.0.0.25")
    assert sent.returncode == 0, sent.stderr
    assert traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["status"] == "resolved"


def test_a_v3_authpriv_trap_uses_the_senders_engine_id(traps: Traps) -> None:
    engine = ("-e", "0x80001f8804736e6d70747261702d74657374")
    sent = traps.v3("snmptrap", "", LINK_DOWN, f"{IF_INDEX}.5", "i", "5", sender="127.0.0.26",
                    engine=engine)
    assert sent.returncode == 0, sent.stderr
    [opened] = traps.wait_for(lambda: traps.tickets("sw-5"), "a ticket for sw-5")
    assert opened["status"] == "open"
    before = traps.metric("bridge_intake_refused_total", reason="unauthorized", source="snmp")
    traps.v3("snmptrap", "", LINK_UP, f"{IF_INDEX}.5", "i", "5", sender="127.0.0.26",
             engine=engine, auth="not-the-key-1")
    traps.wait_for(lambda: traps.metric("bridge_intake_refused_total", reason="unauthorized",
                                        source="snmp") > before, "the wrong key counted")
    assert traps.bridge.get(f"/api/v1/incidents/{opened['id']}")["status"] == "open"


def test_a_v3_sender_with_a_stale_idea_of_bridges_clock_is_told_and_resends(
        traps: Traps) -> None:
    """As after bridge restarts: the sender knows the engine ID but old boots and time."""
    ours = (b"\x80\x00\x1f\x88\x04" + b"bridge-snmp").hex()
    sent = traps.v3("snmpinform", "", LINK_DOWN, f"{IF_INDEX}.9", "i", "9", sender="127.0.0.27",
                    engine=("-e", f"0x{ours}", "-Z", "1,0"))
    assert sent.returncode == 0, sent.stderr  # the notInTimeWindows Report, then the answer
    [opened] = traps.tickets("sw-6")
    assert opened["status"] == "open"
