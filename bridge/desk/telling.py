"""Whom a ticket change concerns: which notice goes to whom, and what a customer sees.

Derived from the action table: a person's action tells what its entry says; monitoring's
resolutions and recurrences tell what the action of the same timeline kind tells; the
opening of a ticket (by monitoring, a customer or an operator) tells the customer.
"""

from __future__ import annotations

from bridge.core.audience import NOTE, PUBLIC_SYSTEM_KINDS, Audience
from bridge.desk.actions import Action, DeskAction, action_named, actions_by_timeline_kind
from bridge.notify.kinds import NoticeKind
from bridge.store.models import Actor
from bridge.store.tickets import TicketChange

OPENED = "opened"  # the timeline kind of a new ticket, whoever opened it
_OPENED_TOLD = (NoticeKind.OPENED, frozenset({Audience.CUSTOMER}))
_BY_KIND = actions_by_timeline_kind()
PUBLIC_KINDS = PUBLIC_SYSTEM_KINDS | frozenset(
    kind for a in Action if a.spec.public for kind in a.spec.move.timeline_kinds())

Told = tuple[NoticeKind, frozenset[Audience]]


def is_public(kind: str) -> bool:
    """Whether a customer sees timeline entries of this kind (a kind not listed is the
    desk's own, so a new kind is never shown by accident)."""
    return kind in PUBLIC_KINDS


def _told_by(spec: DeskAction, change: TicketChange) -> Told | None:
    if spec.notice is None or change.kind == NOTE or change.data.get("change") == "updated":
        return None  # an internal note, a record's update: news to nobody
    return spec.notice, spec.told(actor_is_customer=change.actor is Actor.CUSTOMER)


def notice_of(change: TicketChange, internal_customer: bool) -> Told | None:
    """The notice a change sends and to whom, or None. The desk's own tickets (a
    monitoring gap, a dead letter) tell its operators instead."""
    if change.move is not None:
        action = action_named(change.move.name)
        told = _told_by(action.spec, change) if action is not None else None
    elif change.kind == OPENED:
        told = _OPENED_TOLD
    else:
        action = _BY_KIND.get(change.kind)
        told = _told_by(action.spec, change) if action is not None else None
    if told is not None and internal_customer:
        return told[0], frozenset({Audience.OPERATORS})
    return told
