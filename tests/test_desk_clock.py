"""The desk's clock against a real store: a ticket's steps, SLA marks, ETA notice and
closing after silence, each done once, with its messages in the outbox — on SQLite and
PostgreSQL, with `now` handed in (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from bridge.config import load_config
from bridge.config.model import Config, Priority
from bridge.core.lifecycle import Action, WaitingOn
from bridge.store import Database
from bridge.store.desk import ContractDesk
from bridge.store.desk_clock import run_clock
from bridge.store.models import Actor, Incident, OutboxMessage, SlaMarkRow, TicketSource
from bridge.store.reads import get_incident
from bridge.store.tickets import ActionRequest, NewTicket, create_ticket, take_action
from tests.daemon import write_deployment

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


def contract_config(root: Path) -> Config:
    """The test deployment with a contract, a chain and SMTP (never contacted here)."""
    path = write_deployment(root, {"gw": "127.0.0.2"})
    with (root / "config" / "inventory.toml").open("a") as f:
        f.write(CONTRACT)
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
    req = ActionRequest(action=action, actor=Actor.OPERATOR, author="ops", **fields)  # type: ignore[arg-type]
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

    # 75 % of reaction; then 90 % and the breach together, with step 2 (not assigned in 10 min)
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=7, seconds=30)) == 1
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=10)) == 3
    assert run_clock(db.writer, desk, T0 + timedelta(minutes=10)) == 0
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
    assert run_clock(db.writer, desk, T0 + timedelta(hours=2, minutes=40)) == 4
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
    from bridge.store.writes import apply_batch

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
    from bridge.reports.tickets import ticket_section

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
