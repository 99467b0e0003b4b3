"""Desk time follows the system clock, but not its steps: injected wall and elapsed clocks."""

from __future__ import annotations

import logging

import pytest

from bridge.daemon.clock import DeskTime

DAY_S = 86400.0


class Clocks:
    """A wall clock and a clock of real elapsed time that the test moves by hand."""

    def __init__(self) -> None:
        self.wall_s = 1_800_000_000.0
        self.elapsed_s = 500.0

    def wall(self) -> float:
        return self.wall_s

    def elapsed(self) -> float:
        return self.elapsed_s

    def elapse(self, seconds: float) -> None:
        """Real time passes (the host may be suspended meanwhile): both clocks advance."""
        self.wall_s += seconds
        self.elapsed_s += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def test_in_step_desk_time_is_the_system_time(clocks: Clocks) -> None:
    desk = DeskTime(clocks.wall, clocks.elapsed)
    for _ in range(100):
        clocks.elapse(1.5)
        assert desk.now_s() == clocks.wall_s
    clocks.wall_s += 4.0  # an NTP step within the tolerance is followed at once
    assert desk.now_s() == clocks.wall_s
    assert desk.jumps_total == 0
    assert desk.skew_s == 0.0


def test_a_step_forward_is_counted_once_and_caught_up_slowly(
        clocks: Clocks, caplog: pytest.LogCaptureFixture) -> None:
    desk = DeskTime(clocks.wall, clocks.elapsed)
    before = desk.now_s()
    clocks.wall_s += 3 * DAY_S
    with caplog.at_level(logging.WARNING):
        assert desk.now_s() == before  # no real time passed
        clocks.elapse(60)
        assert desk.now_s() == before + 60 * 1.05  # 5 % faster than real time
    assert desk.jumps_total == 1
    assert desk.skew_s == pytest.approx(3 * DAY_S - 3)
    assert [r.getMessage() for r in caplog.records] == [
        "the system clock stepped by +259200 s; desk time (SLA clocks, escalation, notices, "
        "timestamps) keeps counting real elapsed time and closes the +259200 s gap at 5 % of "
        "elapsed time (a restart adopts the system clock at once)"]


def test_back_to_the_real_time_after_a_forward_step(clocks: Clocks) -> None:
    desk = DeskTime(clocks.wall, clocks.elapsed)
    clocks.wall_s += 3 * DAY_S
    desk.now_s()
    clocks.elapse(20)  # desk time gains 1 s on real time meanwhile
    desk.now_s()
    clocks.wall_s -= 3 * DAY_S
    desk.now_s()  # a step is taken when a second reading shows it too
    stepped_back = desk.now_s()
    assert desk.jumps_total == 2
    assert stepped_back == clocks.wall_s + 1  # never backwards: it waits for the wall clock
    clocks.elapse(2)
    assert desk.now_s() == clocks.wall_s


def test_a_step_back_slows_desk_time_and_never_stops_it(clocks: Clocks) -> None:
    desk = DeskTime(clocks.wall, clocks.elapsed)
    start = desk.now_s()
    clocks.wall_s -= 2 * 3600
    assert desk.now_s() == start  # seen once: not yet a step, and desk time holds
    readings = []
    for _ in range(10):
        clocks.elapse(10)
        readings.append(desk.now_s())
    assert desk.jumps_total == 1
    assert readings == sorted(readings)
    assert readings[-1] == pytest.approx(start + 100 * 0.95)  # 5 % slower than real time
    assert desk.skew_s == pytest.approx(-2 * 3600 + 5)


def test_the_gap_closes_and_desk_time_follows_the_system_again(clocks: Clocks) -> None:
    desk = DeskTime(clocks.wall, clocks.elapsed)
    clocks.wall_s -= 60
    desk.now_s()
    for _ in range(130):  # 60 s closed at 5 % of elapsed: 1,200 s, less the 5 s tolerance
        clocks.elapse(10)
        desk.now_s()
    assert desk.now_s() == clocks.wall_s
    assert desk.jumps_total == 1


def test_one_odd_reading_is_neither_a_step_nor_a_step_back(clocks: Clocks) -> None:
    """A single reading off by hours (a thread that read the clock mid-step) changes nothing:
    a step is taken when two readings in a row show it."""
    desk = DeskTime(clocks.wall, clocks.elapsed)
    clocks.elapse(1)
    clocks.wall_s += 2 * 3600
    assert desk.now_s() == clocks.wall_s - 2 * 3600
    clocks.wall_s -= 2 * 3600
    clocks.elapse(1)
    assert desk.now_s() == clocks.wall_s
    assert (desk.jumps_total, desk.skew_s) == (0, 0.0)
