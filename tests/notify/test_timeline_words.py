"""What people read on a ticket's timeline and in the provider's own mail: times on the
customer's clock with the offset (never raw UTC ISO, never microseconds), and staff
notices written for staff — through the real desk and store (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge.config.model import Config
from bridge.core.decisions import OpenIncident, ResolveIncident
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.notify.compose import compose, lead_of
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.templates import TemplateSet, builtin_languages, sample_context
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.models import Actor, IncidentEvent, OutboxMessage
from bridge.store.tickets import ActionRequest, take_action
from tests.kits.mail_contract import NOC, acme_contract, mail_deployment

FAILED_AT = datetime(2026, 12, 6, 6, 40, 12, 641411, tzinfo=UTC)  # 08:40:12 in Helsinki
ETA = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)  # 11:30 in Helsinki
RAW = "gw (127.0.0.2) is down: ping failed: 0/3 replies"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\.\d+")


def helsinki_config(root: Path, language: str = "fi", operator_language: str = "en") -> Config:
    """acme in Helsinki with a contract in `language`; a duty tier and a NOC."""
    return mail_deployment(root, acme_contract(language),
                           NOC + f'operator_language = "{operator_language}"\n',
                           timezone="Europe/Helsinki")


def open_ticket(db: Database, desk: ContractDesk) -> str:
    [outcome] = apply_batch(db.writer, [OpenIncident(
        "check:gw/ping", CheckKey("gw", "ping"), "acme", Priority.P1, "down", FAILED_AT, RAW)],
        "INC", FAILED_AT + timedelta(seconds=1), desk)
    return outcome.ref


def act(db: Database, desk: ContractDesk, ref: str, at: datetime, action: Action,
        **fields: object) -> None:
    req = ActionRequest(move=action.spec.move, actor=Actor.OPERATOR, author="ops", **fields)  # type: ignore[arg-type]
    assert take_action(db.writer, ref, None, req, at, desk).status == 200


def timeline(db: Database) -> dict[str, list[str]]:
    with Session(db.reader) as session:
        found: dict[str, list[str]] = {}
        for kind, message in session.exec(select(IncidentEvent.kind, IncidentEvent.message)
                                          .order_by(col(IncidentEvent.id))):
            found.setdefault(kind, []).append(message)
        return found


def mails_to(db: Database, recipient: str, kind: str) -> list[OutboxMessage]:
    with Session(db.reader) as session:
        return list(session.exec(select(OutboxMessage).where(
            OutboxMessage.recipient == recipient, OutboxMessage.kind == kind)))


def test_timeline_times_are_on_the_customers_clock_with_the_offset(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(helsinki_config(tmp_path))
    ref = open_ticket(db, desk)
    start = FAILED_AT + timedelta(minutes=1)
    act(db, desk, ref, start, Action.ETA, eta_at=ETA)
    act(db, desk, ref, start, Action.ONSITE, fields={
        "technician": "Matti", "scheduled_at": datetime(2026, 12, 6, 8, 15, tzinfo=UTC)})
    act(db, desk, ref, start, Action.SUPPLIER, fields={
        "supplier": "Cisco", "due_at": datetime(2026, 12, 7, 7, 0, tzinfo=UTC)})
    run_clock(db.writer, desk, ETA - timedelta(minutes=20))  # breaches, ETA notice
    apply_batch(db.writer, [ResolveIncident("check:gw/ping", ETA, RAW)], "INC",
                ETA + timedelta(seconds=1), desk)
    entries = timeline(db)
    assert [m for ms in entries.values() for m in ms if ISO.search(m)] == []
    assert "failing since 2026-12-06 08:40:12 +02:00" in entries["opened"][0]
    assert entries["eta_set"] == ["ETA 2026-12-06 11:30 +02:00"]
    assert entries["onsite_added"] == [
        "on-site technician Matti dispatched for 2026-12-06 10:15 +02:00"]
    assert entries["supplier_added"] == ["escalated to supplier Cisco, due 2026-12-07 09:00 +02:00"]
    assert "reaction target breached at 2026-12-06 08:55 +02:00" in entries["sla_breach"]
    assert entries["eta_will_be_exceeded"] == [
        "the ETA 2026-12-06 11:30 +02:00 will be exceeded; a new ETA is needed"]
    assert "recovered at 2026-12-06 11:30:00 +02:00" in entries["resolved"][0]


TO_DO = {"en": "To do: set a new ETA", "fi": "Tehtävä: aseta uusi arvioitu ratkaisuaika",
         "cs": "Úkol: nastavte nový odhad vyřešení",
         "ru": "Что сделать: установите новый срок решения",
         "it": "Da fare: impostare una nuova risoluzione prevista",
         "fa": "کار لازم: زمان تخمینی حل جدیدی تعیین کنید"}


@pytest.mark.parametrize("operator_language", sorted(TO_DO))
def test_staff_are_told_the_eta_will_pass_and_to_set_a_new_one(
        tmp_path: Path, db: Database, operator_language: str) -> None:
    desk = ContractDesk(helsinki_config(tmp_path, "fi", operator_language))
    ref = open_ticket(db, desk)
    act(db, desk, ref, FAILED_AT + timedelta(minutes=1), Action.ETA, eta_at=ETA)
    run_clock(db.writer, desk, ETA - timedelta(minutes=20))
    [customer] = mails_to(db, "it@acme.example.com", "eta_will_be_exceeded")
    assert "Lähetämme pian uuden arvion." in customer.body
    assert RAW not in customer.subject + customer.body
    # by now the ticket is at tier 2, which the contract leaves to the NOC
    [staff] = mails_to(db, "noc@msp.example.com", "eta_will_be_exceeded")
    assert staff.subject == f"[{ref}] {STAFF_TITLE[operator_language]}: {RAW}"
    assert TO_DO[operator_language] in staff.body
    assert "the ETA 2026-12-06 11:30 +02:00 will be exceeded" in staff.body  # the detail
    assert "2026-12-06T" not in staff.body
    customer_words = TemplateSet().render("eta_will_be_exceeded", operator_language,
                                          {**sample_context(), "ref": ref})[1]
    assert lead_of(customer_words) not in staff.body  # "we will send you a new estimate"


STAFF_TITLE = {"en": "ETA will be exceeded", "fi": "Arvioitu ratkaisuaika ylittyy",
               "cs": "Odhad vyřešení bude překročen", "ru": "Срок решения будет превышен",
               "it": "La risoluzione prevista sarà superata",
               "fa": "زمان تخمینی حل سپری خواهد شد"}


@pytest.mark.parametrize("language", builtin_languages())
def test_no_kind_tells_staff_what_is_written_for_the_customer(language: str) -> None:
    templates = TemplateSet()
    for kind in NoticeKind:
        notice = TicketNotice(kind, "INC-2026-000001", "acme", "1", ETA, summary=RAW,
                              device="gw", priority=Priority.P1, tier=1, eta=ETA,
                              message="detail", sla_kind="reaction", sla_pct=75)
        [staff] = compose(notice, ["mailto:noc@msp.example.com"], language, templates,
                          "Europe/Helsinki", staff=True)
        [customer] = compose(notice, ["mailto:it@acme.example.com"], language, templates,
                             "Europe/Helsinki")
        assert lead_of(customer.body) not in staff.body, (kind, staff.body)
        reply_line = customer.body.rstrip().splitlines()[-1]  # "keep the ID when you reply"
        if "INC-2026-000001" in reply_line:
            assert reply_line not in staff.body, (kind, staff.body)
        assert f"] {kind.value}:" not in staff.subject  # a title in words, not the kind
        assert staff.subject.startswith("[INC-2026-000001] ")
        assert staff.subject.endswith(RAW)
