"""What a probe reports: a failure is data, never an exception."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Series:
    """A number a check exports besides its success, e.g. one interface's utilisation.

    `labels` are its own (interface, direction); the daemon adds the check's. Probes keep
    them bounded: only what a check judged is exported.
    """

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass(frozen=True)
class Measure:
    """A number one kind of probe measures: its name in `ProbeResult.measurements` (and so
    in the API, `bridge probe --json` and the store) and, if exported, its /metrics gauge.

    The gauge carries the check's labels only, so its series are bounded by the checks.
    """

    name: str
    metric: str | None = None
    help: str = ""


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One check of one device by one probe."""

    ok: bool
    at: datetime
    duration_s: float
    output: str
    # What the check measured, by Measure.name, leaving out what it could not measure (an
    # unanswered ping has a loss but no round trips). Never mutated once built.
    measurements: Mapping[str, float] = field(default_factory=dict, hash=False)
    local: bool = False  # the failure is on the monitoring host, not the device
    # Up, but past a warning limit (check_ping's WARNING): counts as up everywhere.
    warning: bool = False
    # Things that happened on the device, for the log (e.g. "rebooted ..."), not failures.
    events: tuple[str, ...] = ()
    # What was read, as (readable name, value) pairs, for `bridge probe`.
    values: tuple[tuple[str, str], ...] = ()
    # Numbers for /metrics beyond success and round trips (SNMP interfaces).
    series: tuple[Series, ...] = ()

    @classmethod
    def measured(cls, ok: bool, at: datetime, output: str, measurements: Mapping[str, float],
                 *, warning: bool, values: tuple[tuple[str, str], ...] = ()) -> ProbeResult:
        """A result with measurements (and values); the other fields keep their defaults."""
        return cls(ok, at, 0.0, output, measurements, False, warning, (), values)

    def timed(self, duration_s: float) -> ProbeResult:
        """This result with `duration_s` set: every other field copied as it is.

        The probe wrapper times every check; `dataclasses.replace` (a walk over the fields
        by name, then the frozen __init__) cost ~10 us per check, a fifth of an ICMP
        check's CPU; the fields passed in order cost the __init__ alone.
        """
        return ProbeResult(self.ok, self.at, duration_s, self.output, self.measurements,
                           self.local, self.warning, self.events, self.values, self.series)
