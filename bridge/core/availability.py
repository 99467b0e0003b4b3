"""Time-weighted availability from hard state changes over a window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bridge.core.state import Status

Change = tuple[datetime, Status]


def availability_ratio(
    changes: Sequence[Change], window_start: datetime, window_end: datetime
) -> float | None:
    """Share of the known time in [start, end) that the check was up.

    `changes` are hard status changes in time order; the status before the first one
    is unknown. Unknown time counts neither way. None when no time in the window is known.
    """
    up_s = 0.0
    known_s = 0.0
    status = Status.UNKNOWN
    cursor = window_start
    for at, new_status in changes:
        if at > window_start:
            span_end = min(at, window_end)
            if status != Status.UNKNOWN and span_end > cursor:
                span = (span_end - cursor).total_seconds()
                known_s += span
                up_s += span if status == Status.UP else 0.0
            cursor = max(cursor, span_end)
        if at >= window_end:
            break
        status = new_status
    if status != Status.UNKNOWN and window_end > cursor:
        span = (window_end - cursor).total_seconds()
        known_s += span
        up_s += span if status == Status.UP else 0.0
    return up_s / known_s if known_s > 0 else None


def combine_changes(histories: Sequence[Sequence[Change]]) -> list[Change]:
    """Merge several checks' histories: down while any is down, up when all known are up."""
    if len(histories) == 1:
        return list(histories[0])
    events = sorted(
        (at, index, status) for index, history in enumerate(histories) for at, status in history
    )
    current = [Status.UNKNOWN] * len(histories)
    merged: list[Change] = []
    for at, index, status in events:
        current[index] = status
        known = [s for s in current if s != Status.UNKNOWN]
        if not known:
            combined = Status.UNKNOWN
        elif Status.DOWN in known:
            combined = Status.DOWN
        else:
            combined = Status.UP
        if not merged or merged[-1][1] != combined:
            merged.append((at, combined))
    return merged
