"""An ICMP probe's config: packets per check and check_ping's warning and critical limits."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from bridge.core.probe_kinds.base import KeyProblem, ProbeBase, ProbeKind
from bridge.core.results import Measure
from bridge.core.strict import Strict


class PingLimits(Strict):
    """One of check_ping's RTT,loss% pairs: `-w 100.0,20%` is { rtt_ms = 100, loss_pct = 20 }.

    A check whose average RTT or loss reaches either limit has crossed it.
    """

    rtt_ms: Annotated[float, Field(gt=0)] | None = None
    loss_pct: Annotated[float, Field(gt=0, le=100)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_check_ping(cls, data: Any) -> Any:
        """check_ping's own "100.0,20%" is not a table here: say how to write it."""
        if isinstance(data, str):
            rtt, _, loss = data.partition(",")
            example = f"{{ rtt_ms = {rtt.strip() or 100}, loss_pct = " \
                      f"{loss.strip().rstrip('%') or 20} }}"
            raise ValueError(f"expected a table such as {example} (check_ping's {data!r})")
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> PingLimits:
        if self.rtt_ms is None and self.loss_pct is None:
            raise ValueError("give rtt_ms, loss_pct or both, e.g. { rtt_ms = 100, loss_pct = 20 }")
        return self


class IcmpProbe(ProbeBase):
    """ICMP echo: several packets per check; up when any is answered and no critical limit
    is reached, warning when a warning limit is."""

    MEASURES: ClassVar[tuple[Measure, ...]] = (
        Measure("rtt_avg_s", "bridge_probe_rtt_seconds",
                "Average round-trip time of the last check."),
        Measure("rtt_min_s"), Measure("rtt_max_s"),
        Measure("loss_ratio", "bridge_probe_loss_ratio",
                "Share of packets lost in the last check."),
        Measure("jitter_s", "bridge_probe_jitter_seconds",
                "Mean difference between consecutive round trips of the last check."))
    REACHABILITY: ClassVar[bool] = True
    TIMING_KEYS: ClassVar[tuple[str, ...]] = (*ProbeBase.TIMING_KEYS, "count",
                                              "packet_interval_s", "warning", "critical")

    kind: Literal[ProbeKind.ICMP]
    count: Annotated[int, Field(ge=1, le=100)] = 3
    packet_interval_s: Annotated[float, Field(ge=0.001)] = 0.2
    warning: PingLimits | None = None
    critical: PingLimits | None = None

    def duration_budget_s(self) -> float:
        """Longest time one check of this probe can take."""
        return (self.count - 1) * self.packet_interval_s + self.timeout_s

    def problems(self) -> list[KeyProblem]:
        """Packets that do not fit in interval_s, and what is wrong between the limits and
        the other keys: a warning above its critical limit (as check_ping refuses), or an
        RTT limit that no reply can reach because a later one counts as lost."""
        problems: list[KeyProblem] = []
        if self.timeout_s < self.interval_s <= self.duration_budget_s():
            problems.append((("count",), (
                f"{self.count} packets {self.packet_interval_s:g} s apart plus timeout_s take "
                f"{self.duration_budget_s():g} s, which must be < interval_s "
                f"({self.interval_s:g})"), None))
        levels = {"warning": self.warning, "critical": self.critical}
        if self.warning is not None and self.critical is not None:
            for key in ("rtt_ms", "loss_pct"):
                low, high = getattr(self.warning, key), getattr(self.critical, key)
                if low is not None and high is not None and low > high:
                    problems.append((("warning", key), f"must be <= critical.{key} "
                                                       f"(got {low:g} > {high:g})", None))
        timeout_ms = self.timeout_s * 1000
        for level, limits in levels.items():
            if limits is not None and limits.rtt_ms is not None and limits.rtt_ms >= timeout_ms:
                problems.append(((level, "rtt_ms"), (
                    f"must be < timeout_s in ms (got {limits.rtt_ms:g} >= {timeout_ms:g}); a "
                    "later reply counts as lost, so raise timeout_s or lower rtt_ms"), None))
        return problems
