"""Alerts that only repeat what the store holds: recorded with one UPDATE, no ticket decision.

Senders repeat themselves (an agent resends a linkDown every minute, a flapping port sends
it again and again) far more often than a problem starts or clears. An alert that fires
again while its row fires on an active ticket, or again while a maintenance window holds
it, changes nothing but when it was last seen (bridge.store.alerts would say "unchanged"),
so its ticket is not read through the ORM nor decided again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from bridge.store.alert_events import AlertEvent, AlertOutcome, alert_key
from bridge.store.alert_rows import AlertRow, locked_alerts
from bridge.store.intake_models import AlertStatus, IntakeAlert
from bridge.store.models import Incident

_ROW = IntakeAlert.__table__  # type: ignore[attr-defined]
_TICKET = Incident.__table__  # type: ignore[attr-defined]
# Built once, the IN lists expanded at execution: a statement built per batch coerces
# each of its hundreds of values in Python.
_REFS = select(_TICKET.c.open_key, _TICKET.c.ref).where(
    _TICKET.c.open_key.in_(bindparam("keys", expanding=True)))
_SEEN = update(_ROW).where(_ROW.c.id.in_(bindparam("ids", expanding=True))).values(
    last_seen_at=bindparam("now", type_=_ROW.c.last_seen_at.type))


def _repeat(e: AlertEvent, status: AlertStatus, active: bool) -> bool:
    if not e.firing or e.acknowledged:
        return False
    return (status is AlertStatus.FIRING and active) or (status is AlertStatus.HELD and e.held)


def take_repeats(session: Session, events: Sequence[AlertEvent], now: datetime
                 ) -> tuple[dict[int, AlertOutcome], dict[tuple[str, str], AlertRow]]:
    """The outcomes of the events (by index) that only repeat their stored row, those rows
    marked seen `now`; every other event is left for the ticket decisions. And the rows
    read (locked), by (source, stored fingerprint): the decisions need not read them
    again."""
    by_source: dict[str, set[str]] = {}
    for e in events:
        by_source.setdefault(e.source, set()).add(alert_key(e.source, e.fingerprint))
    rows: dict[tuple[str, str], tuple[int, AlertStatus, str | None]] = {}
    read: dict[tuple[str, str], AlertRow] = {}
    for source, keys in by_source.items():
        for row_id, row in locked_alerts(session, source, keys):
            read[(source, row.fingerprint)] = row
            rows[(source, row.fingerprint)] = (row_id, AlertStatus(row.status), row.problem_key)
    problems = sorted({p for _i, _s, p in rows.values() if p})
    refs: dict[str, str] = {key: ref for key, ref in session.execute(
        _REFS, {"keys": problems})} if problems else {}
    # A row is skipped only if every one of its events in the batch repeats it: a resolve
    # or an acknowledgement among them keeps the order of its decisions intact. Other
    # alerts' decisions cannot end a ticket a repeated row fires on: an alert's own ticket
    # resolves only once none of its alerts fires.
    repeats: dict[int, AlertOutcome] = {}
    spoilt: set[tuple[str, str]] = set()
    for i, e in enumerate(events):
        key = (e.source, alert_key(e.source, e.fingerprint))
        found = rows.get(key)
        if found is None or not _repeat(e, found[1], found[2] in refs):
            spoilt.add(key)
            continue
        ref = refs.get(found[2] or "") if found[1] is AlertStatus.FIRING else None
        repeats[i] = AlertOutcome(e.fingerprint, "unchanged", ref)
    repeats = {i: o for i, o in repeats.items()
               if (events[i].source, alert_key(events[i].source, events[i].fingerprint))
               not in spoilt}
    seen = sorted({rows[(events[i].source, alert_key(events[i].source,
                                                      events[i].fingerprint))][0]
                   for i in repeats})
    if seen:
        session.execute(_SEEN, {"ids": seen, "now": now})
    return repeats, read
