"""Prometheus metrics: live state read at scrape time, daemon health as instruments.

Live series (per check, device, customer) are written from one Snapshot per scrape (see
exposition.py), so a removed device leaves no stale series; histograms are fleet-wide,
never per device. Rendering runs in a thread.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bridge import __version__
from bridge.availability.windows import Latest
from bridge.daemon.availability import AvailabilityKeeper
from bridge.daemon.clock import DeskTime
from bridge.daemon.exposition import LabelSets, availability_text, live
from bridge.daemon.loop_lag import LOOP_LAG_BUCKETS_S
from bridge.daemon.monitor import Snapshot
from bridge.daemon.scheduler import CheckScheduler
from bridge.store.incidents import Outcome
from bridge.store.writer import BatchWriter

log = logging.getLogger(__name__)


class DaemonMetrics:
    """The daemon's own instruments, registered on an injected registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reload_ok = Gauge("bridge_config_last_reload_successful",
                               "Whether the last configuration reload attempt succeeded.",
                               registry=registry)
        self.reload_ts = Gauge("bridge_config_last_reload_success_timestamp_seconds",
                               "Timestamp of the last successful configuration reload.",
                               registry=registry)
        self.scheduler_lag = Histogram(
            "bridge_scheduler_lag_seconds", "Delay between a check's due time and its start.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry)
        self.loop_lag = Histogram(
            "bridge_event_loop_lag_seconds",
            "How late the event loop woke a sleeper (blocking work on the loop shows here).",
            buckets=LOOP_LAG_BUCKETS_S, registry=registry)
        self.probe_duration = Histogram(
            "bridge_probe_duration_seconds", "Time one probe run took, fleet-wide.", ["kind"],
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=registry)
        self.incidents_opened = Counter("bridge_incidents_opened_total",
                                        "Tickets opened by monitoring.", ["customer"],
                                        registry=registry)
        self.incidents_resolved = Counter("bridge_incidents_resolved_total",
                                          "Tickets resolved by recovery.", ["customer"],
                                          registry=registry)
        build = Gauge("bridge_build_info", "Build information.", ["version"], registry=registry)
        build.labels(__version__).set(1)
        self.start_time = Gauge("bridge_start_time_seconds", "When the daemon started.",
                                registry=registry)
        self.start_time.set(time.time())



    def count_outcomes(self, outcomes: list[Outcome]) -> None:
        """Count and log the tickets monitoring opened, reopened and resolved."""
        for outcome in outcomes:
            if outcome.action == "reopened":
                log.warning("incident %s reopened for %s", outcome.ref, outcome.problem_key)
            elif outcome.action == "opened":
                self.incidents_opened.labels(outcome.customer).inc()
                log.warning("incident %s opened for %s", outcome.ref, outcome.problem_key)
            elif outcome.action == "resolved":
                self.incidents_resolved.labels(outcome.customer).inc()
                log.info("incident %s resolved (recovered) for %s", outcome.ref,
                         outcome.problem_key)

# The daemon's own gauges and counters passed to render() as plain values, with their help.
DAEMON_VALUES = {
    "bridge_checks_configured": "Checks (device x probe) in the running config.",
    "bridge_checks_in_flight": "Checks running right now.",
    "bridge_checks_queued": "Checks due but waiting for a free slot (max_concurrent_checks).",
    "bridge_checks_last_finished_age_seconds":
        "Seconds since a check last finished (monotonic; since the start before the first).",
    "bridge_checks_stalled":
        "Whether checks have stopped finishing (no check within the stall threshold).",
    "bridge_checks_stall_threshold_seconds":
        "How long without a finished check counts as stalled (0: no checks configured).",
    "bridge_clock_jumps_total": "Steps of the system clock beyond the tolerance (5 s).",
    "bridge_clock_skew_seconds": "System clock minus desk time (non-zero after a clock step).",
    "bridge_store_pending_decisions": "Decisions waiting for the store writer.",
    "bridge_store_write_failures_total": "Store batches that failed and were kept for retry.",
    "bridge_store_batches_total": "Store batches committed.",
    "bridge_store_up": "Whether the last store write succeeded.",
    "bridge_availability_refresh_timestamp_seconds":
        "When the rolling availability windows were last computed.",
    "bridge_availability_refresh_duration_seconds":
        "How long the last computation of the rolling availability windows took.",
    "bridge_availability_rollups_total": "Customer days rolled up (each one customer's local day).",
    "bridge_availability_failures_total": "Availability computations or writes that failed.",
}



class Exposition:
    """Renders /metrics (off the event loop), keeping what changes only with the config
    (label sets) or with an availability computation (its text) until they change."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._labels: LabelSets | None = None
        self._availability: tuple[Latest, LabelSets, str] | None = None

    def render(self, snapshot: Snapshot, latest: Latest, extra: dict[str, float]) -> bytes:
        """The text exposition: the daemon's instruments, then the live series."""
        labels = self._labels
        if labels is None or labels.config is not snapshot.config:
            labels = self._labels = LabelSets.of(snapshot.config)
        cached = self._availability
        if cached is None or cached[0] is not latest or cached[1] is not labels:
            cached = self._availability = (latest, labels, availability_text(latest, labels))
        named = {name: (value, DAEMON_VALUES.get(name, name)) for name, value in extra.items()}
        return generate_latest(self.registry) + live(snapshot, cached[2], labels,
                                                     named).encode()


def health_values(snap: Snapshot, scheduler: CheckScheduler, writer: BatchWriter,
                  availability: AvailabilityKeeper, clock: DeskTime) -> dict[str, float]:
    """The daemon's own gauges and counters, read from its parts at scrape time."""
    values = {
        "bridge_checks_configured": float(len(snap.states)),
        "bridge_checks_in_flight": float(scheduler.in_flight),
        "bridge_checks_queued": float(scheduler.queued),
        "bridge_checks_last_finished_age_seconds": scheduler.since_finished_s(),
        "bridge_checks_stalled": 1.0 if scheduler.stalled() else 0.0,
        "bridge_checks_stall_threshold_seconds": scheduler.stall_after_s() or 0.0,
        "bridge_clock_jumps_total": float(clock.jumps_total),
        "bridge_clock_skew_seconds": clock.skew_s,
        "bridge_store_pending_decisions": float(writer.pending),
        "bridge_store_write_failures_total": float(writer.failures_total),
        "bridge_store_batches_total": float(writer.batches_total),
        "bridge_store_up": 1.0 if writer.healthy else 0.0,
        "bridge_availability_rollups_total": float(availability.days_rolled_total),
        "bridge_availability_failures_total": float(availability.failures_total),
    }
    latest = availability.latest
    if latest.computed_at is not None:
        # On the system clock, like every *_timestamp_seconds Prometheus compares with time().
        values["bridge_availability_refresh_timestamp_seconds"] = \
            latest.computed_at.timestamp() + clock.skew_s
        values["bridge_availability_refresh_duration_seconds"] = latest.duration_s
    return values
