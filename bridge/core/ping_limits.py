"""check_ping's verdict on one ICMP check: OK, WARNING or CRITICAL from loss and average RTT.

As in the monitoring plugins' check_ping, a value at or above a limit crosses it
(`pl >= cpl || rta >= crta`), critical is judged before warning, and a check without
a single reply is critical whatever the limits say.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bridge.core.probe_kinds.icmp import PingLimits


class Severity(StrEnum):
    """How bad one ICMP check was."""

    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class PingVerdict:
    """The severity and the limits that were reached, e.g. ("loss >= 60%",)."""

    severity: Severity
    crossed: tuple[str, ...] = ()

    def headline(self, loss_pct: float, rtt_avg_ms: float | None) -> str:
        """`PING CRITICAL - loss 67%, rtt avg 512.3 ms (loss >= 60%)`."""
        rtt = "no reply" if rtt_avg_ms is None else f"rtt avg {milliseconds(rtt_avg_ms)} ms"
        reached = f" ({', '.join(self.crossed)})" if self.crossed else ""
        return f"PING {self.severity} - loss {loss_pct:.0f}%, {rtt}{reached}"


_OK = PingVerdict(Severity.OK)  # shared: most checks of a fleet are OK


def milliseconds(value_ms: float) -> str:
    """A round trip as people read it: 512.3, 15.2, but 0.056 (loopback and LAN times
    would all read 0.0 or 0.1 with one decimal)."""
    return f"{value_ms:.1f}" if value_ms >= 10 else f"{value_ms:.3f}"


def _crossed(limits: PingLimits | None, loss_pct: float, rtt_avg_ms: float) -> tuple[str, ...]:
    if limits is None:
        return ()
    crossed = []
    if limits.loss_pct is not None and loss_pct >= limits.loss_pct:
        crossed.append(f"loss >= {limits.loss_pct:g}%")
    if limits.rtt_ms is not None and rtt_avg_ms >= limits.rtt_ms:
        crossed.append(f"rtt >= {limits.rtt_ms:g} ms")
    return tuple(crossed)


def judge_ping(loss_pct: float, rtt_avg_ms: float | None, warning: PingLimits | None,
               critical: PingLimits | None) -> PingVerdict:
    """The verdict for a check that lost `loss_pct` % of its packets and, if any reply came,
    had an average round trip of `rtt_avg_ms`."""
    if rtt_avg_ms is None:
        return PingVerdict(Severity.CRITICAL, ("no reply",))
    if crossed := _crossed(critical, loss_pct, rtt_avg_ms):
        return PingVerdict(Severity.CRITICAL, crossed)
    if crossed := _crossed(warning, loss_pct, rtt_avg_ms):
        return PingVerdict(Severity.WARNING, crossed)
    return _OK
