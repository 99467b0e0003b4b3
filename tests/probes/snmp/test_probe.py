"""SNMP checks against real agents on loopback: snmpsim recordings and Debian's snmpd."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bridge.core.probe_kinds.oids import OBJECTS
from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpProbe, SnmpVersion
from bridge.core.results import ProbeResult
from bridge.core.secret import Secret
from bridge.probes.registry import Probers, Target, run_probe
from bridge.probes.snmp.client import SnmpClient
from bridge.probes.snmp.types import Request
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.snmp_agents import RECORDED, Agent, free_udp_port, start_snmpsim

IF_TABLE = OBJECTS["ifTable"][0]
IF_COLUMNS = [OBJECTS[name][0] for name in ("ifDescr", "ifAdminStatus", "ifOperStatus")]


def v2c(agent: Agent, community: str, version: SnmpVersion = SnmpVersion.V2C) -> SnmpAccess:
    return SnmpAccess(version=version, port=agent.port, community=Secret(community))


def probe(**fields: Any) -> SnmpProbe:
    return SnmpProbe.model_validate({"kind": "snmp", "interval_s": 10, "timeout_s": 0.5,
                                     **fields})


async def poll(access: SnmpAccess, snmp_probe: SnmpProbe, probers: Probers | None = None,
               device: str = "dev") -> ProbeResult:
    own = probers is None
    probers = probers or Probers()
    try:
        return await run_probe(probers, Target("127.0.0.1", device, "p", access), snmp_probe,
                               datetime.now(UTC))
    finally:
        if own:
            probers.close()


# ---- walks stay inside the table ---------------------------------------------------------


@pytest.mark.parametrize("version", [SnmpVersion.V1, SnmpVersion.V2C])
@pytest.mark.parametrize("max_repetitions", [1, 7, 25, 100])
async def test_walk_returns_exactly_the_table_rows(
    snmpsim: Agent, version: SnmpVersion, max_repetitions: int
) -> None:
    """48 ports x 3 columns, and nothing of what follows ifTable in the agent's MIB."""
    client = SnmpClient()
    request = Request("127.0.0.1", v2c(snmpsim, "switch48", version), 0.5, 1)
    try:
        rows = await client.walk(request, IF_COLUMNS, max_repetitions)
        whole = await client.walk(request, [IF_TABLE], max_repetitions)
    finally:
        client.close()
    assert [len(rows[c]) for c in IF_COLUMNS] == [48, 48, 48]
    for column in IF_COLUMNS:
        assert [oid[len(column):] for oid, _ in rows[column]] == [(i,) for i in range(1, 49)]
    # the generated ifTable has 9 columns: every varbind of the table, none past it
    assert len(whole[IF_TABLE]) == 48 * 9
    assert all(oid[:len(IF_TABLE)] == IF_TABLE for oid, _ in whole[IF_TABLE])


@pytest.mark.parametrize(("recording", "interfaces"), [("linux-full-walk", 2),
                                                       ("winxp-full-walk", 3)])
async def test_walk_of_a_real_device_recording(
    snmpsim: Agent, recording: str, interfaces: int
) -> None:
    lines = (RECORDED / f"{recording}.snmprec").read_text(encoding="latin-1").splitlines()
    in_table = [line for line in lines if line.startswith("1.3.6.1.2.1.2.2.")]
    client = SnmpClient()
    try:
        rows = await client.walk(
            Request("127.0.0.1", v2c(snmpsim, f"recorded/{recording}"), 0.5, 1), [IF_TABLE], 25)
    finally:
        client.close()
    assert len(rows[IF_TABLE]) == len(in_table)
    assert sum(1 for line in in_table if line.startswith("1.3.6.1.2.1.2.2.1.1.")) == interfaces


# ---- interface status --------------------------------------------------------------------


async def test_oper_down_while_admin_up_fails_and_admin_down_does_not(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "switch48"), probe(interfaces=True, get=["sysName"]))
    assert not result.ok
    assert result.output == (
        "2 interfaces down while admin up: Gi1/0/5 (ifIndex 5), Gi1/0/17 (ifIndex 17); "
        "up 1d 0:00:00; sysName='sw-48'; "
        "48 interfaces, 47 judged: 45 up, 2 down; not judged: 1 admin down")
    values = dict(result.values)
    assert values["interface Gi1/0/5"] == "down"
    assert values["interface Gi1/0/1"] == "up"
    assert "interface Gi1/0/48" not in values  # admin down: not judged, not shown
    assert values["sysName"] == "sw-48"


async def test_recorded_windows_host_with_a_disconnected_adapter(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "recorded/winxp-full-walk"),
                        probe(interfaces=True, get=["sysDescr"]))
    assert not result.ok
    assert result.output.startswith(
        "1 interface down while admin up: Bluetooth Device (Personal Area Network) "
        "(ifIndex 65540)")


async def test_recorded_linux_host_is_up(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "recorded/linux-full-walk"),
                        probe(interfaces=True, get=["sysName", "sysDescr"], walk=["ifDescr"]))
    assert result.ok, result.output
    assert "ifDescr: 2 rows; 2 interfaces, 2 judged: 2 up, 0 down" in result.output
    values = dict(result.values)
    assert (values["sysUpTime"], values["ifDescr.1"], values["ifDescr.2"]) == (
        "27d 0:24:11", "lo", "eth0")


# ---- thresholds and counters -------------------------------------------------------------


async def test_thresholds_warn_and_fail(snmpsim: Agent) -> None:
    checks = [{"oid": "laLoadInt", "warning": "> 200", "critical": "> 240"},
              {"oid": "laLoad.2", "warning": ">= 1.2"},
              {"oid": "tcpCurrEstab", "critical": "< 5"}]
    result = await poll(v2c(snmpsim, "router"), probe(thresholds=checks))
    assert not result.ok
    assert not result.warning  # failed: the warning is in the output, the check is down
    assert result.output.startswith(
        "laLoadInt.1 = 250 > 240 (critical); WARNING laLoad.2 = 1.2 >= 1.2; up 0d 1:00:00")
    assert dict(result.values)["tcpCurrEstab"] == "12"


async def test_counter_rates_across_a_wrap_and_a_reboot(snmpsim: Agent) -> None:
    """Three polls of one check: t0, t1 60 s later by the agent's clock, then rebooted."""
    counters = [{"oid": "ifInOctets.1"}, {"oid": "ifHCInOctets", "warning": "> 5000"}]
    snmp_probe = probe(counters=counters)
    probers = Probers()
    try:
        first = await poll(v2c(snmpsim, "router-t0"), snmp_probe, probers)
        second = await poll(v2c(snmpsim, "router-t1"), snmp_probe, probers)
        rebooted = await poll(v2c(snmpsim, "router-rebooted"), snmp_probe, probers)
    finally:
        probers.close()
    assert dict(first.values)["ifInOctets.1 rate"] == "none yet (first sample)"
    values = dict(second.values)
    assert values["ifInOctets.1 rate"] == "16.6667/s (wrapped)"  # 1000 octets over the wrap
    assert values["ifHCInOctets.1 rate"] == "10000/s"
    assert values["ifHCInOctets.2 rate"] == "0/s"
    assert second.ok
    assert second.warning
    assert not first.warning
    assert second.output.startswith("WARNING ifHCInOctets.1 rate = 10000/s > 5000")
    assert rebooted.events == ("rebooted: sysUpTime went back from 0d 0:17:40 to 0d 0:00:05",)
    assert dict(rebooted.values)["ifInOctets.1 rate"] == "none yet (reset)"
    assert "rebooted since the last poll" in rebooted.output


async def test_counters_are_kept_per_check(snmpsim: Agent) -> None:
    snmp_probe = probe(counters=[{"oid": "ifInOctets.1"}])
    probers = Probers()
    try:
        await poll(v2c(snmpsim, "router-t0"), snmp_probe, probers, device="a")
        other = await poll(v2c(snmpsim, "router-t1"), snmp_probe, probers, device="b")
    finally:
        probers.close()
    assert dict(other.values)["ifInOctets.1 rate"] == "none yet (first sample)"


async def test_a_gauge_is_not_a_counter(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "router"), probe(counters=[{"oid": "ifSpeed.1"}]))
    assert not result.ok
    assert result.output.startswith("ifSpeed.1 is a Gauge32, not a counter; use thresholds")


async def test_a_missing_object_is_a_failure(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "router"), probe(get=["sysName", "hrSystemUptime"]))
    assert not result.ok
    assert result.output.startswith("hrSystemUptime: no such instance")


# ---- faults ------------------------------------------------------------------------------


async def test_wrong_community_says_so(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "no-such-community"), probe(retries=0, timeout_s=0.3))
    assert not result.ok
    assert result.output == ("no response to 1 request of 0.3 s: the agent is up but ignores "
                             "this community: wrong community?")
    assert "no-such-community" not in repr(result)


async def test_slow_agent_times_out_within_the_budget() -> None:
    # snmpsim's delay module blocks the whole simulator: this test gets its own
    agent = await asyncio.to_thread(start_snmpsim)
    slow = probe(retries=1, timeout_s=0.4)
    try:
        result = await poll(v2c(agent, "slow"), slow)
    finally:
        agent.close()
    assert not result.ok
    assert result.output == ("no response to 2 requests of 0.4 s: no answer to engine ID "
                             "discovery either: agent down, unreachable or overloaded")


async def test_a_stopped_agent_fails_at_once_when_its_host_says_so() -> None:
    access = SnmpAccess(version=SnmpVersion.V2C, port=free_udp_port(), community=Secret("x"))
    result = await poll(access, probe(retries=1, timeout_s=5))
    assert (result.ok, result.output) == (False, "port unreachable (agent not running?)")


async def test_many_devices_polled_at_once_through_one_engine(snmpsim: Agent) -> None:
    # snmpsim answers a 48-port poll in ~40 ms, one at a time: 20 polls fit in 2 s
    probers = Probers()
    try:
        results = await asyncio.gather(*(
            poll(v2c(snmpsim, "switch48"), probe(interfaces=True, timeout_s=2), probers,
                 device=f"sw{i}")
            for i in range(20)))
    finally:
        probers.close()
    assert {r.output.split(";")[0] for r in results} == {
        "2 interfaces down while admin up: Gi1/0/5 (ifIndex 5), Gi1/0/17 (ifIndex 17)"}


class _Junk(asyncio.DatagramProtocol):
    """Answers every datagram with garbage: random bytes, then the request cut in half."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.received = 0

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received += 1
        self.transport.sendto(b"\x30\x82\xff\xff not BER at all", addr)
        self.transport.sendto(data[: len(data) // 2], addr)
        self.transport.sendto(b"", addr)


@pytest.mark.parametrize("version", [SnmpVersion.V1, SnmpVersion.V2C])
async def test_garbage_and_truncated_replies_say_so_not_agent_down(
    version: SnmpVersion, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    transport, junk = await loop.create_datagram_endpoint(_Junk, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    access = SnmpAccess(version=version, port=port, community=Secret("public"))
    snmp_probe = probe(retries=1, timeout_s=0.3, interfaces=True)
    try:
        result = await poll(access, snmp_probe)
    finally:
        transport.close()
    assert not result.ok
    # it answered, if in pieces: not "agent down" (docs/behaviour.md: "a reply could not be
    # decoded")
    assert result.output == ("the agent's reply could not be decoded (truncated): no usable "
                             "answer to 2 requests of 0.3 s")
    # bounded, not stalled: the request and its one retry, no engine ID discovery
    assert junk.received == 2
    assert "probe error" not in caplog.text


# ---- the daemon and the CLI run SNMP checks ----------------------------------------------

SNMP_PROBES = """
[probes.ifaces]
kind = "snmp"
interval_s = 2
timeout_s = 0.2
retries = 1
retry_interval_s = 0.3
max_attempts = 2
get = ["sysName"]
interfaces = true
"""


def add_snmp_devices(root: Path, port: int) -> None:
    """Two snmpsim devices on one agent (the community picks the recording)."""
    (root / "secrets").mkdir(exist_ok=True)
    (root / "secrets" / "switch.community").write_text("switch48\n")
    (root / "probes" / "snmp.toml").write_text(SNMP_PROBES)
    with (root / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(
            f'\n[devices.sw48]\ncustomer = "acme"\naddress = "127.0.0.1"\nprobes = ["ifaces"]\n'
            f'snmp = {{ version = "2c", community = "file:../secrets/switch.community", '
            f'port = {port} }}\n'
            f'\n[devices.rtr]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
            f'probes = ["ping", "ifaces"]\n'
            f'snmp = {{ community = "env:BRIDGE_TEST_ROUTER_COMMUNITY", port = {port} }}\n')


def test_the_daemon_runs_snmp_checks_and_opens_a_ticket(snmpsim: Agent, tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    add_snmp_devices(tmp_path, snmpsim.port)
    bridge = Bridge(config, env={"BRIDGE_TEST_ROUTER_COMMUNITY": "router"})
    try:
        wait_for("an incident for the switch's down ports",
                 lambda: bridge.get("/api/v1/incidents?device=sw48")["total"] == 1)
        metrics = bridge.get("/metrics", token=None)
        assert 'bridge_probe_success{customer="acme",device="sw48",probe="ifaces"} 0.0' in metrics
        assert 'bridge_probe_success{customer="acme",device="rtr",probe="ifaces"} 1.0' in metrics
        assert 'bridge_probe_duration_seconds_count{kind="snmp"}' in metrics
        # one series per judged port (47 of the switch's 48: one is admin down)
        assert ('bridge_interface_up{customer="acme",device="sw48",probe="ifaces",'
                'interface="Gi1/0/5"} 0.0') in metrics
        assert metrics.count('bridge_interface_up{customer="acme",device="sw48"') == 47
        families = {f.name: f for f in text_string_to_metric_families(metrics)}  # well formed
        assert len(families["bridge_interface_up"].samples) == 47 + 4  # and the router's
        # the last values read, under readable names, for an operator's or portal's view
        [rtr] = [c for d in bridge.get("/api/v1/devices")["devices"] if d["id"] == "rtr"
                 for c in d["checks"] if c["probe"] == "ifaces"]
        assert "sysName" in rtr["values"]
        assert rtr["values"]["interface ge-0/0/1"] == "up"
        assert "switch48" not in str(bridge.get("/api/v1/devices"))
    finally:
        assert bridge.stop() == 0
    assert "2 interfaces down while admin up" in bridge.log()
    assert "switch48" not in bridge.log()  # the switch's community


def test_bridge_probe_prints_readable_snmp_values(snmpsim: Agent, tmp_path: Path) -> None:
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    add_snmp_devices(tmp_path, snmpsim.port)
    env = {**os.environ, "BRIDGE_TEST_ROUTER_COMMUNITY": "router"}
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "probe", "sw48", "-c", str(config)],
        capture_output=True, text=True, timeout=60, check=False, env=env)
    assert done.returncode == 2, done.stderr  # a check failed
    lines = done.stdout.splitlines()
    assert lines[0].startswith("FAIL sw48 ifaces: 2 interfaces down while admin up: "
                               "Gi1/0/5 (ifIndex 5), Gi1/0/17 (ifIndex 17)")
    words = [" ".join(line.split()) for line in lines[1:]]  # aligned columns
    assert words[:2] == ["sysUpTime 1d 0:00:00", "sysName sw-48"]
    assert "interface Gi1/0/17 down" in words
    assert len([line for line in lines if "interface " in line]) == 47  # 48 is admin down

    as_json = subprocess.run(
        [sys.executable, "-m", "bridge", "probe", "rtr", "-c", str(config), "--json"],
        capture_output=True, text=True, timeout=60, check=False, env=env)
    report = json.loads(as_json.stdout)
    ping, snmp = report["results"]
    assert (ping["probe"], ping["ok"], snmp["probe"], snmp["ok"]) == ("ping", True, "ifaces", True)
    assert snmp["values"]["sysName"] == "rtr-1"
    assert snmp["values"]["interface ge-0/0/4"] == "up"


def test_bridge_probe_needs_only_that_device_credentials(snmpsim: Agent, tmp_path: Path) -> None:
    """rtr's community is in the daemon's environment only, and another device's SNMPv3 key
    is too short: sw48 is still probed, with its own community."""
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    add_snmp_devices(tmp_path, snmpsim.port)
    (tmp_path / "secrets" / "short.key").write_text("short\n")
    with (tmp_path / "config" / "inventory.toml").open("a") as inventory:
        inventory.write('\n[devices.bad-priv]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
                        'probes = ["ping"]\nsnmp = { version = "3", user = "monitor", '
                        'auth_key = "file:../secrets/short.key", '
                        'priv_key = "file:../secrets/short.key" }\n')
    env = {k: v for k, v in os.environ.items() if k != "BRIDGE_TEST_ROUTER_COMMUNITY"}
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "probe", "sw48", "-c", str(config)],
        capture_output=True, text=True, timeout=60, check=False, env=env)
    assert (done.returncode, done.stderr) == (2, "")  # probed: a check failed
    assert done.stdout.startswith("FAIL sw48 ifaces: 2 interfaces down while admin up")


def test_the_daemon_logs_a_reboot(snmpsim: Agent, tmp_path: Path) -> None:
    """The router's agent restarts between two polls (its community now serves the
    rebooted recording): the daemon logs the reboot event."""
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    community = tmp_path / "secrets" / "router.community"
    community.parent.mkdir(exist_ok=True)
    community.write_text("router-t0\n")
    (tmp_path / "probes" / "snmp.toml").write_text(SNMP_PROBES)
    with (tmp_path / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(f'\n[devices.rtr]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
                        f'probes = ["ifaces"]\nsnmp = {{ community = '
                        f'"file:../secrets/router.community", port = {snmpsim.port} }}\n')
    bridge = Bridge(config)
    try:
        wait_for("a first poll", lambda: "bridge_probe_success{customer=\"acme\",device=\"rtr\""
                 in bridge.get("/metrics", token=None))
        community.write_text("router-rebooted\n")
        bridge.signal(signal.SIGHUP)
        wait_for("the reboot in the log", lambda: "rebooted:" in bridge.log())
    finally:
        assert bridge.stop() == 0
    assert ("device rtr (check ifaces): rebooted: sysUpTime went back from 0d 0:16:40 to "
            "0d 0:00:05") in bridge.log()
