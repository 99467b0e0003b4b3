"""The `metrics` benchmark: rendering /metrics with 50,000 live series, bridge's path against
prometheus-client's default (labelled instruments and generate_latest on the event loop),
and how long each stalls the event loop."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from bench.availability_fleet import write_deployment
from bench.common import Report, Row
from bridge.availability.windows import Latest, WindowTallies
from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, StateType, Status
from bridge.daemon.metrics import DaemonMetrics, Exposition
from bridge.daemon.monitor import Snapshot

SERIES = 50_000
QUICK_SERIES = 10_000
PER_DEVICE = 10  # success, warning, rtt, loss, down, attempts; availability in 4 windows
ROUNDS = 5
PEER = "prometheus-client generate_latest, instruments on the loop"
LABELS = ("customer", "device", "probe")


def live_state(config: Config, now: datetime) -> tuple[Snapshot, Latest]:
    """Every check up with an RTT, and a day of availability for every device."""
    rng = random.Random(6)
    states = {}
    for name, device in config.devices.items():
        for probe in device.probes:
            last = ProbeResult(True, now, 0.001, "3/3 replies",
                               {"rtt_avg_s": rng.random() / 100, "loss_ratio": 0.0})
            states[CheckKey(name, probe)] = CheckState(Status.UP, StateType.HARD, 0, now,
                                                       Status.UP, now, last)
    day = Tally(86400.0, rng.random() * 60)
    windows = {label: WindowTallies(now, now, dict.fromkeys(config.devices, day))
               for label in ("1h", "1d", "7d", "30d")}
    return Snapshot(config, states, {}), Latest(windows, now, 0.0)


def instruments(snapshot: Snapshot, latest: Latest) -> CollectorRegistry:
    """The same series as prometheus-client instruments, set the way most exporters do."""
    registry = CollectorRegistry()
    gauges = {name: Gauge(name, name, LABELS, registry=registry)
              for name in ("bridge_probe_success", "bridge_probe_warning",
                           "bridge_probe_rtt_seconds",
                           "bridge_probe_loss_ratio", "bridge_check_down",
                           "bridge_check_attempts")}
    ratio = Gauge("bridge_availability_ratio", "ratio", ("customer", "device", "window"),
                  registry=registry)
    for key, state in snapshot.states.items():
        labels = (snapshot.config.devices[key.device].customer, key.device, key.probe)
        assert state.last is not None
        gauges["bridge_probe_success"].labels(*labels).set(1)
        gauges["bridge_probe_warning"].labels(*labels).set(0)
        measured = state.last.measurements
        gauges["bridge_probe_rtt_seconds"].labels(*labels).set(measured.get("rtt_avg_s", 0))
        gauges["bridge_probe_loss_ratio"].labels(*labels).set(measured.get("loss_ratio", 0))
        gauges["bridge_check_down"].labels(*labels).set(0)
        gauges["bridge_check_attempts"].labels(*labels).set(0)
    for window, tallies in latest.windows.items():
        for device, tally in tallies.devices.items():
            ratio.labels(snapshot.config.devices[device].customer, device, window).set(
                tally.ratio or 0)
    return registry


def stall_ms(render_once: Callable[[], object], in_thread: bool) -> float:
    """The longest the event loop went without running while one render ran."""
    async def measure() -> float:
        worst = 0.0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                worst = max(worst, now - last)
                last = now

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        if in_thread:
            await asyncio.to_thread(render_once)
        else:
            render_once()
        await asyncio.sleep(0.01)
        done.set()
        await task
        return worst * 1000

    return asyncio.run(measure())


def best_ms(fn: Callable[[], bytes]) -> tuple[float, int]:
    """The best of a few runs, in ms, and the size of what was rendered."""
    best, size = float("inf"), 0
    for _ in range(ROUNDS):
        began = time.perf_counter()
        size = len(fn())
        best = min(best, (time.perf_counter() - began) * 1000)
    return best, size


def run(*, quick: bool) -> Report:
    """Render the same live state both ways; compare time and loop stalls."""
    devices = (QUICK_SERIES if quick else SERIES) // PER_DEVICE
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-metrics-") as tmp:
        config = load_config(write_deployment(Path(tmp), devices - devices % 100))
    snapshot, latest = live_state(config, now)
    exposition = Exposition(DaemonMetrics(CollectorRegistry()).registry)
    exposition.render(snapshot, latest, {})  # label sets: once per config, as in the daemon
    theirs_registry = instruments(snapshot, latest)

    def ours() -> bytes:
        return exposition.render(snapshot, latest, {})

    def theirs() -> bytes:
        return generate_latest(theirs_registry)

    def ours_after_refresh() -> bytes:  # the first scrape after availability was recomputed
        return exposition.render(snapshot, Latest(latest.windows, now, 0.0), {})

    our_ms, our_bytes = best_ms(ours)
    fresh_ms, _ = best_ms(ours_after_refresh)
    their_ms, their_bytes = best_ms(theirs)
    series = sum(1 for line in ours().decode().splitlines() if line.startswith("bridge_"))
    rows = [
        Row("metrics.render", "ms", our_ms, their_ms, PEER),
        Row("metrics.render_after_refresh", "ms", fresh_ms, their_ms, PEER),
        Row("metrics.loop_stall", "ms", stall_ms(ours, in_thread=True),
            stall_ms(theirs, in_thread=False), PEER),
        Row("metrics.bytes", "B", float(our_bytes), float(their_bytes), PEER),
    ]
    notes = [f"{len(config.devices)} devices, one check each: {series} series in bridge's "
             f"exposition (best of {ROUNDS})",
             "bridge: render() of the daemon (its instruments through generate_latest, the "
             "live series written from one snapshot), in a thread as GET /metrics does; peer: "
             "the same series as Gauge instruments with labels, generate_latest() on the loop",
             "render: a scrape between two availability computations (their series' text is "
             "kept); render_after_refresh: the first scrape after one",
             "loop_stall: the longest the event loop did not run during one render"]
    return Report(rows, notes)
