"""Alerts other monitors posted, carried out in one transaction with their tickets.

An alert opens its own ticket (problem "alert:<source>:<fingerprint>"), or joins the active
ticket of its device or of the nearest failed parent (its reachability checks down); the same
alert again changes nothing (senders resend); a resolve does what its source says. Tickets
are opened, reopened and resolved by the same code as monitoring's (bridge.store.incidents),
so the unique active key, the clocks, the desk's steps and notices are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, or_, update
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.config.intake_model import OnResolve
from bridge.core.decisions import CHECK_PROBLEM, OpenIncident, ResolveIncident, problem_key
from bridge.core.lifecycle import IncidentStatus
from bridge.core.state import CheckKey
from bridge.store.alert_events import (
    ALERT_PROBLEM,
    AlertEvent,
    AlertHead,
    AlertOutcome,
    alert_key,
)
from bridge.store.alert_repeats import take_repeats
from bridge.store.alert_rows import (
    ALERTS,
    TICKET_COLUMNS,
    TICKETS,
    AlertRow,
    BatchTicket,
    FiringElsewhere,
    Said,
    locked_alerts,
)
from bridge.store.bulk import insert_rows, update_rows
from bridge.store.incidents import open_incident, resolve
from bridge.store.intake_models import AlertStatus
from bridge.store.key_lists import ByDialect, in_list
from bridge.store.models import Incident, IncidentMember
from bridge.store.opening import NewIncident, open_together
from bridge.store.resolve_budget import RESOLVE_DEFERRED, ResolveBudget
from bridge.store.tickets import Desk, notes

__all__ = ["ALERT_PROBLEM", "PAYLOAD_KIND", "AlertEvent", "AlertOutcome", "Batch", "alert_key",
           "take_alerts", "take_lazily"]

PAYLOAD_KIND = "alert_payload"  # internal: not a kind customers see (core.audience)

# Built once, each list bound as one value (store/key_lists.py): a statement built per
# batch or per alert costs more in Python than its work in SQL.
_ACTIVE_TICKETS = ByDialect(lambda dialect: core_select(
    *(TICKETS.c[name] for name in TICKET_COLUMNS)).where(
    TICKETS.c.open_key.is_not(None),
    or_(in_list(TICKETS.c.open_key, "problems", dialect),
        in_list(TICKETS.c.device, "devices", dialect))))
_UPDATE_ROWS = update(ALERTS).where(ALERTS.c.source == bindparam("key_source"),
                                    ALERTS.c.fingerprint == bindparam("key_fingerprint"))


# The problems an alert about a device joins: a check's of the device, or another alert's.
_DEVICE_PROBLEMS = (CHECK_PROBLEM, ALERT_PROBLEM)


def _problem(source: str, key: str) -> str:
    return f"{ALERT_PROBLEM}{source}:{key}"


def _recently_resolved(session: Session, problem_key: str, since: datetime) -> bool:
    last = session.exec(select(Incident).where(Incident.problem_key == problem_key)
                        .order_by(col(Incident.id).desc())).first()
    return (last is not None and last.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
            and last.resolved_at is not None and last.resolved_at >= since)


class Batch:
    """One transaction's alerts: their rows and the active tickets they may touch are read
    once, up front, and kept current in memory as the batch changes them; the rows and the
    alerts' timeline entries are written in bulk (`write`)."""

    def __init__(self, session: Session, dialect: str, prefix: str, now: datetime, desk: Desk,
                 reopen_window_s: float) -> None:
        self.session, self.dialect, self.prefix = session, dialect, prefix
        self.now, self.desk = now, desk
        self.reopen_since = now - timedelta(seconds=reopen_window_s)
        self.budget = ResolveBudget(session, now)
        self.rows: dict[tuple[str, str], AlertRow] = {}
        self.tickets: dict[str, BatchTicket] = {}  # active ones, by problem key
        self.by_device: dict[str, list[BatchTicket]] = {}  # the same, by device
        self.behind: dict[CheckKey, BatchTicket] = {}  # a check attached to another's ticket
        self.notes: list[tuple[BatchTicket, str, str]] = []  # timeline entries not written yet
        # Tickets to open, opened together when the batch writes (or before a resolve
        # reads the store): one set of statements for all of them.
        self.opening: list[tuple[AlertEvent, BatchTicket, Said]] = []
        self.elsewhere = FiringElsewhere(session, dialect)

    def prefetch(self, events: Sequence[AlertEvent]) -> None:
        """Read the batch's alert rows (locked) and the active tickets they may join or
        name (tickets only an alert that is acknowledged, fires and is not held, or whose
        row names a ticket, can touch: the batch's other alerts change no ticket)."""
        keys: dict[str, set[str]] = {}
        for e in events:
            keys.setdefault(e.source, set()).add(alert_key(e.source, e.fingerprint))
        for source, fingerprints in keys.items():
            for _id, row in locked_alerts(self.session, source, fingerprints):
                self.rows[(row.source, row.fingerprint)] = row
        if self.dialect == "sqlite":
            cleared = (self.rows.get((e.source, alert_key(e.source, e.fingerprint)))
                       for e in events if not (e.firing or e.acknowledged))
            self.elsewhere.clearing = {r.problem_key for r in cleared
                                       if r is not None and r.problem_key}
        if not any(e.acknowledged or (e.firing and not e.held) for e in events) and not any(
                r.problem_key or r.status is AlertStatus.RESOLVING for r in self.rows.values()):
            return  # held alerts and resolves of rows on no ticket: no ticket to read
        problems = {r.problem_key for r in self.rows.values() if r.problem_key}
        devices = {e.device for e in events if e.device is not None}
        parents = {c for e in events for c in e.parent_checks}
        problems |= {problem_key(c) for c in parents}
        if parents:
            self._prefetch_members(parents)
        if problems or devices:
            for found in self.session.execute(_ACTIVE_TICKETS(self.session), {
                    "problems": sorted(problems), "devices": sorted(devices)}):
                self._known(BatchTicket(*found))

    def _prefetch_members(self, checks: set[CheckKey]) -> None:
        """The active tickets that parents' down checks are attached to (behind their own
        failed parent): those take what is behind them too."""
        members = IncidentMember.__table__  # type: ignore[attr-defined]
        found = self.session.execute(
            core_select(members.c.device, members.c.probe,
                        *(TICKETS.c[name] for name in TICKET_COLUMNS))
            .join(TICKETS, TICKETS.c.id == members.c.incident_id)
            .where(members.c.detached_at.is_(None), TICKETS.c.open_key.is_not(None),
                   members.c.device.in_(sorted({c.device for c in checks}))))
        for device, probe, *columns in found:
            ticket = BatchTicket(*columns)
            self._known(ticket)
            self.behind.setdefault(CheckKey(device, probe), ticket)

    def write(self, rows: bool = True) -> None:
        """Open the tickets to open, write the timeline entries and (unless not `rows`) the
        alert rows as they stand now (before anything that reads them in SQL, or writes
        entries of its own)."""
        self.open_pending()
        notes(self.session, self.now, [(t.id, kind, text) for t, kind, text in self.notes])
        self.notes = []
        if not rows:
            return
        new = [r.values() for r in self.rows.values() if not r.stored]
        changed = [r.values() for r in self.rows.values() if r.stored and r.changed]
        if new:
            insert_rows(self.session, ALERTS, new)
        if changed and self.dialect == "postgresql":
            self.session.execute(_UPDATE_ROWS, [
                {**values, "key_source": values["source"],
                 "key_fingerprint": values["fingerprint"]} for values in changed])
        elif changed:
            update_rows(self.session, ALERTS, ("source", "fingerprint"), changed)
        for row in self.rows.values():
            row.written()

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
            found = self.session.execute(core_select(TICKETS.c.id, TICKETS.c.ref).where(
                TICKETS.c.open_key == ticket.problem_key)).one()
            ticket.id, ticket.ref, said.action = found.id, found.ref, outcome.action

    def _note(self, ticket: BatchTicket, kind: str, message: str) -> None:
        self.notes.append((ticket, kind, message))

    def _known(self, ticket: BatchTicket) -> None:
        if ticket.open_key is not None:
            self.tickets[ticket.open_key] = ticket
            if ticket.device is not None:
                known = self.by_device.setdefault(ticket.device, [])
                if ticket not in known:
                    known.append(ticket)

    def _active(self, problem_key: str | None) -> BatchTicket | None:
        ticket = self.tickets.get(problem_key) if problem_key else None
        return ticket if ticket is not None and ticket.open_key == problem_key else None

    def _near_ticket(self, e: AlertEvent) -> BatchTicket | None:
        """The device's own active ticket of a check or an alert, else the ticket of its
        nearest failed parent (a reachability check down, or attached behind a parent of
        its own). A ticket a person opened about the device (a printer jam, a request) is
        not the alert's problem: the alert opens its own, as a check's failure does."""
        if e.device is not None:
            found = [t for t in self.by_device.get(e.device, ())
                     if t.device == e.device and t.open_key is not None
                     and t.problem_key.startswith(_DEVICE_PROBLEMS)]
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

    def take(self, e: AlertEvent) -> Said:
        key = alert_key(e.source, e.fingerprint)
        row = self.rows.get((e.source, key))
        if row is None and not (e.firing and not e.acknowledged):
            return Said(e.fingerprint, "unchanged")  # nothing known of it: nothing to do
        if row is None:
            row = AlertRow(e.source, key, AlertStatus.RESOLVED, e.customer, e.device, None,
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

    def _firing(self, e: AlertEvent, row: AlertRow, key: str) -> Said:
        ticket = self._active(row.problem_key)
        # A resend; or the same occurrence after a person resolved its ticket, whose word
        # stands until the alert resolves or fires anew (as a check that stays down).
        if row.status is AlertStatus.FIRING and (ticket is not None
                                                 or row.starts_at == e.starts_at):
            return Said(e.fingerprint, "unchanged", ticket)
        if e.held and row.status is not AlertStatus.RESOLVING:  # else: on its ticket again
            if row.status is AlertStatus.HELD:
                return Said(e.fingerprint, "unchanged")
            row.status, row.problem_key, row.starts_at = AlertStatus.HELD, None, e.starts_at
            return Said(e.fingerprint, "held")
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
            return Said(e.fingerprint, "attached", ticket)
        return self._open(e, row, own, reopen=False)

    def _open(self, e: AlertEvent, row: AlertRow, problem_key: str, reopen: bool) -> Said:
        # Entries still to write are other tickets' (a resolve writes its own first): the
        # new ticket's "opened" may go before them.
        row.problem_key = problem_key
        if not reopen:
            ticket = BatchTicket(0, "", problem_key, problem_key, e.device)
            said = Said(e.fingerprint, "opened", ticket)
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
            return Said(e.fingerprint, outcome.action)
        ticket = BatchTicket(opened.id, opened.ref, opened.problem_key, opened.open_key,
                         opened.device)
        self._note(ticket, PAYLOAD_KIND, e.raw)
        self._known(ticket)
        return Said(e.fingerprint, outcome.action, ticket)

    def _resolved(self, e: AlertEvent, row: AlertRow) -> Said:
        if row.status is AlertStatus.RESOLVING:  # said before: it waits for the cap
            return Said(e.fingerprint, "unchanged", self._active(row.problem_key))
        if row.status is not AlertStatus.FIRING:
            row.status, row.ends_at = AlertStatus.RESOLVED, row.ends_at or e.ends_at
            return Said(e.fingerprint, "unchanged")
        row.status, row.ends_at = AlertStatus.RESOLVED, e.ends_at or self.now
        return self._resolve_ticket(e, row, deferred=False)

    def resume(self, e: AlertEvent) -> Said:
        """Apply a resolve deferred earlier (alert_sweeps.resolve_deferred), if the cap
        allows now; else it keeps waiting."""
        row = self.rows.get((e.source, alert_key(e.source, e.fingerprint)))
        if row is None or row.status is not AlertStatus.RESOLVING:
            return Said(e.fingerprint, "unchanged")
        row.status, row.changed = AlertStatus.RESOLVED, True
        return self._resolve_ticket(e, row, deferred=True)

    def _resolve_ticket(self, e: AlertEvent, row: AlertRow, deferred: bool) -> Said:
        ticket = self._active(row.problem_key)
        if ticket is None or e.on_resolve is OnResolve.NOTHING:
            return Said(e.fingerprint, "unchanged", ticket)
        if not deferred:
            self._note(ticket, PAYLOAD_KIND, e.raw)
        row.changed = True
        ended = row.ends_at = row.ends_at or self.now
        # Only an alert's own ticket is resolved by alerts, once none of them fires: a
        # monitoring ticket it joined resolves when its check recovers.
        if (e.on_resolve is OnResolve.RESOLVE and row.problem_key
                and row.problem_key.startswith(ALERT_PROBLEM)
                and not self._others_fire(row, row.problem_key)):
            # Before what reads the store or writes entries of its own. Of the alert rows
            # only the resolve budget reads any (a capped source's deferred resolves); the
            # others' stored state is what `elsewhere` counts them by (`written`), so
            # without a cap they wait for the batch's end and are written once. So nothing
            # on the resolve path (the ticket's resolve, the desk's hooks) may read alert
            # rows: it would see them as they stood before the batch.
            self.write(rows=e.max_resolves_per_min is not None)
            if not self.budget.take(e.source, e.max_resolves_per_min,
                                    behind_queue=not deferred):
                row.status, row.changed = AlertStatus.RESOLVING, True  # written at the end
                if not deferred:
                    self._note(ticket, RESOLVE_DEFERRED, (
                        f"{e.source}: {e.summary} resolved at the source; the ticket resolves "
                        f"once the source's cap of {e.max_resolves_per_min} resolves a "
                        "minute allows"))
                return Said(e.fingerprint, "deferred", ticket)
            if resolve(self.session, ResolveIncident(
                    row.problem_key, ended, f"{e.source}: {e.summary} resolved"),
                    self.now, self.desk) is not None:
                ticket.open_key = None
            return Said(e.fingerprint, "resolved", ticket)
        self._note(ticket, "alert_resolved",
                   f"{e.source}: {e.summary} (resolved at {ended.isoformat()})")
        return Said(e.fingerprint, "noted", ticket)

    def _others_fire(self, row: AlertRow, problem_key: str) -> bool:
        """Whether another alert fires on the ticket: the batch's rows as they stand in
        memory, the rest as stored (no flush of the batch for a clear that only notes).
        Of the stored rows firing on it, the batch knows which are its own (locked, as it
        last read or wrote them): one more than those is one of the rest."""
        if any(other.status is AlertStatus.FIRING and other.problem_key == problem_key
               and other is not row for other in self.rows.values()):
            return True
        return self.elsewhere.fires(problem_key, self.rows.values())

    def _acknowledged(self, e: AlertEvent, row: AlertRow) -> Said:
        ticket = self._active(row.problem_key)
        if ticket is None:
            return Said(e.fingerprint, "unchanged")
        self._note(ticket, "alert_acknowledged",
                   f"{e.source}: {row.summary} acknowledged at the source")
        return Said(e.fingerprint, "noted", ticket)


def take_alerts(engine: Engine, events: Sequence[AlertEvent], prefix: str, now: datetime,
                desk: Desk, reopen_window_s: float) -> list[AlertOutcome]:
    """Store the alerts and carry out what they do to tickets, all in one transaction."""
    return take_lazily(engine, lambda _session: (events, events.__getitem__), prefix, now,
                       desk, reopen_window_s)


# In the batch's transaction: the alerts' heads, and each one's full event by index
ReadBatch = Callable[[Session], tuple[Sequence[AlertHead], Callable[[int], AlertEvent]]]


def take_lazily(engine: Engine, read: ReadBatch, prefix: str, now: datetime, desk: Desk,
                reopen_window_s: float) -> list[AlertOutcome]:
    """take_alerts for a batch `read` in its transaction, the full event built only for an
    alert that does not just repeat its row: a trap batch's hundreds of repeats need no
    more than their heads."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        heads, event = read(session)
        repeats = take_repeats(session, heads, now)
        batch = Batch(session, engine.dialect.name, prefix, now, desk, reopen_window_s)
        rest = {i: event(i) for i in range(len(heads)) if i not in repeats}
        batch.prefetch(list(rest.values()))
        said = [repeats.get(i) or batch.take(rest[i]) for i in range(len(heads))]
        batch.write()
        return [s if isinstance(s, AlertOutcome) else s.outcome() for s in said]
