"""SLA clocks: coverage time elapsed on a ticket, when a target falls due, which marks are due.

A clock runs from `started_at` (the monitoring event's time for tickets opened
automatically) and counts only covered time. The reaction clock stops when the ticket is
assigned; the resolution clock stops at resolution and pauses while the desk waits on the
customer or a supplier. Both stand still while the ticket sits resolved: a reopened ticket
resumes where it stopped. A ticket opened outside coverage starts counting at the next
covered moment.

A target is met while the clock has counted no more than it, so meeting it at its last
covered second is meeting it; it is breached at the first covered moment past it.
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


def reaction_clock(opened_at: datetime, assigned_at: datetime | None,
                   resolved_spans: Sequence[Pause] = ()) -> Clock:
    """The reaction clock: from opening to assignment, paused only while it sat resolved."""
    return Clock(opened_at, assigned_at, tuple(resolved_spans))


def resolution_clock(opened_at: datetime, resolved_at: datetime | None,
                     pauses: Sequence[Pause] = ()) -> Clock:
    """The resolution clock: from opening to resolution, paused while waiting (and while
    it sat resolved before a reopening)."""
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


def reached_at(coverage: Coverage, clock: Clock, counted_s: float) -> datetime | None:
    """When the clock has counted `counted_s`, assuming no pauses beyond those it has: the
    moment of a time-based escalation step ("after 0 min" is the opening itself).

    None while it is paused short of it, or if it stopped before it.
    """
    return _counted(coverage, clock, counted_s, past=False)


def due_at(coverage: Coverage, clock: Clock, target_s: float) -> datetime | None:
    """When the clock first counts more than `target_s`: a target's breach, a warning's
    moment. Assumes no pauses beyond those it has.

    It is a covered moment: a target used up exactly as coverage closes (17:00) is
    breached at the next opening (08:00), not at the close. None if the clock stopped at
    or before that moment (it counted no more than the target: met), or while it is paused
    with no more than the target counted.
    """
    return _counted(coverage, clock, target_s, past=True)


def _counted(coverage: Coverage, clock: Clock, seconds: float, *,
             past: bool) -> datetime | None:
    """When the clock has counted `seconds` (past: the first covered moment beyond them)."""
    resume_at, remaining_s = clock.started_at, seconds
    for pause_start, pause_end in _pauses(clock):
        run_s = coverage.covered_seconds(resume_at, pause_start)
        if run_s > remaining_s or (run_s == remaining_s and not past):
            break
        remaining_s -= run_s
        if pause_end is None:
            return None
        resume_at = pause_end
    at = coverage.add(resume_at, remaining_s)
    if past:  # the counted time only grows again once coverage resumes
        at = coverage.next_covered(at)
    if clock.stopped_at is not None and at >= clock.stopped_at:
        return None  # stopped in time: meeting the target at the last second is meeting it
    return at


def sla_marks_due(coverage: Coverage, clock: Clock, kind: SlaKind, targets: SlaTargets,
                  recorded: set[int], now: datetime) -> list[SlaMark]:
    """The marks of one clock passed by `now` and not recorded yet, in order.

    A mark is passed once the clock has counted more than its share of the target: at the
    mark's own moment it has counted exactly that share, which still meets it. Each mark
    is due once: the caller records the pct of every mark it acts on.
    """
    marks = []
    for pct in targets.marks_pct():
        if pct in recorded:
            continue
        at = due_at(coverage, clock, targets.target_s(kind) * pct / 100)
        if at is not None and at < now:
            marks.append(SlaMark(kind, pct, at))
    return marks
