"""A month's tickets read for the report: each with its own waits and breaches, in the same few
queries however many tickets the month holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bridge.core.lifecycle import WaitingOn
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.report_tickets import ReportTicket, report_tickets
from tests.desk.test_clock import T0, act, contract_config, new_ticket

MONTH = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def read(db: Database) -> tuple[list[ReportTicket], int]:
    """The month's tickets, and how many statements reading them took."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with db.reader.connect() as connection:
        event.listen(connection, "before_cursor_execute", count)
        return report_tickets(connection, "acme", *MONTH), len(statements)


def test_each_ticket_has_its_own_waits_and_breaches_and_more_tickets_take_no_more_queries(
        tmp_path: Path, db: Database) -> None:
    config = contract_config(tmp_path)  # P2: reaction 10 min, resolution 60 min, 24/7
    desk = ContractDesk(config)
    waited = new_ticket(db, desk, T0)
    act(db, desk, waited, Action.ASSIGN, T0 + timedelta(minutes=5), assignee="alice")
    act(db, desk, waited, Action.WAIT, T0 + timedelta(minutes=20),
        waiting_on=WaitingOn.SUPPLIER)
    act(db, desk, waited, Action.RESUME, T0 + timedelta(minutes=50))
    _, alone = read(db)
    late = new_ticket(db, desk, T0 + timedelta(minutes=1))
    quiet = new_ticket(db, desk, T0 + timedelta(minutes=2))
    act(db, desk, quiet, Action.ASSIGN, T0 + timedelta(minutes=3), assignee="bob")
    run_clock(db.writer, desk, T0 + timedelta(minutes=15))  # `late` is past its reaction
    tickets, three = read(db)
    assert three == alone
    assert [t.ref for t in tickets] == [waited, late, quiet]  # oldest first
    by_ref = {t.ref: t for t in tickets}
    assert by_ref[waited].facts.pauses == ((T0 + timedelta(minutes=20),
                                            T0 + timedelta(minutes=50)),)
    assert by_ref[late].facts.pauses == by_ref[quiet].facts.pauses == ()
    assert {ref: t.breaches for ref, t in by_ref.items()} == {
        waited: frozenset(), late: frozenset({"reaction"}), quiet: frozenset()}
    assert by_ref[quiet].facts.assigned_at == T0 + timedelta(minutes=3)
