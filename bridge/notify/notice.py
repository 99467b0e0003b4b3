"""What happened to a ticket (a notice), the outbox draft it becomes for one receiver, and
the message a sender sends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.config.channels import Channel, receiver_of
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.notify.kinds import DIGEST_KIND as DIGEST_KIND
from bridge.notify.kinds import NoticeKind as NoticeKind


@dataclass(frozen=True)
class TicketNotice:
    """One thing that happened to one ticket, worth telling someone about.

    `discriminator` tells this notice apart from others of the same kind on the same
    ticket (the timeline event's id, "reaction-75" for an SLA mark, an escalation step's
    index): replaying the same notice yields the same idempotency keys, so the outbox
    never holds it twice.
    """

    kind: NoticeKind
    ref: str
    customer: str
    discriminator: str
    at: datetime
    summary: str = ""
    device: str | None = None
    priority: Priority | None = None
    status: IncidentStatus | None = None
    eta: datetime | None = None
    tier: int | None = None
    message: str = ""
    sla_kind: str | None = None  # reaction | resolution
    sla_pct: int | None = None  # 100 = breach
    incident_id: int | None = None
    visit_at: datetime | None = None  # an on-site technician's scheduled visit


@dataclass(frozen=True)
class OutboxDraft:
    """A rendered message for one receiver, ready to be written to the outbox."""

    channel: Channel
    recipient: str  # an email address, or a webhook's name
    customer: str
    kind: str
    subject: str
    body: str
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    incident_id: int | None = None

    @property
    def receiver(self) -> str:
        """`mailto:ADDR` or `webhook:NAME`."""
        return receiver_of(self.channel, self.recipient)


@dataclass(frozen=True)
class Message:
    """One message as a sender sends it: to whom, what, and the key receivers drop copies by."""

    channel: Channel
    recipient: str  # an email address, or a webhook's name
    subject: str
    body: str
    idempotency_key: str
    payload: dict[str, Any] = field(default_factory=dict)  # the facts (a webhook's JSON)

    @property
    def receiver(self) -> str:
        """`mailto:ADDR` or `webhook:NAME`."""
        return receiver_of(self.channel, self.recipient)
