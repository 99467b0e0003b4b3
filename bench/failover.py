"""The `failover` benchmark: two instances share the scale workload on PostgreSQL; once the
shards are split and every check has run, one is killed (SIGKILL) and the store is watched
until the survivor holds every lease and has checked every orphaned device again.

No established peer: fping and snmp_exporter have no failover (their rows' peer is empty).
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime

from bench.common import Report, Row
from bench.fleet import SHARDS, owners
from bench.fleet_load import Loaded, all_checks, checked_since, loaded_fleet, warm_up
from bench.scale_work import QUICK, ScaleWork
from bridge.core.shards import shard_of

LEASE_S = 10.0  # [cluster] lease_s, the default
POLL_S = 0.25


def run(*, quick: bool, ping_devices: int | None = None, snmp_devices: int | None = None
        ) -> Report:
    """Kill one of two instances at load; seconds until its devices are checked again."""
    work = QUICK if quick else ScaleWork()
    work = replace(work, ping_devices=work.ping_devices if ping_devices is None else ping_devices,
                   snmp_devices=work.snmp_devices if snmp_devices is None else snmp_devices)
    with loaded_fleet(work, 2) as loaded:
        warm_s = warm_up(loaded.url, loaded.work)
        return _kill_and_watch(loaded, warm_s)


def _kill_and_watch(loaded: Loaded, warm_s: float) -> Report:
    victim = loaded.fleet.pids()[1]
    held = owners(loaded.url)
    name = next(owner for owner in held if f":{victim}:" in owner)
    orphaned_shards = set(held[name])
    orphaned = [key for key in all_checks(loaded.work)
                if shard_of(key.split("/", 1)[0], SHARDS) in orphaned_shards]
    by_probe = {probe: [k for k in orphaned if k.endswith(f"/{probe}")]
                for probe in ("ping", "system")}
    intervals = {"ping": loaded.work.ping_interval_s, "system": loaded.work.snmp_interval_s}
    killed_at, started = datetime.now(UTC), time.monotonic()
    os.kill(victim, signal.SIGKILL)
    taken_s: float | None = None
    checked_s: dict[str, float] = {}
    limit_s = LEASE_S + 3 * max(intervals.values()) + 30
    while time.monotonic() - started < limit_s:
        elapsed_s = time.monotonic() - started
        if taken_s is None and sum(len(s) for s in owners(loaded.url).values()) == SHARDS \
                and name not in owners(loaded.url):
            taken_s = elapsed_s
        for probe, keys in by_probe.items():
            if keys and probe not in checked_s \
                    and checked_since(loaded.url, keys, killed_at) == len(keys):
                checked_s[probe] = time.monotonic() - started
        if taken_s is not None and len(checked_s) == sum(1 for k in by_probe.values() if k):
            break
        time.sleep(POLL_S)
    rows = [Row("failover.leases_taken", "s", -1.0 if taken_s is None else taken_s, None, "-")]
    notes = [f"{loaded.work.ping_devices} devices pinged every {loaded.work.ping_interval_s:g} s, "
             f"{loaded.work.snmp_devices} of them SNMP-polled every "
             f"{loaded.work.snmp_interval_s:g} s, on 2 instances (PostgreSQL, {SHARDS} shards, "
             f"lease {LEASE_S:g} s); split {loaded.split_s:.1f} s after start, every check "
             f"in the store {warm_s:.1f} s later; then SIGKILL to one holding "
             f"{len(orphaned_shards)} shards ({len(orphaned)} checks)",
             "no established peer: fping and snmp_exporter have no failover"]
    for probe, keys in by_probe.items():
        if not keys:
            continue
        seconds = checked_s.get(probe)
        rows.append(Row(f"failover.{probe}_checked_again", "s",
                        -1.0 if seconds is None else seconds, None, "-"))
        goal_s = LEASE_S + intervals[probe]
        notes.append(f"{probe}: every orphaned check's result in the store "
                     + (f"{seconds:.1f} s after the kill" if seconds is not None
                        else f"NOT within {limit_s:g} s")
                     + f" (goal: lease + one interval = {goal_s:g} s)")
        if seconds is None or seconds > goal_s:
            notes.append(f"WARNING: {probe}: over the goal of {goal_s:g} s")
    if taken_s is None:
        notes.append("WARNING: the survivor did not take every lease")
    return Report(rows, notes)
