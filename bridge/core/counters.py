"""Counter rates between two polls, and reboot detection from sysUpTime. Pure functions.

SNMP counters only ever increase and wrap at 2^32 (Counter32) or 2^64 (Counter64); an
agent that restarts starts them again from zero. A drop in a counter is therefore a
wrap, unless the agent's sysUpTime went backwards too (it restarted: a reset, whose
delta means nothing). A Counter64 counting from zero never wraps in practice (at 100
Gbit/s it takes 46 years), so its drop is a discontinuity (cleared counters, a
re-created interface), unless it was just below 2^64 and is now just above zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# A Counter64 that drops has wrapped only if the increase across 2^64 is small: agents that
# start theirs near the top (seen on real devices) do wrap; a cleared counter drops from far
# below and would give an absurd rate.
_HALF_64 = 2**63
TIMETICKS_WRAP = 2**32  # sysUpTime is TimeTicks, hundredths of a second, 32 bits (497 days)


@dataclass(frozen=True)
class Sample:
    """One counter reading: its value, the agent's sysUpTime (ticks) and our clock (s)."""

    value: int
    uptime_ticks: int | None
    at_s: float


class RateKind(StrEnum):
    """How a rate was (or was not) computed."""

    FIRST = "first sample"
    NORMAL = "normal"
    WRAPPED = "wrapped"
    RESET = "reset"
    NO_TIME = "no time passed"


@dataclass(frozen=True)
class Rate:
    """A per-second rate, or None with the reason there is none."""

    per_s: float | None
    kind: RateKind


def agent_restarted(prev_ticks: int | None, cur_ticks: int | None, elapsed_s: float) -> bool:
    """Whether sysUpTime went backwards: the agent restarted between the two polls.

    sysUpTime itself wraps after 497 days; a drop that our own clock explains as that
    wrap is not a restart.
    """
    if prev_ticks is None or cur_ticks is None or cur_ticks >= prev_ticks:
        return False
    expected = prev_ticks + round(elapsed_s * 100)
    return not (expected >= TIMETICKS_WRAP and abs(expected - TIMETICKS_WRAP - cur_ticks) < 6000)


def _elapsed_s(prev: Sample, cur: Sample) -> float:
    """The agent's clock when both samples carry it (no network jitter); ours otherwise."""
    if prev.uptime_ticks is not None and cur.uptime_ticks is not None:
        ticks = (cur.uptime_ticks - prev.uptime_ticks) % TIMETICKS_WRAP
        if ticks:
            return ticks / 100
    return cur.at_s - prev.at_s


def counter_rate(prev: Sample | None, cur: Sample, bits: int) -> Rate:
    """The per-second increase from `prev` to `cur` of a counter of `bits` (32 or 64)."""
    if prev is None:
        return Rate(None, RateKind.FIRST)
    if agent_restarted(prev.uptime_ticks, cur.uptime_ticks, cur.at_s - prev.at_s):
        return Rate(None, RateKind.RESET)
    elapsed_s = _elapsed_s(prev, cur)
    if elapsed_s <= 0:
        return Rate(None, RateKind.NO_TIME)
    if cur.value >= prev.value:
        return Rate((cur.value - prev.value) / elapsed_s, RateKind.NORMAL)
    wrapped = cur.value + 2**bits - prev.value
    if bits == 64 and wrapped >= _HALF_64:
        return Rate(None, RateKind.RESET)  # cleared, not wrapped: it was nowhere near 2^64
    return Rate(wrapped / elapsed_s, RateKind.WRAPPED)
