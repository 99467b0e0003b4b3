"""Interface checks on recordings shaped like real devices (tests/data/snmp/generate.py):
a firewall with empty ifDescr, a 152-port switch with most ports unused, a router
without ifXTable, 64-bit counters near their wrap."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bridge.core.probe_kinds.snmp import SnmpVersion
from bridge.core.results import ProbeResult
from bridge.probes.registry import Probers
from tests.kits.daemon import Bridge, wait_for, write_deployment
from tests.kits.snmp_agents import Agent
from tests.probes.snmp.test_probe import poll, probe, v2c

CONFIGURATION_DOC = (Path(__file__).resolve().parents[3] / "docs" / "configuration.md").read_text(
    encoding="utf-8")


def series(result: ProbeResult, name: str) -> dict[tuple[str, ...], float]:
    return {tuple(value for _key, value in s.labels): s.value
            for s in result.series if s.name == name}


async def polls(agent: Agent, snmp_probe: Any, *communities: str) -> list[ProbeResult]:
    """One check polled once per community (recording), keeping what it read between."""
    probers = Probers()
    try:
        return [await poll(v2c(agent, c), snmp_probe, probers) for c in communities]
    finally:
        probers.close()


async def test_ports_with_an_empty_ifdescr_are_named_by_ifname(snmpsim: Agent) -> None:
    """The firewall's ports 80 and 105 are down; every value keeps its own key."""
    result = await poll(v2c(snmpsim, "fortigate"),
                        probe(interfaces=True, walk=["ifOperStatus"]))
    assert result.output == (
        "2 interfaces down while admin up: port61 (ifIndex 80), port71 (ifIndex 105); "
        "up 1d 0:00:00; ifOperStatus: 74 rows; 74 interfaces, 74 judged: 72 up, 2 down")
    values = dict(result.values)
    assert len(values) == len(result.values)  # as `bridge probe --json` shows them
    assert (values["ifOperStatus.80"], values["interface port61"]) == ("2", "down")
    # two VLAN interfaces of one name keep apart by their ifIndex, in output and metrics
    assert values["interface vlan10 (ifIndex 106)"] == values["interface vlan10 (ifIndex 107)"]
    up = series(result, "bridge_interface_up")
    assert len(up) == 74
    assert (up[("port61",)], up[("vlan10 (ifIndex 107)",)]) == (0.0, 1.0)


async def test_a_152_port_switch_judged_by_what_was_up_when_learned(snmpsim: Agent) -> None:
    """Learned: the 42 ports up at first sight; the 83 never-used ports do not fail it.
    Later the uplink Te1/1/2 (critical by rule) and access port Gi1/0/1 (warn) go down."""
    snmp_probe = probe(interfaces={
        "learn": True, "down": "warning", "exclude_types": ["softwareLoopback", "other"],
        "rules": [{"match": "Te*", "down": "critical"}]})
    first, later = await polls(snmpsim, snmp_probe, "access152", "access152-later")
    assert (first.ok, first.warning) == (True, False)
    assert first.output == (
        "up 1d 0:00:00; learned 43 interfaces that are up; 152 interfaces, 43 judged: 43 up, "
        "0 down; not judged: 84 not up when learned, 23 admin down, 2 excluded ifType")
    assert later.output == (
        "1 interface down while admin up: Te1/1/2 (ifIndex 2); WARNING 1 interface down "
        "while admin up: Gi1/0/1 (ifIndex 5); up 1d 0:10:00; 152 interfaces, 43 judged: 41 up, "
        "2 down; not judged: 84 not up when learned, 23 admin down, 2 excluded ifType")
    # only the judged ports are exported: the label stays bounded
    assert len(series(later, "bridge_interface_up")) == 43


async def test_without_selection_every_unused_admin_up_port_fails(snmpsim: Agent) -> None:
    result = await poll(v2c(snmpsim, "access152"), probe(interfaces=True))
    assert result.output.startswith(
        "84 interfaces down while admin up: Gi1/0/39 (ifIndex 43), Gi1/0/40 (ifIndex 44), "
        "Gi1/0/41 (ifIndex 45), Gi1/0/42 (ifIndex 46), Gi1/0/43 (ifIndex 47) and 79 more;")
    assert result.output.endswith("not judged: 23 admin down")


@pytest.mark.parametrize(("selection", "summary"), [
    ({"include": ["Te*"]}, "152 interfaces, 4 judged: 4 up, 0 down; not judged: 148 not included"),
    ({"include": ["re:^Gi1/0/([1-9]|1[0-2])$"], "exclude": ["printer"]},  # ifAlias
     "152 interfaces, 11 judged: 11 up, 0 down; not judged: 140 not included, 1 excluded"),
    ({"include": ["uplink*", "Vlan*"]},  # ifAlias and ifDescr match too
     "152 interfaces, 3 judged: 2 up, 1 down; not judged: 149 not included"),
    ({"types": ["propVirtual", 24]},
     "152 interfaces, 3 judged: 2 up, 1 down; not judged: 149 other ifType"),
    ({"include": ["Gi3/0/4*"], "admin_up_only": False},
     "152 interfaces, 10 judged: 0 up, 10 down; not judged: 142 not included"),
])
async def test_selecting_ports(snmpsim: Agent, selection: dict[str, Any], summary: str) -> None:
    result = await poll(v2c(snmpsim, "access152"), probe(interfaces=selection))
    assert result.output.endswith(f"; {summary}")
    assert len(series(result, "bridge_interface_up")) == int(summary.split()[2])


async def test_utilisation_from_64_bit_counters_across_their_wrap(snmpsim: Agent) -> None:
    """Te1's ifHCInOctets passes 2^64 between the polls, at 90 % of 10 Gbit/s."""
    snmp_probe = probe(interfaces={"utilisation_pct": {"warning": "> 70", "critical": "> 85"},
                                   "discards_per_s": {"warning": "> 5"},
                                   "rules": [{"match": "Te2", "utilisation_pct": {
                                       "critical": "> 0.5"}}]})
    first, second = await polls(snmpsim, snmp_probe, "hc-switch-t0", "hc-switch-t1")
    assert first.ok
    assert dict(first.values)["interface Te1 traffic"] == "in no rate yet; out no rate yet"
    assert second.output == (
        "Te1 utilisation in = 90 % > 85 (critical); WARNING Te1 discards in = 10/s > 5; "
        "up 0d 0:17:40; 2 interfaces, 2 judged: 2 up, 0 down")
    assert dict(second.values)["interface Te1 traffic"] == (
        "in 90 % (9 Gbit/s), 0 errors/s (0 %), 10 discards/s (0.01 %); "
        "out 1 % (100 Mbit/s), 0 errors/s (0 %), 0 discards/s (0 %)")
    assert series(second, "bridge_interface_utilisation_ratio") == {
        ("Te1", "in"): 0.9, ("Te1", "out"): 0.01, ("Te2", "in"): 0.0, ("Te2", "out"): 0.0}
    assert series(second, "bridge_interface_bits_per_second")[("Te1", "in")] == 9e9


async def test_a_router_without_ifxtable_uses_ifdescr_and_32_bit_counters(
    snmpsim: Agent,
) -> None:
    snmp_probe = probe(interfaces={"errors_pct": {"warning": "> 0.5", "critical": "> 5"},
                                   "rates": True})
    _first, second = await polls(snmpsim, snmp_probe, "old-router-t0", "old-router-t1")
    assert (second.ok, second.warning) == (True, True)
    assert second.output == ("WARNING eth0 errors in = 1 % > 0.5; up 0d 0:17:40; "
                             "2 interfaces, 1 judged: 1 up, 0 down; not judged: 1 admin down")
    assert dict(second.values)["interface eth0 traffic"].startswith(
        "in 10 % (10 Mbit/s), 16.7 errors/s (1 %)")  # a Counter32 that wrapped


async def test_a_threshold_on_a_column_that_returned_no_rows_says_so(snmpsim: Agent) -> None:
    """No ifXTable: thresholds on ifHCInOctets and ifHighSpeed would pass forever."""
    result = await poll(v2c(snmpsim, "old-router-t0"), probe(
        thresholds=[{"oid": "ifHighSpeed", "critical": "< 100"}],
        counters=[{"oid": "ifHCInOctets", "warning": "> 1000"}]))
    assert (result.ok, result.warning) == (True, True)
    assert result.output.startswith(
        "WARNING ifHighSpeed: the agent returned no rows; its thresholds judged nothing; "
        "WARNING ifHCInOctets: the agent returned no rows; its thresholds judged nothing")
    assert series(result, "bridge_probe_empty_column") == {
        ("ifHighSpeed",): 1.0, ("ifHCInOctets",): 1.0}


async def test_a_v1_walk_of_a_large_table_gets_the_requests_it_needs(snmpsim: Agent) -> None:
    """912 GETNEXTs, each with its own 0.2 s: more than one request's budget in all."""
    access = v2c(snmpsim, "access152", SnmpVersion.V1)
    result = await poll(access, probe(walk=["ifTable"], timeout_s=0.2, retries=0))
    assert result.ok, result.output
    assert "ifTable: 912 rows" in result.output


LEARNING_PROBE = """
[probes.access]
kind = "snmp"
interval_s = 2
timeout_s = 0.3
retries = 0
max_attempts = 1

[probes.access.interfaces]
learn = true                                  # judge the ports that were up when learned
exclude_types = ["softwareLoopback", "other"]
"""


def test_learned_by_the_cli_kept_in_the_store_and_relearned_through_the_api(
    snmpsim: Agent, tmp_path: Path,
) -> None:
    config = write_deployment(tmp_path, {"lo": "127.0.0.1"})
    community = tmp_path / "secrets" / "acc.community"
    community.parent.mkdir(exist_ok=True)
    community.write_text("access152\n")
    (tmp_path / "probes" / "snmp.toml").write_text(LEARNING_PROBE)
    with (tmp_path / "config" / "inventory.toml").open("a") as inventory:
        inventory.write(f'\n[devices.acc]\ncustomer = "acme"\naddress = "127.0.0.1"\n'
                        f'probes = ["access"]\nsnmp = {{ community = '
                        f'"file:secrets/acc.community", port = {snmpsim.port} }}\n')

    def bridge_probe(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bridge", "probe", "acc", "-c", str(config),
                               *args], capture_output=True, text=True, timeout=60, check=False)
        assert done.stderr == ""
        return done.stdout.splitlines()[0]

    assert "learned 43 interfaces that are up" in bridge_probe("--learn")
    community.write_text("access152-later\n")  # Te1/1/2 and Gi1/0/1 went down since
    later = bridge_probe()  # judged by what the store keeps
    assert later.startswith("FAIL acc access: 2 interfaces down while admin up: "
                            "Te1/1/2 (ifIndex 2), Gi1/0/1 (ifIndex 5);")
    bridge = Bridge(config)
    try:
        wait_for("the daemon to judge by the learned ports", lambda: "2 interfaces down" in str(
            bridge.get("/api/v1/devices")))
        status, body = bridge.request("POST", "/api/v1/devices/acc/interfaces/learn")
        assert (status, body) == (200, {"device": "acc", "probes": ["access"],
                                        "learned": "at each check's next poll"})
        wait_for("the next poll to learn again", lambda: "learned 41 interfaces" in str(
            bridge.get("/api/v1/devices")))
        wait_for("the check to pass", lambda: 'device="acc",probe="access"} 1.0' in bridge.get(
            "/metrics", token=None))
        assert bridge.request("POST", "/api/v1/devices/nope/interfaces/learn")[0] == 404
    finally:
        assert bridge.stop() == 0


async def test_the_documented_example_on_a_48_port_switch(snmpsim: Agent) -> None:
    """As a new user would: docs/configuration.md's few lines, pointed at a 48-port switch
    whose ports 5 and 17 are down (unused) and 48 shut: it learns the 45 that are up and
    passes."""
    block = next(b.split("```", 1)[0] for b in CONFIGURATION_DOC.split("```toml\n")[1:]
                 if b.startswith("# probes/access.toml"))
    settings = tomllib.loads(block)["probes"]["access-ports"]
    snmp_probe = probe(**{**settings, "interval_s": 10})
    first, second = await polls(snmpsim, snmp_probe, "switch48", "switch48")
    assert first.output == ("up 1d 0:00:00; learned 45 interfaces that are up; 48 interfaces, "
                            "45 judged: 45 up, 0 down; not judged: 2 not up when learned, "
                            "1 admin down")
    assert (second.ok, second.warning) == (True, False)
    assert dict(second.values)["interface Gi1/0/1 traffic"].startswith("in 0 % (0 bit/s)")
    assert len(series(second, "bridge_interface_utilisation_ratio")) == 90


async def test_a_v1_walk_reads_its_columns_side_by_side(snmpsim: Agent) -> None:
    """One GETNEXT per row for all six status columns; ifName and ifAlias end the MIB
    (noSuchName names them by error-index) and the walk goes on without them."""
    v1 = await poll(v2c(snmpsim, "access152", SnmpVersion.V1), probe(interfaces=True))
    v2 = await poll(v2c(snmpsim, "access152"), probe(interfaces=True))
    assert v1.output == v2.output
    assert v1.output.endswith("; 152 interfaces, 129 judged: 45 up, 84 down; "
                              "not judged: 23 admin down")


async def test_rules_per_interface_first_match_wins(snmpsim: Agent) -> None:
    """Unused ports are ignored, except Gi1/0/39 (critical) and Gi1/0/40-48 (warn)."""
    result = await poll(v2c(snmpsim, "access152"), probe(interfaces={
        "down": "ignore", "max_listed": 2,
        "rules": [{"match": "Gi1/0/39", "down": "critical"},
                  {"match": "re:Gi1/0/4[0-9]", "down": "warning"},
                  {"match": "Gi1/0/4*", "down": "critical"}]}))  # never reached for 40-48
    assert result.output == (
        "1 interface down while admin up: Gi1/0/39 (ifIndex 43); WARNING 9 interfaces down "
        "while admin up: Gi1/0/40 (ifIndex 44), Gi1/0/41 (ifIndex 45) and 7 more; "
        "up 1d 0:00:00; 152 interfaces, 129 judged: 45 up, 84 down; not judged: 23 admin down")


async def test_a_traffic_limit_without_counters_says_so(snmpsim: Agent) -> None:
    """The firewall's agent has no traffic counters at all."""
    result = await poll(v2c(snmpsim, "fortigate"), probe(interfaces={
        "include": ["port1"], "utilisation_pct": {"critical": "> 90"}}))
    assert (result.ok, result.warning) == (True, True)
    assert result.output.startswith(
        "WARNING interfaces.utilisation_pct: the agent returned no rows of ifHCInOctets or "
        "ifInOctets; nothing judged; up 1d 0:00:00")
    assert series(result, "bridge_probe_empty_column") == {("ifHCInOctets",): 1.0}


class _BrokenStore:
    """LearnedPorts whose store fails (a seam we own)."""

    async def load(self, check_id: tuple[str, str]) -> frozenset[str] | None:
        raise RuntimeError("database is locked")

    async def save(self, check_id: tuple[str, str], names: frozenset[str]) -> None:
        raise RuntimeError("database is locked")


async def test_a_store_that_fails_is_the_bridges_problem_not_the_devices(
    snmpsim: Agent,
) -> None:
    probers = Probers(learned=_BrokenStore())
    try:
        result = await poll(v2c(snmpsim, "access152"), probe(interfaces={"learn": True}),
                            probers)
    finally:
        probers.close()
    assert (result.ok, result.local) == (False, True)  # not counted against the device
    assert result.output == ("cannot read the learned interfaces: RuntimeError: database is "
                             "locked")
