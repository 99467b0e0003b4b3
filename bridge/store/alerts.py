"""Alerts other monitors posted, carried out in one transaction with their tickets.

An alert opens its own ticket (problem "alert:<source>:<fingerprint>"), or joins the active
ticket of its device or of the nearest failed parent; the same alert again changes nothing
(senders resend); a resolve does what its source says. Tickets are opened, reopened and
resolved by the same code as monitoring's (bridge.store.incidents), so the unique active key,
the clocks, the desk's steps and notices are the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_
from sqlmodel import Session, col, select

from bridge.config.intake_model import OnResolve
from bridge.core.decisions import OpenIncident, ResolveIncident
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.store.alert_events import ALERT_PROBLEM, AlertEvent, AlertOutcome, alert_key
from bridge.store.alert_repeats import take_repeats
from bridge.store.incidents import open_incident, resolve
from bridge.store.intake_models import AlertStatus, IntakeAlert
from bridge.store.models import Incident
from bridge.store.tickets import Desk, note

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


class _Batch:
    """One transaction's alerts: their rows and the active tickets they may touch are read
    once, up front, and kept current in memory as the batch changes them."""

    def __init__(self, session: Session, dialect: str, prefix: str, now: datetime, desk: Desk,
                 reopen_window_s: float) -> None:
        self.session, self.dialect, self.prefix = session, dialect, prefix
        self.now, self.desk = now, desk
        self.reopen_since = now - timedelta(seconds=reopen_window_s)
        self.rows: dict[tuple[str, str], IntakeAlert] = {}
        self.tickets: dict[str, Incident] = {}  # active ones, by problem key

    def prefetch(self, events: Sequence[AlertEvent]) -> None:
        """Read the batch's alert rows (locked) and the active tickets they may join."""
        keys: dict[str, set[str]] = {}
        for e in events:
            keys.setdefault(e.source, set()).add(alert_key(e.source, e.fingerprint))
        for source, fingerprints in keys.items():
            for row in self.session.exec(select(IntakeAlert).where(
                    IntakeAlert.source == source,
                    col(IntakeAlert.fingerprint).in_(sorted(fingerprints))).with_for_update()):
                self.rows[(row.source, row.fingerprint)] = row
        problems = {r.problem_key for r in self.rows.values() if r.problem_key}
        devices = {d for e in events for d in e.near}
        if problems or devices:
            for ticket in self.session.exec(select(Incident).where(
                    col(Incident.open_key).is_not(None),
                    or_(col(Incident.open_key).in_(sorted(problems)),
                        col(Incident.device).in_(sorted(devices))))):
                self._known(ticket)

    def _known(self, ticket: Incident | None) -> None:
        if ticket is not None and ticket.open_key is not None:
            self.tickets[ticket.open_key] = ticket

    def _active(self, problem_key: str | None) -> Incident | None:
        ticket = self.tickets.get(problem_key) if problem_key else None
        return ticket if ticket is not None and ticket.open_key == problem_key else None

    def _near_ticket(self, near: Sequence[str]) -> Incident | None:
        """The active ticket of the device, else of its nearest parent with one."""
        for device in near:
            found = [t for t in self.tickets.values()
                     if t.device == device and t.open_key is not None]
            if found:
                return min(found, key=lambda t: t.id or 0)
        return None

    def take(self, e: AlertEvent) -> AlertOutcome:
        key = alert_key(e.source, e.fingerprint)
        row = self.rows.get((e.source, key))
        if row is None and not (e.firing and not e.acknowledged):
            return AlertOutcome(e.fingerprint, "unchanged")  # nothing known of it: nothing to do
        if row is None:
            row = IntakeAlert(source=e.source, fingerprint=key, status=AlertStatus.RESOLVED,
                              customer=e.customer, device=e.device, summary=e.summary[:500],
                              starts_at=e.starts_at, last_seen_at=self.now)
            self.rows[(e.source, key)] = row
        if e.acknowledged:
            outcome = self._acknowledged(e, row)
        elif e.firing:
            outcome = self._firing(e, row, key)
        else:
            outcome = self._resolved(e, row)
        row.last_seen_at = self.now
        self.session.add(row)
        return outcome

    def _firing(self, e: AlertEvent, row: IntakeAlert, key: str) -> AlertOutcome:
        ticket = self._active(row.problem_key)
        # A resend; or the same occurrence after a person resolved its ticket, whose word
        # stands until the alert resolves or fires anew (as a check that stays down).
        if row.status is AlertStatus.FIRING and (ticket is not None
                                                 or row.starts_at == e.starts_at):
            return AlertOutcome(e.fingerprint, "unchanged", ticket.ref if ticket else None)
        if e.held:
            if row.status is AlertStatus.HELD:
                return AlertOutcome(e.fingerprint, "unchanged")
            row.status, row.problem_key, row.starts_at = AlertStatus.HELD, None, e.starts_at
            return AlertOutcome(e.fingerprint, "held")
        row.status, row.ends_at, row.summary = AlertStatus.FIRING, None, e.summary[:500]
        row.customer, row.device, row.starts_at = e.customer, e.device, e.starts_at
        own = _problem(e.source, key)
        if ticket is None and row.problem_key is not None and _recently_resolved(
                self.session, row.problem_key, self.reopen_since):
            return self._open(e, row, row.problem_key, reopen=True)  # flapping: the same one
        ticket = ticket or self._near_ticket(e.near)
        if ticket is not None and ticket.id is not None:
            row.problem_key = ticket.problem_key
            note(self.session, ticket.id, self.now, "alert_attached",
                 f"{e.source}: {e.summary} (firing since {e.starts_at.isoformat()})")
            self._payload(ticket, e)
            return AlertOutcome(e.fingerprint, "attached", ticket.ref)
        return self._open(e, row, own, reopen=False)

    def _open(self, e: AlertEvent, row: IntakeAlert, problem_key: str,
              reopen: bool) -> AlertOutcome:
        # The reaction clock starts at the alert's own start, as a check's at its failure.
        outcome = open_incident(self.session, self.dialect, OpenIncident(
            problem_key, None, e.customer, e.priority, e.rule, e.starts_at, e.summary,
            reopen=reopen), self.prefix, self.now, self.desk)
        row.problem_key = problem_key
        ticket = self.session.exec(select(Incident).where(
            Incident.open_key == problem_key)).first()
        self._known(ticket)
        if ticket is not None:
            if ticket.device is None and e.device is not None:
                ticket.device = e.device
                self.session.add(ticket)
            self._payload(ticket, e)
        return AlertOutcome(e.fingerprint, outcome.action, outcome.ref)

    def _resolved(self, e: AlertEvent, row: IntakeAlert) -> AlertOutcome:
        if row.status is not AlertStatus.FIRING:
            row.status, row.ends_at = AlertStatus.RESOLVED, row.ends_at or e.ends_at
            return AlertOutcome(e.fingerprint, "unchanged")
        row.status, row.ends_at = AlertStatus.RESOLVED, e.ends_at or self.now
        ticket = self._active(row.problem_key)
        if ticket is None or ticket.id is None or e.on_resolve is OnResolve.NOTHING:
            return AlertOutcome(e.fingerprint, "unchanged", ticket.ref if ticket else None)
        self._payload(ticket, e)
        # Only an alert's own ticket is resolved by alerts, once none of them fires: a
        # monitoring ticket it joined resolves when its check recovers.
        if (e.on_resolve is OnResolve.RESOLVE and row.problem_key
                and row.problem_key.startswith(ALERT_PROBLEM) and not self._others_firing(row)):
            self.session.add(row)
            self.session.flush()  # the resolve reads the ticket as the batch left it
            resolve(self.session, ResolveIncident(
                row.problem_key, row.ends_at, f"{e.source}: {e.summary} resolved"),
                self.now, self.desk)
            return AlertOutcome(e.fingerprint, "resolved", ticket.ref)
        note(self.session, ticket.id, self.now, "alert_resolved",
             f"{e.source}: {e.summary} (resolved at {row.ends_at.isoformat()})")
        return AlertOutcome(e.fingerprint, "noted", ticket.ref)

    def _others_firing(self, row: IntakeAlert) -> bool:
        """Whether another alert fires on the row's ticket: the batch's rows as they stand in
        memory (no flush per resolve), the others as stored."""
        if any(other is not row and other.problem_key == row.problem_key
               and other.status is AlertStatus.FIRING for other in self.rows.values()):
            return True
        in_batch = {other.id for other in self.rows.values() if other.id is not None}
        stored = self.session.exec(select(IntakeAlert.id).where(
            IntakeAlert.problem_key == row.problem_key,
            IntakeAlert.status == AlertStatus.FIRING)).all()
        return any(found not in in_batch for found in stored)

    def _acknowledged(self, e: AlertEvent, row: IntakeAlert) -> AlertOutcome:
        ticket = self._active(row.problem_key)
        if ticket is None or ticket.id is None:
            return AlertOutcome(e.fingerprint, "unchanged")
        note(self.session, ticket.id, self.now, "alert_acknowledged",
             f"{e.source}: {row.summary} acknowledged at the source")
        return AlertOutcome(e.fingerprint, "noted", ticket.ref)

    def _payload(self, ticket: Incident, e: AlertEvent) -> None:
        assert ticket.id is not None
        note(self.session, ticket.id, self.now, PAYLOAD_KIND, e.raw)


def take_alerts(engine: Engine, events: Sequence[AlertEvent], prefix: str, now: datetime,
                desk: Desk, reopen_window_s: float) -> list[AlertOutcome]:
    """Store the alerts and carry out what they do to tickets, all in one transaction."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        repeats = take_repeats(session, events, now)
        batch = _Batch(session, engine.dialect.name, prefix, now, desk, reopen_window_s)
        batch.prefetch([e for i, e in enumerate(events) if i not in repeats])
        return [repeats.get(i) or batch.take(e) for i, e in enumerate(events)]


def resolve_silent(engine: Engine, silences: Mapping[str, tuple[float, OnResolve]], prefix: str,
                   now: datetime, desk: Desk) -> list[AlertOutcome]:
    """Firing alerts of sources that never resolve, unseen for their source's silence: each
    resolved as if its source had said so."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        events = []
        for source, (silence_s, on_resolve) in sorted(silences.items()):
            rows = session.exec(select(IntakeAlert).where(
                IntakeAlert.source == source, IntakeAlert.status == AlertStatus.FIRING,
                col(IntakeAlert.last_seen_at) < now - timedelta(seconds=silence_s))).all()
            said = f"no word from {source} for {silence_s / 60:.0f} minutes: taken as resolved"
            events += [AlertEvent(source, row.fingerprint, False, row.starts_at, now,
                                  row.customer, row.device, (), Priority.P3, "", row.summary,
                                  said, on_resolve) for row in rows]
        batch = _Batch(session, engine.dialect.name, prefix, now, desk, 0.0)
        batch.prefetch(events)
        return [batch.take(e) for e in events]
