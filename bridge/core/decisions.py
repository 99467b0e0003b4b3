"""What the core decides and the store carries out: history rows and ticket actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.flap import FlapState
from bridge.core.priority import Priority
from bridge.core.state import CheckKey, CheckState, Reason, Status


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
    """The latest state of a check and its flap history, so a restart (or the next owner
    of its shard) resumes where it stopped."""

    key: CheckKey
    state: CheckState
    flap: FlapState = field(default_factory=FlapState)


@dataclass(frozen=True)
class OpenIncident:
    """Open a ticket for a problem, unless one is already open for it."""

    problem_key: str
    key: CheckKey | None  # None for the operator's own tickets (a monitoring gap)
    customer: str
    priority: Priority
    rule: str
    started_at: datetime
    summary: str
    flapping: bool = False
    reopen: bool = False  # the problem recurred soon after its ticket was resolved


@dataclass(frozen=True)
class ResolveIncident:
    """Mark the open ticket for a problem resolved (recovered), if there is one."""

    problem_key: str
    at: datetime
    summary: str


@dataclass(frozen=True)
class AttachToIncident:
    """A check behind a failed parent is unreachable: attach it to the parent's ticket."""

    problem_key: str  # the parent's (root) problem
    key: CheckKey
    at: datetime
    summary: str


@dataclass(frozen=True)
class DetachFromIncident:
    """An attached check recovered, or its parent did: it leaves the parent's ticket."""

    problem_key: str
    key: CheckKey
    at: datetime
    summary: str


@dataclass(frozen=True)
class SetFlapping:
    """A ticket's problem started or stopped flapping."""

    problem_key: str
    flapping: bool
    at: datetime
    summary: str


@dataclass(frozen=True)
class Suppressed:
    """A hard failure that opens no ticket, and why (maintenance, parent, gap, no rule)."""

    key: CheckKey
    reason: str
    at: datetime


@dataclass(frozen=True)
class RecordGap:
    """The bridge went blind (end None) or can see again: excluded from availability."""

    started_at: datetime
    ended_at: datetime | None
    reason: str


@dataclass(frozen=True)
class SuspectGap:
    """A monitoring gap is suspected since `since` (None: no longer), kept across restarts
    so that a crash-looping bridge does not hold new tickets afresh at every start; `note`
    says what became of the tickets held meanwhile."""

    since: datetime | None
    at: datetime
    note: str = ""


Decision = (RecordGap | RecordChange | SaveState | OpenIncident | ResolveIncident | AttachToIncident
            | DetachFromIncident | SetFlapping | Suppressed | SuspectGap)


GAP_PROBLEM = "gap:monitoring"
CHECK_PROBLEM = "check:"  # the prefix of a check's problem key
OPERATOR_CUSTOMER = "bridge"  # the customer of the operator's own tickets


def problem_key(key: CheckKey) -> str:
    """The identity of a check's problem: one open ticket per problem, ever."""
    return f"{CHECK_PROBLEM}{key}"
