"""bridge's side of the snmp benchmark, in a child process so its whole cost is measured.

The parent sends the workload as JSON on stdin; the child polls through the daemon's own
path (`run_probe` with an SNMP probe, `devices` checks at a time) and prints one JSON tally.
`--profile [cumtime]` prints where the CPU goes instead (to stderr).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime

from bench.common import run_child, self_cpu_s
from bench.snmp_work import (
    COMMUNITY,
    V3_AUTH_KEY,
    V3_PRIV_KEY,
    V3_USER,
    SnmpTally,
    SnmpWork,
    require_loopback,
)
from bridge.core.probe_kinds.snmp import (
    AuthProtocol,
    PrivProtocol,
    SecurityLevel,
    SnmpAccess,
    SnmpProbe,
    SnmpVersion,
)
from bridge.core.results import ProbeResult
from bridge.core.secret import Secret
from bridge.probes.registry import Probers, Target, run_probe


def poll_with_bridge(work: SnmpWork) -> SnmpTally:
    """Run one round in a fresh child process; its whole CPU comes from RUSAGE_CHILDREN."""
    fields, process_cpu_s = run_child("bench.bridge_snmp", asdict(work))
    fields["process_cpu_s"] = process_cpu_s
    fields["failures"] = tuple(fields["failures"])
    return SnmpTally(**fields)


async def _run(work: SnmpWork) -> tuple[list[ProbeResult], float, float]:
    probe = SnmpProbe.model_validate({"kind": "snmp", "interval_s": 60, "get": ["sysName",
                                      "sysDescr"], "timeout_s": work.timeout_s,
                                      "retries": work.retries})  # + sysUpTime: 3 OIDs
    access = SnmpAccess(version=SnmpVersion.V2C, port=work.port, community=Secret(COMMUNITY))
    if work.version == "3":
        access = SnmpAccess(version=SnmpVersion.V3, port=work.port, user=V3_USER,
                            security_level=SecurityLevel.AUTH_PRIV,
                            auth_protocol=AuthProtocol.SHA256, auth_key=Secret(V3_AUTH_KEY),
                            priv_protocol=PrivProtocol.AES128, priv_key=Secret(V3_PRIV_KEY))
    targets = [Target(work.host, f"device-{i}", "bench", access) for i in range(work.devices)]
    probers = Probers()
    now = datetime.now(UTC)
    # Warm-up: sockets, per-check state and v3 keys are made once per daemon.
    await asyncio.gather(*(run_probe(probers, t, probe, now) for t in targets))
    rounds = max(1, work.polls // work.devices)
    cpu_before_s, t0 = self_cpu_s(), time.perf_counter()
    results: list[ProbeResult] = []
    for _ in range(rounds):
        results += await asyncio.gather(*(run_probe(probers, t, probe, now) for t in targets))
    cpu_s, wall_s = self_cpu_s() - cpu_before_s, time.perf_counter() - t0
    probers.close()
    return results, cpu_s, wall_s


def main() -> None:
    """Child entry point: workload JSON on stdin, tally JSON on stdout."""
    work = SnmpWork(**json.load(sys.stdin))
    require_loopback(work.host)
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(_run(work))
        profiler.disable()
        order = "cumtime" if "cumtime" in sys.argv else "tottime"
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(40)
        return
    results, cpu_s, wall_s = asyncio.run(_run(work))
    failures = [r.output for r in results if not r.ok]
    tally = {"run_cpu_s": cpu_s, "wall_s": wall_s, "ok": len(results) - len(failures),
             "failures": failures[:3], "polls": len(results)}
    json.dump(tally, sys.stdout)


if __name__ == "__main__":
    main()
