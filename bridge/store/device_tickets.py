"""Which open tickets concern each device: its own, and the ones it is attached to because it
is unreachable behind a failed parent (the desk's devices page)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine
from sqlmodel import col, select

from bridge.core.lifecycle import ACTIVE
from bridge.store.models import Incident, IncidentMember


def open_tickets_by_device(engine: Engine) -> dict[str, list[str]]:
    """Each device's open tickets' IDs, oldest first, without repeats."""
    active = tuple(str(s) for s in ACTIVE)
    own = (select(col(Incident.device), col(Incident.ref), col(Incident.id))
           .where(col(Incident.status).in_(active), col(Incident.device).is_not(None)))
    attached = (select(col(IncidentMember.device), col(Incident.ref), col(Incident.id))
                .join(Incident, col(Incident.id) == col(IncidentMember.incident_id))
                .where(col(Incident.status).in_(active),
                       col(IncidentMember.detached_at).is_(None)))
    found: dict[str, list[str]] = defaultdict(list)
    with engine.connect() as connection:
        rows = sorted([*connection.execute(own), *connection.execute(attached)],
                      key=lambda row: row[2])
    for device, ref, _ in rows:
        if ref not in found[device]:
            found[device].append(ref)
    return dict(found)
