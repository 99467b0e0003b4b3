"""A check's last values in the store: written with its state on SQLite and PostgreSQL
(COPY), NULL for a ping, read back for the API and the portal, capped in size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bridge.core.decisions import SaveState
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Status
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.reads import load_states
from bridge.store.values import LEFT_OUT, TEXT_MAX, TOTAL_MAX

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SWITCH = CheckKey("sw48", "ifaces")
PING = CheckKey("sw48", "ping")
READ = (("sysName", "sw48.acme"), ("interface Gi1/0/5", "down"),
        ("interface Gi1/0/1 traffic", "in 1.2 Mbit/s, out 3.4 Mbit/s"))


def _polled(values: tuple[tuple[str, str], ...], at: datetime = T0) -> CheckState:
    return CheckState(Status.UP, since=T0, last=ProbeResult(True, at, 0.0, "48 interfaces",
                                                            values=values))


def _null(db: Database) -> dict[str, bool]:
    """Whether each probe's stored values are SQL NULL (a JSON null would read as None)."""
    with db.reader.connect() as connection:
        return {row.probe: bool(row.empty) for row in connection.execute(
            text("SELECT probe, last_values IS NULL AS empty FROM check_state"))}


def test_a_checks_last_values_are_stored_with_its_state_and_a_pings_are_null(
        db: Database) -> None:
    ping = CheckState(Status.UP, since=T0, last=ProbeResult(True, T0, 0.0, "3/3 replies",
                                                            {"rtt_avg_s": 0.001}))
    apply_batch(db.writer, [SaveState(SWITCH, _polled(READ)), SaveState(PING, ping)],
                "INC", T0)
    assert _null(db) == {"ping": True, "ifaces": False}  # SQL NULL: not a JSON null, not []
    shown = load_states(db.reader, values=True)
    polled = shown[SWITCH].last
    assert polled is not None
    assert polled.values == READ  # in the order read
    assert shown[PING] == ping
    # the engine's reads leave them out: it judges without them
    engine_read = load_states(db.reader)[SWITCH].last
    assert engine_read is not None
    assert engine_read.values == ()

    later = T0 + timedelta(minutes=1)
    apply_batch(db.writer, [SaveState(SWITCH, _polled((), later))], "INC", later)
    assert _null(db)["ifaces"]  # a result that read none replaces them
    last = load_states(db.reader, values=True)[SWITCH].last
    assert last is not None
    assert last.values == ()


def test_values_past_the_cap_are_left_out_and_counted(db: Database) -> None:
    """A walk of a large table: the store keeps the first TOTAL_MAX characters of values,
    each text cut as the last output is, and says how many it left out."""
    ports = tuple((f"interface Gi{n // 48}/0/{n % 48}", "up") for n in range(2000))
    long_text = (("sysDescr", "x" * 5000),)
    apply_batch(db.writer, [SaveState(SWITCH, _polled(long_text + ports))], "INC", T0)
    last = load_states(db.reader, values=True)[SWITCH].last
    assert last is not None
    *kept, (name, note) = last.values
    assert kept[0] == ("sysDescr", "x" * TEXT_MAX)
    assert kept[1:] == list(ports[:len(kept) - 1])
    assert sum(len(n) + len(t) for n, t in kept) <= TOTAL_MAX
    assert (name, note) == (LEFT_OUT, f"{2001 - len(kept)} more values not stored")
