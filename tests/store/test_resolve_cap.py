"""A source's max_resolves_per_min: a storm of resolves resolves at most the cap of tickets
a minute; the rest wait in the store and are applied oldest first as the cap allows, none
lost and none applied twice, across a restart too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bridge.config.intake_model import OnResolve
from bridge.core.lifecycle import IncidentStatus
from bridge.store import Database
from bridge.store.alert_sweeps import resolve_deferred
from bridge.store.alerts import AlertEvent, AlertOutcome, take_alerts
from bridge.store.reads import IncidentFilter, get_incident, list_incidents
from bridge.store.tickets import QuietDesk
from tests.store.test_alerts import T0, event

CAP = 3
STORM = 8
SOURCES = {"prom": (OnResolve.RESOLVE, CAP)}


def alert(i: int, firing: bool = True) -> AlertEvent:
    # one device each: every alert opens its own ticket
    return event(f"storm-{i}", firing, device=f"dev-{i}", max_resolves_per_min=CAP,
                 ends_at=None if firing else T0 + timedelta(minutes=5, seconds=i))


def actions(outcomes: Sequence[AlertOutcome]) -> list[str]:
    return [o.action for o in outcomes]


def sweep(db: Database, at: timedelta) -> list[str]:
    return actions(resolve_deferred(db.writer, SOURCES, "INC", T0 + at, QuietDesk()))


def timeline_kinds(db: Database, device: str) -> list[str]:
    [ticket], _ = list_incidents(db.reader, IncidentFilter(device=device))
    found = get_incident(db.reader, ticket["id"])
    assert found is not None
    return [entry["kind"] for entry in found["timeline"]]


def test_a_resolve_storm_resolves_the_cap_a_minute_and_the_rest_later(store_url: str) -> None:
    db = Database(store_url)
    db.migrate()

    def take(events: list[AlertEvent], at: timedelta) -> list[str]:
        return actions(take_alerts(db.writer, events, "INC", T0 + at, QuietDesk(), 3600.0))

    assert take([alert(i) for i in range(STORM)], timedelta(minutes=1)) == ["opened"] * STORM
    storm = [alert(i, firing=False) for i in range(STORM)]
    assert take(storm, timedelta(minutes=10)) == ["resolved"] * CAP + ["deferred"] * (STORM - CAP)
    # the sender resends its resolves: they wait where they are
    assert take(storm, timedelta(minutes=10, seconds=20)) == ["unchanged"] * STORM
    assert sweep(db, timedelta(minutes=10, seconds=30)) == ["deferred"] * (STORM - CAP)
    _, still_open = list_incidents(db.reader, IncidentFilter(status=IncidentStatus.OPEN))
    assert still_open == STORM - CAP
    db.dispose()  # a restart: what waits is in the store, not in memory

    db = Database(store_url)
    try:
        # a minute after the storm's resolutions: the next CAP, oldest first
        assert sweep(db, timedelta(minutes=11, seconds=1)) == ["resolved"] * CAP + ["deferred"] * 2
        assert sweep(db, timedelta(minutes=11, seconds=30)) == ["deferred"] * 2
        assert sweep(db, timedelta(minutes=12, seconds=2)) == ["resolved"] * 2
        assert sweep(db, timedelta(minutes=13)) == []
        _, still_open = list_incidents(db.reader, IncidentFilter(status=IncidentStatus.OPEN))
        assert still_open == 0
        for i in range(STORM):  # each resolved once; the waiting ones say why they waited
            kinds = timeline_kinds(db, f"dev-{i}")
            assert kinds.count("resolved") == 1
            assert kinds.count("resolve_deferred") == (i >= CAP)
    finally:
        db.dispose()
