"""SLA clocks: coverage time elapsed on a ticket, when a target falls due, which marks are due.

A clock runs from `started_at` (the monitoring event's time for tickets opened
automatically) and counts only covered time. The reaction clock stops when the ticket is
assigned and never pauses; the resolution clock stops at resolution and pauses while the
desk waits on the customer or a supplier. A ticket opened outside coverage starts counting
at the next covered moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bridge.core.calendar import Coverage

BREACH_PCT = 100  # a mark at 100 % of the target is the breach

Pause = tuple[datetime, datetime | None]  # (start, end); end None while still paused


class SlaKind(StrEnum):
    """Which target a clock measures."""

    REACTION = "reaction"  # creation -> assigned to a resolver
    RESOLUTION = "resolution"  # creation -> resolved


@dataclass(frozen=True)
class SlaTargets:
    """One priority's targets under one contract, in seconds of coverage time."""

    reaction_s: float
    resolution_s: float
    warn_at_pct: tuple[int, ...]  # warnings before the breach, increasing, each < 100
    eta_default_s: float  # the ETA a ticket gets when nobody sets one

    def target_s(self, kind: SlaKind) -> float:
        """The target of one clock."""
        return self.reaction_s if kind is SlaKind.REACTION else self.resolution_s

    def marks_pct(self) -> tuple[int, ...]:
        """Every mark of a clock: the warnings, then the breach."""
        return (*self.warn_at_pct, BREACH_PCT)


@dataclass(frozen=True)
class Clock:
    """One SLA clock of one ticket."""

    started_at: datetime
    stopped_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()

    @property
    def paused(self) -> bool:
        """Whether the clock is paused now (an open pause on a running clock)."""
        return self.stopped_at is None and any(end is None for _, end in self.pauses)


def reaction_clock(opened_at: datetime, assigned_at: datetime | None) -> Clock:
    """The reaction clock: from opening to assignment, never paused."""
    return Clock(opened_at, assigned_at)


def resolution_clock(opened_at: datetime, resolved_at: datetime | None,
                     pauses: Sequence[Pause] = ()) -> Clock:
    """The resolution clock: from opening to resolution, paused while waiting."""
    return Clock(opened_at, resolved_at, tuple(pauses))


@dataclass(frozen=True)
class SlaMark:
    """A warning (pct < 100) or the breach (pct 100) of one clock, and when it was reached."""

    kind: SlaKind
    pct: int
    at: datetime


def _pauses(clock: Clock) -> list[Pause]:
    """The clock's pauses in order, overlaps merged, clipped to when the clock ran."""
    merged: list[Pause] = []
    for start, end in sorted(clock.pauses, key=lambda p: p[0]):
        start = max(start, clock.started_at)
        if clock.stopped_at is not None:
            if start >= clock.stopped_at:
                continue
            end = clock.stopped_at if end is None else min(end, clock.stopped_at)
        if end is not None and end <= start:
            continue
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # an open pause holds the clock from its start on
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def elapsed_s(coverage: Coverage, clock: Clock, now: datetime) -> float:
    """Coverage seconds the clock has counted by `now`."""
    end = now if clock.stopped_at is None else min(now, clock.stopped_at)
    total = coverage.covered_seconds(clock.started_at, end)
    for pause_start, pause_end in _pauses(clock):
        total -= coverage.covered_seconds(pause_start, end if pause_end is None
                                          else min(pause_end, end))
    return total


def due_at(coverage: Coverage, clock: Clock, target_s: float) -> datetime | None:
    """When the clock reaches `target_s`, assuming no pauses beyond those it has.

    None while it is paused short of the target, or if it stopped short of it.
    """
    resume_at, remaining_s = clock.started_at, target_s
    for pause_start, pause_end in _pauses(clock):
        run_s = coverage.covered_seconds(resume_at, pause_start)
        if run_s >= remaining_s:
            break
        remaining_s -= run_s
        if pause_end is None:
            return None
        resume_at = pause_end
    reached_at = coverage.add(resume_at, remaining_s)
    if clock.stopped_at is not None and reached_at >= clock.stopped_at:
        return None  # stopped in time: meeting the target at the last second is meeting it
    return reached_at


def sla_marks_due(coverage: Coverage, clock: Clock, kind: SlaKind, targets: SlaTargets,
                  recorded: set[int], now: datetime) -> list[SlaMark]:
    """The marks of one clock reached by `now` and not recorded yet, in order.

    Each mark is due once: the caller records the pct of every mark it acts on.
    """
    marks = []
    for pct in targets.marks_pct():
        if pct in recorded:
            continue
        at = due_at(coverage, clock, targets.target_s(kind) * pct / 100)
        if at is not None and at <= now:
            marks.append(SlaMark(kind, pct, at))
    return marks
