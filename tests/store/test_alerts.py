"""Intake alerts in the store: held in maintenance, a resolve that does nothing, the same
alert twice in one batch, a ticket's timeline in order when one batch does several things
to it, and migration 0014 stepping down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect
from sqlmodel import Session

from bridge.config.intake_model import OnResolve
from bridge.core.decisions import AttachToIncident, OpenIncident, problem_key
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.desk.actions import Action
from bridge.store import Database
from bridge.store.alert_sweeps import resolve_silent
from bridge.store.alerts import AlertEvent, alert_key, take_alerts
from bridge.store.db import MIGRATIONS
from bridge.store.incidents import attach, open_incident
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import IncidentFilter, get_incident, list_incidents
from bridge.store.tickets import ActionRequest, NewTicket, QuietDesk, create_ticket, take_action

T0 = datetime(2026, 12, 6, 9, tzinfo=UTC)


def event(fingerprint: str, firing: bool = True, **changes: object) -> AlertEvent:
    fields: dict[str, object] = dict(
        source="prom", fingerprint=fingerprint, firing=firing, starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=5), customer="acme",
        device="db-1", parent_checks=(), priority=Priority.P2, rule="intake:prom:0",
        summary="disk full", raw="{}", on_resolve=OnResolve.RESOLVE)
    fields.update(changes)
    return AlertEvent(**fields)  # type: ignore[arg-type]


def take(db: Database, *events: AlertEvent, minute: int = 1) -> list[str]:
    outcomes = take_alerts(db.writer, events, "INC", T0 + timedelta(minutes=minute),
                           QuietDesk(), 3600.0)
    return [o.action for o in outcomes]


def count(db: Database) -> int:
    return list_incidents(db.reader, IncidentFilter())[1]


def test_maintenance_holds_an_alert_until_it_fires_outside_one(db: Database) -> None:
    assert take(db, event("a", held=True)) == ["held"]
    assert take(db, event("a", held=True)) == ["unchanged"]
    assert count(db) == 0
    assert take(db, event("a")) == ["opened"]  # resent after the window: a ticket now
    assert count(db) == 1


def test_the_same_alert_twice_in_one_batch_is_one_ticket(db: Database) -> None:
    assert take(db, event("b"), event("b")) == ["opened", "unchanged"]
    assert count(db) == 1


def test_a_resolve_that_does_nothing_leaves_the_ticket(db: Database) -> None:
    take(db, event("c", on_resolve=OnResolve.NOTHING))
    assert take(db, event("c", firing=False, on_resolve=OnResolve.NOTHING)) == ["unchanged"]
    [ticket], _ = list_incidents(db.reader, IncidentFilter())
    assert ticket["status"] == "open"


def test_a_resolve_of_an_unknown_alert_stores_nothing(db: Database) -> None:
    assert take(db, event("d", firing=False)) == ["unchanged"]
    assert take(db, event("d")) == ["opened"]


def test_an_overlong_fingerprint_is_kept_by_its_digest() -> None:
    assert alert_key("prom", "x" * 1000).startswith("sha256:")
    assert alert_key("prom", "3f2a") == "3f2a"
    long_source = "s" * 48  # the longest a source's name may be
    for fingerprint in ("x" * 145, "x" * 146, "y" * 255):
        assert len(f"alert:{long_source}:{alert_key(long_source, fingerprint)}") <= 200


def test_0014_steps_down_and_up(db: Database) -> None:
    take(db, event("e"))
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    assert "intake_alert" not in inspect(db.writer).get_table_names()
    db.migrate()
    assert "intake_alert" in inspect(db.writer).get_table_names()


def test_a_silent_sources_alerts_resolve_after_its_silence(db: Database) -> None:
    take(db, event("s1"), event("s2", device="app-1"), minute=0)
    take(db, event("s2", device="app-1"), minute=20)  # sent again: not silent
    silences = {"prom": (30 * 60.0, OnResolve.RESOLVE)}
    early = resolve_silent(db.writer, silences, "INC", T0 + timedelta(minutes=29), QuietDesk())
    assert early == []
    late = resolve_silent(db.writer, silences, "INC", T0 + timedelta(minutes=31), QuietDesk())
    assert [(o.fingerprint, o.action) for o in late] == [("s1", "resolved")]
    statuses = sorted((t["device"], t["status"])
                      for t in list_incidents(db.reader, IncidentFilter())[0])
    assert statuses == [("app-1", "open"), ("db-1", "resolved")]


def test_a_person_resolving_the_ticket_outweighs_resends_of_the_same_alert(db: Database) -> None:
    [outcome] = take_alerts(db.writer, [event("f")], "INC", T0, QuietDesk(), 3600.0)
    assert outcome.ref is not None
    request = ActionRequest(Action.RESOLVE.spec.move, Actor.OPERATOR, "ops")
    assert take_action(db.writer, outcome.ref, None, request, T0 + timedelta(minutes=2),
                       QuietDesk()).status == 200
    assert take(db, event("f"), minute=5) == ["unchanged"]  # the same occurrence, resent
    later = T0 + timedelta(minutes=30)
    assert take(db, event("f", starts_at=later), minute=31) == ["reopened"]  # a new one


def timeline(db: Database, ref: str | None) -> list[tuple[str, str]]:
    assert ref is not None
    ticket = get_incident(db.reader, ref)
    assert ticket is not None
    return [(e["kind"], e["message"] if e["kind"] == "alert_payload" else "")
            for e in ticket["timeline"]]


def test_one_batch_keeps_the_tickets_timeline_in_order(db: Database) -> None:
    outcomes = take_alerts(db.writer, [event("g", raw="g fires"), event("h", raw="h fires"),
                                       event("g", firing=False, raw="g resolves")],
                           "INC", T0 + timedelta(minutes=1), QuietDesk(), 3600.0)
    assert [o.action for o in outcomes] == ["opened", "attached", "noted"]  # h still fires
    assert timeline(db, outcomes[0].ref) == [
        ("opened", ""), ("alert_payload", "g fires"), ("alert_attached", ""),
        ("alert_payload", "h fires"), ("alert_payload", "g resolves"), ("alert_resolved", "")]


def test_an_alert_that_fires_resolves_and_fires_in_one_batch_reopens_its_ticket(
        db: Database) -> None:
    again = T0 + timedelta(minutes=10)
    outcomes = take_alerts(db.writer, [event("k", raw="1"), event("k", firing=False, raw="2"),
                                       event("k", starts_at=again, raw="3")],
                           "INC", again, QuietDesk(), 3600.0)
    assert [o.action for o in outcomes] == ["opened", "resolved", "reopened"]
    assert len({o.ref for o in outcomes}) == 1
    assert count(db) == 1
    assert timeline(db, outcomes[0].ref) == [
        ("opened", ""), ("alert_payload", "1"), ("alert_payload", "2"), ("resolved", ""),
        ("reopened", ""), ("alert_payload", "3")]


def _monitoring_down(db: Database, device: str, behind: str | None = None) -> str:
    """The device's ping check down as monitoring records it: its own ticket, or (behind a
    failed parent) attached to the parent's; the ticket's ID."""
    parent_problem = problem_key(CheckKey(behind, "ping")) if behind else None
    with Session(db.writer) as session:
        if parent_problem is None:
            outcome = open_incident(session, db.writer.dialect.name, OpenIncident(
                problem_key(CheckKey(device, "ping")), CheckKey(device, "ping"), "acme",
                Priority.P1, "device-down", T0, f"{device} is down"), "INC", T0, QuietDesk())
        else:
            attached = attach(session, AttachToIncident(
                parent_problem, CheckKey(device, "ping"), T0, f"{device} unreachable"), T0)
            assert attached is not None
            outcome = attached
        session.commit()
    assert outcome.ref is not None
    return outcome.ref


def test_an_alert_behind_a_parent_that_is_down_joins_the_parents_ticket(db: Database) -> None:
    # web-1 sits behind sw-1 behind gw; gw is down (its ping), sw-1 is attached to its ticket
    gw = _monitoring_down(db, "gw")
    _monitoring_down(db, "sw-1", behind="gw")
    behind = (CheckKey("sw-1", "ping"), CheckKey("gw", "ping"))
    outcomes = take_alerts(db.writer, [event("web", device="web-1", parent_checks=behind)],
                           "INC", T0 + timedelta(minutes=1), QuietDesk(), 3600.0)
    assert [(o.action, o.ref) for o in outcomes] == [("attached", gw)]


def test_another_problem_of_a_parent_does_not_take_what_is_behind_it(db: Database) -> None:
    # a full disk on the router (an alert ticket of its own) says nothing of the server
    # behind it: the server's alert opens its own ticket
    [router] = take_alerts(db.writer, [event("disk-gw", device="gw")], "INC",
                           T0 + timedelta(minutes=1), QuietDesk(), 3600.0)
    assert router.action == "opened"
    [server] = take_alerts(db.writer, [event("disk-web", device="web-1",
                                             parent_checks=(CheckKey("gw", "ping"),))],
                           "INC", T0 + timedelta(minutes=2), QuietDesk(), 3600.0)
    assert server.action == "opened"
    assert server.ref != router.ref
    # and the device's own ticket still takes another alert about the device itself
    [again] = take_alerts(db.writer, [event("cpu-gw", device="gw")], "INC",
                          T0 + timedelta(minutes=3), QuietDesk(), 3600.0)
    assert (again.action, again.ref) == ("attached", router.ref)


def test_alerts_keyed_by_any_printable_text_are_found_again(db: Database) -> None:
    # the batch looks its rows and tickets up by lists bound as one value (JSON on SQLite)
    keys = ['link "2"', "C:\\temp\\disk", "Ölpumpe ausgefallen", "🔥 rack 4", "it's", "[1]"]
    assert take(db, *(event(k) for k in keys)) == ["opened"] + ["attached"] * 5
    assert take(db, *(event(k) for k in keys), minute=2) == ["unchanged"] * 6
    assert take(db, *(event(k, firing=False) for k in keys[1:]), minute=3) == ["noted"] * 5
    assert take(db, event(keys[0], firing=False), minute=4) == ["resolved"]
    assert count(db) == 1


def test_a_clear_resolves_the_ticket_only_once_no_stored_alert_fires_on_it(
        db: Database) -> None:
    assert take(db, event("x"), event("y"), event("z")) == ["opened", "attached", "attached"]
    # x and y clear in one batch: z still fires on the ticket, stored only
    assert take(db, event("x", firing=False), event("y", firing=False), minute=2) == [
        "noted", "noted"]
    assert take(db, event("z", firing=False), minute=3) == ["resolved"]


def test_one_batch_of_clears_resolves_only_the_tickets_no_other_alert_fires_on(
        db: Database) -> None:
    """On several tickets at once: one with another alert firing outside the batch (noted),
    one with none (resolved), and one the batch itself opens and clears (resolved)."""
    assert take(db, event("a1"), event("a2"), event("b1", device="db-2")) == [
        "opened", "attached", "opened"]
    assert take(db, event("a1", firing=False), event("b1", firing=False, device="db-2"),
                event("c1", device="db-3"), event("c1", firing=False, device="db-3"),
                minute=2) == ["noted", "resolved", "opened", "resolved"]
    statuses = {t["device"]: t["status"] for t in list_incidents(db.reader, IncidentFilter())[0]}
    assert statuses == {"db-1": "open", "db-2": "resolved", "db-3": "resolved"}
    assert take(db, event("a2", firing=False), minute=3) == ["resolved"]


def test_an_alert_does_not_join_a_ticket_a_person_opened_about_its_device(
        db: Database) -> None:
    """A printer-jam ticket an operator opened on db-1 is not the disk alert's problem: the
    alert opens its own ticket (at its own priority), as a check failing would."""
    create_ticket(db.writer, NewTicket(
        "acme", "db-1", "printer jam", Priority.P3, TicketSource.OPERATOR, Actor.OPERATOR,
        "ops"), "INC", T0, QuietDesk())
    [outcome] = take_alerts(db.writer, [event("disk", priority=Priority.P1)], "INC",
                            T0 + timedelta(minutes=1), QuietDesk(), 3600.0)
    assert outcome.action == "opened"
    assert outcome.ref is not None
    ticket = get_incident(db.reader, outcome.ref)
    assert ticket is not None
    assert (ticket["priority"], ticket["summary"]) == ("P1", "disk full")
    assert count(db) == 2
    # ... and a second alert on the device joins the first alert's ticket, not the jam
    [joined] = take_alerts(db.writer, [event("cpu", summary="cpu hot")], "INC",
                           T0 + timedelta(minutes=2), QuietDesk(), 3600.0)
    assert (joined.action, joined.ref) == ("attached", outcome.ref)
