"""What a probe reports: a failure is data, never an exception."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
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
class ProbeResult:
    """One check of one device by one probe."""

    ok: bool
    at: datetime
    duration_s: float
    output: str
    rtt_avg_s: float | None = None
    rtt_min_s: float | None = None
    rtt_max_s: float | None = None
    loss_ratio: float | None = None
    jitter_s: float | None = None
    local: bool = False  # the failure is on the monitoring host, not the device
    # Up, but past a warning limit (check_ping's WARNING): counts as up everywhere.
    warning: bool = False
    # Things that happened on the device, for the log (e.g. "rebooted ..."), not failures.
    events: tuple[str, ...] = ()
    # What was read, as (readable name, value) pairs, for `bridge probe`.
    values: tuple[tuple[str, str], ...] = ()
    # Numbers for /metrics beyond success and round trips (SNMP interfaces).
    series: tuple[Series, ...] = ()

    def measurements(self) -> dict[str, float]:
        """What the check measured, by name, leaving out what its probe does not measure
        (an SNMP check has no round trips): for `bridge probe --json` and the API."""
        measured = {"rtt_avg_s": self.rtt_avg_s, "rtt_min_s": self.rtt_min_s,
                    "rtt_max_s": self.rtt_max_s, "jitter_s": self.jitter_s,
                    "loss_ratio": self.loss_ratio}
        return {name: value for name, value in measured.items() if value is not None}

    @classmethod
    def measured(cls, ok: bool, at: datetime, output: str, *, rtt_avg_s: float,
                 rtt_min_s: float, rtt_max_s: float, loss_ratio: float, jitter_s: float,
                 warning: bool) -> ProbeResult:
        """An answered ICMP check's result; the other fields keep their defaults.

        Built once per check of the fleet: the frozen __init__ sets all 13 fields through
        object.__setattr__ (~2 us); filling the instance dict at once is the same object
        for about half of that, as in `timed`.
        """
        result = object.__new__(cls)
        vars(result).update(_DEFAULTS, ok=ok, at=at, output=output, rtt_avg_s=rtt_avg_s,
                            rtt_min_s=rtt_min_s, rtt_max_s=rtt_max_s, loss_ratio=loss_ratio,
                            jitter_s=jitter_s, warning=warning)
        return result

    def timed(self, duration_s: float) -> ProbeResult:
        """This result with `duration_s` set: every other field copied as it is.

        The probe wrapper times every check; `dataclasses.replace` (field walk plus a
        frozen __init__, one object.__setattr__ per field) cost ~10 us per check, a
        fifth of an ICMP check's CPU. Copying the instance dict is the same copy.
        """
        timed = object.__new__(ProbeResult)
        vars(timed).update(vars(self), duration_s=duration_s)
        return timed


_DEFAULTS = {field.name: field.default for field in fields(ProbeResult)
             if field.default is not MISSING} | {"duration_s": 0.0}
