"""The `outage` benchmark: the scale workload on N instances (PostgreSQL) inside a network
namespace of its own; once every check has run, an nft rule drops every packet to the first
10,000 pinged devices at once, and the store is watched until each of them has its ticket.

Needs root (the namespace, nft, raw ICMP). No established peer: fping and snmp_exporter
open no tickets (their rows' peer is empty).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.common import Report, Row, run_child
from bench.fleet import ADMIN_URL, BackendCpu, backend_cpu_s, scratch_store, sqlalchemy_url
from bench.fleet_load import Loaded, loaded_fleet, warm_up
from bench.lag import lag_quantile
from bench.netns import Namespace, StoreRelay, require_root
from bench.ping_work import loopback_targets
from bench.scale_fleet import STOP_GRACE_S, merge
from bench.scale_work import QUICK, ScaleWork, device_name, write_deployment

SILENCED = 10_000  # devices that stop answering at once (at most the ping-only ones)
# The share of the fleet (10,000 of 60,000). A third of every customer's checks
# failing at once is half of gap_failing_ratio: a suspected monitoring gap, which holds new
# tickets up to gap_grace_s (30 s) as it should; an instance that sees the fleet sees it.
QUICK_SILENCED = 50
MAX_ATTEMPTS = 3  # the probes' default max_attempts
SLACK_S = 10.0  # the goal: interval x attempts + 10 s
POLL_S = 0.5
PIPELINE_GOAL_PER_S = 20_000


def run(*, quick: bool, ping_devices: int | None = None, snmp_devices: int | None = None,
        instances: int = 2) -> Report:
    """Silence many devices at once at load; seconds until all their tickets are open."""
    require_root()
    work = QUICK if quick else ScaleWork()
    work = replace(work, ping_devices=work.ping_devices if ping_devices is None else ping_devices,
                   snmp_devices=work.snmp_devices if snmp_devices is None else snmp_devices)
    silenced = min(QUICK_SILENCED if quick else SILENCED, work.ping_devices - work.snmp_devices)
    if silenced < 1:
        raise ValueError("outage silences ping-only devices: --snmp-devices < --ping-devices")
    goal_s = work.ping_interval_s * MAX_ATTEMPTS + SLACK_S
    namespace = Namespace()
    relay: StoreRelay | None = None
    try:
        relay = StoreRelay(ADMIN_URL)
        # the instances' windows: the outage, and as long again to see it settle
        work = replace(work, duration_s=goal_s * 2)
        with loaded_fleet(work, instances, namespace.prefix, relay.daemon_url,
                          work.duration_s) as loaded:
            report = _silence(loaded, namespace, silenced, goal_s)
        return _with_pipeline(report, work, silenced)
    finally:
        if relay is not None:
            relay.close()
        namespace.delete()


def _with_pipeline(report: Report, work: ScaleWork, silenced: int) -> Report:
    """The same outage's results through state, rules and store as fast as they go."""
    root = Path(tempfile.mkdtemp(prefix="bridge-bench-pipeline-"))
    try:
        with scratch_store() as (_, url):
            config = write_deployment(root, work, 161, sqlalchemy_url(url))
            answer, _ = run_child("bench.pipeline_work", {
                "config": str(config), "silenced": silenced, "attempts": MAX_ATTEMPTS,
                "interval_s": work.ping_interval_s})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rate = answer["results"] / answer["wall_s"]
    rows = [*report.rows,
            Row("outage.pipeline_results_per_s", "1/s", rate, None, "-"),
            Row("outage.pipeline_cpu_per_result", "us",
                answer["cpu_s"] / answer["results"] * 1e6, None, "-"),
            Row("outage.pipeline_postgres_cpu_per_result", "us",
                answer["postgres_cpu_s"] / answer["results"] * 1e6, None, "-")]
    notes = [*report.notes,
             f"outage.pipeline_results_per_s: {answer['results']} results (one round all up, "
             f"then {MAX_ATTEMPTS} rounds with the {silenced} silenced devices failing) through "
             f"the daemon's engine, Monitor and BatchWriter on a PostgreSQL database of its "
             f"own, in one process, no probing: all fed to the engine in "
             f"{answer['fed_s']:.2f} s, the last commit at {answer['wall_s']:.2f} s, "
             f"{answer['batches']} batches, {answer['tickets']} tickets open "
             f"(goal: >= {PIPELINE_GOAL_PER_S:,}/s)"]
    if rate < PIPELINE_GOAL_PER_S:
        notes.append(f"WARNING: the pipeline took {rate:,.0f} results/s, under the goal of "
                     f"{PIPELINE_GOAL_PER_S:,}/s")
    if answer["tickets"] != silenced:
        notes.append(f"WARNING: the pipeline opened {answer['tickets']} tickets for "
                     f"{silenced} silenced devices")
    return Report(rows, notes)


def _tickets(url: str, devices: list[str]) -> tuple[int, int]:
    """(open tickets of these devices, open tickets of any other device)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT device) FILTER (WHERE device = ANY(%s)), "
            "count(DISTINCT device) FILTER (WHERE NOT device = ANY(%s)) "
            "FROM incident WHERE open_key IS NOT NULL", (devices, devices)).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _silence(loaded: Loaded, namespace: Namespace, silenced: int, goal_s: float) -> Report:
    warm_s = warm_up(loaded.url, loaded.work)
    addresses = loopback_targets(silenced)
    devices = [device_name(i) for i in range(silenced)]
    database = loaded.url.rsplit("/", 1)[1]
    backends = BackendCpu(loaded.url, database)
    before = backends.sample()
    loaded.fleet.open_windows()
    started = time.monotonic()
    namespace.drop_to(addresses[0], addresses[-1])
    silenced_at = datetime.now(UTC)
    decided_s: float | None = None
    opened = others = 0
    while time.monotonic() - started < loaded.work.duration_s - POLL_S:
        opened, others = _tickets(loaded.url, devices)
        if opened == silenced and decided_s is None:
            decided_s = time.monotonic() - started
        time.sleep(POLL_S)
    after = backends.sample()
    answers = loaded.fleet.finish(timeout_s=STOP_GRACE_S)
    fleet = merge(loaded.work, answers, loaded.split_s, backend_cpu_s(before, after))
    return _report(loaded, fleet, silenced, silenced_at, decided_s, opened, others, goal_s,
                   warm_s)


def _report(loaded: Loaded, fleet: dict[str, Any], silenced: int, silenced_at: datetime,
            decided_s: float | None, opened: int, others: int, goal_s: float,
            warm_s: float) -> Report:
    runs = sum(p["runs"] for p in fleet["probes"].values())
    wall_s = fleet["wall_s"]
    rows = [
        Row("outage.decided", "s", -1.0 if decided_s is None else decided_s, None, "-"),
        Row("outage.tickets_ratio", "ratio", opened / silenced, None, "-"),
        Row("outage.other_tickets", "tickets", others, None, "-"),
        Row("outage.results_per_s", "1/s", runs / wall_s, None, "-"),
        Row("outage.lag_p99", "ms", lag_quantile(0.99, fleet["lag_buckets"]) * 1000, None, "-"),
        Row("outage.loop_lag_p99", "ms", lag_quantile(0.99, fleet["loop_lag_buckets"]) * 1000,
            None, "-"),
        Row("outage.cpu_percent", "%", fleet["cpu_s"] / wall_s * 100, None, "-"),
        Row("outage.postgres_cpu_percent", "%", fleet["postgres_cpu_s"] / wall_s * 100, None,
            "-"),
    ]
    work = loaded.work
    notes = [
        f"{work.ping_devices} devices pinged every {work.ping_interval_s:g} s, "
        f"{work.snmp_devices} of them SNMP-polled every {work.snmp_interval_s:g} s, on "
        f"{fleet['instances']} instances (PostgreSQL) in a network namespace; every check in "
        f"the store {warm_s:.1f} s after the split; at {silenced_at:%H:%M:%S} UTC an nft rule "
        f"dropped every packet to {silenced} of them ({device_name(0)}…"
        f"{device_name(silenced - 1)})",
        f"tickets open for {opened} of the {silenced} silenced devices "
        + (f"{decided_s:.1f} s after the drop" if decided_s is not None
           else f"after {wall_s:.0f} s (NOT all)")
        + f" (goal: interval x attempts + {SLACK_S:g} s = {goal_s:g} s); {others} tickets "
        "of devices still answering",
        f"outage.results_per_s: checks finished per second over the {wall_s:.0f} s after the "
        "drop, all instances (what the schedule asks for, not the pipeline's ceiling)",
        "no established peer: fping and snmp_exporter open no tickets",
    ]
    if decided_s is None or decided_s > goal_s:
        notes.append(f"WARNING: not every ticket within the goal of {goal_s:g} s")
    if others:
        notes.append(f"WARNING: {others} devices still answering have a ticket")
    return Report(rows, notes)
