"""The intake's periodic sweeps over stored alerts: firing alerts whose source has been
silent too long (taken as resolved), and resolves deferred by a source's
max_resolves_per_min (applied, oldest first, as the cap allows)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy import select as core_select
from sqlmodel import Session

from bridge.config.intake_model import OnResolve
from bridge.core.priority import Priority
from bridge.store.alert_events import AlertEvent, AlertOutcome
from bridge.store.alert_rows import ALERTS
from bridge.store.alerts import Batch
from bridge.store.intake_models import AlertStatus
from bridge.store.tickets import Desk


def resolve_silent(engine: Engine, silences: Mapping[str, tuple[float, OnResolve]], prefix: str,
                   now: datetime, desk: Desk,
                   caps: Mapping[str, int | None] | None = None) -> list[AlertOutcome]:
    """Firing alerts of sources that never resolve, unseen for their source's silence: each
    resolved as if its source had said so (under its cap in `caps`, if any)."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        events = []
        for source, (silence_s, on_resolve) in sorted(silences.items()):
            rows = session.execute(core_select(
                ALERTS.c.fingerprint, ALERTS.c.starts_at, ALERTS.c.customer,
                ALERTS.c.device, ALERTS.c.summary).where(
                ALERTS.c.source == source, ALERTS.c.status == AlertStatus.FIRING,
                ALERTS.c.last_seen_at < now - timedelta(seconds=silence_s))).all()
            said = f"no word from {source} for {silence_s / 60:.0f} minutes: taken as resolved"
            events += [AlertEvent(source, row.fingerprint, False, row.starts_at, now,
                                  row.customer, row.device, (), Priority.P3, "", row.summary,
                                  said, on_resolve, max_resolves_per_min=(caps or {}).get(source))
                       for row in rows]
        batch = Batch(session, engine.dialect.name, prefix, now, desk, 0.0)
        batch.prefetch(events)
        taken = [batch.take(e) for e in events]
        batch.write()
        return [t.outcome() for t in taken]


def resolve_deferred(engine: Engine, sources: Mapping[str, tuple[OnResolve, int | None]],
                     prefix: str, now: datetime, desk: Desk) -> list[AlertOutcome]:
    """Resolves deferred by a source's cap (`sources`: each one's on_resolve and cap now),
    applied oldest first while the cap allows: "resolved" (or "noted", "unchanged" as a
    resolve would be now) for those applied, "deferred" for those still waiting. A source
    no longer configured has no cap: its deferred resolves all apply."""
    with Session(engine) as session, session.begin(), session.no_autoflush:
        rows = session.execute(core_select(
            ALERTS.c.source, ALERTS.c.fingerprint, ALERTS.c.starts_at, ALERTS.c.ends_at,
            ALERTS.c.customer, ALERTS.c.device, ALERTS.c.summary)
            .where(ALERTS.c.status == AlertStatus.RESOLVING)
            .order_by(ALERTS.c.ends_at, ALERTS.c.id)).all()
        events = []
        for row in rows:
            on_resolve, cap = sources.get(row.source, (OnResolve.RESOLVE, None))
            events.append(AlertEvent(row.source, row.fingerprint, False, row.starts_at,
                                     row.ends_at or now, row.customer, row.device, (),
                                     Priority.P3, "", row.summary, "", on_resolve,
                                     max_resolves_per_min=cap))
        batch = Batch(session, engine.dialect.name, prefix, now, desk, 0.0)
        batch.prefetch(events)
        taken = [batch.resume(e) for e in events]
        batch.write()
        return [t.outcome() for t in taken]
