"""The interfaces each SNMP check learned, kept across restarts; forgotten to learn again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from bridge.store.models import LearnedInterfaces


def load_learned(engine: Engine, device: str, probe: str) -> frozenset[str] | None:
    """The names a check learned, or None if it has not learned yet."""
    with Session(engine) as session:
        row = session.get(LearnedInterfaces, (device, probe))
        return None if row is None else frozenset(row.names)


def save_learned(engine: Engine, device: str, probe: str, names: frozenset[str],
                 now: datetime) -> None:
    """Keep what a check learned, replacing what it had."""
    with Session(engine) as session, session.begin():
        session.merge(LearnedInterfaces(device=device, probe=probe, names=sorted(names),
                                        learned_at=now))


def forget_learned(engine: Engine, device: str, probe: str | None = None) -> int:
    """Forget what a device's checks (or one of them) learned; how many checks it was."""
    statement = delete(LearnedInterfaces).where(col(LearnedInterfaces.device) == device)
    if probe is not None:
        statement = statement.where(col(LearnedInterfaces.probe) == probe)
    with Session(engine) as session, session.begin():
        return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
