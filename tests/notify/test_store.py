"""The outbox on real SQLite and real PostgreSQL: drafts, claims, results, dead letters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bridge.config.channels import Channel
from bridge.core.decisions import OPERATOR_CUSTOMER
from bridge.core.priority import Priority
from bridge.notify.compose import compose
from bridge.notify.notice import NoticeKind, OutboxDraft, TicketNotice
from bridge.notify.retry import Backoff, DeadLetter, Retry, RetryAt, Sent, longest_wait_s, settle
from bridge.notify.templates import TemplateSet
from bridge.store import Database
from bridge.store.models import Incident, IncidentEvent, OutboxMessage, OutboxStatus
from bridge.store.outbox.queue import (
    OutboxItem,
    add_digest,
    add_drafts,
    claim_due,
    hold,
    outbox_counts,
    purge_sent,
)
from bridge.store.outbox.results import DeadLetterDesk, record_results

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
DAY_S = 24 * 3600.0
TEMPLATES = TemplateSet()
OPERATORS = ("mailto:noc@msp.example.com", "webhook:noc-portal")
DESK = DeadLetterDesk("INC", OPERATORS, "en", TEMPLATES, DAY_S)


def drafts(n: int, receiver: str = "mailto:it@demo.example.com", customer: str = "demo",
           first: int = 1) -> list[OutboxDraft]:
    out = []
    for i in range(first, first + n):
        notice = TicketNotice(NoticeKind.OPENED, f"INC-2026-{i:06d}", customer, "1", T0,
                              summary=f"dev-{i} is down", device=f"dev-{i}",
                              priority=Priority.P2)
        out.extend(compose(notice, [receiver], "en", TEMPLATES))
    return out


def write(db: Database, batch: list[OutboxDraft], now: datetime = T0) -> int:
    with Session(db.writer) as session, session.begin():
        return add_drafts(session, batch, now, DAY_S)


def rows(db: Database) -> list[OutboxMessage]:
    with Session(db.reader) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def claim(db: Database, now: datetime = T0, limit: int = 100) -> list[OutboxItem]:
    return claim_due(db.writer, now, limit, lease_s=60, window_s=30)[0]


def test_drafts_are_written_once_per_idempotency_key(db: Database) -> None:
    assert write(db, drafts(3)) == 3
    assert write(db, drafts(5)) == 2  # a replay of the first three adds nothing
    stored = rows(db)
    assert [r.subject for r in stored] == [
        f"[INC-2026-{i:06d}] New ticket: dev-{i} is down" for i in range(1, 6)]
    first = stored[0]
    assert (first.status, first.attempts, first.channel, first.recipient, first.kind) == (
        OutboxStatus.PENDING, 0, "email", "it@demo.example.com", "opened")
    assert first.deadline_at == T0 + timedelta(days=1)
    assert first.payload["ticket"] == "INC-2026-000001"


def test_drafts_share_the_fate_of_the_callers_transaction(db: Database) -> None:
    def ticket_change_that_fails() -> None:
        with Session(db.writer) as session, session.begin():
            add_drafts(session, drafts(2), T0, DAY_S)
            raise RuntimeError("the ticket change failed")

    with pytest.raises(RuntimeError, match="ticket change failed"):
        ticket_change_that_fails()
    assert rows(db) == []


def test_a_claim_takes_due_rows_for_a_lease(db: Database) -> None:
    write(db, drafts(3))
    write(db, drafts(1, first=9), now=T0 + timedelta(minutes=5))  # not due yet at T0
    items = claim(db)
    assert [i.subject[:17] for i in items] == ["[INC-2026-000001]", "[INC-2026-000002]",
                                               "[INC-2026-000003]"]
    assert claim(db, T0 + timedelta(seconds=59)) == []  # leased
    again = claim(db, T0 + timedelta(minutes=5))  # lease over, and the late one is due
    assert len(again) == 4


def test_two_workers_never_claim_the_same_row(store_url: str) -> None:
    setup = Database(store_url)
    setup.migrate()
    write(setup, drafts(300))
    setup.dispose()
    instances = [Database(store_url) for _ in range(4)]
    barrier = threading.Barrier(len(instances))
    claimed: list[list[int]] = [[] for _ in instances]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()  # the first claims race each other; each must get a batch of its own
            first = claim_due(instances[n].writer, T0, 7, 600, 30)[0]
            claimed[n].extend(item.id for item in first)
            barrier.wait()  # then all drain together (before: one could drain alone, under load)
            while batch := claim_due(instances[n].writer, T0, 7, 600, 30)[0]:
                claimed[n].extend(item.id for item in batch)
        except BaseException as exc:  # reported below
            errors.append(exc)
            barrier.abort()  # the others wait no more

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(instances))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in instances:
        database.dispose()
    assert errors == []
    every = [i for ids in claimed for i in ids]
    assert len(every) == len(set(every)) == 300
    assert all(claimed)  # every worker took rows: they really took turns


def test_recent_history_feeds_storm_control(db: Database) -> None:
    write(db, drafts(2))
    write(db, drafts(1, customer="acme", first=5))
    items = claim(db)
    record_results(db.writer, [(items[0], Sent()), (items[2], Sent())], DESK,
                   T0 + timedelta(seconds=1))
    _, recent = claim_due(db.writer, T0 + timedelta(minutes=2), 10, 60, 300)
    history = recent["mailto:it@demo.example.com"]
    assert history.last_sent == {"demo": T0 + timedelta(seconds=1),
                                 "acme": T0 + timedelta(seconds=1)}
    assert history.sent_within_hour == (T0 + timedelta(seconds=1),) * 2


def test_held_rows_come_back_at_their_time_without_using_an_attempt(db: Database) -> None:
    write(db, drafts(2))
    items = claim(db)
    hold(db.writer, [((items[0].id,), T0 + timedelta(seconds=30)),
                     ((items[1].id,), T0 + timedelta(minutes=10))])
    assert [i.id for i in claim(db, T0 + timedelta(seconds=30))] == [items[0].id]
    assert all(r.attempts == 0 for r in rows(db))


def test_a_digest_carries_its_members_to_their_end(db: Database) -> None:
    from bridge.notify.compose import DigestItem, compose_digest

    write(db, drafts(3))
    members = claim(db)
    digest = compose_digest([DigestItem(m.idempotency_key, m.subject, m.body, m.payload)
                             for m in members], members[0].receiver, "demo", "en", TEMPLATES, 2)
    carrier = add_digest(db.writer, digest, members, T0, 60)
    assert claim(db, T0 + timedelta(seconds=61)) == [carrier]  # members are not claimed alone
    record_results(db.writer, [(carrier, Sent())], DESK, T0 + timedelta(seconds=62))
    stored = rows(db)
    assert [(r.kind, r.status, r.digest_id) for r in stored] == [
        ("opened", OutboxStatus.SENT, carrier.id)] * 3 + [("digest", OutboxStatus.SENT, None)]
    assert outbox_counts(db.reader).pending == {}


def test_retry_and_dead_letter_results(db: Database) -> None:
    write(db, drafts(2))
    write(db, drafts(1, receiver="mailto:noc@msp.example.com", first=7))
    a, b, c = claim(db)
    later = T0 + timedelta(minutes=1)
    outcomes = record_results(db.writer, [
        (a, RetryAt(later, "451 try again")),
        (b, DeadLetter("550 no such mailbox")),
        (c, DeadLetter("550 gone")),
    ], DESK, T0)
    assert [o.action for o in outcomes] == ["opened", "opened"]
    by_id = {r.id: r for r in rows(db)}
    assert (by_id[a.id].status, by_id[a.id].attempts, by_id[a.id].next_attempt_at,
            by_id[a.id].last_error) == (OutboxStatus.PENDING, 1, later, "451 try again")
    assert (by_id[b.id].status, by_id[b.id].last_error) == (OutboxStatus.DEAD,
                                                              "550 no such mailbox")
    with Session(db.reader) as session:
        tickets = session.exec(select(Incident).order_by(col(Incident.id))).all()
    assert [(t.customer, t.problem_key, t.priority) for t in tickets] == [
        (OPERATOR_CUSTOMER, "outbox:dead:mailto:it@demo.example.com", Priority.P2),
        (OPERATOR_CUSTOMER, "outbox:dead:mailto:noc@msp.example.com", Priority.P2)]
    told = [(r.kind, r.channel, r.recipient, r.subject[:17]) for r in rows(db)
            if r.kind == "dead_letter"]
    # Both operators hear of the customer's dead receiver; the dead operator receiver
    # is not told about itself, only the other one is.
    assert told == [
        ("dead_letter", "email", "noc@msp.example.com", f"[{tickets[0].ref}]"),
        ("dead_letter", "webhook", "noc-portal", f"[{tickets[0].ref}]"),
        ("dead_letter", "webhook", "noc-portal", f"[{tickets[1].ref}]")]


def test_repeated_dead_letters_of_a_receiver_keep_one_ticket(db: Database) -> None:
    write(db, drafts(3))
    for item in claim(db):
        record_results(db.writer, [(item, DeadLetter("550 no such mailbox"))], DESK, T0)
    with Session(db.reader) as session:
        tickets = session.exec(select(Incident)).all()
        notes = session.exec(select(IncidentEvent.kind)).all()
    assert len(tickets) == 1
    assert sorted(notes) == ["opened", "still_down", "still_down"]
    assert sum(1 for r in rows(db) if r.kind == "dead_letter") == len(OPERATORS)


def test_counts_and_purge(db: Database) -> None:
    write(db, drafts(2))
    write(db, drafts(1, receiver="webhook:portal", first=4), now=T0 + timedelta(minutes=1))
    counts = outbox_counts(db.reader)
    assert counts.pending == {"email": 2, "webhook": 1}
    assert (counts.oldest_pending_at, counts.next_due_at) == (T0, T0)
    items = claim(db, T0 + timedelta(minutes=1))
    record_results(db.writer, [(items[0], Sent())], DESK, T0 + timedelta(minutes=1))
    assert outbox_counts(db.reader).pending == {"email": 1, "webhook": 1}
    assert purge_sent(db.writer, T0 + timedelta(minutes=1)) == 0
    assert purge_sent(db.writer, T0 + timedelta(days=31)) == 1
    assert [r.channel for r in rows(db)] == [Channel.EMAIL.value, Channel.WEBHOOK.value]


def test_a_message_set_under_a_clock_since_gone_back_is_due_at_once(db: Database) -> None:
    """The daemon ran with its wall clock two hours ahead (wrong, then corrected, then a
    restart): a message it set to wait, and its last delivery to the same receiver, are
    dated two hours ahead. Neither keeps the next messages waiting those two hours."""
    ahead = T0 + timedelta(hours=2)
    write(db, drafts(2), now=ahead)
    first, second = claim(db, now=ahead)
    record_results(db.writer, [(first, Sent()), (second, RetryAt(ahead + timedelta(seconds=30),
                                                                 "451 try later"))],
                   DESK, ahead)
    write(db, drafts(1, first=3), now=T0)  # the clock is right again
    horizon_s = 3600.0 + 60
    items, recent = claim_due(db.writer, T0, 10, 60, 30, horizon_s)
    assert sorted(i.idempotency_key for i in items) == sorted(
        [second.idempotency_key, *(d.idempotency_key for d in drafts(1, first=3))])
    assert recent["mailto:it@demo.example.com"].last_sent == {}  # the future one holds none
    assert claim_due(db.writer, T0, 10, 60, 30)[0] == []  # without the horizon: two hours


def test_a_receivers_retry_after_is_honoured_up_to_the_longest_wait() -> None:
    backoff = Backoff(10.0, 900.0)
    step = settle(Retry("503 come back tomorrow", after_s=86_400.0), 1, T0, None, backoff, 0.0)
    assert step == RetryAt(T0 + timedelta(seconds=longest_wait_s(backoff)),
                           "503 come back tomorrow")
    assert longest_wait_s(backoff) == 3600.0
    step = settle(Retry("429", after_s=120.0), 1, T0, None, backoff, 0.0)
    assert step == RetryAt(T0 + timedelta(seconds=120), "429")


def test_a_message_waiting_as_long_as_bridge_lets_it_is_not_taken_early(db: Database) -> None:
    """The horizon takes only what no wait of bridge's explains: a message held an hour by
    the hourly cap, or retried at the backoff's maximum, waits its time."""
    backoff = Backoff(10.0, 900.0)
    horizon_s = longest_wait_s(backoff) + 60
    write(db, drafts(2))
    capped, retried = claim(db)
    hold(db.writer, [((capped.id,), T0 + timedelta(hours=1))])
    record_results(db.writer, [(retried, RetryAt(T0 + timedelta(seconds=900), "451"))],
                   DESK, T0)
    assert claim_due(db.writer, T0 + timedelta(seconds=1), 10, 60, 30, horizon_s)[0] == []
    later = claim_due(db.writer, T0 + timedelta(hours=1), 10, 60, 30, horizon_s)[0]
    assert sorted(i.id for i in later) == sorted([capped.id, retried.id])
