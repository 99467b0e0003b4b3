"""What a batch of alerts holds while it decides: its alert rows and the tickets they touch
as plain values (hydrating an ORM object for each of hundreds of alerts costs more than the
SQL), and what each alert did."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, bindparam, func, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from bridge.store.alert_events import AlertOutcome
from bridge.store.intake_models import AlertStatus, IntakeAlert
from bridge.store.key_lists import in_list
from bridge.store.models import Incident

ALERTS = IntakeAlert.__table__  # type: ignore[attr-defined]
# A stored status to its member by one lookup (calling the enum costs several times more,
# once per row of every batch); a value not among them raises KeyError, as ValueError before
_STATUSES = {status.value: status for status in AlertStatus}
ALERT_COLUMNS = ("source", "fingerprint", "status", "customer", "device", "problem_key",
                 "summary", "starts_at", "ends_at", "last_seen_at")


@dataclass
class AlertRow:
    """An intake_alert row as the batch has it: plain values, written back in one statement
    per kind (hydrating an ORM object for each of hundreds of alerts costs more than the
    SQL)."""

    source: str
    fingerprint: str  # the stored key (alert_key)
    status: AlertStatus
    customer: str
    device: str | None
    problem_key: str | None
    summary: str
    starts_at: datetime
    ends_at: datetime | None
    last_seen_at: datetime
    stored: bool = True  # in the table (else inserted when the batch writes)
    changed: bool = False
    # the ticket's problem key its stored row fires on, as last read or written (None: not
    # stored, or not firing): what a query of the table finds of it
    stored_firing_on: str | None = None

    def __post_init__(self) -> None:
        if self.stored:
            self.written()

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ALERT_COLUMNS}

    def written(self) -> None:
        """The row as it stands is the stored one."""
        self.stored, self.changed = True, False
        self.stored_firing_on = self.problem_key if self.status is AlertStatus.FIRING else None


# locked_alerts makes its rows positionally, in the order of ALERT_COLUMNS
assert tuple(f.name for f in fields(AlertRow))[:len(ALERT_COLUMNS)] == ALERT_COLUMNS


@dataclass
class BatchTicket:
    """What a batch needs of an active ticket (its columns read, not an ORM object); one
    the batch opens has id 0 and no ref until the batch writes it (_Batch.open_pending)."""

    id: int
    ref: str
    problem_key: str
    open_key: str | None
    device: str | None


@dataclass
class Said:
    """What an alert did, its ticket's ref read once the batch is written."""

    fingerprint: str
    action: str
    ticket: BatchTicket | None = None

    def outcome(self) -> AlertOutcome:
        return AlertOutcome(self.fingerprint, self.action,
                            self.ticket.ref if self.ticket is not None else None)


def locked_alerts(session: Session, source: str,
                  keys: Collection[str]) -> list[tuple[int, AlertRow]]:
    """The stored rows of a source's alerts by their stored keys, with their IDs, locked
    (FOR UPDATE).

    On PostgreSQL each key is its own lookup in the unique index (a lateral join over the
    keys, in sorted order). `fingerprint IN (...)` there is planned by the source alone
    while the table has no statistics (a new store; autovacuum analyses it a minute
    later at the soonest), and then every row of the source is read and compared with
    every key: each batch of an alert storm into a new store read the whole table."""
    return [(row[0], AlertRow(*row[1:]))
            for row in _locked(session, _ROWS, source, keys)]


def locked_states(session: Session, source: str, keys: Collection[str]
                  ) -> list[tuple[int, str, AlertStatus, str | None]]:
    """locked_alerts' (ID, stored key, status, problem key) alone: what tells whether an
    alert repeats its row, without reading (and converting) the rest of it."""
    status_of = _STATUSES.__getitem__
    return [(row_id, key, status_of(status), problem_key)
            for row_id, key, status, problem_key in _locked(session, _STATES, source, keys)]


def seen_states(session: Session, source: str, keys: Collection[str], now: datetime
                ) -> list[tuple[int, str, AlertStatus, str | None]] | None:
    """locked_states, every one of those rows marked seen `now` by the same statement (an
    UPDATE returning them): on SQLite, whose batch holds the whole store from its first
    statement. None on PostgreSQL, where rows are locked in the keys' order (locked_alerts)
    and then only the repeats' marked seen (an UPDATE locks in the order it finds them)."""
    if session.get_bind().dialect.name == "postgresql":
        return None
    status_of = _STATUSES.__getitem__
    return [(row_id, key, status_of(status), problem_key) for row_id, key, status, problem_key
            in session.execute(_SEEN_STATES, {"keys": sorted(keys),
                                              "of_source": source, "now": now})]


def firing_counts(session: Session, problem_keys: Collection[str], most: int
                  ) -> dict[str, int]:
    """Per ticket (problem key), how many stored alerts fire on it, counted up to `most`: one
    statement for all of them (SQLite only)."""
    return {key: count for key, count in session.execute(_FIRING_COUNTS, {
        "problems": json.dumps(sorted(problem_keys)), "most": most,
        "firing": AlertStatus.FIRING.value})}


class FiringElsewhere:
    """Whether a stored alert outside a batch fires on a ticket (problem key). The rows
    outside the batch are written by none of its statements: on SQLite, where no other
    transaction writes meanwhile, an answer holds for the whole batch, and is read at the
    batch's first clear for every ticket its clears may resolve (`clearing`; one statement,
    not one per clear: a batch's clears are mostly on distinct tickets). On PostgreSQL, a
    statement per question."""

    def __init__(self, session: Session, dialect: str) -> None:
        self.session, self.dialect = session, dialect
        self.clearing: set[str] = set()
        self._known: dict[str, bool] = {}

    def fires(self, problem_key: str, rows: Iterable[AlertRow]) -> bool:
        """Of the stored rows firing on the ticket, the batch knows which are its own
        (`rows`, locked, as it last read or wrote them): one more is one of the rest."""
        known = self._known.get(problem_key)
        if known is not None:
            return known
        own = Counter(row.stored_firing_on for row in rows)
        if self.dialect != "sqlite":
            stored = self.session.execute(_FIRING_ON, {"problem_key": problem_key,
                                                       "most": own[problem_key] + 1}).all()
            return len(stored) > own[problem_key]
        keys = {problem_key, *self.clearing} - self._known.keys()
        counts = firing_counts(self.session, keys, max(own[key] for key in keys) + 1)
        self._known.update({key: counts.get(key, 0) > own[key] for key in keys})
        return self._known[problem_key]


def _locked(session: Session, statements: tuple[Select[Any], Select[Any]], source: str,
            keys: Collection[str]) -> list[Any]:
    statement = statements[session.get_bind().dialect.name == "postgresql"]
    return list(session.execute(statement, {"keys": sorted(keys), "source": source}).all())


def _statements(columns: tuple[Any, ...]) -> tuple[Select[Any], Select[Any]]:
    """The lookup by keys elsewhere and on PostgreSQL, built once: a statement built per
    call costs more in Python than the lookup in SQL."""
    wanted = func.unnest(bindparam("keys", type_=ARRAY(String))).table_valued(
        "fingerprint").render_derived(name="wanted")
    found = select(*columns).where(
        ALERTS.c.source == bindparam("source"),
        ALERTS.c.fingerprint == wanted.c.fingerprint).with_for_update().lateral("found")
    return (select(*columns).where(
        ALERTS.c.source == bindparam("source"),
        in_list(ALERTS.c.fingerprint, "keys", "sqlite")).with_for_update(),
        select(*found.c).select_from(wanted).join(found, true()))


_ROWS = _statements((ALERTS.c.id, *(ALERTS.c[name] for name in ALERT_COLUMNS)))
_STATES = _statements((ALERTS.c.id, ALERTS.c.fingerprint, ALERTS.c.status,
                       ALERTS.c.problem_key))

_SEEN_STATES = update(ALERTS).where(
    ALERTS.c.source == bindparam("of_source"), in_list(ALERTS.c.fingerprint, "keys", "sqlite")
).values(last_seen_at=bindparam("now", type_=ALERTS.c.last_seen_at.type)).returning(
    ALERTS.c.id, ALERTS.c.fingerprint, ALERTS.c.status, ALERTS.c.problem_key)

# Each key of the JSON list counted by a lookup of its own in ix_intake_alert_problem_status
# (its firing rows alone, not those that resolved on the ticket) that stops at `most` rows
# (a ticket may have thousands of alerts firing on it)
_FIRING_ON = select(ALERTS.c.id).where(
    ALERTS.c.problem_key == bindparam("problem_key"), ALERTS.c.status == AlertStatus.FIRING
).limit(bindparam("most"))
_FIRING_COUNTS = text(
    "SELECT problems.value, (SELECT count(*) FROM (SELECT 1 FROM intake_alert"
    " WHERE intake_alert.problem_key = problems.value AND intake_alert.status = :firing"
    " LIMIT :most)) FROM json_each(:problems) AS problems")

TICKETS = Incident.__table__  # type: ignore[attr-defined]
TICKET_COLUMNS = ("id", "ref", "problem_key", "open_key", "device")
