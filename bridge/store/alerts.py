"""Alerts other monitors posted, carried out in one transaction with their tickets.

An alert opens its own ticket (problem "alert:<source>:<fingerprint>"), or joins the active
ticket of its device or of the nearest failed parent (its reachability checks down); the same
alert again changes nothing (senders resend); a resolve does what its source says. Tickets
are opened, reopened and resolved by the same code as monitoring's (bridge.store.incidents),
so the unique active key, the clocks, the desk's steps and notices are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.config.intake_model import OnResolve
from bridge.core.decisions import OpenIncident, ResolveIncident, problem_key
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.store.alert_events import ALERT_PROBLEM, AlertEvent, AlertOutcome, alert_key
from bridge.store.alert_repeats import take_repeats
from bridge.store.incidents import open_incident, resolve
from bridge.store.intake_models import AlertStatus, IntakeAlert
from bridge.store.models import Incident, IncidentMember
from bridge.store.opening import NewIncident, open_together
from bridge.store.tickets import Desk, notes

__all__ = ["ALERT_PROBLEM", "PAYLOAD_KIND", "AlertEvent", "AlertOutcome", "alert_key",
           "resolve_silent", "take_alerts"]

PAYLOAD_KIND = "alert_payload"  # internal: not a kind customers see (core.audience)


def _problem(source: str, key: str) -> str:
    return f"{ALERT_PROBLEM}{source}:{key}"


def _recently_resolved(session: Session, problem_key: str, since: datetime) -> bool:
    last = session.exec(select(Incident).where(Incident.problem_key == problem_key)
                        .order_by(col(Incident.id).desc())).first()
    return (last is not None and last.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
            and last.resolved_at is not None and last.resolved_at >= since)


_ALERTS = IntakeAlert.__table__  # type: ignore[attr-defined]
_COLUMNS = ("source", "fingerprint", "status", "customer", "device", "problem_key", "summary",
            "starts_at", "ends_at", "last_seen_at")


@dataclass
class _Row:
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

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _COLUMNS}


@dataclass
class _Ticket:
    """What a batch needs of an active ticket (its columns read, not an ORM object); one
    the batch opens has id 0 and no ref until the batch writes it (_Batch.open_pending)."""

    id: int
    ref: str
    problem_key: str
    open_key: str | None
    device: str | None


@dataclass
class _Said:
    """What an alert did, its ticket's ref read once the batch is written."""

    fingerprint: str
    action: str
    ticket: _Ticket | None = None

    def outcome(self) -> AlertOutcome:
        return AlertOutcome(self.fingerprint, self.action,
                            self.ticket.ref if self.ticket is not None else None)


_TICKETS = Incident.__table__  # type: ignore[attr-defined]
_TICKET_COLUMNS = ("id", "ref", "problem_key", "open_key", "device")


class _Batch:
    """One transaction's alerts: their rows and the active tickets they may touch are read
    once, up front, and kept current in memory as the batch changes them; the rows and the
    alerts' timeline entries are written in bulk (`write`)."""

    def __init__(self, session: Session, dialect: str, prefix: str, now: datetime, desk: Desk,
                 reopen_window_s: float) -> None:
        self.session, self.dialect, self.prefix = session, dialect, prefix
        self.now, self.desk = now, desk
        self.reopen_since = now - timedelta(seconds=reopen_window_s)
        self.rows: dict[tuple[str, str], _Row] = {}
        self.tickets: dict[str, _Ticket] = {}  # active ones, by problem key
        self.by_device: dict[str, list[_Ticket]] = {}  # the same, by device
        self.behind: dict[CheckKey, _Ticket] = {}  # a check attached to another's ticket
        self.notes: list[tuple[_Ticket, str, str]] = []  # timeline entries not written yet
        # Tickets to open, opened together when the batch writes (or before a resolve
        # reads the store): one set of statements for all of them.
        self.opening: list[tuple[AlertEvent, _Ticket, _Said]] = []

    def prefetch(self, events: Sequence[AlertEvent]) -> None:
        """Read the batch's alert rows (locked) and the active tickets they may join."""
        keys: dict[str, set[str]] = {}
        for e in events:
            keys.setdefault(e.source, set()).add(alert_key(e.source, e.fingerprint))
        for source, fingerprints in keys.items():
            for found in self.session.execute(
                    core_select(*(_ALERTS.c[name] for name in _COLUMNS)).where(
                        _ALERTS.c.source == source,
                        _ALERTS.c.fingerprint.in_(sorted(fingerprints))).with_for_update()):
                row = _Row(**found._mapping)
                self.rows[(row.source, row.fingerprint)] = row
        problems = {r.problem_key for r in self.rows.values() if r.problem_key}
        devices = {e.device for e in events if e.device is not None}
        parents = {c for e in events for c in e.parent_checks}
        problems |= {problem_key(c) for c in parents}
        if parents:
            self._prefetch_members(parents)
        if problems or devices:
            for found in self.session.execute(
                    core_select(*(_TICKETS.c[name] for name in _TICKET_COLUMNS)).where(
                        _TICKETS.c.open_key.is_not(None),
                        or_(_TICKETS.c.open_key.in_(sorted(problems)),
                            _TICKETS.c.device.in_(sorted(devices))))):
                self._known(_Ticket(*found))

    def _prefetch_members(self, checks: set[CheckKey]) -> None:
        """The active tickets that parents' down checks are attached to (behind their own
        failed parent): those take what is behind them too."""
        members = IncidentMember.__table__  # type: ignore[attr-defined]
        found = self.session.execute(
            core_select(members.c.device, members.c.probe,
                        *(_TICKETS.c[name] for name in _TICKET_COLUMNS))
            .join(_TICKETS, _TICKETS.c.id == members.c.incident_id)
            .where(members.c.detached_at.is_(None), _TICKETS.c.open_key.is_not(None),
                   members.c.device.in_(sorted({c.device for c in checks}))))
        for device, probe, *columns in found:
            ticket = _Ticket(*columns)
            self._known(ticket)
            self.behind.setdefault(CheckKey(device, probe), ticket)

    def write(self) -> None:
        """Open the tickets to open, write the timeline entries and the rows as they stand
        now (before anything that reads them in SQL, or writes entries of its own)."""
        self.open_pending()
        notes(self.session, self.now, [(t.id, kind, text) for t, kind, text in self.notes])
        self.notes = []
        new = [r.values() for r in self.rows.values() if not r.stored]
        changed = [{**r.values(), "key_source": r.source, "key_fingerprint": r.fingerprint}
                   for r in self.rows.values() if r.stored and r.changed]
        if new:
            self.session.execute(insert(_ALERTS), new)
        if changed:
            self.session.execute(update(_ALERTS).where(
                _ALERTS.c.source == bindparam("key_source"),
                _ALERTS.c.fingerprint == bindparam("key_fingerprint")), changed)
        for row in self.rows.values():
            row.stored, row.changed = True, False

    def open_pending(self) -> None:
        """Open the tickets the batch has decided to open so far, together."""
        if not self.opening:
            return
        opening, self.opening = self.opening, []
        new = [NewIncident(OpenIncident(
            t.problem_key, None, e.customer, e.priority, e.rule, e.starts_at, e.summary),
            e.device) for e, t, _said in opening]
        # The reaction clock starts at the alert's own start, as a check's at its failure.
        opened = open_together(self.session, self.dialect, new, self.prefix, self.now,
                               self.desk)
        if opened is not None:
            for (_e, ticket, _said), row in zip(opening, opened, strict=True):
                assert row.id is not None
                ticket.id, ticket.ref = row.id, row.ref
            return
        for (e, ticket, said), n in zip(opening, new, strict=True):  # another instance's
            outcome = open_incident(self.session, self.dialect, n.decision, self.prefix,
                                    self.now, self.desk, device=e.device)
            found = self.session.execute(core_select(_TICKETS.c.id, _TICKETS.c.ref).where(
                _TICKETS.c.open_key == ticket.problem_key)).one()
            ticket.id, ticket.ref, said.action = found.id, found.ref, outcome.action

    def _note(self, ticket: _Ticket, kind: str, message: str) -> None:
        self.notes.append((ticket, kind, message))

    def _known(self, ticket: _Ticket) -> None:
        if ticket.open_key is not None:
            self.tickets[ticket.open_key] = ticket
            if ticket.device is not None:
                known = self.by_device.setdefault(ticket.device, [])
                if ticket not in known:
                    known.append(ticket)

    def _active(self, problem_key: str | None) -> _Ticket | None:
        ticket = self.tickets.get(problem_key) if problem_key else None
        return ticket if ticket is not None and ticket.open_key == problem_key else None

    def _near_ticket(self, e: AlertEvent) -> _Ticket | None:
        """The device's own active ticket, else the ticket of its nearest failed parent
        (a reachability check down, or attached behind a parent of its own)."""
        if e.device is not None:
            found = [t for t in self.by_device.get(e.device, ())
                     if t.device == e.device and t.open_key is not None]
            if found:  # the oldest: one the batch opens is the newest
                return min(found, key=lambda t: (t.id == 0, t.id))
        for check in e.parent_checks:
            ticket = self._active(problem_key(check))
            behind = self.behind.get(check)
            if ticket is None and behind is not None and behind.open_key is not None:
                ticket = behind
            if ticket is not None:
                return ticket
        return None

    def take(self, e: AlertEvent) -> _Said:
        key = alert_key(e.source, e.fingerprint)
        row = self.rows.get((e.source, key))
        if row is None and not (e.firing and not e.acknowledged):
            return _Said(e.fingerprint, "unchanged")  # nothing known of it: nothing to do
        if row is None:
            row = _Row(e.source, key, AlertStatus.RESOLVED, e.customer, e.device, None,
                       e.summary[:500], e.starts_at, None, self.now, stored=False)
            self.rows[(e.source, key)] = row
        if e.acknowledged:
            outcome = self._acknowledged(e, row)
        elif e.firing:
            outcome = self._firing(e, row, key)
        else:
            outcome = self._resolved(e, row)
        row.last_seen_at, row.changed = self.now, True
        return outcome

    def _firing(self, e: AlertEvent, row: _Row, key: str) -> _Said:
        ticket = self._active(row.problem_key)
        # A resend; or the same occurrence after a person resolved its ticket, whose word
        # stands until the alert resolves or fires anew (as a check that stays down).
        if row.status is AlertStatus.FIRING and (ticket is not None
                                                 or row.starts_at == e.starts_at):
            return _Said(e.fingerprint, "unchanged", ticket)
        if e.held:
            if row.status is AlertStatus.HELD:
                return _Said(e.fingerprint, "unchanged")
            row.status, row.problem_key, row.starts_at = AlertStatus.HELD, None, e.starts_at
            return _Said(e.fingerprint, "held")
        row.status, row.ends_at, row.summary = AlertStatus.FIRING, None, e.summary[:500]
        row.customer, row.device, row.starts_at = e.customer, e.device, e.starts_at
        own = _problem(e.source, key)
        if ticket is None and row.problem_key is not None and _recently_resolved(
                self.session, row.problem_key, self.reopen_since):
            return self._open(e, row, row.problem_key, reopen=True)  # flapping: the same one
        ticket = ticket or self._near_ticket(e)
        if ticket is not None:
            row.problem_key = ticket.problem_key
            self._note(ticket, "alert_attached",
                       f"{e.source}: {e.summary} (firing since {e.starts_at.isoformat()})")
            self._note(ticket, PAYLOAD_KIND, e.raw)
            return _Said(e.fingerprint, "attached", ticket)
        return self._open(e, row, own, reopen=False)

    def _open(self, e: AlertEvent, row: _Row, problem_key: str, reopen: bool) -> _Said:
        # Entries still to write are other tickets' (a resolve writes its own first): the
        # new ticket's "opened" may go before them.
        row.problem_key = problem_key
        if not reopen:
            ticket = _Ticket(0, "", problem_key, problem_key, e.device)
            said = _Said(e.fingerprint, "opened", ticket)
            self.opening.append((e, ticket, said))
            self._note(ticket, PAYLOAD_KIND, e.raw)
            self._known(ticket)
            return said
        outcome = open_incident(self.session, self.dialect, OpenIncident(
            problem_key, None, e.customer, e.priority, e.rule, e.starts_at, e.summary,
            reopen=True), self.prefix, self.now, self.desk, device=e.device)
        opened = self.session.exec(select(Incident).where(
            Incident.open_key == problem_key)).first()
        if opened is None or opened.id is None:
            return _Said(e.fingerprint, outcome.action)
        ticket = _Ticket(opened.id, opened.ref, opened.problem_key, opened.open_key,
                         opened.device)
        self._note(ticket, PAYLOAD_KIND, e.raw)
        self._known(ticket)
        return _Said(e.fingerprint, outcome.action, ticket)

    def _resolved(self, e: AlertEvent, row: _Row) -> _Said:
        if row.status is not AlertStatus.FIRING:
            row.status, row.ends_at = AlertStatus.RESOLVED, row.ends_at or e.ends_at
            return _Said(e.fingerprint, "unchanged")
        row.status, row.ends_at = AlertStatus.RESOLVED, e.ends_at or self.now
        ticket = self._active(row.problem_key)
        if ticket is None or e.on_resolve is OnResolve.NOTHING:
            return _Said(e.fingerprint, "unchanged", ticket)
        self._note(ticket, PAYLOAD_KIND, e.raw)
        row.changed = True
        self.write()  # the batch's other alerts of this ticket, as they stand now
        others = self.session.execute(core_select(_ALERTS.c.id).where(
            _ALERTS.c.problem_key == row.problem_key,
            _ALERTS.c.status == AlertStatus.FIRING,
            or_(_ALERTS.c.source != row.source, _ALERTS.c.fingerprint != row.fingerprint),
        )).first()
        # Only an alert's own ticket is resolved by alerts, once none of them fires: a
        # monitoring ticket it joined resolves when its check recovers.
        if (e.on_resolve is OnResolve.RESOLVE and others is None and row.problem_key
                and row.problem_key.startswith(ALERT_PROBLEM)):
            if resolve(self.session, ResolveIncident(
                    row.problem_key, row.ends_at, f"{e.source}: {e.summary} resolved"),
                    self.now, self.desk) is not None:
                ticket.open_key = None
            return _Said(e.fingerprint, "resolved", ticket)
        self._note(ticket, "alert_resolved",
                   f"{e.source}: {e.summary} (resolved at {row.ends_at.isoformat()})")
        return _Said(e.fingerprint, "noted", ticket)

    def _acknowledged(self, e: AlertEvent, row: _Row) -> _Said:
        ticket = self._active(row.problem_key)
        if ticket is None:
            return _Said(e.fingerprint, "unchanged")
        self._note(ticket, "alert_acknowledged",
                   f"{e.source}: {row.summary} acknowledged at the source")
        return _Said(e.fingerprint, "noted", ticket)


def take_alerts(engine: Engine, events: Sequence[AlertEvent], prefix: str, now: datetime,
                desk: Desk, reopen_window_s: float) -> list[AlertOutcome]:
    """Store the alerts and carry out what they do to tickets, all in one transaction."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        repeats = take_repeats(session, events, now)
        batch = _Batch(session, engine.dialect.name, prefix, now, desk, reopen_window_s)
        batch.prefetch([e for i, e in enumerate(events) if i not in repeats])
        said = [repeats.get(i) or batch.take(e) for i, e in enumerate(events)]
        batch.write()
        return [s if isinstance(s, AlertOutcome) else s.outcome() for s in said]


def resolve_silent(engine: Engine, silences: Mapping[str, tuple[float, OnResolve]], prefix: str,
                   now: datetime, desk: Desk) -> list[AlertOutcome]:
    """Firing alerts of sources that never resolve, unseen for their source's silence: each
    resolved as if its source had said so."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        events = []
        for source, (silence_s, on_resolve) in sorted(silences.items()):
            rows = session.execute(core_select(
                _ALERTS.c.fingerprint, _ALERTS.c.starts_at, _ALERTS.c.customer,
                _ALERTS.c.device, _ALERTS.c.summary).where(
                _ALERTS.c.source == source, _ALERTS.c.status == AlertStatus.FIRING,
                _ALERTS.c.last_seen_at < now - timedelta(seconds=silence_s))).all()
            said = f"no word from {source} for {silence_s / 60:.0f} minutes: taken as resolved"
            events += [AlertEvent(source, row.fingerprint, False, row.starts_at, now,
                                  row.customer, row.device, (), Priority.P3, "", row.summary,
                                  said, on_resolve) for row in rows]
        batch = _Batch(session, engine.dialect.name, prefix, now, desk, 0.0)
        batch.prefetch(events)
        taken = [batch.take(e) for e in events]
        batch.write()
        return [t.outcome() for t in taken]
