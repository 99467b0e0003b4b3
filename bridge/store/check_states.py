"""What a batch writes of its checks' results: the latest state of every check it has a
result of (inserted or updated) and the hard changes (the history), each in one go.

On PostgreSQL the rows are copied (store/bulk.py: an executemany of the upsert cost the
writer thread ~40 us a row), the states into a temporary table of the session and merged
from there. SQLite, in process, keeps the executemany.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from bridge.core.decisions import RecordChange, SaveState
from bridge.store.bulk import copy_rows
from bridge.store.models import CheckStateRow, StateChange
from bridge.store.refs import insert_for
from bridge.store.values import stored_values

_TABLE = CheckStateRow.__table__  # type: ignore[attr-defined]
_HISTORY = StateChange.__table__  # type: ignore[attr-defined]
_CHANGE_COLUMNS = ("customer", "device", "probe", "old_status", "new_status", "at", "reason",
                   "output")
_COLUMNS = ("device", "probe", "status", "state_type", "attempts", "since", "hard_status",
            "hard_since", "last_ok", "last_at", "last_output", "last_warning",
            "last_measurements", "last_values", "ok_streak", "ok_since", "flap_results",
            "flapping")
_KEY = ("device", "probe")
_INSTANTS = tuple(i for i, name in enumerate(_COLUMNS)
                  if name in ("since", "hard_since", "last_at", "ok_since"))
_FLAP_TEXT = bytes.maketrans(b"\x00\x01", b"01")  # flap results (bools) as "0"/"1"

# Emptied at every commit, so a batch that failed leaves nothing for the next one.
_BATCH_TABLE = "check_state_batch"
_CREATE_BATCH_TABLE = (f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BATCH_TABLE} "
                       "(LIKE check_state) ON COMMIT DELETE ROWS")
_MERGE = (f"INSERT INTO check_state ({', '.join(_COLUMNS)}) "
          f"SELECT {', '.join(_COLUMNS)} FROM {_BATCH_TABLE} "
          "ON CONFLICT (device, probe) DO UPDATE SET "
          + ", ".join(f"{name} = EXCLUDED.{name}" for name in _COLUMNS if name not in _KEY))


def _plain(value: Any) -> Any:
    """A JSON column's value as SQLAlchemy takes it (a mapping as a dict)."""
    return dict(value) if isinstance(value, Mapping) else value


def _values(decision: SaveState, as_json: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A state row's values, in `_COLUMNS` order; `as_json` gives a JSON column's (as it
    is for SQLAlchemy, its text for COPY). A check that read no values (a ping) stores
    NULL: no JSON to build or write."""
    state, last = decision.state, decision.state.last
    kept = stored_values(last.values) if last else None
    return (
        decision.key.device, decision.key.probe, state.status.value,
        state.state_type.value, state.attempts, state.since, state.hard_status.value,
        state.hard_since,
        last.ok if last else None, last.at if last else None,
        (last.output if last else "")[:500], last.warning if last else False,
        as_json(last.measurements) if last else None,
        as_json(kept) if kept is not None else None,
        state.ok_streak, state.ok_since,
        bytes(decision.flap.results).translate(_FLAP_TEXT).decode(), decision.flap.flapping,
    )


@cache
def _executemany_upsert(dialect: str) -> Any:
    """The upsert of one row, built once per dialect. Built per batch, its `excluded` (an
    alias of the whole table) left ~190 objects in reference cycles that only a garbage
    collection frees: at 10,000 checks 94 % of the daemon's cyclic garbage (bench/README.md,
    scale)."""
    stmt = insert_for(dialect)(_TABLE)
    updated = {name: stmt.excluded[name] for name in _COLUMNS if name not in _KEY}
    return stmt.on_conflict_do_update(index_elements=list(_KEY), set_=updated)


def _aware(value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")


def _copied(decision: SaveState) -> tuple[Any, ...]:
    """A row as COPY takes it: instants aware (as UTCDateTime insists), JSON as text."""
    row = _values(decision, json.dumps)
    for i in _INSTANTS:
        _aware(row[i])
    return row


def _merge(connection: Connection, decisions: Iterable[SaveState]) -> None:
    connection.exec_driver_sql(_CREATE_BATCH_TABLE)
    copy_rows(connection, _BATCH_TABLE, _COLUMNS, map(_copied, decisions))
    connection.exec_driver_sql(_MERGE)


def save_states(session: Session, dialect: str, decisions: Sequence[SaveState]) -> None:
    """Write each check's latest state in `decisions` (several of one check: the last)."""
    latest = {d.key: d for d in decisions}
    if not latest:
        return
    if dialect == "postgresql":
        _merge(session.connection(), latest.values())
    else:
        session.execute(_executemany_upsert(dialect), [
            dict(zip(_COLUMNS, _values(d, _plain), strict=True)) for d in latest.values()])


def save_changes(session: Session, dialect: str, changes: Sequence[RecordChange]) -> None:
    """Append hard changes to the history, in their order."""
    if not changes:
        return
    rows = [(d.customer, d.key.device, d.key.probe, d.old.value, d.new.value, d.at,
             d.reason.value, d.output[:500]) for d in changes]
    if dialect == "postgresql":
        for row in rows:
            _aware(row[5])
        copy_rows(session.connection(), "state_change", _CHANGE_COLUMNS, rows)
    else:
        session.execute(insert(_HISTORY), [dict(zip(_CHANGE_COLUMNS, row, strict=True))
                                           for row in rows])
