"""bridge's side of the scale benchmark: the real daemon, run in a child process.

The child builds `Daemon` from the generated deployment exactly as `bridge run` does (store,
scheduler, probers, engine, HTTP) and injects only what it measures through: the metrics
registry (scheduler lag), a Notifier (READY opens the measured window) and Probers that
count each check's runs. After `duration_s` it sends itself SIGTERM, as systemd would.

One of several instances (`bench.fleet`) is told `ready_file`: at READY it writes that file
and opens its window only at SIGUSR1, when the parent has seen the shards split, so that
every instance measures the same seconds; it then also answers each check's runs.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from bench.common import self_cpu_s
from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.probe_kinds import Probe
from bridge.core.probe_kinds.base import ProbeKind
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.daemon.app import Daemon
from bridge.daemon.systemd import Notifier
from bridge.logs import setup_logging
from bridge.probes.icmp.pinger import Echoes
from bridge.probes.icmp.probe import IcmpProber
from bridge.probes.protocol import Prober, Target
from bridge.probes.registry import Probers

LAG_METRIC = "bridge_scheduler_lag_seconds"
LOOP_LAG_METRIC = "bridge_event_loop_lag_seconds"
MAX_EXAMPLES = 3
SEGMENT_S = 15.0


class CountingProbers(Probers):
    """The daemon's own probers; while `counting`, each check's runs and failures are tallied."""

    def __init__(self) -> None:
        super().__init__(icmp=_CountedIcmp(self))
        self.counting = False
        self.runs: Counter[tuple[str, str]] = Counter()
        self.failed: Counter[tuple[str, str]] = Counter()
        self.examples: list[str] = []
        # the ICMP prober counts itself: the daemon starts its checks without a task
        self.built = {kind: prober if kind is ProbeKind.ICMP else _Counted(self, prober)
                      for kind, prober in self.built.items()}

    def of(self, kind: ProbeKind) -> Prober[Any]:
        """The kind's prober, wrapped to count."""
        prober = self.built.get(kind)
        if prober is None:
            prober = self.built[kind] = _Counted(self, super().of(kind))
        return prober

    def fail(self, key: tuple[str, str], why: str) -> None:
        """Tally one failed run of a check."""
        self.failed[key] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{key[0]}/{key[1]}: {why}")


async def _count(tally: CountingProbers, target: Target,
                 check: Awaitable[ProbeResult]) -> ProbeResult:
    """A check's run, tallied while counting."""
    key = (target.device, target.probe)
    if not tally.counting:
        return await check
    tally.runs[key] += 1
    try:
        result = await check
    except BaseException:
        tally.fail(key, "did not finish")
        raise
    if not result.ok:
        tally.fail(key, result.output)
    return result


class _CountedIcmp(IcmpProber):
    """The ICMP prober, its checks started without a task (the daemon's way in,
    `start_probe`) counted as `_Counted` counts the others'."""

    def __init__(self, tally: CountingProbers) -> None:
        super().__init__()
        self._tally = tally

    def starts_checks(self) -> bool:
        return True  # its checks are the engine's own, counted either way

    def run(self, target: Target, probe: IcmpProbe, started: datetime
            ) -> Awaitable[ProbeResult]:
        return _count(self._tally, target, super().run(target, probe, started))

    def start(self, target: Target, probe: IcmpProbe, started: datetime,
              on_result: Callable[[ProbeResult], object]) -> Echoes | None:
        tally = self._tally
        if not tally.counting:
            return super().start(target, probe, started, on_result)
        key = (target.device, target.probe)

        def counted(result: ProbeResult) -> None:
            if not result.ok:
                tally.fail(key, result.output)
            on_result(result)

        check = super().start(target, probe, started, counted)
        if check is not None:  # else run_probe runs it, through `_Counted`
            tally.runs[key] += 1
        return check


class _Counted:
    """One kind's prober, its runs counted by `tally` while it is counting."""

    def __init__(self, tally: CountingProbers, prober: Prober[Any]) -> None:
        self._tally = tally
        self._prober = prober

    def run(self, target: Target, probe: Probe, started: datetime) -> Awaitable[ProbeResult]:
        return _count(self._tally, target, self._prober.run(target, probe, started))

    def forget_except(self, check_ids: set[tuple[str, str]]) -> None:
        self._prober.forget_except(check_ids)

    def close(self) -> None:
        self._prober.close()


def histograms(registry: CollectorRegistry, metrics: tuple[str, ...]
               ) -> dict[str, dict[str, float]]:
    """Histograms' cumulative buckets, by name and upper bound, in one pass over the
    registry (the pass runs on the daemon's loop, whose lag it measures)."""
    found: dict[str, dict[str, float]] = {metric: {} for metric in metrics}
    for family in registry.collect():
        buckets = found.get(family.name)
        if buckets is not None:
            for sample in family.samples:
                if sample.name == f"{family.name}_bucket":
                    buckets[sample.labels["le"]] = sample.value
    return found


def loop_thread_s() -> tuple[float, float]:
    """The calling thread's (the event loop's) CPU seconds so far, and how long it has
    waited runnable for a CPU (schedstat's run delay; 0 where the kernel has none): lag
    the loop did not cause."""
    try:
        fields = Path("/proc/thread-self/schedstat").read_text().split()
    except OSError:
        return time.thread_time(), 0.0
    return int(fields[0]) / 1e9, int(fields[1]) / 1e9


def _children() -> list[int]:
    """This process's child processes (the daemon's availability process)."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.append(int(entry.name))
    return found


def children_cpu_s(children: list[int] | None = None) -> float:
    """User + system CPU seconds the running children have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in _children() if children is None else children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def children_rss_peak_kib(children: list[int] | None = None) -> float:
    """The running children's peak resident memory, added up."""
    total = 0.0
    for pid in _children() if children is None else children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((float(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmHWM:")), 0.0)
    return total


class GcPauses:
    """Each garbage collection's wall time, by generation, from `gc.callbacks`: a collection
    holds every thread, the event loop's too, whichever thread runs it."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def taken(self) -> dict[str, float]:
        """Collections since the last call: how many of each generation, the longest."""
        pauses, self.pauses = self.pauses, []
        return {"young": sum(1 for g, _ in pauses if g == 0),
                "middle": sum(1 for g, _ in pauses if g == 1),
                "full": sum(1 for g, _ in pauses if g == 2),
                "max_ms": round(max((s for _, s in pauses), default=0.0) * 1000, 1)}


class Window(Notifier):
    """READY opens the measured window; `duration_s` later it closes and SIGTERM follows."""

    def __init__(self, probers: CountingProbers, registry: CollectorRegistry,
                 duration_s: float, ready_file: str | None = None) -> None:
        super().__init__(environ={})
        self._probers = probers
        self._registry = registry
        self._duration_s = duration_s
        self._ready_file = ready_file
        self.opened: dict[str, Any] = {}
        self.closed: dict[str, Any] = {}
        self.segments: list[dict[str, Any]] = []
        self._gc = GcPauses()

    def _mark(self) -> dict[str, Any]:
        children = _children()
        lags = histograms(self._registry, (LAG_METRIC, LOOP_LAG_METRIC))
        loop_cpu_s, loop_waited_s = loop_thread_s()
        return {"wall_s": time.perf_counter(), "cpu_s": self_cpu_s() + children_cpu_s(children),
                "loop_cpu_s": loop_cpu_s, "loop_waited_s": loop_waited_s,
                "lag": lags[LAG_METRIC], "loop_lag": lags[LOOP_LAG_METRIC],
                "children_rss_peak_kib": children_rss_peak_kib(children)}

    def ready(self, status: str) -> None:
        """The daemon is up: start counting (one of several: when the parent says so)."""
        if self._ready_file is not None:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGUSR1, self._open)
            Path(self._ready_file).write_text(str(os.getpid()))
            return
        self._open()

    def _open(self) -> None:
        if self.opened:
            return
        self.opened = self._mark()
        self._probers.counting = True
        gc.callbacks.append(self._gc)
        loop = asyncio.get_running_loop()
        loop.call_later(self._duration_s, self._close)
        loop.call_later(SEGMENT_S, self._segment, self.opened)

    def _segment(self, previous: dict[str, Any]) -> None:
        """Every SEGMENT_S, how the last one went: CPU, checks started and failed, lag p99."""
        if not self._probers.counting:
            return
        now = self._mark()
        lag = {le: n - previous["lag"].get(le, 0.0) for le, n in now["lag"].items()}
        loop_lag = {le: n - previous["loop_lag"].get(le, 0.0)
                    for le, n in now["loop_lag"].items()}
        runs, failed = sum(self._probers.runs.values()), sum(self._probers.failed.values())
        self.segments.append({
            "end_s": round(now["wall_s"] - self.opened["wall_s"], 1),
            "cpu_percent": round((now["cpu_s"] - previous["cpu_s"])
                                 / (now["wall_s"] - previous["wall_s"]) * 100, 1),
            "runs": runs - previous.get("runs", 0), "failed": failed - previous.get("failed", 0),
            "lag": lag, "loop_lag": loop_lag, "gc": self._gc.taken()})
        now.update(runs=runs, failed=failed)
        asyncio.get_running_loop().call_later(SEGMENT_S, self._segment, now)

    def _close(self) -> None:
        self._probers.counting = False
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self.closed = self._mark()
        os.kill(os.getpid(), signal.SIGTERM)


def _tally(probers: CountingProbers, config: Config, duration_s: float) -> dict[str, Any]:
    """Per probe: its checks, their runs against the schedule, and failures."""
    checks: dict[str, list[tuple[str, str]]] = {}
    for name, device in config.devices.items():
        for probe in device.probes:
            checks.setdefault(probe, []).append((name, probe))
    per_probe = {}
    for probe, keys in checks.items():
        expected = duration_s / config.probes[probe].interval_s
        runs = [probers.runs[key] for key in keys]
        per_probe[probe] = {
            "checks": len(keys), "expected_per_check": expected, "runs": sum(runs),
            "min_runs": min(runs), "max_runs": max(runs),
            "drifted": sum(1 for n in runs if abs(n - expected) > 1),
            "failed": sum(probers.failed[key] for key in keys),
        }
    return per_probe


async def _run(payload: dict[str, Any]) -> dict[str, Any]:
    t0, cpu0 = time.perf_counter(), self_cpu_s()
    config = load_config(Path(payload["config"]), create_secrets=True)
    probers = CountingProbers()
    registry = CollectorRegistry()
    window = Window(probers, registry, payload["duration_s"], payload.get("ready_file"))
    daemon = Daemon(config, notifier=window, registry=registry, probers=probers)
    code = await daemon.run()
    opened, closed = window.opened, window.closed
    wall_s = closed["wall_s"] - opened["wall_s"]
    return {
        "exit_code": code,
        "start_wall_s": opened["wall_s"] - t0,
        "start_cpu_s": opened["cpu_s"] - cpu0,
        "wall_s": wall_s,
        "cpu_s": closed["cpu_s"] - opened["cpu_s"],
        "loop_cpu_s": closed["loop_cpu_s"] - opened["loop_cpu_s"],
        "loop_waited_s": closed["loop_waited_s"] - opened["loop_waited_s"],
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + closed["children_rss_peak_kib"],
        "lag_buckets": {le: closed["lag"][le] - opened["lag"].get(le, 0.0)
                        for le in closed["lag"]},
        "loop_lag_buckets": {le: closed["loop_lag"][le] - opened["loop_lag"].get(le, 0.0)
                             for le in closed["loop_lag"]},
        "probes": _tally(probers, config, wall_s),
        "failure_examples": probers.examples,
        "segments": window.segments,
        **({"runs_by_check": _by_check(probers.runs), "failed_by_check": _by_check(probers.failed)}
           if payload.get("ready_file") else {}),
    }


def _by_check(counts: Counter[tuple[str, str]]) -> dict[str, int]:
    """Counts by "device/probe", for the parent to add up over instances."""
    return {f"{device}/{probe}": n for (device, probe), n in counts.items()}


def main() -> None:
    """Child entry point: {"config", "duration_s"} on stdin, the measurements on stdout."""
    payload = json.load(sys.stdin)
    setup_logging(payload.get("log_level", "info"))
    json.dump(asyncio.run(_run(payload)), sys.stdout)


if __name__ == "__main__":
    main()
