"""The interfaces SNMP checks learned, in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.store import Database
from bridge.store.learned import forget_learned, load_learned, save_learned

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_learned_interfaces_are_kept_replaced_and_forgotten(db: Database) -> None:
    engine = db.writer
    assert load_learned(engine, "sw-1", "ports") is None  # not learned yet: learn
    save_learned(engine, "sw-1", "ports", frozenset(), T0)
    assert load_learned(engine, "sw-1", "ports") == frozenset()  # learned: nothing was up
    save_learned(engine, "sw-1", "ports", frozenset({"Gi1/0/1", "Te1/1/1"}), T0)
    save_learned(engine, "sw-1", "uplinks", frozenset({"Te1/1/1"}), T0)
    save_learned(engine, "sw-2", "ports", frozenset({"port1"}), T0)
    assert load_learned(db.reader, "sw-1", "ports") == {"Gi1/0/1", "Te1/1/1"}
    assert forget_learned(engine, "sw-1", "uplinks") == 1
    assert load_learned(engine, "sw-1", "uplinks") is None
    assert load_learned(engine, "sw-1", "ports") is not None
    assert forget_learned(engine, "sw-1") == 1
    assert load_learned(engine, "sw-1", "ports") is None
    assert load_learned(engine, "sw-2", "ports") == {"port1"}  # another device's stays
