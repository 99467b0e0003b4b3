"""bench/ runs end to end (numbers are its job, not the tests'): exit 0, every side answered."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import outage
from bench.common import PeerMissingError
from bench.fping import fping_path
from bench.scale_peers import FpingLoop, fping_args
from bench.scale_work import ScaleWork
from tests.conftest import REPO


class Ran:
    """What `python -m bench … --json FILE` printed and wrote."""

    def __init__(self, stdout: str, rows: list[dict[str, Any]]) -> None:
        self.stdout, self.rows = stdout, rows


def run_bench(tmp_path: Path, *args: str, timeout_s: float,
              pg_admin_url: str | None = None) -> Ran:
    """Run `python -m bench ARGS --json FILE` (on this PostgreSQL server if given); it must
    exit 0 (the test fails with its stderr otherwise)."""
    out = tmp_path / "bench.json"
    env = (None if pg_admin_url is None
           else {**os.environ, "BRIDGE_BENCH_PG_ADMIN_URL": pg_admin_url})
    done = subprocess.run([sys.executable, "-m", "bench", *args, "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=timeout_s, env=env)
    assert done.returncode == 0, done.stderr
    return Ran(done.stdout, json.loads(out.read_text()))


@pytest.mark.parametrize(("name", "answer_rows"), [
    ("ping", ["ping.200.success_ratio", "ping.200.reply_ratio"]),
    ("snmp", ["snmp.success_ratio", "snmp.v3.success_ratio"]),
    # the daemon on a small schedule for a few seconds, against fping -l and snmp_exporter
    ("scale", ["scale.ping_success_ratio", "scale.snmp_success_ratio"]),
])
def test_a_quick_benchmark_runs_and_every_side_answers(
    tmp_path: Path, name: str, answer_rows: list[str]
) -> None:
    done = run_bench(tmp_path, name, "--quick", timeout_s=300)
    rows = done.rows
    assert {"name", "unit", "bridge", "peer", "peer_name", "ratio"} <= set(rows[0])
    for answer_row in answer_rows:
        ratios = [(r["bridge"], r["peer"]) for r in rows if r["name"] == answer_row]
        assert ratios, answer_row
        assert all(pair == (1, 1) for pair in ratios), (answer_row, ratios)


def test_bench_availability_and_metrics_run_and_agree(tmp_path: Path) -> None:
    done = run_bench(tmp_path, "availability", "metrics", "desk", "--quick",
                     timeout_s=600)
    rows = {r["name"]: r for r in done.rows}
    # the rolled-up path and raw history give the same seconds for every device
    assert rows["availability.largest_difference"]["bridge"] == pytest.approx(0, abs=1e-3)
    # and the daemon's windows, moved minute by minute, those computed from scratch
    assert rows["availability.sliding_difference"]["bridge"] == pytest.approx(0, abs=1e-3)
    assert "desk.tick" in rows
    assert {"availability.window_30d", "availability.refresh", "metrics.render",
            "metrics.loop_stall"} <= set(rows)
    # both expositions hold the same series (sizes within a few percent)
    assert rows["metrics.bytes"]["ratio"] == pytest.approx(1, abs=0.05)


def test_bench_intake_runs_both_sides(tmp_path: Path) -> None:
    """Every post to bridge and to Alertmanager answered 2xx (the benchmark fails otherwise)."""
    done = run_bench(tmp_path, "intake", "--quick", timeout_s=300)
    rows = {r["name"]: r for r in done.rows}
    # the same rows for the embedded SQLite and for PostgreSQL (at 127.0.0.1:5432)
    for store in ("intake", "intake.postgresql"):
        for row in ("s_per_1000_alerts", "cpu_s_per_1000_alerts", "batch_p50", "batch_p99"):
            assert rows[f"{store}.{row}"]["bridge"] > 0, (store, row)
            assert rows[f"{store}.{row}"]["peer"] > 0, (store, row)


def test_bench_portal_times_both_pages_and_the_api(tmp_path: Path) -> None:
    done = run_bench(tmp_path, "portal", "--quick", timeout_s=300)
    rows = {r["name"]: r for r in done.rows}
    assert set(rows) == {"portal.queue_page", "portal.queue_page_p95",
                         "portal.availability_page", "portal.availability_page_p95"}
    assert all(r["unit"] == "ms" and r["bridge"] > 0 and r["peer"] > 0 for r in rows.values())
    # every goal is reported, met or not (numbers are the benchmark's job)
    goals = [line for line in done.stdout.splitlines() if "goal met: " in line
             or "WARNING: goal missed: " in line]
    assert len(goals) == 3, done.stdout


def test_bench_traps_runs_both_sides(tmp_path: Path) -> None:
    """Every trap reached bridge's store and snmptrapd's log (the benchmark fails otherwise)."""
    done = run_bench(tmp_path, "traps", "--quick", timeout_s=300)
    rows = {r["name"]: r for r in done.rows}
    # v2c and v3 authPriv, bridge's receive path and with ticket decisions, each against
    # snmptrapd receiving the same traps
    assert set(rows) == {f"traps.{version}.{what}.cpu_ms_per_trap"
                         for version in ("v2c", "v3") for what in ("receive", "tickets")}
    assert all(r["bridge"] > 0 and r["peer"] > 0 for r in rows.values())


def test_bench_scale_takes_its_size_from_the_command_line(tmp_path: Path) -> None:
    done = run_bench(tmp_path, "scale", "--quick", "--ping-devices", "120", "--snmp-devices",
                     "12", timeout_s=300)
    assert "120 devices pinged every 2 s" in done.stdout
    assert "12 of them also SNMP-polled" in done.stdout
    assert "bridge ping: 120 checks" in done.stdout
    assert "bridge system: 12 checks" in done.stdout
    rows = {r["name"]: r for r in done.rows}
    assert {"scale.loop_lag_p50", "scale.loop_lag_p99", "scale.lag_p99"} <= set(rows)


def test_bench_scale_runs_several_instances_on_postgresql(tmp_path: Path,
                                                          pg_admin_url: str) -> None:
    # Two daemons share the devices on a scratch database: each check is probed by one of
    # them (both probing it would double the runs), and the fleet's rows are there.
    before = _scratch_databases(pg_admin_url)
    done = run_bench(tmp_path, "scale", "--quick", "--instances", "2", "--duration-s", "8",
                     timeout_s=600, pg_admin_url=pg_admin_url)
    assert "2 instances on a scratch PostgreSQL database" in done.stdout
    assert "CPU and RSS added up (#0 " in done.stdout
    assert ", #1 " in done.stdout
    rows = {r["name"]: r for r in done.rows}
    assert rows["scale.instances"]["bridge"] == 2
    assert rows["scale.ping_done_ratio"]["bridge"] < 1.5
    assert rows["scale.ping_success_ratio"]["bridge"] == 1
    assert {"scale.postgres_cpu_percent", "scale.cpu_percent", "scale.rss_peak"} <= set(rows)
    assert _scratch_databases(pg_admin_url) <= before  # its scratch database is gone


def _scratch_databases(admin_url: str) -> set[str]:
    """The databases named as bench/fleet.py names its scratch ones."""
    with psycopg.connect(admin_url) as conn:
        names = [n for (n,) in conn.execute("SELECT datname FROM pg_database")]
    return {n for n in names if re.fullmatch(r"bridge_bench_[0-9a-f]{10}", n)}


def test_bench_failover_kills_one_of_two_instances_and_the_other_takes_over(
    tmp_path: Path, pg_admin_url: str
) -> None:
    done = run_bench(tmp_path, "failover", "--quick", timeout_s=600, pg_admin_url=pg_admin_url)
    assert "then SIGKILL to one holding" in done.stdout
    rows = {r["name"]: r for r in done.rows}
    # the survivor took every lease and checked every orphaned device again (-1: it did not)
    for name in ("failover.leases_taken", "failover.ping_checked_again",
                 "failover.system_checked_again"):
        assert rows[name]["bridge"] > 0, name
        assert rows[name]["peer"] is None  # no established tool fails over


def test_bench_outage_silences_devices_and_each_gets_its_ticket(
    tmp_path: Path, pg_admin_url: str
) -> None:
    if os.geteuid() != 0:
        pytest.fail("the outage benchmark needs root for its network namespace (CI runs as root)")
    before = _namespaces()  # another run's (one killed mid-way) is not this run's to clean
    done = run_bench(tmp_path, "outage", "--quick", timeout_s=900, pg_admin_url=pg_admin_url)
    assert "dropped every packet to 50 of them" in done.stdout
    rows = {r["name"]: r for r in done.rows}
    assert rows["outage.tickets_ratio"]["bridge"] == 1  # every silenced device has its ticket
    assert rows["outage.other_tickets"]["bridge"] == 0  # and no device that still answers
    assert rows["outage.decided"]["bridge"] > 0
    assert rows["outage.pipeline_results_per_s"]["bridge"] > 0
    assert "50 tickets open" in done.stdout  # the pipeline's run opened them too
    assert not {n for n in _namespaces() - before if n.startswith("bridge-bench-")}  # gone


def _namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}


def test_bench_outage_without_root_says_it_needs_root(monkeypatch: pytest.MonkeyPatch) -> None:
    # As another user the namespace cannot be made: `python -m bench` exits 2 with this.
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PeerMissingError, match=r"needs root.*run it as root"):
        outage.run(quick=True)



def test_the_scale_benchmarks_fping_splits_its_targets_and_adds_up_its_processes() -> None:
    """fping's sequence map runs out at 50,000 targets in one process: the targets go to
    several, whose counts and costs are added up as one peer's."""
    work = ScaleWork(ping_devices=120, snmp_devices=0, ping_interval_s=1.5, count=3,
                     duration_s=3.0)
    loop = FpingLoop(fping_path(), work, targets_max=50)
    targets = [proc.args[len(fping_args("fping", work)):] for proc in loop.procs]
    assert [len(t) for t in targets] == [50, 50, 20]
    assert [t for chunk in targets for t in chunk] == work.ping_addresses()
    time.sleep(work.duration_s)
    tally = loop.finish()
    assert tally.done >= 120 * 3  # every target's requests, each process's totals counted
    assert tally.answered == tally.done  # loopback answers every request
    assert tally.rss_peak_kib > 0
