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

from bridge.store.alert_events import AlertHead, AlertOutcome, alert_key
from bridge.store.alert_rows import locked_states, seen_states
from bridge.store.intake_models import AlertStatus, IntakeAlert
from bridge.store.key_lists import ByDialect, in_list
from bridge.store.models import Incident

_ROW = IntakeAlert.__table__  # type: ignore[attr-defined]
_TICKET = Incident.__table__  # type: ignore[attr-defined]
# Built once, each list bound as one value (store/key_lists.py): a statement built per
# batch, or an IN list expanded per execution, coerces each of its hundreds of values in
# Python.
_REFS = ByDialect(lambda dialect: select(_TICKET.c.open_key, _TICKET.c.ref).where(
    in_list(_TICKET.c.open_key, "keys", dialect)))
_SEEN = ByDialect(lambda dialect: update(_ROW).where(in_list(_ROW.c.id, "ids", dialect))
                  .values(last_seen_at=bindparam("now", type_=_ROW.c.last_seen_at.type)))


def _repeat(e: AlertHead, status: AlertStatus, active: bool) -> bool:
    if not e.firing or e.acknowledged:
        return False
    return (status is AlertStatus.FIRING and active) or (status is AlertStatus.HELD and e.held)


def take_repeats(session: Session, events: Sequence[AlertHead], now: datetime
                 ) -> dict[int, AlertOutcome]:
    """The outcomes of the events (by index) that only repeat their stored row, those rows
    marked seen `now`; every other event is left for the ticket decisions (which read the
    whole rows of those alone)."""
    # The batch's events by object: its traps of one alert share a head, and an answer
    # depends on the head and its row alone. The per-event passes below run in C (map,
    # zip, dict) but for one comprehension: a batch holds hundreds of traps.
    ids = list(map(id, events))
    heads: dict[int, AlertHead] = dict(zip(ids, events, strict=True))  # all alive: ids unique
    key_of = {i: (e.source, alert_key(e.source, e.fingerprint)) for i, e in heads.items()}
    by_source: dict[str, set[str]] = {}
    for source, stored in key_of.values():
        by_source.setdefault(source, set()).add(stored)
    rows: dict[tuple[str, str], tuple[int, AlertStatus, str | None]] = {}
    all_seen = True  # every row marked seen as it was read (SQLite): no UPDATE at the end
    for source, wanted in by_source.items():
        states = seen_states(session, source, wanted, now)
        if states is None:
            all_seen, states = False, locked_states(session, source, wanted)
        for row_id, stored, status, problem_key in states:
            rows[(source, stored)] = (row_id, status, problem_key)
    problems = sorted({p for _i, _s, p in rows.values() if p})
    refs: dict[str, str] = {key: ref for key, ref in session.execute(
        _REFS(session), {"keys": problems})} if problems else {}
    # A row is skipped only if every one of its events in the batch repeats it: a resolve
    # or an acknowledgement among them keeps the order of its decisions intact. Other
    # alerts' decisions cannot end a ticket a repeated row fires on: an alert's own ticket
    # resolves only once none of its alerts fires.
    said: dict[tuple[str, str | None], AlertOutcome] = {}  # equal outcomes, one value
    answer: dict[int, AlertOutcome | None] = {}
    for i, e in heads.items():
        found = rows.get(key_of[i])
        outcome = None
        if found is not None and _repeat(e, found[1], found[2] in refs):
            ref = refs.get(found[2] or "") if found[1] is AlertStatus.FIRING else None
            outcome = said.get((e.fingerprint, ref))
            if outcome is None:
                outcome = said[(e.fingerprint, ref)] = AlertOutcome(e.fingerprint,
                                                                    "unchanged", ref)
        answer[i] = outcome
    spoilt = {key_of[i] for i, outcome in answer.items() if outcome is None}
    if spoilt:  # another head of the same row does more than repeat it
        answer = {i: None if key_of[i] in spoilt else outcome for i, outcome in answer.items()}
    repeats = {n: outcome for n, outcome in enumerate(map(answer.__getitem__, ids))
               if outcome is not None}
    if all_seen:  # the others' rows are seen `now` as well: their decisions say so too
        return repeats
    seen = sorted({rows[key_of[i]][0] for i, outcome in answer.items() if outcome is not None})
    if seen:
        session.execute(_SEEN(session), {"ids": seen, "now": now})
    return repeats
