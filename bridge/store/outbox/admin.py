"""The outbox as operators see it: what waits, what died, and retrying one dead letter."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bridge.store.models import Incident, OutboxMessage, OutboxStatus


def _as_dict(row: OutboxMessage, ticket: str | None) -> dict[str, Any]:
    def iso(at: datetime | None) -> str | None:
        return at.isoformat() if at else None

    return {"id": row.id, "status": row.status.value, "ticket": ticket, "channel": row.channel,
            "recipient": row.recipient, "customer": row.customer, "kind": row.kind,
            "subject": row.subject, "attempts": row.attempts,
            "created_at": iso(row.created_at), "next_attempt_at": iso(row.next_attempt_at),
            "deadline_at": iso(row.deadline_at), "last_error": row.last_error}


def list_outbox(engine: Engine, status: OutboxStatus, limit: int) -> list[dict[str, Any]]:
    """Messages in one state, oldest first, with their ticket's ID; those a digest carries
    are left out (the digest stands for them)."""
    query = (select(OutboxMessage, Incident.ref)
             .join(Incident, col(Incident.id) == col(OutboxMessage.incident_id), isouter=True)
             .where(col(OutboxMessage.status) == status, col(OutboxMessage.digest_id).is_(None))
             .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id)).limit(limit))
    with Session(engine) as session:
        return [_as_dict(row, ref) for row, ref in session.exec(query).all()]


def retry_dead(engine: Engine, message_id: int, now: datetime, deadline_s: float) -> bool:
    """Put a dead letter back in the queue, due now, with a fresh retry deadline and no
    attempts used. False if there is no dead message with that id."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id,
                   col(OutboxMessage.status) == OutboxStatus.DEAD)
            .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now,
                    deadline_at=now + timedelta(seconds=deadline_s)))
        return bool(getattr(result, "rowcount", 0))
