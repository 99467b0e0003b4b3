"""The desk's clock against a real store: a ticket's steps, SLA marks, ETA notice and
closing after silence, each done once, with its messages in the outbox — on SQLite and
PostgreSQL, with `now` handed in (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.lifecycle import WaitingOn
from bridge.core.priority import Priority
from bridge.desk import clock
from bridge.desk.actions import Action
from bridge.desk.clock import run_clock
from bridge.desk.contract import ContractDesk
from bridge.store import Database
from bridge.store.models import Actor, Incident, OutboxMessage, SlaMarkRow, TicketSource
from bridge.store.reads import get_incident
from bridge.store.tickets import ActionRequest, NewTicket, create_ticket, take_action
from tests.kits.daemon import write_deployment

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday

CONTRACT = """
[customers.acme.contract]
calendar = "24x7"
notify = ["mailto:it@acme.example.com"]
escalation = "fast"
silence_period_h = 72
eta_notice_min = 30

[customers.acme.contract.sla.P2]
reaction_min = 10
resolution_min = 60
warn_at_pct = [75, 90]

[customers.acme.contract.tiers]
tier1 = ["mailto:duty@msp.example.com"]
tier2 = ["mailto:specialist@msp.example.com"]
tier3 = ["mailto:seniors@msp.example.com"]
"""

CHAIN = """
[escalations.fast]
steps = [
  { tier = 1, after_min = 0 },
  { tier = 2, unless = "assigned", after_min = 10 },
  { tier = 3, sla = "resolution", at_pct = 90 },
]
"""

NOTIFICATIONS = """
[notifications]
operators = ["mailto:noc@msp.example.com"]
[notifications.smtp]
host = "127.0.0.1"
port = 2525
sender = "bridge@msp.example.com"
"""


def contract_config(root: Path, contract: str = CONTRACT) -> Config:
    """The test deployment with a contract, a chain and SMTP (never contacted here)."""
    path = write_deployment(root, {"gw": "127.0.0.2"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(contract)
    (root / "rules" / "chains.toml").write_text(CHAIN)
    with path.open("a") as f:
        f.write(NOTIFICATIONS)
    return load_config(path)


def outbox(db: Database) -> list[tuple[str, str]]:
    with Session(db.reader) as session:
        rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()  # type: ignore[arg-type]
        return [(r.kind, r.recipient) for r in rows]


def act(db: Database, desk: ContractDesk, ref: str, action: Action, at: datetime,
        **fields: object) -> None:
    req = ActionRequest(move=action.spec.move, actor=Actor.OPERATOR, author="ops", **fields)  # type: ignore[arg-type]
    result = take_action(db.writer, ref, None, req, at, desk)
    assert result.status == 200, result.reason


def test_a_ticket_runs_its_contract_once_per_step(tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path))
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", "gw", "gw is down", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
        "acme-portal"), "INC", T0, desk)
    with Session(db.reader) as session:
        ticket = session.get(Incident, incident_id)
        assert ticket is not None
        ref = ticket.ref
        # the default ETA is the resolution target; the due times follow the contract
        assert ticket.eta_at == T0 + timedelta(minutes=60)
        assert ticket.reaction_due_at == T0 + timedelta(minutes=10)
        assert ticket.resolution_due_at == T0 + timedelta(minutes=60)
    assert outbox(db) == [("opened", "it@acme.example.com")]

    # step 1 (tier 1 at opening) fires once, however often the clock ticks
    assert run_clock(db.writer, desk, T0) == 1
    assert run_clock(db.writer, desk, T0) == 0
    assert outbox(db)[-1] == ("escalated", "duty@msp.example.com")

    # past 75 % of reaction; then 90 % with step 2 (not assigned in 10 min); the breach once
    # the clock has counted more than the 10 minutes
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=30)) == 0
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=31)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=10)) == 2
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=10, seconds=1)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=10, seconds=1)) == 0
    sent = outbox(db)
    assert sent.count(("sla_warning", "duty@msp.example.com")) == 1  # the 75 % only
    assert ("sla_breach", "noc@msp.example.com") in sent
    assert ("escalated", "specialist@msp.example.com") in sent

    # assigned: the reaction clock stops; waiting on the customer pauses resolution at 20 min
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=11), assignee="alice")
    act(db, desk, ref, Action.WAIT, T0 + timedelta(minutes=20),
        waiting_on=WaitingOn.CUSTOMER)
    # the ETA (T0+60 min) comes near while waiting: the customer is told once, 30 min before
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=30)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(hours=2)) == 0  # paused: no marks
    assert outbox(db).count(("eta_will_be_exceeded", "it@acme.example.com")) == 1

    act(db, desk, ref, Action.RESUME, T0 + timedelta(hours=2))
    shown = get_incident(db.reader, ref)
    assert shown is not None
    # 40 of the 60 minutes were left when the clock paused
    assert datetime.fromisoformat(shown["resolution_due_at"]) == T0 + timedelta(hours=2,
                                                                                 minutes=40)
    # 75 %, 90 % (and step 3 with it) and the breach of resolution
    assert run_clock(db.writer, desk, T0 + timedelta(hours=2, minutes=40, seconds=1)) == 4
    shown = get_incident(db.reader, ref)
    assert shown is not None
    assert shown["tier"] == 3
    assert [(m["kind"], m["pct"]) for m in shown["sla"]] == [
        ("reaction", 75), ("reaction", 90), ("reaction", 100),
        ("resolution", 75), ("resolution", 90), ("resolution", 100)]
    assert [s["fired_at"] is not None for s in shown["escalation"]] == [True, True, True]
    with Session(db.reader) as session:
        breach = session.exec(select(SlaMarkRow).where(SlaMarkRow.kind == "resolution",
                                                       SlaMarkRow.pct == 100)).one()
        assert breach.at == T0 + timedelta(hours=2, minutes=40)
    assert desk.counters.sla_breaches == {("acme", "reaction"): 1, ("acme", "resolution"): 1}

    # resolved, then silence: closed by the clock 72 h later, and the customer told
    act(db, desk, ref, Action.RESOLVE, T0 + timedelta(hours=3))
    assert run_clock(db.writer, desk, T0 + timedelta(hours=74)) == 0
    assert run_clock(db.writer, desk, T0 + timedelta(hours=75)) == 1
    shown = get_incident(db.reader, ref)
    assert shown is not None
    assert shown["status"] == "closed"
    assert outbox(db)[-1] == ("closed", "it@acme.example.com")
    # every message carries a distinct idempotency key: nothing was written twice
    with Session(db.reader) as session:
        keys = session.exec(select(OutboxMessage.idempotency_key)).all()
    assert len(keys) == len(set(keys))


def test_assignment_in_time_skips_the_step_it_makes_moot(tmp_path: Path,
                                                          db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path))
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", None, "slow VPN", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER, "acme"),
        "INC", T0, desk)
    with Session(db.reader) as session:
        ticket = session.get(Incident, incident_id)
        assert ticket is not None
        ref = ticket.ref
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=5), assignee="bob")
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=15)) == 1  # step 1 only
    shown = get_incident(db.reader, ref)
    assert shown is not None
    assert shown["tier"] == 1
    steps = {s["step"]: s for s in shown["escalation"]}
    assert steps[1]["skipped_at"] is not None
    assert steps[1]["fired_at"] is None
    assert [m for m in shown["sla"] if m["kind"] == "reaction"] == []


def test_a_monitoring_ticket_follows_its_rules_chain_from_the_event_time(
        tmp_path: Path, db: Database) -> None:
    from bridge.core.decisions import OpenIncident
    from bridge.core.state import CheckKey
    from bridge.store.decisions import apply_batch

    root = tmp_path
    contract_config(root)  # writes the deployment; the rule below names another chain
    (root / "rules" / "default.toml").write_text(
        '[rules.down]\npriority = "P2"\nescalation = "slow"\n')
    (root / "rules" / "slow.toml").write_text(
        '[escalations.slow]\nsteps = [{ tier = 2, after_min = 45 }]\n')
    desk = ContractDesk(load_config(root / "bridge.toml"))
    failing_since = T0 - timedelta(minutes=3)  # the first failed check, before the ticket
    apply_batch(db.writer, [OpenIncident("check:gw/ping", CheckKey("gw", "ping"), "acme",
                                            Priority.P2, "down", failing_since, "gw is down")],
                "INC", T0, desk)
    with Session(db.reader) as session:
        ticket = session.exec(select(Incident)).one()
    assert ticket.chain == "slow"
    assert ticket.reaction_due_at == failing_since + timedelta(minutes=10)
    shown = get_incident(db.reader, ticket.ref)
    assert shown is not None
    assert [(s["tier"], s["due_at"]) for s in shown["escalation"]] == [
        (2, (failing_since + timedelta(minutes=45)).isoformat())]
    assert outbox(db) == [("opened", "it@acme.example.com")]


def test_the_monthly_report_lists_tickets_against_their_targets(tmp_path: Path,
                                                                db: Database) -> None:
    from bridge.availability.tickets import ticket_section

    config = contract_config(tmp_path)
    desk = ContractDesk(config)
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", "gw", "gw is down", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER, "acme"),
        "INC", T0, desk)
    with Session(db.reader) as session:
        ticket = session.get(Incident, incident_id)
        assert ticket is not None
        ref = ticket.ref
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=11), assignee="alice")
    act(db, desk, ref, Action.WAIT, T0 + timedelta(minutes=20),
        waiting_on=WaitingOn.SUPPLIER)
    act(db, desk, ref, Action.RESUME, T0 + timedelta(minutes=50))
    act(db, desk, ref, Action.RESOLVE, T0 + timedelta(minutes=55))
    run_clock(db.writer, desk, T0 + timedelta(minutes=56))
    month = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    with db.reader.connect() as connection:
        rows = ticket_section(connection, config, "acme", *month)
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["reaction_min"], row["reaction_target_min"]) == (ref, 11.0, 10.0)
    # 55 minutes less the 30 spent waiting on the supplier
    assert (row["resolution_min"], row["resolution_target_min"]) == (25.0, 60.0)
    assert row["breached"] == "reaction"


# Office hours 08:00-17:00 UTC and a 30-minute reaction target: a ticket opened Monday
# 16:30 uses its target up exactly at the 17:00 close.
OFFICE_CONTRACT = CONTRACT.replace('calendar = "24x7"', 'calendar = "office"').replace(
    "reaction_min = 10\nresolution_min = 60", "reaction_min = 30\nresolution_min = 480") + """
[calendars.office]
timezone = "UTC"
weekly = ["mon-fri 08:00-17:00"]
"""


def new_ticket(db: Database, desk: ContractDesk, at: datetime) -> str:
    incident_id, _ = create_ticket(db.writer, NewTicket(
        "acme", "gw", "gw is down", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
        "acme-portal"), "INC", at, desk)
    with Session(db.reader) as session:
        ticket = session.get(Incident, incident_id)
        assert ticket is not None
        return ticket.ref


def reaction_marks(db: Database, ref: str) -> dict[int, str]:
    shown = get_incident(db.reader, ref)
    assert shown is not None
    return {m["pct"]: m["at"] for m in shown["sla"] if m["kind"] == "reaction"}


def test_a_target_met_at_the_close_of_coverage_is_not_recorded_as_breached(
        tmp_path: Path, db: Database) -> None:
    from bridge.availability.tickets import ticket_section

    config = contract_config(tmp_path, OFFICE_CONTRACT)
    desk = ContractDesk(config)
    opened = T0.replace(hour=16, minute=30)  # Monday
    close, opening = T0.replace(hour=17), T0.replace(hour=8) + timedelta(days=1)
    second = timedelta(seconds=1)
    late, early, waiting = (new_ticket(db, desk, opened) for _ in range(3))
    run_clock(db.writer, desk, close)
    act(db, desk, late, Action.ASSIGN, close + second, assignee="alice")
    for now in (close + second, opening - second, opening):
        run_clock(db.writer, desk, now)
    act(db, desk, early, Action.ASSIGN, opening, assignee="bob")
    for now in (opening + second, opening + timedelta(hours=1)):
        run_clock(db.writer, desk, now)

    warnings = {75: "2026-11-23T16:52:30+00:00", 90: "2026-11-23T16:57:00+00:00"}
    assert reaction_marks(db, late) == warnings  # 30.0 of 30 minutes: met
    assert reaction_marks(db, early) == warnings  # no covered time passed since 17:00
    # not assigned: breached at the first covered moment past the target, not at 17:00
    assert reaction_marks(db, waiting) == {**warnings, 100: "2026-11-24T08:00:00+00:00"}
    assert desk.counters.sla_breaches == {("acme", "reaction"): 1}

    month = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    with db.reader.connect() as connection:
        rows = {r["id"]: r for r in ticket_section(connection, config, "acme", *month)}
    assert [(rows[ref]["reaction_min"], rows[ref]["breached"]) for ref in (late, early)] == [
        (30.0, ""), (30.0, "")]
    assert rows[waiting]["breached"] == "reaction"
    # the API's due time is the last moment an assignment still meets the target
    shown = get_incident(db.reader, waiting)
    assert shown is not None
    assert datetime.fromisoformat(shown["reaction_due_at"]) == opening


def test_a_warning_reached_at_the_close_waits_for_coverage_and_a_met_target_has_none(
        tmp_path: Path, db: Database) -> None:
    desk = ContractDesk(contract_config(tmp_path, OFFICE_CONTRACT))
    opened = T0.replace(hour=16, minute=33)  # 90 % (27 min) is counted exactly at 17:00
    opening = T0.replace(hour=8) + timedelta(days=1)
    met, waiting = new_ticket(db, desk, opened), new_ticket(db, desk, opened)
    for hour in (17, 20, 23):
        run_clock(db.writer, desk, T0.replace(hour=hour))
    night = {75: "2026-11-23T16:55:30+00:00"}
    assert reaction_marks(db, met) == reaction_marks(db, waiting) == night  # nobody paged
    run_clock(db.writer, desk, opening)
    act(db, desk, met, Action.ASSIGN, opening, assignee="alice")
    run_clock(db.writer, desk, opening + timedelta(seconds=1))
    assert reaction_marks(db, met) == night
    assert reaction_marks(db, waiting) == {**night, 90: "2026-11-24T08:00:00+00:00"}


def test_the_resolution_clock_stands_still_while_the_ticket_sits_resolved(
        tmp_path: Path, db: Database) -> None:
    from bridge.availability.tickets import ticket_section

    config = contract_config(tmp_path, CONTRACT.replace("resolution_min = 60",
                                                        "resolution_min = 240"))
    desk = ContractDesk(config)
    ref = new_ticket(db, desk, T0)
    act(db, desk, ref, Action.ASSIGN, T0 + timedelta(minutes=5), assignee="alice")
    act(db, desk, ref, Action.RESOLVE, T0 + timedelta(minutes=120))
    act(db, desk, ref, Action.REOPEN, T0 + timedelta(minutes=240))  # 2 h later
    shown = get_incident(db.reader, ref)
    assert shown is not None
    # 120 of the 240 minutes are left from the reopening
    assert datetime.fromisoformat(shown["resolution_due_at"]) == T0 + timedelta(hours=6)
    run_clock(db.writer, desk, T0 + timedelta(minutes=250))
    act(db, desk, ref, Action.RESOLVE, T0 + timedelta(minutes=300))
    run_clock(db.writer, desk, T0 + timedelta(minutes=301))
    month = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    with db.reader.connect() as connection:
        [row] = ticket_section(connection, config, "acme", *month)
    assert (row["resolution_min"], row["breached"]) == (180.0, "")  # 120 + 60, not 300
    # the metrics' histogram reads the same clock as the report
    assert [(kind, s) for kind, _, s in desk.counters.take_durations()] == [
        ("reaction", 300.0), ("resolution", 120 * 60.0), ("resolution", 180 * 60.0)]


def test_a_recurrence_reopens_the_ticket_with_its_clocks_resuming_at_the_new_failure(
        tmp_path: Path, db: Database) -> None:
    from bridge.availability.tickets import ticket_section
    from bridge.core.decisions import OpenIncident, ResolveIncident
    from bridge.core.state import CheckKey
    from bridge.store.decisions import apply_batch

    config = contract_config(tmp_path, CONTRACT.replace("resolution_min = 60",
                                                        "resolution_min = 240"))
    desk = ContractDesk(config)
    problem, key = "check:gw/ping", CheckKey("gw", "ping")

    def down(started: datetime, now: datetime, reopen: bool = False) -> None:
        apply_batch(db.writer, [OpenIncident(problem, key, "acme", Priority.P2, "down",
                                             started, "gw is down", reopen=reopen)],
                    "INC", now, desk)

    def up(at: datetime) -> None:
        apply_batch(db.writer, [ResolveIncident(problem, at, "gw is up")], "INC", at, desk)

    minutes = [T0 + timedelta(minutes=m) for m in range(301)]
    down(minutes[0], minutes[0])
    up(minutes[120])
    down(minutes[230], minutes[240], reopen=True)  # failing again since 230, reopened at 240
    with Session(db.reader) as session:
        ticket = session.exec(select(Incident)).one()
    assert ticket.status == "open"
    # the reaction clock (10 min, never assigned) stopped at the resolution after 120 min
    # and the resolution clock has 120 of its 240 minutes left from the recurrence
    assert ticket.resolution_due_at == minutes[230] + timedelta(minutes=120)
    up(minutes[290])
    month = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    with db.reader.connect() as connection:
        [row] = ticket_section(connection, config, "acme", *month)
    assert row["resolution_min"] == 180.0  # 120 + 60, not 290


def test_a_tick_loads_only_the_tickets_whose_next_mark_has_come(tmp_path: Path,
                                                                 db: Database) -> None:
    """Hundreds of open tickets waiting for marks far ahead cost a tick a read of their ids,
    not each ticket built whole (at 2,000 that was most of a 55 ms tick, every 2 s); the
    one whose mark comes is loaded, and its warning recorded."""
    desk = ContractDesk(contract_config(tmp_path))
    for n in range(200):
        create_ticket(db.writer, NewTicket("acme", None, f"ticket {n}", Priority.P2,
                                           TicketSource.CUSTOMER, Actor.CUSTOMER, "portal"),
                      "INC", T0, desk)
    assert run_clock(db.writer, desk, T0) == 200  # tier 1 at opening
    late, _ = create_ticket(db.writer, NewTicket(
        "acme", None, "one more", Priority.P2, TicketSource.CUSTOMER, Actor.CUSTOMER,
        "portal"), "INC", T0 + timedelta(minutes=5), desk)
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=5)) == 1  # every next mark known
    loaded: list[int | None] = []

    def count(target: Incident, _context: object) -> None:
        loaded.append(target.id)

    event.listen(Incident, "load", count)
    try:
        assert run_clock(db.writer, desk, T0 + timedelta(minutes=6)) == 0
        assert loaded == []  # nothing due: no ticket built
        # 75 % of the 10-minute reaction: the 200 warn together; the late one is not due
        assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=31)) == 200
        assert late not in loaded
        assert len(loaded) == 200
    finally:
        event.remove(Incident, "load", count)
    with Session(db.reader) as session:
        warned = session.exec(select(SlaMarkRow.incident_id)).all()
    assert len(set(warned)) == 200
    assert late not in warned


def test_a_mark_of_a_tick_that_failed_is_recorded_by_the_next(
        tmp_path: Path, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tick is one transaction: when it fails after working out a ticket's marks (the
    store went away), the warning it did not write is written by the next tick, not
    skipped because the desk remembered the ticket's next mark as further ahead."""
    desk = ContractDesk(contract_config(tmp_path))
    ref = new_ticket(db, desk, T0)
    assert run_clock(db.writer, desk, T0) == 1  # tier 1 at opening
    warned_at = T0 + timedelta(minutes=7, seconds=31)  # 75 % of the 10-minute reaction

    def store_gone(*_args: object) -> int:
        raise OperationalError("UPDATE", {}, Exception("the store went away"))

    monkeypatch.setattr(clock, "eta_notices", store_gone)  # runs after the marks
    with pytest.raises(OperationalError):
        run_clock(db.writer, desk, warned_at)
    assert reaction_marks(db, ref) == {}
    monkeypatch.undo()
    assert run_clock(db.writer, desk, warned_at + timedelta(seconds=2)) == 1
    assert reaction_marks(db, ref) == {75: "2026-11-23T09:07:30+00:00"}
