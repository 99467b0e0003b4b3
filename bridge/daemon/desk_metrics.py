"""The desk's metrics: SLA warnings and breaches, reaction and resolution durations, tickets
at risk. Fleet-wide histograms; counters by customer and kind only (bounded label sets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.desk.counters import DeskCounters

# Minutes to days: reaction targets are minutes to hours, resolution hours to days.
_BUCKETS_S = (60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600,
              7 * 86400)


class DeskCollector(Collector):
    """Counters kept by the desk and gauges refreshed from the store, read at scrape time."""

    def __init__(self, counters: DeskCounters,
                 at_risk: Callable[[], dict[str, int]]) -> None:
        self._counters = counters
        self._at_risk = at_risk

    def collect(self) -> Iterator[Metric]:
        breaches = CounterMetricFamily("bridge_sla_breaches", "SLA targets breached.",
                                       labels=["customer", "kind"])
        for (customer, kind), count in sorted(self._counters.sla_breaches.items()):
            breaches.add_metric([customer, kind], count)
        warnings = CounterMetricFamily("bridge_sla_warnings",
                                       "SLA warning thresholds reached.",
                                       labels=["customer", "kind"])
        for (customer, kind), count in sorted(self._counters.sla_warnings.items()):
            warnings.add_metric([customer, kind], count)
        steps = CounterMetricFamily("bridge_escalation_steps_fired",
                                    "Escalation steps fired.", value=self._counters.steps_fired)
        risk = GaugeMetricFamily("bridge_incidents_sla_at_risk",
                                 "Open tickets past an SLA warning threshold or breached.",
                                 labels=["customer"])
        for customer, count in sorted(self._at_risk().items()):
            risk.add_metric([customer], count)
        yield from (breaches, warnings, steps, risk)


class DeskDurations:
    """Reaction and resolution times, in coverage seconds, as fleet-wide histograms."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.reaction = Histogram("bridge_sla_reaction_seconds",
                                  "Coverage time from a ticket's creation to its assignment.",
                                  ["priority"], buckets=_BUCKETS_S, registry=registry)
        self.resolution = Histogram("bridge_sla_resolution_seconds",
                                    "Coverage time from a ticket's creation to its resolution.",
                                    ["priority"], buckets=_BUCKETS_S, registry=registry)

    def drain(self, counters: DeskCounters) -> None:
        """Observe the durations the desk recorded since the last call."""
        for kind, priority, seconds in counters.take_durations():
            histogram = self.reaction if kind == "reaction" else self.resolution
            histogram.labels(priority).observe(seconds)
