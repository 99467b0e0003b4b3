"""SLA clocks on business hours: elapsed time, due times, pauses, and warnings due once.

Business hours are Mon-Fri 08:00-18:00 Helsinki. 2 Mar 2026 is a Monday, 28 Feb a Saturday.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bridge.core.calendar import Coverage, parse_spans
from bridge.core.lifecycle import IncidentStatus
from bridge.core.sla import (
    Clock,
    SlaKind,
    SlaMark,
    SlaTargets,
    due_at,
    elapsed_s,
    reaction_clock,
    resolution_clock,
    sla_marks_due,
)
from bridge.core.ticket_clocks import TicketFacts, next_due_at, time_left_s

HEL = ZoneInfo("Europe/Helsinki")
NYC = ZoneInfo("America/New_York")
OFFICE = Coverage(HEL, parse_spans("mon-fri 08:00-18:00"))
NYC_OFFICE = Coverage(NYC, parse_spans("mon-fri 09:00-17:00"))
ALWAYS = Coverage.always()
# reaction 15 min, resolution 4 h, warnings at 75 % and 90 %
P1 = SlaTargets(reaction_s=15 * 60, resolution_s=4 * 3600, warn_at_pct=(75, 90),
                eta_default_s=2 * 3600)
REACTION, RESOLUTION = SlaKind.REACTION, SlaKind.RESOLUTION


def mon(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=HEL)


def tue(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 3, hour, minute, second, tzinfo=HEL)


SAT_10 = datetime(2026, 2, 28, 10, tzinfo=HEL)
FRI_17_50 = datetime(2026, 2, 27, 17, 50, tzinfo=HEL)


@pytest.mark.parametrize(
    ("clock", "now", "minutes"),
    [
        (Clock(mon(9)), mon(9, 30), 30),
        (Clock(SAT_10), mon(8, 10), 10),  # opened on a Saturday: counts from Monday 08:00
        (Clock(mon(17)), tue(9), 120),  # the night does not count
        (Clock(mon(9), stopped_at=mon(10)), mon(12), 60),
        (Clock(mon(9)), mon(8), 0),  # asked before it started
        (Clock(mon(9), pauses=((mon(9, 30), mon(10, 30)),)), mon(11), 60),
        (Clock(mon(9), pauses=((mon(9, 30), None),)), mon(12), 30),  # still waiting
        (Clock(mon(9), pauses=((mon(17), tue(9)),)), tue(10), 9 * 60),  # wait over the night
        # two waits, overlapping as recorded: the time is paused once
        (Clock(mon(9), pauses=((mon(10), mon(11)), (mon(10, 30), mon(11, 30)))), mon(12), 90),
        (Clock(mon(9), pauses=((mon(8), mon(9, 30)),)), mon(10), 30),  # waiting from the start
    ],
)
def test_elapsed_counts_covered_unpaused_time(clock: Clock, now: datetime,
                                               minutes: float) -> None:
    assert elapsed_s(OFFICE, clock, now) == minutes * 60


def test_reaction_does_not_pause_while_resolution_does() -> None:
    waits = ((mon(9, 5), mon(9, 35)),)
    assert resolution_clock(mon(9), None, waits).pauses == waits
    assert elapsed_s(OFFICE, resolution_clock(mon(9), None, waits), mon(10)) == 30 * 60
    assert elapsed_s(OFFICE, reaction_clock(mon(9), None), mon(10)) == 60 * 60
    # the reaction clock stops at assignment
    assert elapsed_s(OFFICE, reaction_clock(mon(9), mon(9, 12)), mon(10)) == 12 * 60


@pytest.mark.parametrize(
    ("coverage", "clock", "target_min", "due"),
    [
        (OFFICE, Clock(mon(9)), 15, mon(9, 15)),
        (OFFICE, Clock(FRI_17_50), 15, mon(8, 5)),  # 10 min on Friday, 5 on Monday
        (OFFICE, Clock(SAT_10), 15, mon(8, 15)),  # opened outside coverage
        (OFFICE, Clock(mon(16)), 240, tue(10)),
        # paused 17:00 -> Tue 09:00: 1 h before, 3 h after
        (OFFICE, Clock(mon(16), pauses=((mon(17), tue(9)),)), 240, tue(12)),
        (OFFICE, Clock(mon(16), pauses=((mon(17), None),)), 240, None),  # waiting: not known
        # the wait began after the target was reached: it changes nothing
        (OFFICE, Clock(mon(9), pauses=((mon(10), None),)), 15, mon(9, 15)),
        (OFFICE, Clock(mon(9), stopped_at=mon(9, 10)), 15, None),  # met
        (OFFICE, Clock(mon(9), stopped_at=mon(9, 15)), 15, None),  # met at the last second
        (OFFICE, Clock(mon(9), stopped_at=mon(9, 20)), 15, mon(9, 15)),  # missed
        # across spring-forward: Fri 27 Mar 17:00 EET + 2 h is Mon 30 Mar 09:00 EEST
        (OFFICE, Clock(datetime(2026, 3, 27, 17, tzinfo=HEL)), 120,
         datetime(2026, 3, 30, 6, tzinfo=UTC)),
        (NYC_OFFICE, Clock(datetime(2026, 10, 30, 16, tzinfo=NYC)), 120,
         datetime(2026, 11, 2, 15, tzinfo=UTC)),  # Mon 2 Nov 10:00 EST
        # 24x7 across fall-back: 4 h after 01:00 EEST the wall clock reads 04:00 EET
        (ALWAYS, Clock(datetime(2026, 10, 25, 1, tzinfo=HEL)), 240,
         datetime(2026, 10, 25, 4, tzinfo=HEL)),
    ],
)
def test_due_at(coverage: Coverage, clock: Clock, target_min: float,
                due: datetime | None) -> None:
    assert due_at(coverage, clock, target_min * 60) == due


# Resolution of P1 opened Monday 08:00: 75 % at 11:00, 90 % at 11:36, breach at 12:00.
OPENED = resolution_clock(mon(8), None)


@pytest.mark.parametrize(
    ("clock", "recorded", "now", "due"),
    [
        (OPENED, set(), mon(10, 59), []),
        (OPENED, set(), mon(11), []),  # exactly 75 % counted: not past it yet
        (OPENED, set(), mon(11, 0, 1), [(75, mon(11))]),
        (OPENED, {75}, mon(11, 40), [(90, mon(11, 36))]),
        # the daemon was down: every mark reached is due, each once, in order
        (OPENED, set(), mon(12, 0, 1), [(75, mon(11)), (90, mon(11, 36)), (100, mon(12))]),
        (OPENED, {75, 90}, mon(12), []),  # the whole target counted, no more: still met
        (OPENED, {75, 90}, mon(12, 0, 1), [(100, mon(12))]),
        (OPENED, {75, 90, 100}, tue(17), []),
        # resolved at 11:30: the 90 % warning and the breach never come
        (resolution_clock(mon(8), mon(11, 30)), {75}, tue(17), []),
        # waiting on the customer since 11:20: nothing more while the wait lasts
        (resolution_clock(mon(8), None, [(mon(11, 20), None)]), {75}, tue(17), []),
        # the wait ended Tuesday 08:40 with 40 min to go: 90 % at 08:56, breach at 09:20
        (resolution_clock(mon(8), None, [(mon(11, 20), tue(8, 40))]), {75}, tue(9, 21),
         [(90, tue(8, 56)), (100, tue(9, 20))]),
    ],
)
def test_resolution_marks_are_due_once(clock: Clock, recorded: set[int], now: datetime,
                                       due: list[tuple[int, datetime]]) -> None:
    marks = sla_marks_due(OFFICE, clock, RESOLUTION, P1, recorded, now)
    assert marks == [SlaMark(RESOLUTION, pct, at) for pct, at in due]


@pytest.mark.parametrize(
    ("assigned_at", "now", "due"),
    [
        (mon(9, 10), tue(17), []),  # assigned within 15 min: no warning, no breach
        (mon(9, 12), tue(17), [(75, mon(9, 11, 15))]),
        (mon(9, 20), tue(17), [(75, mon(9, 11, 15)), (90, mon(9, 13, 30)), (100, mon(9, 15))]),
        (None, mon(9, 14), [(75, mon(9, 11, 15)), (90, mon(9, 13, 30))]),
    ],
)
def test_reaction_marks_stop_at_assignment(assigned_at: datetime | None, now: datetime,
                                           due: list[tuple[int, datetime]]) -> None:
    marks = sla_marks_due(OFFICE, reaction_clock(mon(9), assigned_at), REACTION, P1, set(), now)
    assert marks == [SlaMark(REACTION, pct, at) for pct, at in due]


def test_a_clock_knows_when_it_is_paused() -> None:
    assert resolution_clock(mon(8), None, [(mon(9), None)]).paused
    assert not resolution_clock(mon(8), None, [(mon(9), mon(10))]).paused
    assert not resolution_clock(mon(8), mon(11), [(mon(9), None)]).paused
    assert P1.marks_pct() == (75, 90, 100)
    assert (P1.target_s(REACTION), P1.target_s(RESOLUTION)) == (900, 14400)


# A 30-minute target (warnings at 75 % and 90 %) on a ticket opened Monday 17:30: the
# target is used up exactly as coverage closes at 18:00, and no time counts until Tuesday
# 08:00. 75 % is reached at 17:52:30, 90 % at 17:57.
THIRTY = SlaTargets(reaction_s=30 * 60, resolution_s=8 * 3600, warn_at_pct=(75, 90),
                    eta_default_s=8 * 3600)
WARNINGS_BEFORE_CLOSE = [(75, mon(17, 52, 30)), (90, mon(17, 57))]


@pytest.mark.parametrize(
    ("opened", "assigned_at", "now", "due"),
    [
        # assigned a second after the close: 30.0 of 30 minutes counted, met
        (mon(17, 30), mon(18, 0, 1), tue(17), WARNINGS_BEFORE_CLOSE),
        # assigned at the next opening: still exactly 30 minutes counted, met
        (mon(17, 30), tue(8), tue(17), WARNINGS_BEFORE_CLOSE),
        # not assigned: nothing more until coverage resumes
        (mon(17, 30), None, tue(8), WARNINGS_BEFORE_CLOSE),
        # the first covered moment past the target is the breach, dated at the opening
        (mon(17, 30), None, tue(8, 0, 1), [*WARNINGS_BEFORE_CLOSE, (100, tue(8))]),
        (mon(17, 30), tue(8, 0, 1), tue(17), [*WARNINGS_BEFORE_CLOSE, (100, tue(8))]),
        # opened 17:33: 90 % is reached exactly at the close; no warning at night, and none
        # at all when the ticket is assigned at the opening with exactly 90 % counted
        (mon(17, 33), None, tue(7, 59), [(75, mon(17, 55, 30))]),
        (mon(17, 33), tue(8), tue(17), [(75, mon(17, 55, 30))]),
        (mon(17, 33), None, tue(8, 0, 1), [(75, mon(17, 55, 30)), (90, tue(8))]),
    ],
)
def test_a_target_used_up_at_the_close_is_breached_only_past_it(
        opened: datetime, assigned_at: datetime | None, now: datetime,
        due: list[tuple[int, datetime]]) -> None:
    clock = reaction_clock(opened, assigned_at)
    marks = sla_marks_due(OFFICE, clock, REACTION, THIRTY, set(), now)
    assert marks == [SlaMark(REACTION, pct, at) for pct, at in due]


@pytest.mark.parametrize(
    ("clock", "target_min", "due"),
    [
        (Clock(mon(17, 30)), 30, tue(8)),  # used up at the close: breached at the opening
        (Clock(FRI_17_50), 10, mon(8)),  # ... after the weekend
        (Clock(mon(17, 30), stopped_at=mon(18, 0, 1)), 30, None),
        (Clock(mon(17, 30), stopped_at=tue(8)), 30, None),
        (Clock(mon(17, 30), stopped_at=tue(8, 0, 1)), 30, tue(8)),
        # a wait that starts exactly as the target is used up holds the breach off ...
        (Clock(mon(9), pauses=((mon(9, 15), None),)), 15, None),
        # ... until the clock runs again
        (Clock(mon(9), pauses=((mon(9, 15), mon(10)),)), 15, mon(10)),
        (Clock(mon(9), pauses=((mon(9, 15), mon(18)),)), 15, tue(8)),
    ],
)
def test_the_breach_is_the_first_covered_moment_past_the_target(
        clock: Clock, target_min: float, due: datetime | None) -> None:
    assert due_at(OFFICE, clock, target_min * 60) == due


def test_a_target_met_at_the_close_counts_the_whole_target_and_no_more() -> None:
    clock = reaction_clock(mon(17, 30), mon(18, 0, 1))
    assert elapsed_s(OFFICE, clock, tue(9)) == 30 * 60
    assert elapsed_s(OFFICE, reaction_clock(mon(17, 30), tue(8)), tue(9)) == 30 * 60


# Reopening: resolved after 120 covered minutes, reopened 2 h later, resolved 60 minutes
# after that. The clocks stand still while the ticket sits resolved.
SAT_8 = datetime(2026, 2, 28, 8, tzinfo=HEL)


def at_min(minutes: float) -> datetime:
    return SAT_8 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("facts", "now", "reaction_min", "resolution_min"),
    [
        # resolved again: 120 + 60 minutes, not 300
        (TicketFacts(IncidentStatus.RESOLVED, at_min(0), at_min(5), at_min(5), at_min(300),
                     resolved_spans=((at_min(120), at_min(240)),)), at_min(400), 5, 180),
        # reopened and still open: the clock resumed at the reopening
        (TicketFacts(IncidentStatus.OPEN, at_min(0), at_min(5), at_min(5), None,
                     resolved_spans=((at_min(120), at_min(240)),)), at_min(250), 5, 130),
        # waits and a resolved stretch both hold the resolution clock
        (TicketFacts(IncidentStatus.OPEN, at_min(0), at_min(5), at_min(5), None,
                     pauses=((at_min(30), at_min(60)),),
                     resolved_spans=((at_min(120), at_min(240)),)), at_min(250), 5, 100),
        # resolved unassigned after 5 minutes, reopened 2 h later: the reaction clock
        # resumes with 5 minutes counted instead of a breach dated while it sat resolved
        (TicketFacts(IncidentStatus.OPEN, at_min(0), None, None, None,
                     resolved_spans=((at_min(5), at_min(125)),)), at_min(130), 10, 10),
    ],
)
def test_the_clocks_stand_still_while_a_ticket_sits_resolved(
        facts: TicketFacts, now: datetime, reaction_min: float, resolution_min: float) -> None:
    assert elapsed_s(ALWAYS, facts.reaction(), now) == reaction_min * 60
    assert elapsed_s(ALWAYS, facts.resolution(), now) == resolution_min * 60


def test_a_reopened_ticket_is_due_as_if_the_resolved_time_never_passed() -> None:
    facts = TicketFacts(IncidentStatus.OPEN, at_min(0), None, None, None,
                        resolved_spans=((at_min(5), at_min(125)),))
    assert due_at(ALWAYS, facts.reaction(), P1.reaction_s) == at_min(135)
    assert due_at(ALWAYS, facts.resolution(), P1.resolution_s) == at_min(360)


_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
_REACT, _RESOLVE = _NOON + timedelta(minutes=10), _NOON + timedelta(hours=4)


@pytest.mark.parametrize(("assigned_at", "reaction", "resolution", "left_s"), [
    (None, _REACT, _RESOLVE, 600.0),  # unassigned: the reaction clock
    (_NOON, _REACT, _RESOLVE, 4 * 3600.0),  # assigned: the resolution clock
    (None, _NOON - timedelta(minutes=3), _RESOLVE, -180.0),  # over by 3 min
    (_NOON, _REACT, None, None),  # no resolution target in the contract
    (None, None, _RESOLVE, None),  # no reaction target
])
def test_the_queue_counts_down_reaction_until_assigned_then_resolution(
        assigned_at: datetime | None, reaction: datetime | None,
        resolution: datetime | None, left_s: float | None) -> None:
    assert time_left_s(next_due_at(assigned_at, reaction, resolution), _NOON) == left_s
