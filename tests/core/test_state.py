"""Soft/hard state: a table of result sequences and the states they must produce."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.results import ProbeResult
from bridge.core.state import CheckState, Reason, StateType, Status, apply_result, next_delay_s

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(pattern: str, max_attempts: int) -> list[tuple[Reason, CheckState]]:
    """Apply results given as a string of '+' (success) and '-' (failure), 10 s apart."""
    state = CheckState()
    out = []
    for i, ch in enumerate(pattern):
        result = ProbeResult(ch == "+", T0 + timedelta(seconds=10 * i), 0.0, ch)
        transition = apply_result(state, result, max_attempts)
        state = transition.new
        out.append((transition.reason, state))
    return out


@pytest.mark.parametrize(
    ("pattern", "max_attempts", "reasons"),
    [
        ("+", 3, ["first_up"]),
        ("++", 3, ["first_up", "still_up"]),
        ("+-", 3, ["first_up", "soft_failure"]),
        ("+--", 3, ["first_up", "soft_failure", "soft_failure"]),
        ("+---", 3, ["first_up", "soft_failure", "soft_failure", "hard_down"]),
        ("+----", 3, ["first_up", "soft_failure", "soft_failure", "hard_down", "still_down"]),
        ("+---+", 3, ["first_up", "soft_failure", "soft_failure", "hard_down", "recovered"]),
        ("+--+", 3, ["first_up", "soft_failure", "soft_failure", "soft_recovery"]),
        ("+-+-", 2, ["first_up", "soft_failure", "soft_recovery", "soft_failure"]),
        ("+-", 1, ["first_up", "hard_down"]),
        ("-", 1, ["hard_down"]),
        ("--", 2, ["soft_failure", "hard_down"]),
        ("-+", 2, ["soft_failure", "soft_recovery"]),
    ],
)
def test_reason_sequence(pattern: str, max_attempts: int, reasons: list[str]) -> None:
    assert [r for r, _ in run(pattern, max_attempts)] == reasons


def test_hard_down_is_dated_from_the_first_failed_check() -> None:
    steps = run("+---", 3)
    reason, state = steps[-1]
    assert reason == Reason.HARD_DOWN
    assert state.hard_status == Status.DOWN
    assert state.hard_since == T0 + timedelta(seconds=10)  # the first '-', not the third
    assert state.attempts == 3


def test_recovery_is_dated_from_the_first_success() -> None:
    _, state = run("+---+", 3)[-1]
    assert state.hard_status == Status.UP
    assert state.hard_since == T0 + timedelta(seconds=40)
    assert state.attempts == 0


def test_soft_failure_does_not_change_the_hard_status() -> None:
    _, state = run("+--", 3)[-1]
    assert state.status == Status.DOWN
    assert state.state_type == StateType.SOFT
    assert state.hard_status == Status.UP


def test_retry_interval_only_while_soft() -> None:
    soft = run("+-", 3)[-1][1]
    hard = run("+---", 3)[-1][1]
    up = run("+", 3)[-1][1]
    assert next_delay_s(soft, 30, 5) == 5
    assert next_delay_s(hard, 30, 5) == 30
    assert next_delay_s(up, 30, 5) == 30


def test_only_hard_changes_are_history() -> None:
    changed = _transitions("+--+---+", 3)
    # first_up (unknown->up), hard_down, recovered
    assert changed == [True, False, False, False, False, False, True, True]


def _transitions(pattern: str, max_attempts: int) -> list[bool]:
    state = CheckState()
    flags = []
    for i, ch in enumerate(pattern):
        t = apply_result(state, ProbeResult(ch == "+", T0 + timedelta(seconds=i), 0.0, ""),
                         max_attempts)
        flags.append(t.hard_changed)
        state = t.new
    return flags


def test_a_timed_result_keeps_every_field_but_its_duration() -> None:
    """The probe wrapper stamps each result with its duration: nothing else may change."""
    result = ProbeResult(False, T0, 0.0, "2/3 replies",
                         {"rtt_avg_s": 1e-3, "rtt_min_s": 5e-4, "rtt_max_s": 2e-3,
                          "loss_ratio": 1 / 3, "jitter_s": 1e-4},
                         local=True, events=("rebooted",), values=(("sysName", "sw-1"),))
    timed = result.timed(0.25)
    assert timed == replace(result, duration_s=0.25)
    assert (timed.duration_s, result.duration_s) == (0.25, 0.0)
    assert hash(timed) == hash(replace(result, duration_s=0.25))


def test_a_measured_result_is_the_result_the_constructor_builds() -> None:
    """The ICMP check's shortcut past the frozen __init__ must leave no field unset or
    different: the store, the API and the metrics read every one of them."""
    measurements = {"rtt_avg_s": 1e-3, "rtt_min_s": 5e-4, "rtt_max_s": 2e-3,
                    "jitter_s": 1e-4, "loss_ratio": 1 / 3}
    measured = ProbeResult.measured(False, T0, "PING WARNING - …", measurements, warning=True)
    built = ProbeResult(False, T0, 0.0, "PING WARNING - …", dict(measurements), warning=True)
    assert measured == built
    assert repr(measured) == repr(built)
    assert hash(measured) == hash(built)
    assert (measured.local, measured.events, measured.values) == (False, (), ())
    assert measured.timed(0.25) == replace(built, duration_s=0.25)


def test_one_more_success_keeps_every_other_field_of_the_state() -> None:
    up = CheckState(Status.UP, StateType.HARD, 0, T0, Status.UP, T0 + timedelta(seconds=1),
                    ProbeResult(True, T0, 0.0, "first"), 3, T0 + timedelta(seconds=2))
    result = ProbeResult(True, T0 + timedelta(seconds=10), 0.0, "again")
    transition = apply_result(up, result, 3)
    assert transition.reason is Reason.STILL_UP
    assert transition.new == replace(up, last=result)
