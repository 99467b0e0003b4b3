"""Escalation steps: when each is due on business hours, and which a ticket's progress skips.

The chain is the example in docs/configuration.md; the ticket is a P2 (reaction 1 h,
resolution 8 h) opened Monday 2 Mar 2026 09:00 Helsinki, under Mon-Fri 08:00-18:00.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bridge.core.calendar import Coverage, parse_spans
from bridge.core.escalation import Step, Unless, skip_reason, step_applies, step_due_at
from bridge.core.sla import Clock, SlaKind, SlaTargets, reaction_clock, resolution_clock

HEL = ZoneInfo("Europe/Helsinki")
OFFICE = Coverage(HEL, parse_spans("mon-fri 08:00-18:00"))
P2 = SlaTargets(reaction_s=3600, resolution_s=8 * 3600, warn_at_pct=(75, 90),
                eta_default_s=4 * 3600)
REACTION, RESOLUTION = SlaKind.REACTION, SlaKind.RESOLUTION
ASSIGNED, RESOLVED, ACKNOWLEDGED = Unless.ASSIGNED, Unless.RESOLVED, Unless.ACKNOWLEDGED

STEPS = (
    Step(0, tier=1, after_s=0),  # at opening: tier 1 told
    Step(1, tier=2, after_s=30 * 60, unless=ASSIGNED),
    Step(2, tier=2, sla=REACTION, at_pct=75),
    Step(3, tier=3, after_s=240 * 60, unless=RESOLVED),
    Step(4, tier=3, sla=RESOLUTION, at_pct=90),
    Step(5, tier=4, after_s=480 * 60, unless=RESOLVED),
)


def mon(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=HEL)


def tue(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 3, hour, minute, tzinfo=HEL)


SAT_10 = datetime(2026, 2, 28, 10, tzinfo=HEL)
OPEN = (reaction_clock(mon(9), None), resolution_clock(mon(9), None))


@pytest.mark.parametrize(
    ("clocks", "due"),
    [
        # untouched: time-based steps in coverage time, SLA steps at a share of the target
        (OPEN, [mon(9), mon(9, 30), mon(9, 45), mon(13), mon(16, 12), mon(17)]),
        # waiting on the customer 10:00-11:00 holds the resolution-side steps an hour
        ((OPEN[0], resolution_clock(mon(9), None, [(mon(10), mon(11))])),
         [mon(9), mon(9, 30), mon(9, 45), mon(14), mon(17, 12), mon(18)]),
        # still waiting: the resolution-side steps have no due time until it ends
        ((OPEN[0], resolution_clock(mon(9), None, [(mon(10), None)])),
         [mon(9), mon(9, 30), mon(9, 45), None, None, None]),
        # assigned at 09:20: the reaction risk never comes; "unless assigned" is skipped
        # by step_applies, so its time stays as it was
        ((reaction_clock(mon(9), mon(9, 20)), OPEN[1]),
         [mon(9), mon(9, 30), None, mon(13), mon(16, 12), mon(17)]),
        # opened on a Saturday: tier 1 is told at once, the rest count from Monday 08:00
        ((reaction_clock(SAT_10, None), resolution_clock(SAT_10, None)),
         [SAT_10, mon(8, 30), mon(8, 45), mon(12), mon(15, 12), mon(16)]),
        # opened Monday 16:00: the night does not count
        ((reaction_clock(mon(16), None), resolution_clock(mon(16), None)),
         [mon(16), mon(16, 30), mon(16, 45), tue(10), tue(13, 12), tue(14)]),
    ],
)
def test_step_due_times(clocks: tuple[Clock, Clock], due: list[datetime | None]) -> None:
    reaction, resolution = clocks
    assert [step_due_at(step, OFFICE, reaction, resolution, P2) for step in STEPS] == due


@pytest.mark.parametrize(
    ("step", "progress", "reason"),
    [
        (STEPS[1], {}, None),
        (STEPS[1], {"acknowledged": True}, None),
        (STEPS[1], {"assigned": True}, "assigned"),
        (STEPS[2], {"assigned": True}, "assigned"),  # the reaction clock has stopped
        (STEPS[3], {"assigned": True}, None),
        (STEPS[4], {"assigned": True}, None),
        (STEPS[0], {"resolved": True}, "resolved"),  # a resolved ticket escalates no more
        (STEPS[5], {"resolved": True}, "resolved"),
        (Step(6, tier=2, after_s=600, unless=ACKNOWLEDGED), {"acknowledged": True},
         "acknowledged"),
        (Step(6, tier=2, after_s=600, unless=ACKNOWLEDGED), {"assigned": True}, "assigned"),
        (Step(6, tier=2, after_s=600, unless=ACKNOWLEDGED), {}, None),
    ],
)
def test_progress_skips_steps(step: Step, progress: dict[str, bool], reason: str | None) -> None:
    state = {"acknowledged": False, "assigned": False, "resolved": False, **progress}
    assert skip_reason(step, **state) == reason
    assert step_applies(step, **state) is (reason is None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tier": 5, "after_s": 0}, "tier must be one of"),
        ({"tier": 1}, "after_s, or sla with at_pct"),
        ({"tier": 1, "after_s": 0, "sla": REACTION, "at_pct": 75}, "after_s, or sla with at_pct"),
        ({"tier": 1, "sla": REACTION}, "after_s, or sla with at_pct"),
        ({"tier": 1, "after_s": 60, "at_pct": 75}, "after_s, or sla with at_pct"),
        ({"tier": 1, "sla": REACTION, "at_pct": 75, "unless": ASSIGNED}, "takes no unless"),
        ({"tier": 1, "sla": REACTION, "at_pct": 0}, "at_pct must be in 1..100"),
        ({"tier": 1, "after_s": -1}, "after_s must be >= 0"),
    ],
)
def test_malformed_steps_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Step(0, **fields)  # type: ignore[arg-type]


def test_steps_describe_themselves() -> None:
    assert [step.describe() for step in STEPS[1:3]] == [
        "tier 2 after 30 min unless assigned", "tier 2 at 75 % of the reaction target"]
