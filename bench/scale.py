"""The `scale` benchmark: one bridge holding the issue's schedule (10,000 devices pinged every
30 s, 2,000 of them SNMP-polled every 60 s) for three minutes, against fping -l and
snmp_exporter carrying the same load for the same time."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import PeerMissingError, Report, Row, run_child
from bench.fping import fping_path, fping_version
from bench.lag import lag_max, lag_quantile
from bench.scale_fleet import run_fleet
from bench.scale_peers import FPING_TARGETS_MAX, FpingLoop, PeerTally, fping_args, scrape_spread
from bench.scale_work import QUICK, ScaleWork, write_deployment
from bench.snmp_peers import EXPORTER_HINT, SnmpExporter
from bench.snmp_work import Snmpd, SnmpWork, free_udp_port

ADDRESSES_PER_AGENT = 500  # one snmpd's sockets stay well below select()'s 1024


def run(*, quick: bool, duration_s: float | None = None, ping_devices: int | None = None,
        snmp_devices: int | None = None, instances: int = 1) -> Report:
    """Run bridge on the schedule, then the peers on the same load; compare."""
    work = QUICK if quick else ScaleWork()
    work = replace(work, duration_s=work.duration_s if duration_s is None else duration_s,
                   ping_devices=work.ping_devices if ping_devices is None else ping_devices,
                   snmp_devices=work.snmp_devices if snmp_devices is None else snmp_devices)
    if work.snmp_devices > work.ping_devices:
        raise ValueError(f"--snmp-devices {work.snmp_devices} > --ping-devices "
                         f"{work.ping_devices}: the SNMP devices are some of the pinged ones")
    fping = fping_path()
    port = free_udp_port()
    addresses = work.snmp_addresses()
    agents: list[Snmpd] = []
    root = Path(tempfile.mkdtemp(prefix="bridge-bench-scale-"))
    notes: list[str] = []
    try:
        agents = [Snmpd(addresses[i:i + ADDRESSES_PER_AGENT], port)
                  for i in range(0, len(addresses), ADDRESSES_PER_AGENT)]
        if instances > 1:
            bridge = run_fleet(root, work, port, instances)
        else:
            config = write_deployment(root, work, port)
            bridge, _ = run_child("bench.bridge_scale", {"config": str(config),
                                                         "duration_s": work.duration_s})
        ping, snmp, exporter_name = _run_peers(fping, work, port, notes)
    finally:
        for agent in agents:
            agent.close()
        shutil.rmtree(root, ignore_errors=True)
    rows = compare(work, bridge, ping, snmp, fping_version(fping), exporter_name)
    notes += _notes(work, bridge, ping, snmp, fping, len(agents))
    return Report(rows, notes)


def _run_peers(fping: str, work: ScaleWork, port: int, notes: list[str]
               ) -> tuple[PeerTally, PeerTally | None, str]:
    try:
        exporter = SnmpExporter(SnmpWork("127.0.0.1", port, 0, timeout_s=work.snmp_timeout_s,
                                         retries=work.snmp_retries))
    except PeerMissingError:
        notes.append(f"snmp_exporter not measured (the peer row is fping alone): {EXPORTER_HINT}")
        loop = FpingLoop(fping, work)
        time.sleep(work.duration_s)
        return loop.finish(), None, ""
    try:
        loop = FpingLoop(fping, work)
        snmp = scrape_spread(exporter, work, port)
        return loop.finish(), snmp, exporter.name
    finally:
        exporter.close()


def _ratio(done: float, expected: float) -> float:
    return done / expected if expected else 0.0


def compare(work: ScaleWork, bridge: dict[str, Any], ping: PeerTally, snmp: PeerTally | None,
            fping_name: str, exporter_name: str) -> list[Row]:
    """CPU, memory, checks done and answered against the peers; lag and drift for bridge."""
    peers = [ping, *([snmp] if snmp else [])]
    both = " + ".join([fping_name, *([exporter_name] if snmp else [])])
    probes = bridge["probes"]
    pinged, polled = probes["ping"], probes.get("system")
    peer_cpu = sum(p.cpu_s for p in peers) / work.duration_s * 100
    rows = [
        Row("scale.cpu_percent", "%", bridge["cpu_s"] / bridge["wall_s"] * 100, peer_cpu, both),
        Row("scale.rss_peak", "MiB", bridge["rss_peak_kib"] / 1024,
            sum(p.rss_peak_kib for p in peers) / 1024, both),
        Row("scale.ping_done_ratio", "ratio",
            _ratio(pinged["runs"], pinged["checks"] * pinged["expected_per_check"]),
            _ratio(ping.done, ping.expected), fping_name),
        Row("scale.ping_success_ratio", "ratio",
            _ratio(pinged["runs"] - pinged["failed"], pinged["runs"]),
            _ratio(ping.answered, ping.done), fping_name),
    ]
    if polled is not None:
        rows += [
            Row("scale.snmp_done_ratio", "ratio",
                _ratio(polled["runs"], polled["checks"] * polled["expected_per_check"]),
                _ratio(snmp.done, snmp.expected) if snmp else None, exporter_name or "-"),
            Row("scale.snmp_success_ratio", "ratio",
                _ratio(polled["runs"] - polled["failed"], polled["runs"]),
                _ratio(snmp.answered, snmp.done) if snmp else None, exporter_name or "-"),
        ]
    lag, loop_lag = bridge["lag_buckets"], bridge["loop_lag_buckets"]
    rows += [
        Row("scale.lag_p50", "ms", lag_quantile(0.5, lag) * 1000, None, "-"),
        Row("scale.lag_p99", "ms", lag_quantile(0.99, lag) * 1000, None, "-"),
        Row("scale.loop_lag_p50", "ms", lag_quantile(0.5, loop_lag) * 1000, None, "-"),
        Row("scale.loop_lag_p99", "ms", lag_quantile(0.99, loop_lag) * 1000, None, "-"),
        Row("scale.loop_lag_max", "ms", lag_max(loop_lag) * 1000, None, "-"),
        Row("scale.drifted_checks", "checks", sum(p["drifted"] for p in probes.values()), None,
            "-"),
        Row("scale.start", "s", bridge["start_wall_s"], None, "-"),
    ]
    if "instances" in bridge:
        rows += [Row("scale.instances", "instances", bridge["instances"], None, "-"),
                 Row("scale.postgres_cpu_percent", "%",
                     bridge["postgres_cpu_s"] / bridge["wall_s"] * 100, None, "-")]
    return rows


def _count(buckets: dict[str, float]) -> int:
    return int(max(buckets.values(), default=0.0))


def _late(buckets: dict[str, float], bound_s: float = 0.02) -> int:
    """Observations over `bound_s` (a bucket bound) in cumulative buckets."""
    within = next((n for le, n in buckets.items() if abs(float(le) - bound_s) < 1e-9), 0.0)
    return int(_count(buckets) - within)


def _gc_note(collections: dict[str, float] | None) -> str:
    if not collections:
        return ""
    return (f"; GC {collections['young']:.0f} young, {collections['middle']:.0f} middle, "
            f"{collections['full']:.0f} full, longest {collections['max_ms']:g} ms")


def _fleet_notes(bridge: dict[str, Any]) -> list[str]:
    each = ", ".join(f"#{n} {cpu / bridge['wall_s'] * 100:.1f} % CPU, {rss / 1024:.0f} MiB"
                     for n, (cpu, rss) in enumerate(zip(bridge["cpu_s_by_instance"],
                                                        bridge["rss_peak_kib_by_instance"],
                                                        strict=True)))
    return [f"bridge: {bridge['instances']} instances on a scratch PostgreSQL database, "
            f"the shards split and every check run by its owner {bridge['start_wall_s']:.1f} s "
            f"after they were started; "
            f"CPU and RSS added up ({each}); lag rows: the instance with the worst p99; "
            f"scale.postgres_cpu_percent: the database's backends (from /proc, apart)"]


def _notes(work: ScaleWork, bridge: dict[str, Any], ping: PeerTally, snmp: PeerTally | None,
           fping: str, agents: int) -> list[str]:
    instances = int(bridge.get("instances", 1))
    loops = f"threads of the {instances} instances, added up" if instances > 1 else "thread"
    notes = [
        f"{work.ping_devices} devices pinged every {work.ping_interval_s:g} s ({work.count} "
        f"packets, {work.packet_interval_s:g} s apart), {work.snmp_devices} of them also "
        f"SNMP-polled every {work.snmp_interval_s:g} s (GET sysUpTime, sysName, sysDescr) "
        f"from {agents} snmpd on 127.1.x.y; {work.duration_s:g} s each side",
        f"bridge: the daemon (store, scheduler, probers, engine, HTTP) in a child process; "
        f"CPU and lag over the window after READY; start-up {bridge['start_cpu_s']:.2f} s CPU",
        f"bridge's event-loop {loops}: {bridge['loop_cpu_s']:.1f} s CPU in "
        f"{bridge['wall_s']:.0f} s, and {bridge['loop_waited_s']:.1f} s runnable but waiting "
        "for a CPU (schedstat run delay): loop lag from the machine's load, not the loop's "
        "own work",
        f"fping: {' '.join(fping_args('fping', work))} <{work.ping_devices} targets, at most "
        f"{FPING_TARGETS_MAX} a process>: "
        f"{ping.cpu_s / work.duration_s * 100:.2f} % CPU, {ping.rss_peak_kib / 1024:.1f} MiB",
    ]
    if snmp is not None:
        notes.append(f"snmp_exporter: each SNMP device scraped once per interval, spread; "
                     f"{snmp.cpu_s / work.duration_s * 100:.2f} % CPU, "
                     f"{snmp.rss_peak_kib / 1024:.1f} MiB")
    for name, probe in bridge["probes"].items():
        notes.append(f"bridge {name}: {probe['checks']} checks, {probe['runs']} runs (each "
                     f"{probe['min_runs']}..{probe['max_runs']}, expected "
                     f"{probe['expected_per_check']:.2f} ± 1), {probe['drifted']} drifted, "
                     f"{probe['failed']} failed"
                     + (f"; the drifted in shards {probe['drifted_shards']}"
                        if probe.get("drifted_shards") else ""))
    if "instances" in bridge:
        notes += _fleet_notes(bridge)
    start_s: dict[int, float] = {}
    for segment in bridge["segments"]:
        lag, loop_lag = segment["lag"], segment["loop_lag"]
        n = segment.get("instance", 0)
        who = f"bridge #{n}" if "instances" in bridge else "bridge"
        notes.append(f"{who} {start_s.get(n, 0.0):.0f}-{segment['end_s']:.0f} s: "
                     f"{segment['cpu_percent']:.0f} % CPU, scheduler lag p50 "
                     f"{lag_quantile(0.5, lag) * 1000:.0f} ms, p99 "
                     f"{lag_quantile(0.99, lag) * 1000:.0f} ms, loop lag p99 "
                     f"{lag_quantile(0.99, loop_lag) * 1000:.1f} ms, max <= "
                     f"{lag_max(loop_lag) * 1000:g} ms ({_late(loop_lag)} of "
                     f"{_count(loop_lag)} wake-ups >= 20 ms), {segment['runs']} checks, "
                     f"{segment['failed']} failed" + _gc_note(segment.get("gc")))
        start_s[n] = segment["end_s"]
    if bridge["failure_examples"]:
        notes.append(f"WARNING: bridge failures, e.g. {'; '.join(bridge['failure_examples'])}")
    if ping.answered < ping.done or (snmp and snmp.answered < snmp.done):
        notes.append("WARNING: a peer left requests unanswered")
    return notes
