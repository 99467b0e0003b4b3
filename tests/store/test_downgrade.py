"""Migrations that came with this release step down again on a store that holds tickets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect

from bridge.core.priority import Priority
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.db import MIGRATIONS
from bridge.store.models import Actor, TicketSource
from bridge.store.tickets import NewTicket, create_ticket
from tests.desk.test_clock import contract_config


def test_a_store_with_tickets_steps_down_past_the_idempotency_digest(tmp_path: Path,
                                                                     db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path))
    create_ticket(db.writer, NewTicket(
        "acme", "gw", "gw is down", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
        "acme-portal"), "INC", datetime(2026, 11, 23, 9, tzinfo=UTC), desk)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:  # bridge's own connection: foreign keys are on
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    columns = {c["name"] for c in inspect(db.writer).get_columns("incident")}
    assert "request_digest" not in columns
    db.migrate()  # and up again
    assert "request_digest" in {c["name"] for c in inspect(db.writer).get_columns("incident")}
