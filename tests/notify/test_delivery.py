"""The outbox worker against real receivers on loopback: an aiosmtpd server and an aiohttp
webhook. Time is a clock the tests move; nothing sleeps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.decisions import OPERATOR_CUSTOMER
from bridge.core.priority import Priority
from bridge.daemon.outbox_metrics import register_outbox_metrics
from bridge.daemon.outbox_worker import OutboxWorker
from bridge.notify.compose import compose
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.templates import TemplateSet
from bridge.store import Database
from bridge.store.models import Incident, OutboxMessage, OutboxStatus
from bridge.store.outbox.queue import add_drafts
from tests.kits.notify_peers import (
    HookReceiver,
    MailSink,
    port_of,
    self_signed_cert,
    server_tls,
    start_smtp,
)
from tests.kits.notify_peers import deployment as bridge_toml
from tests.kits.notify_peers import outbox_worker as make_worker

T = TypeVar("T")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOOK_SECRET = "whsec-test-0123456789"
SMTP_PASSWORD = "s3cret-mail-pass"
TEMPLATES = TemplateSet()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_TEST_HOOK_SECRET", HOOK_SECRET)
    monkeypatch.setenv("BRIDGE_TEST_SMTP_PASSWORD", SMTP_PASSWORD)


def deployment(tmp_path: Path, notifications: str) -> Config:
    """The base test deployment with this [notifications] section."""
    return load_config(bridge_toml(tmp_path, notifications))


def hook_section(port: int, name: str = "portal") -> str:
    return (f'[notifications.webhooks.{name}]\nurl = "http://127.0.0.1:{port}/hook"\n'
            'secret = "env:BRIDGE_TEST_HOOK_SECRET"\ntimeout_s = 5\n')


def smtp_section(port: int, extra: str = "") -> str:
    return (f'[notifications.smtp]\nhost = "127.0.0.1"\nport = {port}\n'
            f'sender = "Bridge <bridge@msp.example.com>"\ntimeout_s = 5\n{extra}')


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'bridge.db'}")
    database.migrate()
    yield database
    database.dispose()


def enqueue(db: Database, receivers: Sequence[str], count: int = 1, *, language: str = "en",
            customer: str | Callable[[int], str] = "demo", first: int = 1,
            at: datetime = T0, deadline_s: float = 24 * 3600) -> list[str]:
    """Open `count` tickets' worth of notices; the idempotency keys written."""
    keys: list[str] = []
    with Session(db.writer) as session, session.begin():
        for i in range(first, first + count):
            who = customer(i) if callable(customer) else customer
            notice = TicketNotice(NoticeKind.OPENED, f"INC-2026-{i:06d}", who, "1", at,
                                  summary=f"dev-{i} is down", device=f"dev-{i}",
                                  priority=Priority.P2)
            batch = compose(notice, receivers, language, TEMPLATES, "Europe/Helsinki")
            add_drafts(session, batch, at, deadline_s)
            keys.extend(d.idempotency_key for d in batch)
    return keys


def outbox(db: Database) -> list[OutboxMessage]:
    with Session(db.reader) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def operator_tickets(db: Database) -> list[Incident]:
    with Session(db.reader) as session:
        return list(session.exec(select(Incident).where(Incident.customer == OPERATOR_CUSTOMER)))


# ---- email -----------------------------------------------------------------------------------

async def test_email_in_the_customers_language_with_ticket_id_and_key(
        tmp_path: Path, db: Database) -> None:
    sink = MailSink()
    server = await start_smtp(sink)
    config = deployment(tmp_path, smtp_section(port_of(server)))
    fi_keys = enqueue(db, ["mailto:it@demo.example.com"], language="fi")
    fa_keys = enqueue(db, ["mailto:it@acme.example.com"], language="fa", customer="acme",
                      first=2)
    await make_worker(db, config, Clock()).run_once()
    server.close()
    by_to = {str(m["To"]): m for m in sink.messages}
    fi, fa = by_to["it@demo.example.com"], by_to["it@acme.example.com"]
    assert fi["Subject"] == "[INC-2026-000001] Uusi tiketti: dev-1 is down"
    assert "Avasimme tiketin INC-2026-000001 laitteelle dev-1." in fi.get_content()
    assert "Aika: 2026-03-02 11:00 +02:00" in fi.get_content()
    assert fa["Subject"] == "[INC-2026-000002] تیکت جدید: dev-2 is down"
    assert "تیکت INC-2026-000002 برای دستگاه dev-2 باز شد" in fa.get_content()
    assert (fi["X-Bridge-Idempotency-Key"], fa["X-Bridge-Idempotency-Key"]) == (
        fi_keys[0], fa_keys[0])
    assert fi["X-Bridge-Ticket"] == "INC-2026-000001"
    assert fi["From"] == "Bridge <bridge@msp.example.com>"
    assert str(fi["Message-ID"]).endswith("@msp.example.com>")
    assert [r.status for r in outbox(db)] == [OutboxStatus.SENT] * 2


async def test_starttls_and_login(tmp_path: Path, db: Database) -> None:
    cert, key = self_signed_cert(tmp_path)
    sink = MailSink()
    server = await start_smtp(sink, starttls=server_tls(cert, key), auth=True)
    config = deployment(tmp_path, smtp_section(port_of(server), (
        f'starttls = true\nca_file = "{cert}"\nusername = "bridge"\n'
        'password = "env:BRIDGE_TEST_SMTP_PASSWORD"\n')))
    enqueue(db, ["mailto:it@demo.example.com"])
    await make_worker(db, config, Clock()).run_once()
    server.close()
    assert sink.logins == ["bridge"]
    assert [m["Subject"] for m in sink.messages] == [
        "[INC-2026-000001] New ticket: dev-1 is down"]


async def test_implicit_tls(tmp_path: Path, db: Database) -> None:
    cert, key = self_signed_cert(tmp_path)
    sink = MailSink()
    server = await start_smtp(sink, tls=server_tls(cert, key))
    config = deployment(tmp_path,
                        smtp_section(port_of(server), f'tls = true\nca_file = "{cert}"\n'))
    enqueue(db, ["mailto:it@demo.example.com"])
    await make_worker(db, config, Clock()).run_once()
    server.close()
    assert len(sink.messages) == 1


async def test_untrusted_certificate_and_wrong_password_are_retried_not_lost(
        tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    cert, key = self_signed_cert(tmp_path)
    (tmp_path / "other").mkdir()
    other, _ = self_signed_cert(tmp_path / "other")  # a certificate the server does not have
    sink = MailSink()
    server = await start_smtp(sink, starttls=server_tls(cert, key), auth=True)
    section = smtp_section(port_of(server), (
        'starttls = true\nca_file = "{ca}"\nusername = "bridge"\n'
        'password = "env:BRIDGE_TEST_SMTP_PASSWORD"\n'))
    enqueue(db, ["mailto:it@demo.example.com"])
    clock = Clock()
    untrusted = deployment(tmp_path / "a", section.format(ca=other))
    await make_worker(db, untrusted, clock).run_once()
    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "certificate verify failed" in row.last_error

    monkeypatch.setenv("BRIDGE_TEST_SMTP_PASSWORD", "wrong-password-123")
    wrong = deployment(tmp_path / "b", section.format(ca=cert))
    clock.advance(minutes=5)
    await make_worker(db, wrong, clock).run_once()
    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 2)
    assert row.last_error.startswith("login refused: 535")
    server.close()
    assert sink.messages == []
    assert "wrong-password-123" not in caplog.text
    assert SMTP_PASSWORD not in caplog.text


async def test_smtp_5xx_is_a_dead_letter_and_4xx_a_retry(tmp_path: Path, db: Database) -> None:
    sink = MailSink()
    sink.refuse = {"gone@demo.example.com": "550 5.1.1 no such user",
                   "busy@demo.example.com": "451 4.3.0 try again later"}
    server = await start_smtp(sink)
    hooks = HookReceiver(HOOK_SECRET)
    hook_port = await hooks.start()
    config = deployment(tmp_path, '[notifications]\noperators = ["webhook:noc"]\n'
                        + smtp_section(port_of(server)) + hook_section(hook_port, "noc"))
    enqueue(db, ["mailto:gone@demo.example.com"])
    enqueue(db, ["mailto:busy@demo.example.com"], customer="acme", first=2)
    worker = make_worker(db, config, clock := Clock())
    await worker.run_once()
    gone, busy = (r for r in outbox(db) if r.kind == "opened")
    assert (gone.status, gone.last_error) == (
        OutboxStatus.DEAD, "recipient gone@demo.example.com refused: 550 5.1.1 no such user")
    assert (busy.status, busy.attempts, busy.next_attempt_at) == (
        OutboxStatus.PENDING, 1, T0 + timedelta(seconds=5))
    [ticket] = operator_tickets(db)
    assert ticket.problem_key == "outbox:dead:mailto:gone@demo.example.com"
    clock.advance(seconds=5)
    await worker.run_once()
    [told] = hooks.documents
    assert (told["kind"], told["ticket"], told["customer"]) == (
        "dead_letter", ticket.ref, OPERATOR_CUSTOMER)
    assert "550 5.1.1 no such user" in told["text"]
    server.close()
    await hooks.stop()


# ---- webhooks --------------------------------------------------------------------------------

async def test_webhook_500s_then_200_delivers_once_with_a_valid_signature(
        tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    hooks.script = [500, 502, 503]
    config = deployment(tmp_path, hook_section(await hooks.start()))
    [key] = enqueue(db, ["webhook:portal"])
    worker = make_worker(db, config, clock := Clock())
    waits = []
    for _ in range(4):
        await worker.run_once()
        [row] = outbox(db)
        waits.append((row.next_attempt_at - clock.now).total_seconds())
        clock.now = row.next_attempt_at
    await hooks.stop()
    assert hooks.requests == 4
    assert hooks.bad_signatures == 0
    assert hooks.keys() == {key: 1}
    [row] = outbox(db)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 4)
    assert waits[:3] == [5.0, 10.0, 20.0]  # backoff doubles (jitter 0 takes its lower half)
    [document] = hooks.documents
    assert (document["kind"], document["ticket"], document["subject"]) == (
        "opened", "INC-2026-000001", "[INC-2026-000001] New ticket: dev-1 is down")


async def test_webhook_retry_after_is_honoured(tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    hooks.script = [429]
    hooks.retry_after = "120"
    config = deployment(tmp_path, hook_section(await hooks.start()))
    enqueue(db, ["webhook:portal"])
    await make_worker(db, config, Clock()).run_once()
    await hooks.stop()
    [row] = outbox(db)
    assert (row.next_attempt_at, row.last_error) == (T0 + timedelta(seconds=120),
                                                      "HTTP 429 Too Many Requests")


async def test_4xx_is_a_dead_letter_with_an_operator_ticket_and_a_metric_not_a_loop(
        tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    hooks.script = [404] * 10
    sink = MailSink()
    server = await start_smtp(sink)
    config = deployment(tmp_path, '[notifications]\noperators = ["mailto:noc@msp.example.com"]\n'
                        + smtp_section(port_of(server)) + hook_section(await hooks.start()))
    enqueue(db, ["webhook:portal"], 2, customer=lambda i: f"customer-{i}")
    worker = make_worker(db, config, clock := Clock())
    registry = CollectorRegistry()
    register_outbox_metrics(registry, worker)
    for _ in range(4):
        await worker.run_once()
        clock.advance(hours=1)
    server.close()
    await hooks.stop()
    assert hooks.requests == 2  # one each: no retries of a 404
    [ticket] = operator_tickets(db)  # one ticket for the receiver, not one per message
    assert ticket.problem_key == "outbox:dead:webhook:portal"
    assert ticket.summary == (
        "notifications to webhook:portal cannot be delivered: HTTP 404 Not Found")
    [mail] = sink.messages
    # (A value that fits on a line of its own is folded onto one; unfolding keeps the space.)
    assert mail["Subject"].strip() == (
        f"[{ticket.ref}] Undeliverable notifications: webhook:portal unreachable")
    assert "webhook:portal: HTTP 404 Not Found" in mail.get_content()
    text = generate_latest(registry).decode()
    assert 'bridge_outbox_dead_letters_total{channel="webhook"} 2.0' in text
    assert 'bridge_outbox_delivered_total{channel="email"} 1.0' in text
    assert 'bridge_outbox_pending{channel="webhook"} 0.0' in text
    assert "bridge_outbox_oldest_pending_age_seconds 0.0" in text


async def test_a_dead_digest_counts_every_message_it_carried(
        tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    hooks.script = [404]
    config = deployment(tmp_path, hook_section(await hooks.start()))
    enqueue(db, ["webhook:portal"], 5)  # at once, to one receiver: one digest
    worker = make_worker(db, config, Clock())
    registry = CollectorRegistry()
    register_outbox_metrics(registry, worker)
    await worker.run_once()
    await hooks.stop()
    assert hooks.requests == 1
    assert [m.status for m in outbox(db) if m.kind != "digest"] == [OutboxStatus.DEAD] * 5
    assert 'bridge_outbox_dead_letters_total{channel="webhook"} 5.0' in (
        generate_latest(registry).decode())


async def test_past_the_retry_deadline_a_message_is_dead(tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    port = await hooks.start()
    await hooks.stop()  # nothing listens there now: connection refused
    config = deployment(tmp_path, "[notifications]\nretry_deadline_h = 1\n" + hook_section(port))
    enqueue(db, ["webhook:portal"], deadline_s=config.main.notifications.retry_deadline_s)
    worker = make_worker(db, config, clock := Clock())
    attempts_at = []
    while outbox(db)[0].status == OutboxStatus.PENDING:
        attempts_at.append(clock.now)
        await worker.run_once()
        clock.now = max(clock.now, outbox(db)[0].next_attempt_at)
    [row] = outbox(db)
    assert row.status == OutboxStatus.DEAD
    assert row.last_error.endswith(f"(gave up after {row.attempts} attempts: "
                                   "the retry deadline passed)")
    # Backoff would have waited past the deadline: the last try is moved to the deadline.
    assert attempts_at[-2] < T0 + timedelta(hours=1) == attempts_at[-1]
    assert [t.problem_key for t in operator_tickets(db)] == ["outbox:dead:webhook:portal"]


async def test_receivers_down_then_up_get_every_message_exactly_once(
        tmp_path: Path, store_url: str) -> None:
    db = Database(store_url)
    db.migrate()
    hooks, sink = HookReceiver(HOOK_SECRET), MailSink()
    hook_port = await hooks.start()
    await hooks.stop()
    server = await start_smtp(sink)
    smtp_port = port_of(server)
    server.close()
    await server.wait_closed()
    config = deployment(tmp_path, "[notifications]\nmax_per_receiver_per_hour = 100\n"
                        + smtp_section(smtp_port) + hook_section(hook_port))
    keys = enqueue(db, ["webhook:portal", "mailto:it@demo.example.com"], 20,
                   customer=lambda i: f"customer-{i}")
    worker = make_worker(db, config, clock := Clock())
    for _ in range(3):  # both down: every attempt refused
        await worker.run_once()
        clock.advance(minutes=30)
    assert {r.attempts for r in outbox(db)} == {3}
    assert {r.status for r in outbox(db)} == {OutboxStatus.PENDING}
    await hooks.start(hook_port)
    server = await start_smtp(sink, port=smtp_port)
    for _ in range(3):
        await worker.run_once()
        clock.advance(minutes=30)
    server.close()
    await hooks.stop()
    db.dispose()
    assert hooks.keys() + sink.keys() == dict.fromkeys(keys, 1)


# ---- storm control ---------------------------------------------------------------------------

async def test_a_storm_becomes_one_digest_per_receiver(tmp_path: Path, db: Database) -> None:
    sink, hooks = MailSink(), HookReceiver(HOOK_SECRET)
    server = await start_smtp(sink)
    config = deployment(tmp_path, smtp_section(port_of(server))
                        + hook_section(await hooks.start()))
    receivers = ["mailto:it@demo.example.com", "webhook:portal"]
    enqueue(db, receivers, 200)
    worker = make_worker(db, config, clock := Clock())
    await worker.run_once()
    [mail] = sink.messages
    assert mail["Subject"] == ("200 ticket updates: INC-2026-000001, INC-2026-000002, "
                               "INC-2026-000003 and more")
    body = mail.get_content().splitlines()
    assert body[0] == "200 updates on the tickets of demo:"
    assert [line[2:19] for line in body if line.startswith("- ")] == [
        f"[INC-2026-{i:06d}]" for i in range(1, 21)]
    assert body[-1] == "… and 180 more."
    [document] = hooks.documents
    assert (document["kind"], document["count"], len(document["messages"])) == ("digest", 200, 200)
    assert sorted(m["ticket"] for m in document["messages"]) == [
        f"INC-2026-{i:06d}" for i in range(1, 201)]
    assert {r.status for r in outbox(db)} == {OutboxStatus.SENT}

    # The next notice within the window waits for the window's end, then goes alone.
    clock.advance(seconds=10)
    enqueue(db, receivers[:1], first=201, at=clock.now)
    await worker.run_once()
    assert len(sink.messages) == 1
    clock.advance(seconds=20)
    await worker.run_once()
    assert [m["Subject"] for m in sink.messages[1:]] == [
        "[INC-2026-000201] New ticket: dev-201 is down"]
    server.close()
    await hooks.stop()


async def test_the_rate_cap_holds_messages_and_never_drops_one(
        tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    config = deployment(tmp_path, "[notifications]\ngroup_window_s = 0\n"
                        "max_per_receiver_per_hour = 2\n" + hook_section(await hooks.start()))
    keys = enqueue(db, ["webhook:portal"], 5, customer=lambda i: f"customer-{i}")
    worker = make_worker(db, config, clock := Clock())
    delivered = []
    for minutes in (0, 30, 60, 90, 120):
        clock.now = T0 + timedelta(minutes=minutes)
        await worker.run_once()
        delivered.append(len(hooks.documents))
    await hooks.stop()
    assert delivered == [2, 2, 4, 4, 5]
    assert hooks.keys() == dict.fromkeys(keys, 1)


# ---- the loop --------------------------------------------------------------------------------

async def test_the_worker_loop_delivers_when_woken_and_stops(tmp_path: Path, db: Database) -> None:
    hooks = HookReceiver(HOOK_SECRET)
    config = deployment(tmp_path, hook_section(await hooks.start()))

    async def run_db(fn: Callable[[Engine], T]) -> T:
        return await asyncio.to_thread(fn, db.writer)

    worker = OutboxWorker(run_db, lambda: config, poll_s=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    enqueue(db, ["webhook:portal"], at=datetime.now(UTC))
    worker.wake()
    await asyncio.wait_for(hooks.received.wait(), timeout=30)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    await hooks.stop()
    assert len(hooks.documents) == 1
    assert worker.delivered_total == {"webhook": 1}
    assert worker.healthy
