"""A ticket's life: its states and the pure facts of a move between them.

open → acknowledged/assigned → (waiting on customer or supplier ↔ in progress) →
resolved (awaiting the customer's confirmation) → closed; reopen from resolved or
closed. A move from a state it is not allowed in is refused with a reason the API turns
into a 409; nothing changes silently. The moves themselves are declared once, in the
desk's action table (bridge/desk/actions.py).
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


S = IncidentStatus
ACTIVE = frozenset({S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS, S.WAITING_CUSTOMER,
                    S.WAITING_SUPPLIER})
WAITING = frozenset({S.WAITING_CUSTOMER, S.WAITING_SUPPLIER})
WORKING = frozenset({S.ACKNOWLEDGED, S.ASSIGNED, S.IN_PROGRESS})


class WaitingOn(StrEnum):
    """Whom a paused ticket waits for."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"


@dataclass(frozen=True)
class Illegal:
    """A refused move, with the reason an operator reads."""

    reason: str


class Effect(StrEnum):
    """What a move does to a ticket besides its timeline entry; the store carries out each.

    Several actions may share an effect; an action with a new kind of change needs a new
    effect here and its implementation in the store."""

    NONE = "none"  # the timeline entry is the change (a comment)
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"  # the reaction clock stops the first time
    SET_ETA = "set_eta"  # must lie in the future
    WAIT = "wait"  # pauses the resolution clock
    RESUME = "resume"
    ESCALATE = "escalate"  # upwards only
    SUPPLIER_RECORD = "supplier_record"  # add or update a record of that kind
    ONSITE_RECORD = "onsite_record"
    LOANER_RECORD = "loaner_record"
    RESOLVE = "resolve"
    CONFIRM = "confirm"
    CLOSE = "close"  # needs the contract's silence period after resolution
    REOPEN = "reopen"


RECORD_EFFECTS = frozenset({Effect.SUPPLIER_RECORD, Effect.ONSITE_RECORD, Effect.LOANER_RECORD})

# Where each effect takes the ticket; effects not listed keep its status.
_TARGETS: dict[Effect, IncidentStatus] = {
    Effect.ACKNOWLEDGE: S.ACKNOWLEDGED, Effect.RESUME: S.IN_PROGRESS, Effect.RESOLVE: S.RESOLVED,
    Effect.CONFIRM: S.CLOSED, Effect.CLOSE: S.CLOSED, Effect.REOPEN: S.OPEN,
}


@dataclass(frozen=True)
class Move:
    """The pure facts of one ticket action that the store needs to carry it out. The
    desk's action table declares each action (and so its move) once."""

    name: str  # the action's name: its API path segment and CLI verb
    allowed_from: frozenset[IncidentStatus]
    effect: Effect
    timeline_kind: str  # a record action writes <kind>_added and <kind>_updated

    @property
    def is_record(self) -> bool:
        """Whether it adds or updates a record (supplier, on-site visit, loaner)."""
        return self.effect in RECORD_EFFECTS

    def timeline_kinds(self) -> tuple[str, ...]:
        """Every timeline kind this move writes (besides an internal note)."""
        if self.is_record:
            return (f"{self.timeline_kind}_added", f"{self.timeline_kind}_updated")
        return (self.timeline_kind,)


def target_status(
    status: IncidentStatus, move: Move, waiting_on: WaitingOn | None = None
) -> IncidentStatus | Illegal:
    """The status after `move`, or why it is not allowed from `status`."""
    allowed = move.allowed_from
    if status not in allowed:
        order = list(IncidentStatus)
        names = ", ".join(s.value for s in sorted(allowed, key=order.index))
        return Illegal(f"cannot {move.name} a ticket that is {status.value} "
                       f"({move.name} is allowed when: {names})")
    if move.effect is Effect.ASSIGN:
        return S.ASSIGNED if status is not S.IN_PROGRESS else S.IN_PROGRESS
    if move.effect is Effect.WAIT:
        return S.WAITING_SUPPLIER if waiting_on is WaitingOn.SUPPLIER else S.WAITING_CUSTOMER
    return _TARGETS.get(move.effect, status)


def may_close(silence_elapsed: bool) -> Illegal | None:
    """Closing without the customer's confirmation needs the contract's silence period."""
    if silence_elapsed:
        return None
    return Illegal("cannot close before the customer confirms or the contract's silence period "
                   "after resolution has passed (the customer can confirm; or wait)")
