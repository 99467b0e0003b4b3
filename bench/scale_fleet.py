"""`scale --instances N`: N daemons sharing the scale workload on a PostgreSQL store of their
own, measured over the same window and added up as one fleet (what `bench.scale` compares
with the peers)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.fleet import SHARDS, BackendCpu, Fleet, backend_cpu_s, scratch_store, sqlalchemy_url
from bench.fleet_load import warm_up
from bench.lag import lag_quantile
from bench.scale_work import ScaleWork, checks, write_deployment
from bridge.core.shards import shard_of

STOP_GRACE_S = 120.0  # after its window: stop, hand the leases back, answer


def tally(work: ScaleWork, wall_s: float, runs: Counter[str], failed: Counter[str]
          ) -> dict[str, dict[str, Any]]:
    """Per probe, over the whole fleet: its checks, their runs against the schedule, failures
    (the shape `bench.bridge_scale` answers for one instance)."""
    per_probe = {}
    intervals = {"ping": work.ping_interval_s, "system": work.snmp_interval_s}
    for probe, keys in checks(work).items():
        if not keys:
            continue
        expected = wall_s / intervals[probe]
        counts = [runs[key] for key in keys]
        per_probe[probe] = {
            "checks": len(keys), "expected_per_check": expected, "runs": sum(counts),
            "min_runs": min(counts), "max_runs": max(counts),
            "drifted": sum(1 for n in counts if abs(n - expected) > 1),
            "failed": sum(failed[key] for key in keys),
            "drifted_shards": sorted({shard_of(key.split("/", 1)[0], SHARDS)
                                      for key, n in zip(keys, counts, strict=True)
                                      if abs(n - expected) > 1}),
        }
    return per_probe


def _worst(answers: list[dict[str, Any]], key: str) -> dict[str, float]:
    return max((a[key] for a in answers), key=lambda b: lag_quantile(0.99, b))


def merge(work: ScaleWork, answers: list[dict[str, Any]], split_s: float,
          postgres_cpu_s: float) -> dict[str, Any]:
    """The instances' answers as one bridge: CPU and memory added up, checks added up per
    check, the lag histograms of the instance whose p99 is worst."""
    runs: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for answer in answers:
        runs.update(answer["runs_by_check"])
        failed.update(answer["failed_by_check"])
    wall_s = max(a["wall_s"] for a in answers)
    segments = []
    for n, answer in enumerate(answers):
        segments += [{**segment, "instance": n} for segment in answer["segments"]]
    return {
        "instances": len(answers),
        "start_wall_s": split_s,
        "start_cpu_s": sum(a["start_cpu_s"] for a in answers),
        "wall_s": wall_s,
        "cpu_s": sum(a["cpu_s"] for a in answers),
        "cpu_s_by_instance": [a["cpu_s"] for a in answers],
        "loop_cpu_s": sum(a["loop_cpu_s"] for a in answers),
        "loop_waited_s": sum(a["loop_waited_s"] for a in answers),
        "rss_peak_kib": sum(a["rss_peak_kib"] for a in answers),
        "rss_peak_kib_by_instance": [a["rss_peak_kib"] for a in answers],
        "postgres_cpu_s": postgres_cpu_s,
        "lag_buckets": _worst(answers, "lag_buckets"),
        "loop_lag_buckets": _worst(answers, "loop_lag_buckets"),
        "probes": tally(work, wall_s, runs, failed),
        "failure_examples": [e for a in answers for e in a["failure_examples"]][:3],
        "segments": segments,
    }


def run_fleet(root: Path, work: ScaleWork, snmp_port: int, instances: int) -> dict[str, Any]:
    """Run `instances` daemons on a scratch PostgreSQL database; their answers merged."""
    with scratch_store() as (database, url):
        config = write_deployment(root, work, snmp_port, sqlalchemy_url(url))
        fleet = Fleet(root, config, instances, work.duration_s)
        try:
            split_s = fleet.wait_split(url)
            split_s += warm_up(url, work)
            backends = BackendCpu(url, database)
            before = backends.sample()
            fleet.open_windows()
            time.sleep(work.duration_s)
            after = backends.sample()
            answers = fleet.finish(timeout_s=STOP_GRACE_S)
        finally:
            fleet.close()
    return merge(work, answers, split_s, backend_cpu_s(before, after))
