"""The outbox's Prometheus series, read from the worker at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.config.channels import Channel
from bridge.daemon.outbox_worker import OutboxWorker


class OutboxCollector(Collector):
    """bridge_outbox_* from the worker's last look at the outbox and its own counts.

    Deliveries and dead letters count what went over the wire: a digest counts once.
    """

    def __init__(self, worker: OutboxWorker,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._worker = worker
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        worker = self._worker
        pending = GaugeMetricFamily("bridge_outbox_pending",
                                    "Messages waiting in the outbox to be delivered.",
                                    labels=["channel"])
        delivered = CounterMetricFamily("bridge_outbox_delivered",
                                        "Deliveries the receiver accepted.", labels=["channel"])
        dead = CounterMetricFamily("bridge_outbox_dead_letters",
                                   "Deliveries given up on (refused, or past the retry "
                                   "deadline).", labels=["channel"])
        for channel in Channel:
            pending.add_metric([channel.value], worker.counts.pending.get(channel.value, 0))
            delivered.add_metric([channel.value], worker.delivered_total[channel.value])
            dead.add_metric([channel.value], worker.dead_letters_total[channel.value])
        oldest = worker.counts.oldest_pending_at
        age_s = max(0.0, (self._clock() - oldest).total_seconds()) if oldest else 0.0
        yield pending
        yield GaugeMetricFamily("bridge_outbox_oldest_pending_age_seconds",
                                "Age of the oldest message still waiting (0 when none).",
                                value=age_s)
        yield delivered
        yield dead


def register_outbox_metrics(registry: CollectorRegistry, worker: OutboxWorker,
                            clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Expose the worker's outbox series on `registry`."""
    registry.register(OutboxCollector(worker, clock))
