"""The intake's counters: what each source's alerts did, and what was refused and why."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter

# Why a request or an alert was refused: a closed set, so the series stay few.
REASONS = ("unknown_source", "unauthorized", "too_large", "bad_body", "bad_alert",
           "store_unavailable", "rate_limited",
           # SNMP traps: not SNMP, a wrong community or v3 user/key, no rule matched, too many
           "malformed", "unmatched", "overloaded")


class IntakeCounters:
    """Registered on the daemon's registry; a source label only for configured sources."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        registry = registry if registry is not None else CollectorRegistry()
        self._alerts = Counter("bridge_intake_alerts_total",
                               "Alerts taken from other monitors, by source and what they did.",
                               ["source", "action"], registry=registry)
        self._refused = Counter("bridge_intake_refused_total",
                                "Intake requests or alerts refused, by source ('' when unknown) "
                                "and reason.", ["source", "reason"], registry=registry)

    def took(self, source: str, action: str, count: int = 1) -> None:
        """One alert (or `count` alerts) did `action` (opened, attached, unchanged …)."""
        self._alerts.labels(source, action).inc(count)

    def refused(self, source: str, reason: str, count: int = 1) -> None:
        """A request (or `count` alerts of a batch) refused for `reason`, one of REASONS."""
        assert reason in REASONS
        self._refused.labels(source, reason).inc(count)


_OF: WeakKeyDictionary[CollectorRegistry, IntakeCounters] = WeakKeyDictionary()


def counters_of(registry: CollectorRegistry | None) -> IntakeCounters:
    """The counters on `registry`, made once (the webhooks and the trap listeners share them)."""
    if registry is None:
        return IntakeCounters(None)
    if registry not in _OF:
        _OF[registry] = IntakeCounters(registry)
    return _OF[registry]
