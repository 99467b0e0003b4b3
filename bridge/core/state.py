"""Soft/hard check state: the Nagios/Icinga model, as a pure function of results."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bridge.core.flap import FlapState
from bridge.core.results import ProbeResult


class Status(StrEnum):
    """What the last checks say about a device."""

    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class StateType(StrEnum):
    """SOFT while a failure is still being retried; HARD once it is believed."""

    SOFT = "soft"
    HARD = "hard"


class Reason(StrEnum):
    """Why a result did or did not change the state."""

    FIRST_UP = "first_up"
    STILL_UP = "still_up"
    SOFT_FAILURE = "soft_failure"
    HARD_DOWN = "hard_down"
    STILL_DOWN = "still_down"
    SOFT_RECOVERY = "soft_recovery"
    RECOVERING = "recovering"
    RECOVERED = "recovered"


@dataclass(frozen=True, slots=True)
class CheckKey:
    """One probe run against one device."""

    device: str
    probe: str

    def __str__(self) -> str:
        return f"{self.device}/{self.probe}"


@dataclass(frozen=True, slots=True)
class CheckState:
    """The current state of one check.

    `hard_status`/`hard_since` are what availability and tickets follow; `status`,
    `state_type` and `attempts` also track a failure that is still being retried.
    `since` is when the current run of failures (or successes) began: a failure that
    turns hard is dated from its first failed check, not from the last retry.
    """

    status: Status = Status.UNKNOWN
    state_type: StateType = StateType.HARD
    attempts: int = 0
    since: datetime | None = None
    hard_status: Status = Status.UNKNOWN
    hard_since: datetime | None = None
    last: ProbeResult | None = None
    ok_streak: int = 0  # consecutive successes while hard down (recovery hysteresis)
    ok_since: datetime | None = None


@dataclass(frozen=True)
class Transition:
    """The outcome of applying one result."""

    old: CheckState
    new: CheckState
    reason: Reason

    @property
    def hard_changed(self) -> bool:
        """True when the believed (hard) status changed: a row for the history."""
        return self.old.hard_status != self.new.hard_status


def _with_last(state: CheckState, result: ProbeResult) -> CheckState:
    """`replace(state, last=result)` for the most common result of all, one more success:
    the fields passed by position, without `replace`'s field walk and keywords."""
    return CheckState(state.status, state.state_type, state.attempts, state.since,
                      state.hard_status, state.hard_since, result, state.ok_streak,
                      state.ok_since)


def apply_result(
    state: CheckState, result: ProbeResult, max_attempts: int, recover_after: int = 1
) -> Transition:
    """Advance a check's state by one result.

    A hard failure recovers after `recover_after` consecutive successes, dated from the
    first of them (the outage ended when the device first answered again).
    """
    at = result.at
    if result.ok:
        if state.hard_status == Status.DOWN:
            streak = state.ok_streak + 1
            ok_since = state.ok_since or at
            if streak < recover_after:
                new = replace(state, ok_streak=streak, ok_since=ok_since, last=result)
                return Transition(state, new, Reason.RECOVERING)
            new = CheckState(Status.UP, StateType.HARD, 0, ok_since, Status.UP, ok_since, result)
            return Transition(state, new, Reason.RECOVERED)
        if state.status == Status.DOWN:
            new = replace(state, status=Status.UP, state_type=StateType.HARD, attempts=0,
                          since=at, last=result)
            return Transition(state, new, Reason.SOFT_RECOVERY)
        if state.hard_status == Status.UNKNOWN:
            new = CheckState(Status.UP, StateType.HARD, 0, at, Status.UP, at, result)
            return Transition(state, new, Reason.FIRST_UP)
        return Transition(state, _with_last(state, result), Reason.STILL_UP)

    if state.hard_status == Status.DOWN:
        new = replace(state, attempts=state.attempts + 1, last=result, ok_streak=0,
                      ok_since=None)
        return Transition(state, new, Reason.STILL_DOWN)
    attempts = state.attempts + 1 if state.status == Status.DOWN else 1
    since = state.since if state.status == Status.DOWN and state.since else at
    if attempts >= max_attempts:
        new = CheckState(Status.DOWN, StateType.HARD, attempts, since, Status.DOWN, since, result)
        return Transition(state, new, Reason.HARD_DOWN)
    new = replace(state, status=Status.DOWN, state_type=StateType.SOFT, attempts=attempts,
                  since=since, last=result)
    return Transition(state, new, Reason.SOFT_FAILURE)


Judged = tuple[Status, StateType, int, datetime | None, Status, datetime | None, int,
               datetime | None]
"""A check's state but its last result: what only a judgement changes, not each check."""


def judged_part(state: CheckState) -> Judged:
    """`state` without its last result: (status, state_type, attempts, since, hard_status,
    hard_since, ok_streak, ok_since), in the order of the store's columns."""
    return (state.status, state.state_type, state.attempts, state.since, state.hard_status,
            state.hard_since, state.ok_streak, state.ok_since)


def between_attempts(state: CheckState) -> bool:
    """Whether a failure is still being retried (soft): its next check is a retry."""
    return state.status == Status.DOWN and state.state_type == StateType.SOFT


def next_delay_s(state: CheckState, interval_s: float, retry_interval_s: float) -> float:
    """How long until the next check: the retry interval while a failure is soft."""
    return retry_interval_s if between_attempts(state) else interval_s


@dataclass(frozen=True)
class Stored:
    """What the store keeps of checks' judgement: what a new owner of a shard takes up."""

    states: dict[CheckKey, CheckState]
    flaps: dict[CheckKey, FlapState]
    open_problems: dict[str, bool]  # problem -> flapping
    attached: dict[CheckKey, str]  # child -> root problem
    resolved: dict[str, datetime]  # problem -> resolved at, within the reopen window
