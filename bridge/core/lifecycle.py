"""A ticket's life: its states and the legal moves between them, as a pure table.

open → acknowledged/assigned → (waiting on customer or supplier ↔ in progress) →
resolved (awaiting the customer's confirmation) → closed; reopen from resolved or
closed. A move that the table does not allow is refused with a reason the API turns
into a 409; nothing changes silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IncidentStatus(StrEnum):
    """Where a ticket is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_SUPPLIER = "waiting_supplier"
    RESOLVED = "resolved"  # fixed; awaiting the customer's confirmation or the silence period
    CLOSED = "closed"


class Action(StrEnum):
    """What someone can do to a ticket."""

    ACK = "ack"
    ASSIGN = "assign"
    COMMENT = "comment"
    ETA = "eta"
    WAIT = "wait"
    RESUME = "resume"
    ESCALATE = "escalate"
    SUPPLIER = "supplier"
    ONSITE = "onsite"
    LOANER = "loaner"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    CLOSE = "close"
    REOPEN = "reopen"


S = IncidentStatus
ACTIVE = frozenset({S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER,
                    S.WAITING_SUPPLIER})
WAITING = frozenset({S.WAITING_CUSTOMER, S.WAITING_SUPPLIER})
WORKING = frozenset({S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS})

# From which states each action is allowed. Actions that keep the state (comment, eta,
# escalate, records) are listed with the states they may be taken in.
ALLOWED_FROM: dict[Action, frozenset[IncidentStatus]] = {
    Action.ACK: frozenset({S.OPEN}),
    Action.ASSIGN: frozenset({S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS}),
    Action.COMMENT: frozenset(IncidentStatus),
    Action.ETA: ACTIVE,
    Action.WAIT: WORKING,
    Action.RESUME: WAITING,
    Action.ESCALATE: ACTIVE,
    Action.SUPPLIER: ACTIVE,
    Action.ONSITE: ACTIVE,
    Action.LOANER: frozenset(IncidentStatus) - {S.CLOSED},  # a loaner may be returned after the fix
    Action.RESOLVE: ACTIVE,
    Action.CONFIRM: frozenset({S.RESOLVED}),
    Action.CLOSE: frozenset({S.RESOLVED}),
    Action.REOPEN: frozenset({S.RESOLVED, S.CLOSED}),
}

# Actions a customer's token may take on its own tickets; operators may take all.
CUSTOMER_ACTIONS = frozenset({Action.COMMENT, Action.CONFIRM, Action.REOPEN})


class WaitingOn(StrEnum):
    """Whom a paused ticket waits for."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"


@dataclass(frozen=True)
class Illegal:
    """A refused move, with the reason an operator reads."""

    reason: str


def target_status(
    status: IncidentStatus, action: Action, waiting_on: WaitingOn | None = None
) -> IncidentStatus | Illegal:
    """The status after `action`, or why it is not allowed from `status`."""
    allowed = ALLOWED_FROM[action]
    if status not in allowed:
        order = list(IncidentStatus)
        names = ", ".join(s.value for s in sorted(allowed, key=order.index))
        return Illegal(f"cannot {action.value} a ticket that is {status.value} "
                       f"({action.value} is allowed when: {names})")
    if action is Action.ACK:
        return S.ACKNOWLEDGED
    if action is Action.ASSIGN:
        return S.ASSIGNED if status is not S.IN_PROGRESS else S.IN_PROGRESS
    if action is Action.WAIT:
        return S.WAITING_SUPPLIER if waiting_on is WaitingOn.SUPPLIER else S.WAITING_CUSTOMER
    if action is Action.RESUME:
        return S.IN_PROGRESS
    if action is Action.RESOLVE:
        return S.RESOLVED
    if action in (Action.CONFIRM, Action.CLOSE):
        return S.CLOSED
    if action is Action.REOPEN:
        return S.OPEN
    return status


def may_close(silence_elapsed: bool) -> Illegal | None:
    """Closing without the customer's confirmation needs the contract's silence period."""
    if silence_elapsed:
        return None
    return Illegal("cannot close before the customer confirms or the contract's silence period "
                   "after resolution has passed (the customer can confirm; or wait)")
