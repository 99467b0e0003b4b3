"""From state transitions to what must be stored: history rows and ticket actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.config.model import Config, Priority
from bridge.core.state import CheckKey, CheckState, Reason, Status, Transition


@dataclass(frozen=True)
class RecordChange:
    """A hard state change: the history availability is computed from."""

    key: CheckKey
    customer: str
    old: Status
    new: Status
    at: datetime
    reason: Reason
    output: str


@dataclass(frozen=True)
class SaveState:
    """The latest state of a check, so a restart resumes where it stopped."""

    key: CheckKey
    state: CheckState


@dataclass(frozen=True)
class OpenIncident:
    """Open a ticket for a problem, unless one is already open for it."""

    problem_key: str
    key: CheckKey
    customer: str
    priority: Priority
    rule: str
    started_at: datetime
    summary: str


@dataclass(frozen=True)
class ResolveIncident:
    """Mark the open ticket for a problem resolved (recovered), if there is one."""

    problem_key: str
    at: datetime
    summary: str


Decision = RecordChange | SaveState | OpenIncident | ResolveIncident


def problem_key(key: CheckKey) -> str:
    """The identity of a check's problem: one open ticket per problem, ever."""
    return f"check:{key}"


def decide(transition: Transition, key: CheckKey, config: Config) -> list[Decision]:
    """What to store for one transition. Pure: reads config, returns decisions."""
    new = transition.new
    decisions: list[Decision] = [SaveState(key, new)]
    if not transition.hard_changed:
        return decisions
    device = config.devices[key.device]
    output = new.last.output if new.last else ""
    at = new.hard_since
    assert at is not None
    decisions.append(RecordChange(key, device.customer, transition.old.hard_status,
                                  new.hard_status, at, transition.reason, output))
    if transition.reason == Reason.HARD_DOWN:
        match = config.match_rule(key.device, key.probe)
        if match is not None and match[1].open_ticket:
            name, rule = match
            summary = f"{key.device} ({device.address}) is down: {key.probe} failed: {output}"
            decisions.append(OpenIncident(problem_key(key), key, device.customer, rule.priority,
                                          name, at, summary))
    elif transition.reason == Reason.RECOVERED:
        summary = f"{key.device} recovered: {key.probe} succeeded: {output}"
        decisions.append(ResolveIncident(problem_key(key), at, summary))
    return decisions
