"""Tickets opened together (a mass outage, an alert storm): the same tickets, IDs, order and
timelines as one by one, and one active ticket per problem when another instance opened one
of them meanwhile."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bridge.core.decisions import AttachToIncident, problem_key
from bridge.core.state import CheckKey
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.opening import NewIncident, open_together
from bridge.store.reads import IncidentFilter, get_incident, list_incidents
from bridge.store.tickets import QuietDesk
from tests.store.test_store import T0, opening, resolving

KEYS = [CheckKey(f"sw-{i}", "ping") for i in range(4)]


def test_a_mass_outage_opens_its_tickets_in_order_around_other_decisions(db: Database) -> None:
    behind = CheckKey("cam-1", "ping")
    outcomes = apply_batch(db.writer, [
        opening(KEYS[0]), opening(KEYS[1]),
        AttachToIncident(problem_key(KEYS[0]), behind, T0, "cam-1 behind sw-0"),
        opening(KEYS[2]), opening(KEYS[2]),  # the same problem twice: one ticket
        resolving(KEYS[1]), opening(KEYS[3]),
    ], "INC", T0 + timedelta(seconds=5))
    assert [(o.action, o.ref) for o in outcomes] == [
        ("opened", "INC-2026-000001"), ("opened", "INC-2026-000002"),
        ("attached", "INC-2026-000001"), ("opened", "INC-2026-000003"),
        ("already_open", "INC-2026-000003"), ("resolved", "INC-2026-000002"),
        ("opened", "INC-2026-000004")]
    first = get_incident(db.reader, "INC-2026-000001")
    assert first is not None
    assert [e["kind"] for e in first["timeline"]] == ["opened", "attached"]
    assert [m["device"] for m in first["attached"]] == ["cam-1"]
    third = get_incident(db.reader, "INC-2026-000003")
    assert third is not None
    assert [e["kind"] for e in third["timeline"]] == ["opened", "still_down"]


def test_a_problem_another_instance_opened_meanwhile_is_not_opened_twice(db: Database) -> None:
    # This instance found no active ticket for KEYS[1]; another one opened it since.
    [theirs] = apply_batch(db.writer, [opening(KEYS[1])], "INC", T0)
    with Session(db.writer) as session, session.begin():
        attempt = open_together(session, db.writer.dialect.name,
                                [NewIncident(opening(key)) for key in KEYS[:3]], "INC",
                                T0, QuietDesk())
        assert attempt is None  # refused by the unique key: nothing of it written
    ours = apply_batch(db.writer, [opening(key) for key in KEYS[:3]], "INC", T0)
    assert [(o.action, o.ref) for o in ours] == [
        ("opened", "INC-2026-000002"), ("already_open", theirs.ref),
        ("opened", "INC-2026-000003")]  # no number lost to the refused attempt
    _, total = list_incidents(db.reader, IncidentFilter())
    assert total == 3
