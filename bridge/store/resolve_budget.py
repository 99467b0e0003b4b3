"""How many tickets a source's resolves may still resolve now, under its
`max_resolves_per_min`: the cap less the source's alert tickets the system resolved in the
last minute, read from the store, so the cap holds across restarts and instances."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from bridge.store.alert_events import ALERT_PROBLEM
from bridge.store.alert_rows import ALERTS, TICKETS
from bridge.store.intake_models import AlertStatus
from bridge.store.models import Actor, IncidentEvent

RESOLVE_WINDOW = timedelta(minutes=1)
RESOLVE_DEFERRED = "resolve_deferred"  # the timeline entry of a deferred resolve (internal)
_EVENTS = IncidentEvent.__table__  # type: ignore[attr-defined]


class ResolveBudget:
    """Per source, the resolutions left in this transaction (read once per source)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.left: dict[str, int] = {}
        self.queued: dict[str, bool] = {}  # deferred resolves waiting, read once

    def take(self, source: str, cap: int | None, *, behind_queue: bool) -> bool:
        """Whether one more of the source's resolves may resolve its ticket now (and
        count it). `behind_queue`: not while resolves deferred earlier still wait (a
        sender's new resolve queues behind them; the sweep applies them in order)."""
        if cap is None:
            return True
        if behind_queue and self._queued(source):
            return False
        if source not in self.left:
            self.left[source] = cap - self._used(source)
        if self.left[source] <= 0:
            return False
        self.left[source] -= 1
        return True

    def _queued(self, source: str) -> bool:
        if source not in self.queued:
            self.queued[source] = self.session.execute(select(ALERTS.c.id).where(
                ALERTS.c.status == AlertStatus.RESOLVING, ALERTS.c.source == source)
                .limit(1)).first() is not None
        return self.queued[source]

    def _used(self, source: str) -> int:
        """The source's alert tickets the system resolved within the last minute."""
        return int(self.session.execute(
            select(func.count()).select_from(_EVENTS.join(TICKETS,
                                                          TICKETS.c.id == _EVENTS.c.incident_id))
            .where(_EVENTS.c.kind == "resolved", _EVENTS.c.actor == Actor.SYSTEM,
                   _EVENTS.c.at > self.now - RESOLVE_WINDOW,
                   TICKETS.c.problem_key.startswith(f"{ALERT_PROBLEM}{source}:",
                                                    autoescape=True))).scalar_one())
