"""Tickets opened together: a batch's new tickets (a mass outage's, an alert storm's) in a
few statements for all of them instead of a dozen each. Their IDs come from one counter
update, their rows and "opened" entries from one INSERT each, and the desk plans and tells
about all of them at once (Desk.opened).

Only problems the caller found without an active ticket, in this transaction, come here.
If another instance opened one of them meanwhile, the unique key refuses the rows: the
savepoint undoes the attempt (the counter's numbers included, so IDs keep no gaps) and the
caller opens them one by one with open_incident, which finds the other instance's ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session

from bridge.core.decisions import OpenIncident
from bridge.store.bulk import copy_with_ids
from bridge.store.incidents import Outcome, open_incident, opened_row, opened_text
from bridge.store.models import Actor, Incident, IncidentEvent
from bridge.store.refs import next_refs
from bridge.store.tickets import Desk, OpenedTicket, TicketChange, notes

_INCIDENT = Incident.__table__  # type: ignore[attr-defined]
_EVENT = IncidentEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class NewIncident:
    """A ticket to open; `device` the one it is about when it is no check's (an alert's)."""

    decision: OpenIncident
    device: str | None = None


def _values(row: Incident) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in _INCIDENT.columns if c.name != "id"}


def _inserted(session: Session, dialect: str, table: Table,
              rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows (all with the same keys); their IDs, in order. On PostgreSQL COPYed
    (store/bulk.py): the multi-row VALUES of a mass outage's 4,000 tickets had psycopg
    parse ~100,000 placeholders in Python, ~0.3 ms of the writer thread a ticket."""
    if dialect != "postgresql":
        return list(session.execute(insert(table).returning(
            table.c.id, sort_by_parameter_order=True), rows).scalars())
    columns = tuple(rows[0])
    for row in rows:
        for value in row.values():
            if isinstance(value, datetime) and value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
    return copy_with_ids(session.connection(), table.name, columns,
                         [tuple(row.values()) for row in rows])


def _insert(session: Session, dialect: str, new: Sequence[NewIncident], prefix: str,
            now: datetime) -> list[Incident] | None:
    """The rows, inserted with their IDs; None (nothing written) if one is refused."""
    try:
        with session.begin_nested():
            refs = next_refs(session, dialect, prefix, now, len(new))
            rows = [opened_row(n.decision, ref, n.device, now) for n, ref in zip(new, refs,
                                                                                strict=True)]
            ids = _inserted(session, dialect, _INCIDENT, [_values(r) for r in rows])
    except IntegrityError:
        return None
    for row, row_id in zip(rows, ids, strict=True):
        row.id = row_id
        make_transient_to_detached(row)  # as if read: later changes are UPDATEs
        session.add(row)
    return rows


def open_together(session: Session, dialect: str, new: Sequence[NewIncident], prefix: str,
                  now: datetime, desk: Desk) -> list[Incident] | None:
    """Open a ticket for each problem (none has an active one): the tickets, in order; None
    if another instance opened one of them meanwhile (nothing written: open them one by
    one)."""
    if not new:
        return []
    rows = _insert(session, dialect, new, prefix, now)
    if rows is None:
        return None
    event_ids = _inserted(session, dialect, _EVENT, [
        {"incident_id": row.id, "at": now, "actor": Actor.SYSTEM, "kind": "opened",
         "message": opened_text(n.decision, desk.timezone(row.customer))[:2000], "author": ""}
        for n, row in zip(new, rows, strict=True)])
    desk.opened(session, [
        OpenedTicket(row, TicketChange("opened", now, Actor.SYSTEM, "", n.decision.summary),
                     event_id)
        for n, row, event_id in zip(new, rows, event_ids, strict=True)])
    return rows


class OpeningRun:
    """The engine's OpenIncident decisions in a row (a mass outage's), opened together once
    the run ends: before the batch's next ticket decision, which may read them in SQL, and
    at its end. Their outcomes keep their places in `outcomes`."""

    def __init__(self, session: Session, dialect: str, prefix: str, now: datetime,
                 desk: Desk, outcomes: list[Outcome | None]) -> None:
        self.session, self.dialect, self.prefix, self.now = session, dialect, prefix, now
        self.desk, self.outcomes = desk, outcomes
        self.pending: dict[str, tuple[int, OpenIncident]] = {}  # by problem key

    def add(self, d: OpenIncident) -> None:
        """A decision to open (not reopen) a ticket; its outcome is written by `flush`."""
        if d.problem_key in self.pending:  # the same problem twice: the second finds it open
            self.flush()
        self.pending[d.problem_key] = (len(self.outcomes), d)
        self.outcomes.append(None)

    def flush(self) -> None:
        """Open the run's tickets: those of problems with an active ticket only note it."""
        if not self.pending:
            return
        pending, self.pending = list(self.pending.values()), {}
        active = {key: (row_id, ref) for key, row_id, ref in self.session.execute(
            select(_INCIDENT.c.open_key, _INCIDENT.c.id, _INCIDENT.c.ref).where(
                _INCIDENT.c.open_key.in_(sorted(d.problem_key for _i, d in pending))))}
        new = [(i, d) for i, d in pending if d.problem_key not in active]
        opened = open_together(self.session, self.dialect, [NewIncident(d) for _i, d in new],
                               self.prefix, self.now, self.desk)
        if opened is None:  # another instance opened one meanwhile: one by one
            for i, d in new:
                self.outcomes[i] = open_incident(self.session, self.dialect, d, self.prefix,
                                                 self.now, self.desk)
        else:
            for (i, d), row in zip(new, opened, strict=True):
                self.outcomes[i] = Outcome("opened", row.ref, d.problem_key, d.customer)
        still = [(i, d) for i, d in pending if d.problem_key in active]
        notes(self.session, self.now, [(active[d.problem_key][0], "still_down", d.summary)
                                       for _i, d in still])
        for i, d in still:
            self.outcomes[i] = Outcome("already_open", active[d.problem_key][1],
                                       d.problem_key, d.customer)
