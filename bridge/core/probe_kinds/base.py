"""What every probe kind's config shares: its kind, how often it runs, when a failure is hard."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from bridge.core.strict import Strict


class ProbeKind(StrEnum):
    """The kinds of probe the daemon can run; bridge.probes maps each to its code."""

    ICMP = "icmp"
    SNMP = "snmp"


class ProbeBase(Strict):
    """What every probe kind shares: how often, and when a failing check becomes hard."""

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
