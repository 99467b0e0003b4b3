"""Prometheus metrics: live state read at scrape time, daemon health as instruments.

Live series (per check, device, customer) come from a collector built over one
Snapshot per scrape, so a removed device leaves no stale series. Rendering runs in
a thread so a large exposition never stalls the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge import __version__
from bridge.core.availability import Tally
from bridge.daemon.availability import Latest
from bridge.daemon.monitor import Snapshot


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


class LiveCollector(Collector):
    """Series derived from one snapshot of live state."""

    def __init__(self, snapshot: Snapshot, latest: Latest, extra: dict[str, float]) -> None:
        self._snap = snapshot
        self._latest = latest
        self._extra = extra

    def collect(self) -> Iterator[Metric]:
        snap, config = self._snap, self._snap.config
        labels = ["customer", "device", "probe"]
        success = GaugeMetricFamily("bridge_probe_success",
                                    "Whether the last check succeeded (1) or failed (0).",
                                    labels=labels)
        rtt = GaugeMetricFamily("bridge_probe_rtt_seconds",
                                "Average round-trip time of the last check.", labels=labels)
        loss = GaugeMetricFamily("bridge_probe_loss_ratio",
                                 "Share of packets lost in the last check.", labels=labels)
        warning = GaugeMetricFamily("bridge_probe_warning",
                                    "Whether the last check was up but past a warning limit (1) "
                                    "or not (0).", labels=labels)
        down = GaugeMetricFamily("bridge_check_down",
                                 "Whether the check is hard down (1) or not (0).", labels=labels)
        attempts = GaugeMetricFamily("bridge_check_attempts",
                                     "Consecutive failed attempts of the check.", labels=labels)
        for key, state in snap.states.items():
            device = config.devices.get(key.device)
            if device is None:
                continue
            values = [device.customer, key.device, key.probe]
            attempts.add_metric(values, state.attempts)
            down.add_metric(values, 1.0 if state.hard_status == "down" else 0.0)
            if state.last is None:
                continue
            success.add_metric(values, 1.0 if state.last.ok else 0.0)
            warning.add_metric(values, 1.0 if state.last.warning else 0.0)
            if state.last.rtt_avg_s is not None:
                rtt.add_metric(values, state.last.rtt_avg_s)
            if state.last.loss_ratio is not None:
                loss.add_metric(values, state.last.loss_ratio)
        yield from (success, warning, rtt, loss, down, attempts)
        yield from self._availability()
        incidents = GaugeMetricFamily("bridge_incidents_open", "Open tickets.",
                                      labels=["customer", "priority", "tier"])
        for (customer, priority, tier), count in sorted(snap.open_incidents.items()):
            incidents.add_metric([customer, priority, str(tier)], count)
        yield incidents
        for name, value in sorted(self._extra.items()):
            help_text = _EXTRA_HELP.get(name, name)
            if name.endswith("_total"):
                yield CounterMetricFamily(name.removesuffix("_total"), help_text, value=value)
            else:
                yield GaugeMetricFamily(name, help_text, value=value)

    def _availability(self) -> Iterator[Metric]:
        config = self._snap.config
        device_ratio = GaugeMetricFamily(
            "bridge_availability_ratio",
            "Share of counted time the device was up, over a rolling window (contract "
            "coverage, without maintenance and monitoring gaps).",
            labels=["customer", "device", "window"])
        customer_ratio = GaugeMetricFamily(
            "bridge_customer_availability_ratio",
            "Share of counted time the customer's devices were up, over a rolling window.",
            labels=["customer", "window"])
        for window, tallies in self._latest.windows.items():
            per_customer: dict[str, Tally] = {}
            for device_id, tally in sorted(tallies.devices.items()):
                device = config.devices.get(device_id)
                if device is None or tally.ratio is None:
                    continue  # removed since, or nothing counted yet
                device_ratio.add_metric([device.customer, device_id, window], tally.ratio)
                per_customer[device.customer] = per_customer.get(device.customer, Tally()) + tally
            for customer, total in sorted(per_customer.items()):
                if total.ratio is not None:
                    customer_ratio.add_metric([customer, window], total.ratio)
        target = GaugeMetricFamily("bridge_availability_target_ratio",
                                   "The availability the customer's contract promises.",
                                   labels=["customer"])
        for name, entry in sorted(config.customers.items()):
            if entry.contract.availability_target_pct is not None:
                target.add_metric([name], entry.contract.availability_target_pct / 100)
        yield from (device_ratio, customer_ratio, target)
        yield GaugeMetricFamily("bridge_monitoring_gap",
                                "Whether the bridge is blind now (1): a monitoring gap.",
                                value=1.0 if self._snap.monitoring_gap else 0.0)


_EXTRA_HELP = {
    "bridge_checks_configured": "Checks (device x probe) in the running config.",
    "bridge_checks_in_flight": "Checks running right now.",
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


class _Combined:
    def __init__(self, parts: Iterable[Collector | CollectorRegistry]) -> None:
        self._parts = parts

    def collect(self) -> Iterator[Metric]:
        for part in self._parts:
            yield from part.collect()


def render(registry: CollectorRegistry, snapshot: Snapshot, latest: Latest,
           extra: dict[str, float]) -> bytes:
    """The text exposition; call it off the event loop."""
    live = LiveCollector(snapshot, latest, extra)
    return generate_latest(_Combined([registry, live]))
