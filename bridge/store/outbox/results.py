"""Record what became of delivered messages; a dead letter opens an operator ticket.

One transaction per batch of results: the rows' new status, their digests' members, and
for each receiver that gets a dead letter one operator ticket (problem key
`outbox:dead:<receiver>`, so repeats add to it instead of opening more) with a message
to the operators' other receivers. A receiver whose messages die is never sent the news
of its own dead letters, so dead letters cannot feed each other forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bridge.core.decisions import OPERATOR_CUSTOMER, OpenIncident
from bridge.core.priority import Priority
from bridge.notify.compose import compose
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.retry import DeadLetter, Next, RetryAt, Sent
from bridge.notify.templates import TemplateSet
from bridge.store.incidents import Outcome, open_incident
from bridge.store.models import Incident, OutboxMessage, OutboxStatus
from bridge.store.outbox.queue import OutboxItem, add_drafts
from bridge.store.tickets import QuietDesk


@dataclass(frozen=True)
class DeadLetterDesk:
    """Who hears about dead letters, and how."""

    id_prefix: str
    operators: tuple[str, ...]
    language: str
    templates: TemplateSet
    deadline_s: float


def dead_letter_problem(receiver: str) -> str:
    """The problem key of a receiver's dead-letter ticket: one open ticket per receiver."""
    return f"outbox:dead:{receiver}"


def _update(session: Session, item: OutboxItem, **values: Any) -> None:
    """Update a message and, if it is a digest, the messages it carries."""
    session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == item.id)
                    .values(attempts=item.attempts + 1, **values))
    session.execute(update(OutboxMessage).where(col(OutboxMessage.digest_id) == item.id)
                    .values(**values))


def _dead_letter(session: Session, item: OutboxItem, reason: str, desk: DeadLetterDesk,
                 now: datetime) -> Outcome:
    summary = f"notifications to {item.receiver} cannot be delivered: {reason}"[:500]
    outcome = open_incident(session, session.get_bind().dialect.name, OpenIncident(
        problem_key=dead_letter_problem(item.receiver), key=None, customer=OPERATOR_CUSTOMER,
        priority=Priority.P2, rule="outbox", started_at=now, summary=summary,
    ), desk.id_prefix, now, QuietDesk())  # we tell the operators ourselves, below
    if outcome.action != "opened":
        return outcome
    incident_id = session.exec(select(Incident.id).where(Incident.ref == outcome.ref)).one()
    notice = TicketNotice(
        kind=NoticeKind.DEAD_LETTER, ref=outcome.ref, customer=OPERATOR_CUSTOMER,
        discriminator=str(item.id), at=now, summary=f"{item.receiver} unreachable",
        priority=Priority.P2,
        message=f"{item.receiver}: {reason}\n{item.kind} for {item.customer}: {item.subject}",
        incident_id=incident_id)
    receivers = [r for r in desk.operators if r != item.receiver]
    add_drafts(session, compose(notice, receivers, desk.language, desk.templates, staff=True), now,
               desk.deadline_s)
    return outcome


def record_results(engine: Engine, results: Sequence[tuple[OutboxItem, Next]],
                   desk: DeadLetterDesk, now: datetime) -> list[Outcome]:
    """Mark messages sent, due again, or dead; returns the dead-letter tickets touched."""
    outcomes = []
    with Session(engine) as session, session.begin():
        for item, step in results:
            if isinstance(step, Sent):
                _update(session, item, status=OutboxStatus.SENT, sent_at=now, last_error="")
            elif isinstance(step, RetryAt):
                _update(session, item, next_attempt_at=step.at, last_error=step.reason[:1000])
            elif isinstance(step, DeadLetter):
                _update(session, item, status=OutboxStatus.DEAD, last_error=step.reason[:1000])
                outcomes.append(_dead_letter(session, item, step.reason, desk, now))
    return outcomes
