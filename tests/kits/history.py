"""Write hard state history into a store the way the daemon does, for tests that need a past."""

from __future__ import annotations

from datetime import datetime

from bridge.core.decisions import Decision, RecordChange, SaveState
from bridge.core.state import CheckKey, CheckState, Reason, StateType, Status
from bridge.store import Database
from bridge.store.decisions import apply_batch


def record(db: Database, customer: str, device_id: str,
           changes: list[tuple[datetime, Status]], probe: str = "ping") -> None:
    """A check's hard changes (history rows) and its resulting state, in one batch."""
    key = CheckKey(device_id, probe)
    decisions: list[Decision] = []
    old = Status.UNKNOWN
    for at, status in changes:
        decisions.append(RecordChange(key, customer, old, status, at, Reason.HARD_DOWN, ""))
        old = status
    last_at, last = changes[-1]
    decisions.append(SaveState(key, CheckState(last, StateType.HARD, 0, last_at, last, last_at)))
    apply_batch(db.writer, decisions, "INC", last_at)
