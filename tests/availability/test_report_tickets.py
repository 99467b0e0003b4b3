"""The tickets of a monthly report to the second: what the SLA is judged on, not minutes
rounded to a tenth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from bridge.availability.tickets import ticket_section
from bridge.core.priority import Priority
from bridge.desk.actions import Action
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.models import Actor, Incident, TicketSource
from bridge.store.tickets import NewTicket, create_ticket
from tests.desk.test_clock import T0, act, contract_config


def test_reaction_and_resolution_read_to_the_second(tmp_path: Path, db: Database) -> None:
    config = contract_config(tmp_path)  # P2: reaction 10 min, resolution 60 min, 24/7
    desk = ContractDesk(config)
    refs = []
    for offset_s in (0, 5):
        opened = T0 + timedelta(seconds=offset_s)
        incident_id, _ = create_ticket(db.writer, NewTicket(
            "acme", "gw", "gw is down", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
            "acme"), "INC", opened, desk)
        with Session(db.reader) as session:
            ticket = session.get(Incident, incident_id)
            assert ticket is not None
            refs.append((ticket.ref, opened))
    # One assigned at the target's last second, one a second later: both are "10.0 min".
    for (ref, opened), reaction_s in zip(refs, (600, 601), strict=True):
        act(db, desk, ref, Action.ASSIGN, opened + timedelta(seconds=reaction_s),
            assignee="alice")
        act(db, desk, ref, Action.RESOLVE, opened + timedelta(seconds=3599.2))
    with db.reader.connect() as connection:
        rows = ticket_section(connection, config, "acme", datetime(2026, 11, 1, tzinfo=UTC),
                              datetime(2026, 12, 1, tzinfo=UTC))
    assert [(r["reaction_s"], r["reaction_target_s"]) for r in rows] == [(600, 600), (601, 600)]
    # a started second counts: 3599.2 s is 3600 s, still within the 3600 s target
    assert [(r["resolution_s"], r["resolution_target_s"]) for r in rows] == [(3600, 3600)] * 2
    # the minutes stay for readers of the first version of the JSON
    assert [r["reaction_min"] for r in rows] == [10.0, 10.0]
