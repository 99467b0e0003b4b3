"""The `snmp` benchmark: a 3-OID GET per device poll, bridge against net-snmp's snmpget
(one process per poll) and Prometheus' snmp_exporter, all polling one snmpd on loopback;
then the same GET with SNMPv3 authPriv (SHA-256, AES-128), bridge against snmp_exporter."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import replace

from bench.bridge_snmp import poll_with_bridge
from bench.common import PeerMissingError, Report, Row
from bench.snmp_peers import (
    EXPORTER_HINT,
    SnmpExporter,
    poll_with_snmpget,
    snmpget_args,
    snmpget_path,
    version,
)
from bench.snmp_work import Snmpd, SnmpTally, SnmpWork

BRIDGE_POLLS = 5000
SNMPGET_POLLS = 300
EXPORTER_POLLS = 2000
QUICK = 5  # --quick divides every workload by this
ROUNDS = 3  # alternating the sides, so drift hits all alike
EXPORTER_THREADS = 8


def run(*, quick: bool) -> Report:
    """Poll the same agent with bridge, snmpget and snmp_exporter; compare CPU and rate."""
    snmpget = snmpget_path()
    agent = Snmpd()
    scale = QUICK if quick else 1
    host, port = "127.0.0.1", agent.port
    bridge_work = SnmpWork(host, port, BRIDGE_POLLS // scale)
    snmpget_work = SnmpWork(host, port, SNMPGET_POLLS // scale)
    exporter_work = SnmpWork(host, port, EXPORTER_POLLS // scale)
    notes: list[str] = []
    exporter: SnmpExporter | None = None
    try:
        try:
            exporter = SnmpExporter(exporter_work)
        except PeerMissingError:
            notes.append(f"snmp_exporter not measured: {EXPORTER_HINT}")
        bridge: list[SnmpTally] = []
        peer: list[SnmpTally] = []
        exported: list[SnmpTally] = []
        bridge_v3: list[SnmpTally] = []
        exported_v3: list[SnmpTally] = []
        for _ in range(ROUNDS):
            bridge.append(poll_with_bridge(bridge_work))
            peer.append(poll_with_snmpget(snmpget, snmpget_work))
            bridge_v3.append(poll_with_bridge(replace(bridge_work, version="3")))
            if exporter is not None:
                exported.append(exporter.poll(exporter_work, EXPORTER_THREADS))
                exported_v3.append(exporter.poll(replace(exporter_work, version="3"),
                                                 EXPORTER_THREADS))
    finally:
        if exporter is not None:
            exporter.close()
        agent.close()
    snmpget_name = version([snmpget, "--version"], "net-snmp snmpget")
    rows = compare(bridge, peer, snmpget_name)
    if exporter is not None:
        rows += compare(bridge, exported, exporter.name)
        rows += compare(bridge_v3, exported_v3, exporter.name, "snmp.v3")
    notes += [
        f"one net-snmp snmpd on 127.0.0.1:{port}; every poll is one GET of sysUpTime.0, "
        f"sysName.0, sysDescr.0 (v2c); {ROUNDS} rounds, means shown",
        f"bridge: run_probe of an SNMP probe for {bridge_work.devices} devices at a time, "
        f"{bridge_work.polls} polls per round, in a child process",
        f"snmpget: {shlex.join(snmpget_args('snmpget', snmpget_work))}, "
        f"{snmpget_work.polls} processes one after another per round",
        *([f"snmp_exporter: GET /snmp?module=bench3&target=... {exporter_work.polls} times, "
           f"{EXPORTER_THREADS} at a time; its CPU read from /proc"] if exporter else []),
        "snmp.v3.*: the same GET as SNMPv3 authPriv (user bench-v3, SHA-256, AES-128) by "
        "bridge and snmp_exporter (module bench3v3), same counts",
        "polls_per_s: higher is better for bridge (ratio > 1)",
        *_shortfalls("bridge", bridge), *_shortfalls("snmpget", peer),
        *_shortfalls("snmp_exporter", exported), *_shortfalls("bridge v3", bridge_v3),
        *_shortfalls("snmp_exporter v3", exported_v3),
    ]
    return Report(rows, notes)


def compare(bridge: Sequence[SnmpTally], peer: Sequence[SnmpTally], peer_name: str,
            prefix: str = "snmp") -> list[Row]:
    """CPU per poll, whole-process CPU per poll, polls per second, and answered share."""

    def row(name: str, unit: str, measure: Callable[[Sequence[SnmpTally]], float]) -> Row:
        return Row(name.replace("snmp", prefix, 1), unit, measure(bridge), measure(peer),
                   peer_name)

    def per_poll_us(field: str) -> Callable[[Sequence[SnmpTally]], float]:
        return lambda ts: sum(getattr(t, field) for t in ts) / sum(t.polls for t in ts) * 1e6

    return [
        row("snmp.cpu_per_poll", "us", per_poll_us("run_cpu_s")),
        row("snmp.cpu_process_per_poll", "us", per_poll_us("process_cpu_s")),
        row("snmp.polls_per_s", "1/s", lambda ts: sum(t.polls for t in ts)
            / sum(t.wall_s for t in ts)),
        row("snmp.success_ratio", "ratio", lambda ts: sum(t.ok for t in ts)
            / sum(t.polls for t in ts)),
    ]


def _shortfalls(side: str, tallies: Sequence[SnmpTally]) -> list[str]:
    return [f"WARNING: {side} got {t.polls - t.ok} of {t.polls} polls wrong in round {n} "
            f"(e.g. {'; '.join(t.failures)})"
            for n, t in enumerate(tallies, start=1) if t.ok < t.polls]
