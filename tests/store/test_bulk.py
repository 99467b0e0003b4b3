"""Many rows into one table (bridge/store/bulk.py: COPY on PostgreSQL): read back as written,
text that COPY must escape included, and refused as an INSERT would be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.store import Database
from bridge.store.alert_rows import ALERTS
from bridge.store.bulk import insert_rows
from bridge.store.intake_models import AlertStatus, IntakeAlert

T0 = datetime(2026, 12, 6, 9, tzinfo=UTC)
AWKWARD = ["tab\there", "line\nbreak", "back\\slash \\N", "", "ünïcode ✓", "end\r\n"]


def _row(i: int, summary: str) -> dict[str, object]:
    return {"source": "prom", "fingerprint": f"fp-{i}", "status": AlertStatus.FIRING,
            "customer": "acme", "device": None if i % 2 else f"dev-{i}", "problem_key": None,
            "summary": summary, "starts_at": T0 + timedelta(seconds=i), "ends_at": None,
            "last_seen_at": T0}


def test_rows_read_back_as_written(db: Database) -> None:
    with Session(db.writer) as session, session.begin():
        insert_rows(session, ALERTS, [_row(i, text) for i, text in enumerate(AWKWARD)])
    with Session(db.reader) as session:
        rows = session.exec(select(IntakeAlert).order_by(col(IntakeAlert.fingerprint))).all()
    assert [r.summary for r in rows] == AWKWARD
    assert [r.status for r in rows] == [AlertStatus.FIRING] * len(AWKWARD)
    assert [r.device for r in rows] == [None if i % 2 else f"dev-{i}"
                                        for i in range(len(AWKWARD))]
    assert [r.starts_at for r in rows] == [T0 + timedelta(seconds=i)
                                           for i in range(len(AWKWARD))]


def test_a_refused_row_is_an_integrity_error_and_writes_nothing(db: Database) -> None:
    with Session(db.writer) as session, session.begin():
        insert_rows(session, ALERTS, [_row(1, "first")])
    with pytest.raises(IntegrityError), Session(db.writer) as session, session.begin():
        insert_rows(session, ALERTS, [_row(2, "second"), _row(1, "the same key again")])
    with Session(db.reader) as session:
        assert [r.summary for r in session.exec(select(IntakeAlert)).all()] == ["first"]
