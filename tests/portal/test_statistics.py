"""A month in figures: the tickets, their reaction and resolution times (median, 90th
percentile, share within target), availability against its target."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bridge.portal.statistics import ClockFigures, clock_figures, nearest_rank
from tests.portal.site import Person, StoreService
from tests.portal.test_pages import _desk_act, _open


@pytest.mark.parametrize(("values", "pct", "expected"), [
    ([5.0], 90, 5.0),
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 90, 9.0),
    ([10.0, 1.0, 2.0], 90, 10.0),
    ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
])
def test_the_nearest_rank_percentile(values: list[float], pct: float, expected: float) -> None:
    assert nearest_rank(values, pct) == expected


def test_a_clocks_figures_count_only_the_tickets_it_stopped_for() -> None:
    tickets = [{"reaction_s": 60, "reaction_target_s": 600},
               {"reaction_s": 900, "reaction_target_s": 600},
               {"reaction_s": 600, "reaction_target_s": 600},  # met at its last second
               {"reaction_s": None, "reaction_target_s": 600}]  # not assigned yet
    assert clock_figures(tickets, "reaction") == ClockFigures(3, 600.0, 900.0, 2 / 3)
    assert clock_figures([], "resolution") == ClockFigures(0, None, None, None)


async def test_a_customer_reads_its_months_figures(people: Callable[[], Person],
                                                   service: StoreService) -> None:
    ann, olga, omid = people(), people(), people()
    for person, name in ((ann, "ann"), (olga, "olga"), (omid, "omid")):
        await person.sign_in(name)
    first, second = await _open(ann, "one"), await _open(ann, "two")
    for ref in (first, second):
        await _desk_act(olga, ref, "assign", {"assignee": "Olga"})
    await _desk_act(olga, first, "resolve", {})
    service.clock += timedelta(seconds=1)  # the month so far: up to now, not including it
    status, text = await ann.page("/portal/statistics")
    assert status == 200
    assert '<strong class="ticket-count">2</strong>' in text
    assert "<th scope=\"row\">Reaction</th><td>2</td>" in text
    assert "<th scope=\"row\">Resolution</th><td>1</td>" in text
    assert "100.000 %" in text  # both assigned at once: within target
    _, theirs = await omid.page("/portal/statistics?customer=acme")
    assert '<strong class="ticket-count">0</strong>' in theirs  # its own month, not acme's
    assert (await ann.page("/portal/statistics?month=2026-13"))[0] == 400
