"""Flap detection: a weighted share of state changes over the last results (Icinga's method).

Over the last 21 results there are 20 possible changes; each change is weighted from 0.8
(oldest) to 1.2 (newest), so recent changes count more. A check starts flapping when the
weighted share rises above `high_pct` and stops when it falls below `low_pct` (defaults
30 % and 25 %, as in Icinga 2); the gap between them keeps the flag from flickering.
"""

from __future__ import annotations

from dataclasses import dataclass

HISTORY = 21


@dataclass(frozen=True, slots=True)
class FlapState:
    """The recent results of one check and whether it is flapping."""

    results: tuple[bool, ...] = ()
    flapping: bool = False
    percent: float = 0.0


def _weight(slot: int) -> float:
    """Slot 0 is the oldest of the 20 transitions (0.8), slot 19 the newest (1.2)."""
    return 0.8 + 0.4 * slot / (HISTORY - 2)


_FULL_WEIGHT = sum(_weight(slot) for slot in range(HISTORY - 1))


def change_percent(results: tuple[bool, ...]) -> float:
    """Weighted share (0-100) of consecutive results that differ."""
    transitions = len(results) - 1
    if transitions < 1:
        return 0.0
    total = 0.0
    first = HISTORY - 1 - transitions  # a short history fills the newest (heaviest) slots
    for i in range(transitions):
        if results[i] != results[i + 1]:
            total += _weight(first + i)
    # Divide by the full window's weights so a short history cannot look like flapping.
    return 100.0 * total / _FULL_WEIGHT


def record(state: FlapState, ok: bool, high_pct: float = 30.0, low_pct: float = 25.0) -> FlapState:
    """Add one result and update the flapping flag with hysteresis."""
    if (not state.flapping and state.percent == 0.0 and len(state.results) == HISTORY
            and state.results[-1] == ok):
        return state  # a full window of the same result, and one more: nothing changes
    results = (*state.results, ok)[-HISTORY:]
    percent = change_percent(results)
    flapping = percent >= low_pct if state.flapping else percent > high_pct
    return FlapState(results, flapping, percent)
