"""Customer mail the intake took: kept first (so nothing is lost once the sender heard 250),
then settled with what it became; a resend (the same digest: the intake's, of its
Message-ID, sender and body) finds its row and does nothing again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.store.mail_models import InboundMail, MailStatus
from bridge.store.models import Incident
from bridge.store.tickets import Desk, OpenedTicket, TicketChange


@dataclass(frozen=True)
class ReceivedMail:
    """A message as the receiver read it: who, about what, its text and attachments."""

    digest: str
    message_id: str
    sender: str
    recipient: str
    subject: str
    size_bytes: int
    body: str
    attachments: tuple[str, ...] = ()


def keep_mail(engine: Engine, mail: ReceivedMail, now: datetime) -> tuple[int, MailStatus]:
    """Store the message (pending) unless its digest is known; (its row, its status)."""
    row = InboundMail(
        digest=mail.digest, message_id=mail.message_id[:255], received_at=now,
        sender=mail.sender[:255], recipient=mail.recipient[:255], subject=mail.subject[:500],
        status=MailStatus.PENDING, size_bytes=mail.size_bytes, body=mail.body,
        attachments="\n".join(mail.attachments)[:2000])
    try:
        with Session(engine) as session, session.begin():
            earlier = _kept_before_the_upgrade(session, mail)
            if earlier is not None:
                return earlier
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id, MailStatus.PENDING
    except IntegrityError:  # a resend, or two deliveries at once: the stored one stands
        with Session(engine) as session:
            found = session.exec(select(InboundMail)
                                 .where(InboundMail.digest == mail.digest)).one()
            assert found.id is not None
            return found.id, found.status


def _kept_before_the_upgrade(session: Session, mail: ReceivedMail
                             ) -> tuple[int, MailStatus] | None:
    """The row of this message from its sender stored by a bridge that knew a message by its
    Message-ID alone (its digest was the Message-ID's SHA-256; today's digests hash more, so
    none of them is one): a resend across the upgrade is still the message it repeats."""
    if not mail.message_id:
        return None
    legacy = hashlib.sha256(mail.message_id.encode("utf-8", "replace")).hexdigest()
    found = session.exec(select(InboundMail).where(InboundMail.digest == legacy,
                                                   InboundMail.sender == mail.sender)).first()
    if found is None or found.id is None:
        return None
    return found.id, found.status


def settle_mail(engine: Engine, mail_id: int, status: MailStatus, *, reason: str = "",
                customer: str | None = None, ticket: str | None = None) -> None:
    """Record what the message became."""
    with Session(engine) as session, session.begin():
        row = session.get(InboundMail, mail_id)
        assert row is not None
        row.status, row.reason, row.customer, row.ticket = status, reason[:200], customer, ticket
        session.add(row)


class SettlingDesk:
    """The desk, settling the message in the very transaction of the ticket write it made:
    the comment (or new ticket) and "done" on the message's row commit together or not at
    all, so a crash in between cannot make the sender's retry comment twice."""

    def __init__(self, desk: Desk, mail_id: int, status: MailStatus, customer: str) -> None:
        self.desk, self.mail_id, self.status, self.customer = desk, mail_id, status, customer

    def silence_period_s(self, customer: str) -> float:
        """The desk's."""
        return self.desk.silence_period_s(customer)

    def timezone(self, customer: str) -> str:
        """The desk's."""
        return self.desk.timezone(customer)

    def changed(self, session: Session, incident: Incident, change: TicketChange) -> None:
        """The desk plans and notifies; the message's row says what it became."""
        self.desk.changed(session, incident, change)
        row = session.get(InboundMail, self.mail_id)
        assert row is not None
        row.status, row.customer, row.ticket = self.status, self.customer, incident.ref
        session.add(row)

    def opened(self, session: Session, tickets: Sequence[OpenedTicket]) -> None:
        """`changed` for each (a message opens one ticket at most)."""
        for ticket in tickets:
            self.changed(session, ticket.incident, ticket.change)


def list_mail(engine: Engine, status: MailStatus | None, limit: int) -> list[dict[str, Any]]:
    """The latest messages (of one status), newest first, as the API shows them."""
    query = select(InboundMail).order_by(col(InboundMail.id).desc()).limit(limit)
    if status is not None:
        query = query.where(InboundMail.status == status)
    with Session(engine) as session:
        return [{"id": m.id, "received_at": m.received_at.isoformat(), "status": m.status.value,
                 "reason": m.reason, "sender": m.sender, "recipient": m.recipient,
                 "subject": m.subject, "message_id": m.message_id, "customer": m.customer,
                 "ticket": m.ticket, "size_bytes": m.size_bytes, "body": m.body,
                 "attachments": [a for a in m.attachments.split("\n") if a]}
                for m in session.exec(query)]


def count_mail(engine: Engine, status: MailStatus) -> int:
    """How many messages have this status."""
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(InboundMail)
                            .where(InboundMail.status == status)).one()
