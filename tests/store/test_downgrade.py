"""Migrations that came with this release step down again on a store that holds tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect, text

from bridge.config.intake_model import OnResolve
from bridge.core.decisions import RecordGap, SaveState
from bridge.core.flap import FlapState, change_percent
from bridge.core.priority import Priority
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Status
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.alert_sweeps import resolve_silent
from bridge.store.alerts import AlertEvent, take_alerts
from bridge.store.db import MIGRATIONS
from bridge.store.decisions import apply_batch
from bridge.store.fencing import Fence
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import load_flaps, load_states
from bridge.store.tickets import NewTicket, QuietDesk, create_ticket
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


def _step(db: Database, revision: str, down: bool) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_last_round_trip_and_loss_step_down_into_their_columns_and_back(db: Database) -> None:
    """0013 keeps the last result's measurements by name; stepping down keeps what the
    ICMP columns held (and drops what only a newer kind measures)."""
    at = datetime(2026, 12, 6, 9, tzinfo=UTC)
    ping = ProbeResult(True, at, 0.0, "3/3 replies",
                       {"rtt_avg_s": 0.002, "rtt_min_s": 0.001, "loss_ratio": 0.0})
    tcp = ProbeResult(True, at, 0.0, "connected", {"connect_s": 0.003})
    apply_batch(db.writer, [
        SaveState(CheckKey("gw", "ping"), CheckState(Status.UP, last=ping)),
        SaveState(CheckKey("gw", "https"), CheckState(Status.UP, last=tcp)),
        SaveState(CheckKey("gw", "never"), CheckState())], "INC", at)
    _step(db, "0012", down=True)
    with db.writer.connect() as connection:
        rows = {row.probe: (row.last_rtt_s, row.last_loss_ratio) for row in connection.execute(
            text("SELECT probe, last_rtt_s, last_loss_ratio FROM check_state"))}
    assert rows == {"ping": (0.002, 0.0), "https": (None, None), "never": (None, None)}
    _step(db, "head", down=False)
    states = load_states(db.reader)
    assert states[CheckKey("gw", "ping")].last is not None
    assert states[CheckKey("gw", "ping")].last.measurements == {"rtt_avg_s": 0.002,
                                                                  "loss_ratio": 0.0}
    assert states[CheckKey("gw", "https")].last.measurements == {}
    assert states[CheckKey("gw", "never")].last is None


def test_the_lease_tables_step_down_and_back(db: Database) -> None:
    """0016 adds the tables of several instances; stepping down drops them."""
    _step(db, "0015", down=True)
    assert not {"shard_lease", "bridge_instance"} & set(inspect(db.writer).get_table_names())
    _step(db, "head", down=False)
    assert {"shard_lease", "bridge_instance"} <= set(inspect(db.writer).get_table_names())


def test_the_flap_history_and_the_gaps_instance_step_down_and_back(db: Database) -> None:
    """0019 keeps a check's flap history and names a gap's instance; stepping down drops
    them and keeps the states and gaps."""
    at = datetime(2026, 12, 6, 9, tzinfo=UTC)
    history = FlapState((True, False, True), False, change_percent((True, False, True)))
    apply_batch(db.writer, [SaveState(CheckKey("gw", "ping"), CheckState(Status.UP), history)],
                "INC", at)
    apply_batch(db.writer, [RecordGap(at, None, "blind")], "INC", at, fence=Fence("a", 4))
    _step(db, "0018", down=True)
    assert "flap_results" not in {c["name"] for c in inspect(db.writer).get_columns("check_state")}
    assert "instance" not in {c["name"] for c in inspect(db.writer).get_columns("monitoring_gap")}
    _step(db, "head", down=False)
    assert CheckKey("gw", "ping") in load_states(db.reader)
    assert load_flaps(db.reader) == {}  # the history starts afresh; the state stays


def test_the_sign_in_failures_step_down_and_back(db: Database) -> None:
    """0020 keeps failed sign-ins in the store; stepping down drops them, the users stay."""
    _step(db, "0019", down=True)
    tables = set(inspect(db.writer).get_table_names())
    assert "sign_in_failure" not in tables
    assert "portal_user" in tables
    _step(db, "head", down=False)
    assert "sign_in_failure" in set(inspect(db.writer).get_table_names())


def test_the_last_values_step_down_and_a_store_of_the_previous_head_upgrades(
        db: Database) -> None:
    """0021 keeps each check's last values; a store at 0020 with states upgrades (their
    values NULL until the next result), and stepping down drops them, the states stay."""
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    polled = ProbeResult(True, at, 0.0, "48 interfaces", values=(("sysName", "sw48"),))
    key = CheckKey("sw48", "ifaces")
    apply_batch(db.writer, [SaveState(key, CheckState(Status.UP, since=at, last=polled))],
                "INC", at)
    _step(db, "0020", down=True)
    assert "last_values" not in {c["name"] for c in inspect(db.writer).get_columns("check_state")}
    db.migrate()  # as a newer bridge starts on it
    assert "last_values" in {c["name"] for c in inspect(db.writer).get_columns("check_state")}
    last = load_states(db.reader, values=True)[key].last
    assert last is not None
    assert (last.output, last.values) == ("48 interfaces", ())


def _alert_indexes(db: Database) -> dict[str, list[str | None]]:
    return {i["name"]: i["column_names"] for i in inspect(db.writer).get_indexes("intake_alert")
            if (i["name"] or "").startswith("ix_")}


def test_the_alert_indexes_without_last_seen_step_down_and_back(db: Database) -> None:
    """0022 indexes intake alerts by (status, source) and (problem_key, status), neither
    holding last_seen_at (a repeat moves only that); stepping down restores the indexes
    before it, the alerts stay, and a silent source's alert still resolves after its
    silence."""
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    alert = AlertEvent("prom", "disk", True, at, None, "acme", "db-1", (), Priority.P2,
                       "intake:prom:0", "disk full", "{}", OnResolve.RESOLVE)
    [opened] = take_alerts(db.writer, [alert], "INC", at, QuietDesk(), 3600.0)
    assert opened.action == "opened"
    assert _alert_indexes(db) == {
        "ix_intake_alert_problem_status": ["problem_key", "status"],
        "ix_intake_alert_status_source": ["status", "source"]}
    _step(db, "0021", down=True)
    assert _alert_indexes(db) == {"ix_intake_alert_problem_key": ["problem_key"],
                                  "ix_intake_alert_status_last_seen": ["status", "last_seen_at"]}
    db.migrate()
    assert set(_alert_indexes(db)) == {"ix_intake_alert_problem_status",
                                       "ix_intake_alert_status_source"}
    [silent] = resolve_silent(db.writer, {"prom": (600.0, OnResolve.RESOLVE)}, "INC",
                              at + timedelta(minutes=11), QuietDesk())
    assert (silent.action, silent.ref) == ("resolved", opened.ref)
