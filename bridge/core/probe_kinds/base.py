"""What every probe kind's config shares: its kind, how often it runs, when a failure is hard."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator

from bridge.core.results import Measure
from bridge.core.strict import Strict

# A problem between a probe's own keys: (the key's path in the probe, the message, and the
# value the message quotes when the operator may have left it to its default).
KeyProblem = tuple[tuple[str, ...], str, float | None]


class ProbeKind(StrEnum):
    """The kinds of probe the daemon can run; bridge.probes maps each to its code."""

    ICMP = "icmp"
    SNMP = "snmp"
    TCP = "tcp"


class ProbeBase(Strict):
    """What every probe kind shares: how often, and when a failing check becomes hard."""

    # What the kind measures (ProbeResult.measurements), with the /metrics gauges they feed.
    MEASURES: ClassVar[tuple[Measure, ...]] = ()
    # Whether a down check of this kind says the device cannot be reached (its children are
    # then unreachable); a device with no such probe is judged by all of its probes.
    REACHABILITY: ClassVar[bool] = False
    # The keys `problems()` and the timing checks read: a key that failed to load skips them.
    TIMING_KEYS: ClassVar[tuple[str, ...]] = ("interval_s", "timeout_s", "retry_interval_s")

    # Keys naming a file the kind reads (config checks that it exists; the model reads none).
    FILE_KEYS: ClassVar[tuple[str, ...]] = ()

    kind: ProbeKind
    interval_s: Annotated[float, Field(gt=0)] = 30.0
    timeout_s: Annotated[float, Field(gt=0)] = 2.0
    retry_interval_s: Annotated[float, Field(gt=0)] = 10.0  # capped at interval_s if unset
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 3
    recover_after: Annotated[int, Field(ge=1, le=100)] = 1

    @model_validator(mode="before")
    @classmethod
    def _retry_follows_a_short_interval(cls, data: Any) -> Any:
        """An unset retry interval never exceeds the check interval."""
        if isinstance(data, dict) and "retry_interval_s" not in data:
            interval = data.get("interval_s", cls.model_fields["interval_s"].default)
            default = cls.model_fields["retry_interval_s"].default
            if isinstance(interval, int | float) and not isinstance(interval, bool):
                return {**data, "retry_interval_s": min(default, interval)}
        return data

    def duration_budget_s(self) -> float:
        """Longest time one check of this probe can take."""
        return self.timeout_s

    def problems(self) -> list[KeyProblem]:
        """What is wrong between this kind's own keys (beyond what every kind shares)."""
        return []
