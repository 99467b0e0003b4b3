"""Ticket changes through the desk, the outbox and a real SMTP server (aiosmtpd on
loopback) to the people who read them. Time is a clock the tests move; nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.config.model import Config
from bridge.core.decisions import OpenIncident
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.models import Actor, TicketSource
from bridge.store.tickets import ActionRequest, NewTicket, create_ticket, take_action
from tests.kits.mail_contract import NOC, acme_contract, mail_deployment
from tests.kits.notify_peers import MailSink, port_of, start_smtp
from tests.kits.notify_peers import outbox_worker as worker_for

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """conftest's `db` on SQLite alone, here."""
    return f"sqlite:///{tmp_path / 'bridge.db'}"


def deployment(root: Path, smtp_port: int, contract: str, notifications: str = "") -> Config:
    """acme in Helsinki with this contract, mail through the test server."""
    return mail_deployment(root, contract, notifications, timezone="Europe/Helsinki",
                           smtp_port=smtp_port)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def act(db: Database, desk: ContractDesk, ref: str, at: datetime, action: Action,
        **fields: object) -> None:
    req = ActionRequest(move=action.spec.move, actor=Actor.OPERATOR, author="ops", **fields)  # type: ignore[arg-type]
    assert take_action(db.writer, ref, None, req, at, desk).status == 200


async def test_a_digest_carries_the_new_eta_the_comment_and_the_visit_time(
        tmp_path: Path, db: Database) -> None:
    sink = MailSink()
    server = await start_smtp(sink)
    config = deployment(tmp_path, port_of(server), acme_contract("fi"))
    desk, clock = ContractDesk(config), Clock()
    worker = worker_for(db, config, clock)
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", "gw", "Verkko ei toimi", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
        "acme-portal"), "INC", T0, desk)
    ref = f"INC-2026-{incident_id:06d}"
    await worker.run_once()  # the first message to a receiver goes at once
    assert [m["Subject"] for m in sink.messages] == [f"[{ref}] Uusi tiketti: Verkko ei toimi"]

    # Three updates within the grouping window: one digest at the window's end.
    act(db, desk, ref, T0 + timedelta(seconds=5), Action.ETA,
        eta_at=datetime(2026, 11, 24, 7, 0, tzinfo=UTC))  # 09:00 in Helsinki
    act(db, desk, ref, T0 + timedelta(seconds=6), Action.COMMENT,
        message="Vaihdamme virtalähteen huomenna.")
    act(db, desk, ref, T0 + timedelta(seconds=7), Action.ONSITE,
        fields={"technician": "Matti", "scheduled_at": datetime(2026, 11, 24, 8, 30, tzinfo=UTC)})
    clock.now = T0 + timedelta(seconds=10)
    await worker.run_once()
    assert len(sink.messages) == 1  # held for the window
    clock.now = T0 + timedelta(seconds=31)
    await worker.run_once()
    server.close()
    [_, digest] = sink.messages
    assert digest["Subject"] == f"3 tikettipäivitystä: {ref}"
    body = digest.get_content()
    assert "Asiakkaan Acme tiketeissä on 3 päivitystä:" in body  # the name, not the id "acme"
    assert f"Arvioimme ratkaisevamme tiketin {ref} viimeistään 2026-11-24 09:00 +02:00." in body
    assert "Vaihdamme virtalähteen huomenna." in body
    assert "Käyntiaika: 2026-11-24 10:30 +02:00." in body


async def test_a_p1_on_a_contract_without_tiers_reaches_the_noc(
        tmp_path: Path, db: Database) -> None:
    sink = MailSink()
    server = await start_smtp(sink)
    config = deployment(tmp_path, port_of(server), acme_contract("fi", tier1=False), NOC)
    desk, clock = ContractDesk(config), Clock()
    [opened] = apply_batch(db.writer, [OpenIncident(
        "check:gw/ping", CheckKey("gw", "ping"), "acme", Priority.P1, "down", T0,
        "gw (127.0.0.2) is down: ping failed: 0/3 replies")], "INC", T0, desk)
    run_clock(db.writer, desk, T0)  # step 1: tier 1, which this contract leaves empty
    await worker_for(db, config, clock).run_once()
    server.close()
    told = {m["To"]: m["Subject"].strip() for m in sink.messages}  # a long one is folded
    assert told == {
        "it@acme.example.com": f"[{opened.ref}] Uusi tiketti: Laite gw ei vastaa",
        "noc@msp.example.com": (f"[{opened.ref}] Escalated to tier 1: gw (127.0.0.2) is down: ping "
                                "failed: 0/3 replies")}
