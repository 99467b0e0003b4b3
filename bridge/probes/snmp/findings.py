"""What one SNMP check found, gathered as it is judged: failures, warnings, values, series."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.probe_kinds.limits import Comparison
from bridge.core.results import ProbeResult, Series


@dataclass
class Findings:
    """Filled by the judging functions, turned into one ProbeResult at the end."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    _measured: set[str] = field(default_factory=set)

    def value(self, key: str, shown: str) -> None:
        """Show a value under `key`; a key already taken gets a number, never overwritten
        (`bridge probe --json` turns the pairs into an object)."""
        unique, n = key, 1
        while unique in self.values:
            n += 1
            unique = f"{key} #{n}"
        self.values[unique] = shown

    def measured(self, name: str, value: float) -> None:
        """Export a number a threshold judged (`upsEstimatedMinutesRemaining`, a disk's %)
        under the name the output shows it by, so Prometheus graphs what tickets cite."""
        if name not in self._measured:  # two thresholds on one object: one series
            self._measured.add(name)
            self.series.append(Series("bridge_probe_value", (("object", name),), value))

    def compare(self, name: str, measured: float, shown: str, warning: Comparison | None,
                critical: Comparison | None, unit: str = "") -> None:
        """Fail past `critical`, warn past `warning` (both in `unit`, as `measured` is)."""
        if critical is not None and critical.exceeded(measured):
            self.failures.append(f"{name} = {shown} {critical}{unit} (critical)")
        elif warning is not None and warning.exceeded(measured):
            self.warnings.append(f"WARNING {name} = {shown} {warning}{unit}")

    def result(self, started: datetime) -> ProbeResult:
        """The check's result: failed if anything failed, a warning if anything warned."""
        return ProbeResult(
            ok=not self.failures, at=started, duration_s=0.0,
            output="; ".join([*self.failures, *self.warnings, *self.summary]),
            warning=bool(self.warnings) and not self.failures,
            events=tuple(self.events), values=tuple(self.values.items()),
            series=tuple(self.series),
        )


def listed(items: list[str], most: int) -> str:
    """The first `most` items, and how many more."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more
