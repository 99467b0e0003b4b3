"""Who reads what: a customer reads plain words in the contract's language; the provider's
own people read the operators' language with the probe's detail — through the real desk
and store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bridge.config.model import Config
from bridge.core.audience import NOTIFIED_STAFF
from bridge.core.decisions import OpenIncident
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.notify.problems import PHRASES, Problem, ProblemKind, describe
from bridge.notify.templates import builtin_languages
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.models import Actor, IncidentEvent, OutboxMessage
from bridge.store.tickets import ActionRequest, take_action
from tests.kits.mail_contract import NOC, acme_contract, mail_deployment

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
RAW = ("gw (127.0.0.2) is down: ping failed: no response to 2 requests of 1 s: "
       "no answer to engine ID discovery either")
JARGON = ("is down", "ping", "failed", "no response", "requests", "engine ID", "127.0.0.2",
          "ETA 2026", ":00+00:00", "EET", "UTC")  # raw ISO times or zone names


def contract_config(root: Path, language: str, operators: bool = True) -> Config:
    """acme with a contract in `language`, SMTP (never contacted here), English operators."""
    return mail_deployment(root, acme_contract(language),
                           (NOC if operators else "") + 'operator_language = "en"\n')


def open_monitoring_ticket(db: Database, desk: ContractDesk) -> str:
    [outcome] = apply_batch(db.writer, [OpenIncident(
        "check:gw/ping", CheckKey("gw", "ping"), "acme", Priority.P1, "down", T0, RAW)],
        "INC", T0, desk)
    return outcome.ref


def mails(db: Database) -> dict[str, list[OutboxMessage]]:
    with Session(db.reader) as session:
        found: dict[str, list[OutboxMessage]] = {}
        for row in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))):
            found.setdefault(row.recipient, []).append(row)
        return found


def test_a_finnish_customer_reads_plain_finnish_and_the_staff_english(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path, "fi"))
    ref = open_monitoring_ticket(db, desk)
    run_clock(db.writer, desk, T0)  # step 1: the duty engineer
    take_action(db.writer, ref, None, ActionRequest(Action.ETA.spec.move, Actor.OPERATOR, "ops",
                                                    eta_at=T0 + timedelta(hours=3)),
                T0 + timedelta(minutes=1), desk)
    sent = mails(db)

    opened, eta_set = sent["it@acme.example.com"]
    assert opened.subject == f"[{ref}] Uusi tiketti: Laite gw ei vastaa"
    assert eta_set.subject == f"[{ref}] Arvioitu ratkaisuaika: Laite gw ei vastaa"
    for mail in (opened, eta_set):
        for word in JARGON:
            assert word not in mail.subject + mail.body, (word, mail.subject, mail.body)
    assert "Arvioimme ratkaisevamme tiketin" in eta_set.body

    [escalated] = sent["duty@msp.example.com"]  # the provider's people: English, the detail
    assert escalated.subject == f"[{ref}] Escalated to tier 1: {RAW}"
    assert "To do: acknowledge the ticket and take it over." in escalated.body
    with Session(db.reader) as session:  # the detail stays on the timeline
        opened_entry = session.exec(select(IncidentEvent.message).where(
            IncidentEvent.kind == "opened")).first()
    assert opened_entry is not None
    assert RAW in opened_entry


def test_sla_warnings_reach_staff_and_noc_in_the_operators_language(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path, "fi"))
    ref = open_monitoring_ticket(db, desk)
    # 75 % of the 15-minute P1 reaction: step 2 (tier 2 is empty: the NOC) and a warning
    run_clock(db.writer, desk, T0 + timedelta(minutes=12))
    sent = mails(db)
    assert [m.subject for m in sent["noc@msp.example.com"]] == [
        f"[{ref}] Escalated to tier 2: {RAW}",
        f"[{ref}] SLA warning: 75 % of the reaction time used: {RAW}"]
    assert "To do: assign an engineer before the reaction time runs out." in \
        sent["noc@msp.example.com"][1].body
    assert [m.subject for m in sent["duty@msp.example.com"]] == [
        f"[{ref}] Escalated to tier 1: {RAW}"]
    assert [m.kind for m in sent["it@acme.example.com"]] == ["opened"]


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Device gw is not responding"), ("fi", "Laite gw ei vastaa"),
    ("cs", "Zařízení gw neodpovídá"), ("ru", "Устройство gw не отвечает"),
    ("it", "Il dispositivo gw non risponde"), ("fa", "دستگاه gw پاسخ نمی‌دهد"),
])
def test_every_language_describes_the_problem_in_its_own_words(
        language: str, expected: str) -> None:
    assert describe(Problem(ProblemKind.NOT_RESPONDING, "gw", "ping"), language) == expected


def test_every_builtin_language_has_every_problem_phrase() -> None:
    assert sorted(PHRASES) == builtin_languages()
    for language, phrases in PHRASES.items():
        assert set(phrases) == set(ProblemKind), language
        english = PHRASES["en"]
        if language != "en":  # really translated, not copied
            assert all(phrases[k] != english[k] for k in ProblemKind), language


def test_a_check_that_is_not_ping_is_a_failing_check_not_a_silent_device(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path, "cs"))
    apply_batch(db.writer, [OpenIncident(
        "check:gw/uplink", CheckKey("gw", "uplink"), "acme", Priority.P2, "down", T0,
        "gw (127.0.0.2) is down: uplink failed: ifOperStatus.3 = 2")], "INC", T0, desk)
    [opened] = mails(db)["it@acme.example.com"]
    assert opened.subject.endswith("Kontrola zařízení gw selhává (uplink)")
    assert "ifOperStatus" not in opened.body


def test_a_step_to_an_empty_tier_without_operators_says_so_on_the_timeline(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path, "en", operators=False))  # tier 1 only
    open_monitoring_ticket(db, desk)
    run_clock(db.writer, desk, T0 + timedelta(minutes=12))  # step 2: tier 2
    with Session(db.reader) as session:
        notes = session.exec(select(IncidentEvent.message).where(
            IncidentEvent.kind == NOTIFIED_STAFF)).all()
    assert [n for n in notes if "nobody" in n] == [
        f"{kind}: nobody at the provider told: tier 2 has no receivers and [notifications] "
        "operators is empty" for kind in ("escalated", "sla_warning")]
