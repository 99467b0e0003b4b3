"""Whether a ticket met its targets and by how much, in coverage time (issue 12.17: `incidents
show` said "-"), and how the CLI words it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bridge.cli.format import sla_verdict
from bridge.core.calendar import Coverage, parse_spans
from bridge.core.lifecycle import IncidentStatus
from bridge.core.sla import SlaTargets
from bridge.core.sla_outcome import outcomes
from bridge.core.ticket_clocks import TicketFacts

HEL = ZoneInfo("Europe/Helsinki")
OFFICE = Coverage(HEL, parse_spans("mon-fri 08:00-16:00"), frozenset())
TARGETS = SlaTargets(reaction_s=30 * 60, resolution_s=240 * 60, warn_at_pct=(),
                     eta_default_s=240 * 60)
OPENED = datetime(2026, 12, 4, 15, 50, tzinfo=HEL)  # Friday, 10 covered minutes left


def monday(hh_mm: str) -> datetime:
    hours, minutes = (int(part) for part in hh_mm.split(":"))
    return datetime(2026, 12, 7, hours, minutes, tzinfo=HEL)


@pytest.mark.parametrize(("assigned", "resolved", "now", "reaction", "resolution"), [
    # assigned Monday 08:15: 10 + 15 = 25 of 30 covered minutes
    ("08:15", None, "09:00", "met, 5 min to spare (25 of 30 min)",
     "running, 170 min left (70 of 240 min)"),
    # at the target's last second: met
    ("08:20", "11:50", "12:00", "met, 0 min to spare (30 of 30 min)",
     "met, 0 min to spare (240 of 240 min)"),
    ("08:21", "12:00", "13:00", "breached, 1 min over (31 of 30 min)",
     "breached, 10 min over (250 of 240 min)"),
    (None, None, "08:05", "running, 15 min left (15 of 30 min)",
     "running, 225 min left (15 of 240 min)"),
    (None, None, "08:30", "breached, running, 10 min over (40 of 30 min)",
     "running, 200 min left (40 of 240 min)"),
])
def test_targets_met_or_breached_by_how_much(assigned: str | None, resolved: str | None,
                                            now: str, reaction: str, resolution: str) -> None:
    status = IncidentStatus.RESOLVED if resolved else IncidentStatus.OPEN
    facts = TicketFacts(status, OPENED, None, monday(assigned) if assigned else None,
                        monday(resolved) if resolved else None)
    found = outcomes(OFFICE, facts, TARGETS, monday(now))
    as_dicts = [{"met": o.met, "target_s": o.target_s, "elapsed_s": o.elapsed_s,
                 "margin_s": o.margin_s, "stopped": o.stopped} for o in found]
    assert [sla_verdict(d) for d in as_dicts] == [reaction, resolution]


def test_a_pause_is_not_counted_against_resolution() -> None:
    # 10 min on Friday, 08:00-12:40 on Monday less the hour waiting: 230 of 240 minutes
    facts = TicketFacts(IncidentStatus.RESOLVED, OPENED, None, monday("08:10"), monday("12:40"),
                        ((monday("09:00"), monday("10:00")),))
    _, resolution = outcomes(OFFICE, facts, TARGETS, monday("14:00"))
    assert (resolution.met, resolution.margin_s) == (True, 600)


def test_a_clock_paused_now_says_so() -> None:
    """Waiting on the customer since 09:00 (an open pause): the resolution clock is paused,
    its minutes left frozen at the pause; the reaction clock, stopped, is not."""
    facts = TicketFacts(IncidentStatus.OPEN, OPENED, None, monday("08:10"), None,
                        ((monday("09:00"), None),))
    reaction, resolution = outcomes(OFFICE, facts, TARGETS, monday("14:00"))
    assert (reaction.paused, resolution.paused) == (False, True)
    as_dict = {"met": resolution.met, "target_s": resolution.target_s,
               "elapsed_s": resolution.elapsed_s, "margin_s": resolution.margin_s,
               "stopped": resolution.stopped, "paused": resolution.paused}
    assert sla_verdict(as_dict) == "paused, 170 min left (70 of 240 min)"
