"""The outbox queue: drafts written with the ticket change, claimed by delivery workers.

A claim takes due rows and pushes their next attempt a lease into the future in one
short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the writer's BEGIN
IMMEDIATE serialises claims), so several workers never deliver a row at the same
time, and a worker that dies mid-delivery leaves its rows to the others after the lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, or_, update
from sqlmodel import Session, col, select

from bridge.config.channels import Channel, receiver_of
from bridge.notify.compose import Digest
from bridge.notify.notice import DIGEST_KIND, Message, OutboxDraft
from bridge.notify.storm import HOUR, Recent
from bridge.store.models import OutboxMessage, OutboxStatus
from bridge.store.refs import insert_for

_CHUNK = 500  # rows per INSERT: well under SQLite's bound-variable limit


@dataclass(frozen=True)
class OutboxItem:
    """A claimed message, detached from the session."""

    id: int
    channel: Channel
    recipient: str
    customer: str
    kind: str
    subject: str
    body: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    created_at: datetime
    deadline_at: datetime | None
    incident_id: int | None

    @property
    def receiver(self) -> str:
        """`mailto:ADDR` or `webhook:NAME`."""
        return receiver_of(self.channel, self.recipient)

    @property
    def message(self) -> Message:
        """What its channel's sender sends."""
        return Message(self.channel, self.recipient, self.subject, self.body,
                       self.idempotency_key, self.payload)


def _item(row: OutboxMessage) -> OutboxItem:
    assert row.id is not None
    return OutboxItem(row.id, Channel(row.channel), row.recipient, row.customer, row.kind,
                      row.subject, row.body, dict(row.payload), row.idempotency_key,
                      row.attempts, row.created_at, row.deadline_at, row.incident_id)


def add_drafts(session: Session, drafts: Sequence[OutboxDraft], now: datetime,
               deadline_s: float) -> int:
    """Write drafts in the caller's transaction; a key already in the outbox is skipped.

    Returns how many rows were new.
    """
    return len(add_drafts_keyed(session, drafts, now, deadline_s))


def add_drafts_keyed(session: Session, drafts: Sequence[OutboxDraft], now: datetime,
                     deadline_s: float) -> set[str]:
    """add_drafts, saying which drafts were new: their idempotency keys."""
    rows = [{
        "incident_id": d.incident_id, "channel": d.channel.value, "recipient": d.recipient,
        "customer": d.customer, "kind": d.kind, "idempotency_key": d.idempotency_key,
        "subject": d.subject[:500], "body": d.body, "payload": d.payload,
        "deadline_at": now + timedelta(seconds=deadline_s), "status": OutboxStatus.PENDING,
        "attempts": 0, "created_at": now, "next_attempt_at": now, "last_error": "",
    } for d in drafts]
    insert = insert_for(session.get_bind().dialect.name)
    added: set[str] = set()
    for start in range(0, len(rows), _CHUNK):
        stmt = insert(OutboxMessage).values(rows[start:start + _CHUNK])
        stmt = stmt.on_conflict_do_nothing(index_elements=["idempotency_key"])
        added.update(session.execute(
            stmt.returning(col(OutboxMessage.idempotency_key))).scalars())
    return added


_OTHERS_AHEAD = timedelta(minutes=5)  # another instance's delivery, or its clock's skew


def _recent(session: Session, items: Sequence[OutboxItem], now: datetime,
            window_s: float) -> dict[str, Recent]:
    """Per receiver of `items`: its last delivery per customer within the grouping window,
    and its deliveries within the last hour (a digest's members not counted again)."""
    recipients = sorted({item.recipient for item in items})
    receivers = {item.receiver for item in items}
    # a delivery dated well after now was dated by a wall clock that went back since: it
    # holds nothing back (it would hold every new message for as long as the clock was
    # ahead); one a little ahead is another instance's, recorded since `now` was read
    sent = (col(OutboxMessage.status) == OutboxStatus.SENT,
            col(OutboxMessage.recipient).in_(recipients),
            col(OutboxMessage.sent_at) <= now + _OTHERS_AHEAD)
    last: dict[str, dict[str, datetime]] = {}
    since = now - timedelta(seconds=window_s)
    for channel, recipient, customer, at in session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.customer,
                   func.max(OutboxMessage.sent_at))
            .where(*sent, col(OutboxMessage.sent_at) >= since)
            .group_by(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.customer)):
        last.setdefault(receiver_of(channel, recipient), {})[customer] = at
    hour: dict[str, list[datetime]] = {}
    for channel, recipient, at in session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.sent_at)
            .where(*sent, col(OutboxMessage.digest_id).is_(None),
                   col(OutboxMessage.sent_at) > now - HOUR)
            .order_by(col(OutboxMessage.sent_at))):
        hour.setdefault(receiver_of(channel, recipient), []).append(at)
    return {r: Recent(last.get(r, {}), tuple(hour.get(r, ()))) for r in receivers}


def claim_due(engine: Engine, now: datetime, limit: int, lease_s: float,
              window_s: float, horizon_s: float | None = None
              ) -> tuple[list[OutboxItem], dict[str, Recent]]:
    """Take up to `limit` due messages for `lease_s`, with their receivers' recent history.

    With `horizon_s` (the longest wait bridge ever sets), a message due later than that
    from now is due now too: it was set under a wall clock that has since gone back (a
    clock corrected by hours, a VM snapshot restored), and would wait that long again."""
    due = col(OutboxMessage.next_attempt_at) <= now
    if horizon_s is not None:
        due = or_(due, col(OutboxMessage.next_attempt_at) > now + timedelta(seconds=horizon_s))
    with Session(engine) as session, session.begin():
        rows = session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING,
                   col(OutboxMessage.digest_id).is_(None), due)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit).with_for_update(skip_locked=True)).all()
        items = [_item(row) for row in rows]
        if not items:
            return [], {}
        session.execute(update(OutboxMessage)
                        .where(col(OutboxMessage.id).in_([i.id for i in items]))
                        .values(next_attempt_at=now + timedelta(seconds=lease_s)))
        return items, _recent(session, items, now, window_s)


def hold(engine: Engine, holds: Sequence[tuple[Sequence[int], datetime]]) -> None:
    """Give claimed messages back, each group due again at its time (no attempt used)."""
    with Session(engine) as session, session.begin():
        for ids, until in holds:
            session.execute(update(OutboxMessage).where(col(OutboxMessage.id).in_(ids))
                            .values(next_attempt_at=until))


def add_digest(engine: Engine, digest: Digest, members: Sequence[OutboxItem], now: datetime,
               lease_s: float) -> OutboxItem:
    """Store a digest (claimed by the caller) and make it the carrier of its members."""
    first = members[0]
    deadlines = [m.deadline_at for m in members if m.deadline_at is not None]
    row = OutboxMessage(
        channel=first.channel.value, recipient=first.recipient, customer=first.customer,
        kind=DIGEST_KIND, idempotency_key=digest.idempotency_key, subject=digest.subject[:500],
        body=digest.body, payload=digest.payload, status=OutboxStatus.PENDING,
        deadline_at=min(deadlines) if deadlines else None, created_at=now,
        next_attempt_at=now + timedelta(seconds=lease_s))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.add(row)
        session.flush()
        session.execute(update(OutboxMessage)
                        .where(col(OutboxMessage.id).in_([m.id for m in members]))
                        .values(digest_id=row.id))
    return _item(row)


@dataclass(frozen=True)
class OutboxCounts:
    """The outbox at a glance, for metrics and the worker's sleep."""

    pending: dict[str, int]  # by channel; messages, not the digests carrying them
    oldest_pending_at: datetime | None
    next_due_at: datetime | None


def outbox_counts(engine: Engine) -> OutboxCounts:
    """Pending messages by channel, the oldest one's age, and when the next one is due."""
    pending = col(OutboxMessage.status) == OutboxStatus.PENDING
    with Session(engine) as session:
        by_channel = {channel: int(n) for channel, n in session.execute(
            select(OutboxMessage.channel, func.count())
            .where(pending, col(OutboxMessage.kind) != DIGEST_KIND)
            .group_by(OutboxMessage.channel))}
        oldest = session.execute(select(func.min(OutboxMessage.created_at))
                                 .where(pending)).scalar_one()
        due = session.execute(select(func.min(OutboxMessage.next_attempt_at))
                              .where(pending, col(OutboxMessage.digest_id).is_(None))
                              ).scalar_one()
    return OutboxCounts(by_channel, oldest, due)


def purge_sent(engine: Engine, before: datetime) -> int:
    """Forget messages delivered before `before` (their keys no longer deduplicate)."""
    with Session(engine) as session, session.begin():
        result = session.execute(delete(OutboxMessage).where(
            col(OutboxMessage.status) == OutboxStatus.SENT,
            col(OutboxMessage.sent_at) < before))
        return int(getattr(result, "rowcount", 0) or 0)
